import { join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { TsmCommand } from '../cli/base-command.js';
import { progressBar } from '../cli/progress.js';
import { DATASETS } from '../data/dataset.js';
import { writeFileAtomically } from '../onnx/write.js';
import { renderVerify } from '../verify/render.js';
import { predictionsCsv, writeReport } from '../verify/report.js';
import { parseShard, type Shard } from '../verify/shard-choice.js';
import { PART_KIND, partHolding, runIdentity, writePart } from '../verify/shards.js';
import { type MmActionOverrides, type VerifyOptions, type VerifyResult, verifyModel } from '../verify/verify.js';

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
    'Score a model (.onnx, or a checkpoint converted on the fly) on a video-folder dataset with the TSM or the ' +
    'MMAction2 test protocol';
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
        "frame file name template (default per dataset, jester '{:05d}.jpg'; Flow models: the dataset's flow " +
        "template, e.g. 'flow_{}_{:05d}.jpg')",
    }),
    segments: Flags.integer({ description: 'segments; must match the model', min: 1 }),
    crops: Flags.string({
      description: 'crops per clip: 1 centre, 3 full-res left/centre/right, 10 corners+centre with flips',
      options: ['1', '3', '10'],
      default: '1',
    }),
    'flip-labels': Flags.boolean({
      description:
        'with --crops 10: read flipped views with mirrored classes swapped (Left ↔ Right, Clockwise ↔ ' +
        'Counterclockwise, from the category names), recorded in the protocol',
    }),
    dense: Flags.boolean({ description: 'dense sampling: 10 clips of stride 64/T', exclusive: ['twice'] }),
    twice: Flags.boolean({
      description:
        'twice sampling: the uniform clip plus one at segment starts (--protocol mmaction2: twice_sample; ' +
        "--no-twice turns off the model's)",
      exclusive: ['dense'],
      allowNo: true,
    }),
    protocol: Flags.string({
      description:
        "test protocol: tsm (TSM's test_models.py) or mmaction2 (MMAction2's test loop: SampleFrames, OpenCV " +
        "resize, Center/Three/TenCrop, 'prob' or 'score' averaging); default mmaction2 for a model with " +
        'tsm.mmaction2 metadata, else tsm',
      options: ['tsm', 'mmaction2'],
    }),
    'num-clips': Flags.integer({
      description: "--protocol mmaction2: SampleFrames' num_clips (default: the model's; a multiple of its segments)",
      min: 1,
    }),
    crop: Flags.string({
      description:
        "--protocol mmaction2: CenterCrop, ThreeCrop or TenCrop at the model's input size (default: the model's)",
      options: ['center', 'three', 'ten'],
    }),
    average: Flags.string({
      description: '--protocol mmaction2: average_clips, softmax per view then mean (prob) or raw scores (score)',
      options: ['prob', 'score'],
    }),
    'short-side': Flags.integer({
      description: "--protocol mmaction2: Resize the short side to this (default: the model's, e.g. 256)",
      min: 1,
    }),
    'start-index': Flags.integer({
      description: "--protocol mmaction2: index of a clip's first frame (default 0 for --videos, 1 for frame folders)",
      min: 0,
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
        'where clips are decoded and preprocessed: a worker thread overlapping inference, the main thread between ' +
        'batches, or auto (the worker only when --threads leaves a core free)',
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
        "the list's ids are video files relative to --root (mp4, webm, …), decoded by ffmpeg with the same sampling; " +
        "their own frame counts replace the list's",
    }),
    ffmpeg: Flags.string({
      description:
        'ffmpeg for --videos (default: TSM_FFMPEG, else the first ffmpeg on PATH, else the one installed with tsm)',
    }),
    shard: Flags.string({
      description:
        'score one shard of the list: I/N (clip k goes to shard k mod N), or auto: I from a Slurm job array or a ' +
        'Kubernetes Indexed Job, N from TSM_SHARD_COUNT (or a Slurm array that is exactly 0..N-1); write it with -o',
      dependsOn: ['output'],
    }),
    output: Flags.string({
      char: 'o',
      description:
        'with --shard: the part file to write (skipped when it already holds this shard of this run); merge ' +
        'parts with tsm verify merge',
      dependsOn: ['shard'],
    }),
    reference: Flags.string({
      description: 'reference outputs JSON (tools/reference/eval_jester.py) to compare with clip by clip',
    }),
  };

  async run(): Promise<VerifyCommandResult | ShardRunResult> {
    const { args, flags } = await this.parse(Verify);
    const shard = flags.shard ? parseShard(flags.shard) : undefined;
    const options: VerifyOptions = {
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
      protocol: flags.protocol as 'tsm' | 'mmaction2' | undefined,
      mmaction2: mmactionOverrides(flags),
    };
    if (shard && flags.output) return this.runShard(options, shard, flags.output, flags);
    const result = await this.verify(options);
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

  /** verifyModel with a progress bar on a terminal. */
  private async verify(options: VerifyOptions): Promise<VerifyResult> {
    const shard = options.shard ? ` shard ${options.shard.index}/${options.shard.count}` : '';
    const bar = progressBar(
      !this.jsonEnabled(),
      `verify${shard} |{bar}| {value}/{total} clips | {speed} clips/s | ETA {eta_formatted}`,
    );
    const started = performance.now();
    const onProgress = (done: number, total: number) =>
      bar.update(done, total, { speed: (done / ((performance.now() - started) / 1000)).toFixed(1) });
    return verifyModel({ ...options, onProgress }).finally(() => bar.stop());
  }

  /** One shard of a run into its part file, unless the file already holds this shard of this run. */
  private async runShard(
    options: VerifyOptions,
    shard: Shard,
    output: string,
    flags: Record<string, unknown>,
  ): Promise<ShardRunResult> {
    const config = DATASETS[options.dataset];
    const identity = runIdentity({
      model: options.model,
      list: options.list ?? join(options.root, config.list),
      categories: options.categories ?? join(options.root, config.categories),
      // the flags that decide what is computed, as given
      request: Object.fromEntries(SHARD_REQUEST_FLAGS.map(([key, flag]) => [key, flags[flag] ?? null])),
    });
    const existing = partHolding(output, identity, shard);
    if (existing) {
      if (!this.jsonEnabled())
        this.log(
          `${output}: shard ${shard.index}/${shard.count} of this run is already there ` +
            `(${existing.result.clips} clips); skipped`,
        );
      return { part: output, shard, skipped: true, clips: existing.result.clips };
    }
    const result = await this.verify(options);
    writePart(output, { kind: PART_KIND, version: 1, ...identity, shard, result });
    if (!this.jsonEnabled())
      this.log(
        `shard ${shard.index}/${shard.count}: ${result.clips} clips → ${output} (merge all ` +
          `parts with tsm verify merge)`,
      );
    return { part: output, shard, skipped: false, clips: result.clips };
  }
}

