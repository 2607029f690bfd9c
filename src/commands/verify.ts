import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import cliProgress from 'cli-progress';
import { TsmCommand } from '../cli/base-command.js';
import { writeFileAtomically } from '../onnx/write.js';
import { predictionsCsv, writeReport } from '../verify/report.js';
import { DATASETS } from '../data/dataset.js';
import {
  PART_KIND,
  parseShard,
  readPart,
  samePart,
  sha256File,
  writePart,
  type RunIdentity,
  type Shard,
  type VerifyPart,
} from '../verify/shards.js';
import { renderVerify } from '../verify/render.js';
import { verifyModel, type VerifyResult } from '../verify/verify.js';

export interface ShardRunResult {
  readonly part: string;
  readonly shard: Shard;
  /** the part file already held this shard of this run */
  readonly skipped: boolean;
  readonly clips: number;
}

export type VerifyCommandResult = Omit<VerifyResult, 'predictions'> & {
  report?: Record<string, string>;
  predictionsFile?: string;
};

export default class Verify extends TsmCommand {
  static override description =
    'Score a model (.onnx, or a checkpoint converted on the fly) on a video-folder dataset with the TSM test protocol';
  static override examples = [
    '<%= config.bin %> verify model.onnx --dataset jester --root dataset/jester',
    '<%= config.bin %> verify model.onnx --root fixtures/jester-mini --crops 3 --twice --report out/ --json',
  ];
  static override args = {
    model: Args.string({
      description: 'model (.onnx), or a checkpoint (.pth, .pth.tar, .safetensors) converted on the fly',
      required: true,
    }),
  };
  static override flags = {
    dataset: Flags.string({
      description: 'dataset layout and defaults',
      default: 'jester',
      options: Object.keys(DATASETS),
    }),
    root: Flags.string({
      description: 'dataset folder (frames folder, category.txt, list files)',
      default: 'dataset/jester',
    }),
    list: Flags.string({ description: 'clip list (default: <root>/val_videofolder.txt)' }),
    categories: Flags.string({ description: 'category file (default: <root>/category.txt)' }),
    template: Flags.string({
      description:
        "frame file name template (default per dataset, jester '{:05d}.jpg'; Flow models: the dataset's flow template, e.g. 'flow_{}_{:05d}.jpg')",
    }),
    segments: Flags.integer({ description: 'segments; must match the model', min: 1 }),
    crops: Flags.string({
      description: 'crops per clip: 1 centre, 3 full-res left/centre/right, 10 corners+centre with flips',
      options: ['1', '3', '10'],
      default: '1',
    }),
    'flip-labels': Flags.boolean({
      description:
        'with --crops 10: read flipped views with mirrored classes swapped (Left ↔ Right, Clockwise ↔ Counterclockwise, from the category names), recorded in the protocol',
    }),
    dense: Flags.boolean({ description: 'dense sampling: 10 clips of stride 64/T', exclusive: ['twice'] }),
    twice: Flags.boolean({
      description: 'twice sampling: the uniform clip plus one at segment starts',
      exclusive: ['dense'],
    }),
    'full-res': Flags.boolean({
      description: 'crop = scale = the model input size (export the model with --size 256)',
    }),
    resize: Flags.string({
      description: 'frame scaling: pillow (bit-exact with the Python TSM code) or sharp (libvips, faster)',
      options: ['pillow', 'sharp'],
      default: 'pillow',
    }),
    batch: Flags.integer({ description: 'clips per inference batch', default: 4, min: 1 }),
    threads: Flags.integer({ description: 'onnxruntime intra-op threads', default: 2, min: 1 }),
    loader: Flags.string({
      description:
        'where clips are decoded and preprocessed: a worker thread overlapping inference, the main thread between batches, or auto (the worker only when --threads leaves a core free)',
      options: ['auto', 'worker', 'main'],
      default: 'auto',
    }),
    'max-num': Flags.integer({ description: 'only the first N clips of the list', min: 1 }),
    predictions: Flags.string({ description: 'write per-clip predictions to this CSV' }),
    report: Flags.string({
      description: 'write predictions, per-class and confusion CSVs, a confusion PNG and verify.json into this folder',
    }),
    videos: Flags.boolean({
      description:
        "the list's ids are video files relative to --root (mp4, webm, …), decoded by ffmpeg with the same sampling; their own frame counts replace the list's",
    }),
    ffmpeg: Flags.string({
      description:
        'ffmpeg for --videos (default: TSM_FFMPEG, else the first ffmpeg on PATH, else the one installed with tsm)',
    }),
    shard: Flags.string({
      description:
        'score one shard of the list: I/N (clip k goes to shard k mod N), or auto: I from a Slurm job array or a Kubernetes Indexed Job, N from TSM_SHARD_COUNT (or a Slurm array that is exactly 0..N-1); write it with -o',
      dependsOn: ['output'],
    }),
    output: Flags.string({
      char: 'o',
      description:
        'with --shard: the part file to write (skipped when it already holds this shard of this run); merge parts with tsm verify merge',
      dependsOn: ['shard'],
    }),
    reference: Flags.string({
      description: 'reference outputs JSON (tools/reference/eval_jester.py) to compare with clip by clip',
    }),
  };

