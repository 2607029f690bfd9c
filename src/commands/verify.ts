import { Args, Flags } from '@oclif/core';
import cliProgress from 'cli-progress';
import { TsmCommand } from '../cli/base-command.js';
import { writeFileAtomically } from '../onnx/write.js';
import { predictionsCsv, writeReport } from '../verify/report.js';
import { verifyModel, type VerifyResult } from '../verify/verify.js';

export type VerifyCommandResult = Omit<VerifyResult, 'predictions'> & { report?: Record<string, string>; predictionsFile?: string };

export default class Verify extends TsmCommand {
  static override description = 'Score a model (.onnx, or a checkpoint converted on the fly) on a video-folder dataset with the TSM test protocol';
  static override examples = [
    '<%= config.bin %> verify model.onnx --dataset jester --root dataset/jester',
    '<%= config.bin %> verify model.onnx --root fixtures/jester-mini --crops 3 --twice --report out/ --json',
  ];
  static override args = { model: Args.string({ description: 'model (.onnx), or a checkpoint (.pth, .pth.tar, .safetensors) converted on the fly', required: true }) };
  static override flags = {
    dataset: Flags.string({ description: 'dataset layout and defaults', default: 'jester', options: ['jester', 'something', 'somethingv2', 'kinetics', 'ucf101'] }),
    root: Flags.string({ description: 'dataset folder (frames folder, category.txt, list files)', default: 'dataset/jester' }),
    list: Flags.string({ description: 'clip list (default: <root>/val_videofolder.txt)' }),
    categories: Flags.string({ description: 'category file (default: <root>/category.txt)' }),
    template: Flags.string({ description: "frame file name template (default per dataset, jester '{:05d}.jpg')" }),
    segments: Flags.integer({ description: 'segments; must match the model', min: 1 }),
    crops: Flags.string({ description: 'crops per clip: 1 centre, 3 full-res left/centre/right, 10 corners+centre with flips', options: ['1', '3', '10'], default: '1' }),
    'flip-labels': Flags.boolean({ description: 'with --crops 10: read flipped views with mirrored classes swapped (Left ↔ Right, Clockwise ↔ Counterclockwise, from the category names), recorded in the protocol' }),
    dense: Flags.boolean({ description: 'dense sampling: 10 clips of stride 64/T', exclusive: ['twice'] }),
    twice: Flags.boolean({ description: 'twice sampling: the uniform clip plus one at segment starts', exclusive: ['dense'] }),
    'full-res': Flags.boolean({ description: 'crop = scale = the model input size (export the model with --size 256)' }),
    resize: Flags.string({ description: 'frame scaling: pillow (bit-exact with the Python TSM code) or sharp (libvips, faster)', options: ['pillow', 'sharp'], default: 'pillow' }),
    batch: Flags.integer({ description: 'clips per inference batch', default: 4, min: 1 }),
    threads: Flags.integer({ description: 'onnxruntime intra-op threads', default: 2, min: 1 }),
    'max-num': Flags.integer({ description: 'only the first N clips of the list', min: 1 }),
    predictions: Flags.string({ description: 'write per-clip predictions to this CSV' }),
    report: Flags.string({ description: 'write predictions, per-class and confusion CSVs, a confusion PNG and verify.json into this folder' }),
    videos: Flags.boolean({ description: "the list's ids are video files relative to --root (mp4, webm, …), decoded by ffmpeg with the same sampling; their own frame counts replace the list's" }),
    ffmpeg: Flags.string({ description: 'ffmpeg for --videos (default: TSM_FFMPEG, else the one installed with tsm)' }),
    reference: Flags.string({ description: 'reference outputs JSON (tools/reference/eval_jester.py) to compare with clip by clip' }),
  };

  async run(): Promise<VerifyCommandResult> {
    const { args, flags } = await this.parse(Verify);
    const bar = !this.jsonEnabled() && process.stderr.isTTY
      ? new cliProgress.SingleBar({ format: 'verify |{bar}| {value}/{total} clips | {speed} clips/s | ETA {eta_formatted}', hideCursor: true }, cliProgress.Presets.shades_classic)
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
      maxNum: flags['max-num'],
      reference: flags.reference,
      flipLabels: flags['flip-labels'],
      videos: flags.videos,
      ffmpeg: flags.ffmpeg,
      onProgress: (done, total) => {
        if (!bar) return;
        if (!barStarted) { bar.start(total, 0, { speed: '0.0' }); barStarted = true; }
        bar.update(done, { speed: (done / ((performance.now() - started) / 1000)).toFixed(1) });
      },
    }).finally(() => bar?.stop());
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

function pct(x: number): string {
  return `${(x * 100).toFixed(2)} %`;
}

function renderVerify(r: VerifyResult, report?: Record<string, string>): string {
  const st = r.protocol.streaming;
  const how = st
    ? `streamed frame by frame at stride ${st.stride} (window ${st.window}, stable ${st.stableFrames}${st.declaredByModel ? '' : '; the model declares no protocol'}), counted by the last reported gesture`
    : `${r.protocol.segments} segments, ${r.protocol.sampling} sampling, ${r.protocol.crops} crop(s)${r.protocol.flipLabelMap ? ` (flipped views read with ${r.protocol.flipLabelMap.length} mirrored class pair(s) swapped)` : ''}`;
  const lines = [
    `${r.model} on ${r.dataset} (${r.root}): ${r.clips} clips, ${how}, scale ${r.protocol.scaleShortSide} → ${r.protocol.cropSize}`,
    `top-1 ${pct(r.top1)}   top-5 ${pct(r.top5)}   mean class accuracy ${pct(r.meanClassAccuracy)}`,
    `${r.clipsPerSecond.toFixed(1)} clips/s steady state; set-up (model, session) ${r.timing.setupSeconds.toFixed(2)} s, first batch ${r.timing.firstBatchSeconds.toFixed(2)} s; ${r.timing.overallClipsPerSecond.toFixed(1)} clips/s overall`,
  ];
  const present = r.perClass.filter((c) => c.clips > 0);
  const width = Math.max(...present.map((c) => c.label.length));
  lines.push('', `${'class'.padEnd(width)}  clips  accuracy`);
  for (const c of present) lines.push(`${c.label.padEnd(width)}  ${String(c.clips).padStart(5)}  ${pct(c.accuracy as number).padStart(8)}`);
  if (r.missingFrames.count) lines.push('', `${r.missingFrames.count} missing/unreadable frame(s) replaced by frame 1, e.g. ${r.missingFrames.first[0].path}`);
  for (const u of r.unreadableClips.slice(0, 5)) lines.push(`clip ${u.clip} (list line ${u.line}) skipped: ${u.reason}`);
  for (const b of r.badLines.slice(0, 5)) lines.push(`list line ${b.line} ignored: ${b.reason}`);
  if (r.parity) {
    const p = r.parity;
    lines.push('', `parity with ${p.reference}: same prediction on ${p.samePrediction}/${p.clips} clips (${pct(p.samePredictionFraction)}), max |Δscore| ${p.maxAbsScoreDelta.toExponential(2)}, reference top-1 ${pct(p.referenceTop1)}`);
  }
  if (report) lines.push('', `report: ${Object.values(report).join(', ')}`);
  return lines.join('\n');
}