/** The MMAction2 protocol's flags as given (undefined where not given: the model's settings stand). */
function mmactionOverrides(flags: {
  'num-clips'?: number;
  crop?: string;
  average?: string;
  'short-side'?: number;
  'start-index'?: number;
  twice?: boolean;
}): MmActionOverrides {
  const given = {
    numClips: flags['num-clips'],
    crop: flags.crop as MmActionOverrides['crop'],
    average: flags.average as MmActionOverrides['average'],
    shortSide: flags['short-side'],
    startIndex: flags['start-index'],
    twiceSample: flags.twice,
  };
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
}

/** The part files' `request`: what each flag that decides the computation was given (key, flag). */
const SHARD_REQUEST_FLAGS = [
  ['dataset', 'dataset'],
  ['template', 'template'],
  ['segments', 'segments'],
  ['crops', 'crops'],
  ['dense', 'dense'],
  ['twice', 'twice'],
  ['fullRes', 'full-res'],
  ['resize', 'resize'],
  ['maxNum', 'max-num'],
  ['flipLabels', 'flip-labels'],
  ['videos', 'videos'],
  ['protocol', 'protocol'],
  ['numClips', 'num-clips'],
  ['crop', 'crop'],
  ['average', 'average'],
  ['shortSide', 'short-side'],
  ['startIndex', 'start-index'],
] as const;