  async run(): Promise<VerifyCommandResult | ShardRunResult> {
    const { args, flags } = await this.parse(Verify);
    const shard = flags.shard ? parseShard(flags.shard) : undefined;
    const config = DATASETS[flags.dataset];
    const identity: RunIdentity | undefined = shard
      ? {
          model: { path: args.model, sha256: sha256File(args.model, 'model') },
          list: {
            path: flags.list ?? join(flags.root, config.list),
            sha256: sha256File(flags.list ?? join(flags.root, config.list), 'clip list'),
          },
          categories: {
            path: flags.categories ?? join(flags.root, config.categories),
            sha256: sha256File(flags.categories ?? join(flags.root, config.categories), 'category list'),
          },
          request: {
            dataset: flags.dataset,
            template: flags.template ?? null,
            segments: flags.segments ?? null,
            crops: flags.crops,
            dense: flags.dense,
            twice: flags.twice,
            fullRes: flags['full-res'],
            resize: flags.resize,
            maxNum: flags['max-num'] ?? null,
            flipLabels: flags['flip-labels'],
            videos: flags.videos,
          },
        }
      : undefined;
    if (shard && identity && flags.output && existsSync(flags.output)) {
      let existing: VerifyPart | undefined;
      try {
        existing = readPart(flags.output);
      } catch {
        existing = undefined; // not a part (or a broken one): computed again and replaced
      }
      if (existing && samePart(existing, identity, shard)) {
        if (!this.jsonEnabled())
          this.log(
            `${flags.output}: shard ${shard.index}/${shard.count} of this run is already there (${existing.result.clips} clips); skipped`,
          );
        return { part: flags.output, shard, skipped: true, clips: existing.result.clips };
      }
    }
    const bar =
      !this.jsonEnabled() && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            {
              format: `verify${shard ? ` shard ${shard.index}/${shard.count}` : ''} |{bar}| {value}/{total} clips | {speed} clips/s | ETA {eta_formatted}`,
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
    const started = performance.now();
    let barStarted = false;
    const result = await verifyModel({
      model: args.model,
      dataset: flags.dataset,
      root: flags.root,
      list: flags.list,
      categories: flags.categories,
      imageTemplate: flags.template,
      segments: flags.segments,
      crops: Number(flags.crops) as 1 | 3 | 10,
      sampling: flags.dense ? 'dense' : flags.twice ? 'twice' : 'uniform',
      fullRes: flags['full-res'],
      resize: flags.resize as 'pillow' | 'sharp',
      batch: flags.batch,
      threads: flags.threads,
      loaderThread: flags.loader as 'auto' | 'worker' | 'main',
      maxNum: flags['max-num'],
      reference: flags.reference,
      flipLabels: flags['flip-labels'],
      shard,
      videos: flags.videos,
      ffmpeg: flags.ffmpeg,
      onProgress: (done, total) => {
        if (!bar) return;
        if (!barStarted) {
          bar.start(total, 0, { speed: '0.0' });
          barStarted = true;
        }
        bar.update(done, { speed: (done / ((performance.now() - started) / 1000)).toFixed(1) });
      },
    }).finally(() => bar?.stop());
    if (shard && identity && flags.output) {
      writePart(flags.output, { kind: PART_KIND, version: 1, ...identity, shard, result });
      if (!this.jsonEnabled())
        this.log(
          `shard ${shard.index}/${shard.count}: ${result.clips} clips → ${flags.output} (merge all parts with tsm verify merge)`,
        );
      return { part: flags.output, shard, skipped: false, clips: result.clips };
    }
    let report: Record<string, string> | undefined;
    if (flags.report) report = await writeReport(result, flags.report);
    if (flags.predictions) writeFileAtomically(flags.predictions, predictionsCsv(result));
    const { predictions: _p, ...summary } = result;
    if (!this.jsonEnabled()) {
      for (const w of result.warnings) this.warn(w);
      this.log(renderVerify(result, report));
    }
    return { ...summary, report, predictionsFile: flags.predictions };
  }
}
