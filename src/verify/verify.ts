/**
 * `tsm verify`: runs a model over a video-folder dataset with a test protocol (protocols/: TSM's or MMAction2's,
 * chosen by protocols/choose.ts) and scores it. The dataset and list are read in clip-set.ts, clips run through the
 * batch engine (src/inference/batches.ts: the next batches load on a worker thread while the current one runs, where a
 * core is free for it, or on this thread between runs; the session does not spin between runs, so its idle threads
 * leave the cores to the loader), the protocol turns views into clip scores; an online model is streamed instead
 * (online.ts). bench:verify measures what each of these is worth.
 */
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { exportOnnxModel } from '../convert/convert.js';
import { TsmError } from '../errors.js';
import { type ClipLoader, chooseLoaderThread, mainThreadLoader, workerLoader } from '../frames/clip-loader.js';
import { type ClipSet, noClipReadError, readClipSet, type UnreadableClip } from '../frames/clip-set.js';
import { runBatches } from '../inference/batches.js';
import { createOrtRunner, DEFAULT_THREADS, type ModelInfo, type Runner, readModelInfo } from '../inference/runner.js';
import { readInputBytes } from '../io.js';
import { FLOW_CHANNELS } from '../model/spec.js';
import { testPoint } from '../test-points.js';
import { computeMetrics } from './metrics.js';
import { verifyStreamed } from './online.js';
import { compareWithReference } from './parity.js';
import { chooseProtocol } from './protocols/choose.js';
import type { ClipPrediction } from './scoring.js';
import type { VerifyOptions, VerifyResult } from './types.js';

export { compareWithReference } from './parity.js';
export type * from './types.js';

/** The model's ONNX bytes, read once: the file itself, or a checkpoint converted in memory with what the flags say. */
function modelBytes(options: VerifyOptions): Uint8Array {
  if (extname(options.model).toLowerCase() === '.onnx') return readInputBytes(options.model, 'model');
  return exportOnnxModel({ input: options.model, overrides: { segments: options.segments } }).onnx;
}

export async function verifyModel(options: VerifyOptions): Promise<VerifyResult> {
  const started = performance.now();
  const warnings: string[] = [];
  // the loader's worker thread boots (its modules, its WebAssembly) while the model is read and its session created
  const loaderThread = chooseLoaderThread(
    options.loaderThread,
    options.threads ?? DEFAULT_THREADS,
    availableParallelism(),
  );
  const loader = (loaderThread === 'worker' ? workerLoader() : undefined) ?? mainThreadLoader();
  try {
    // read (or convert) the model once: it decides the protocol and, for Flow, which frames and list to read
    const bytes = options.runner ? undefined : modelBytes(options);
    const info = options.runner?.info ?? readModelInfo(bytes as Uint8Array, options.model);
    const inputs = readClipSet(options, info.channels === FLOW_CHANNELS, warnings);
    if (bytes && info.metadata['tsm.online_buffers'] !== undefined)
      return await verifyOnline(options, bytes, inputs, started);
    // no spinning: between runs the runtime's threads would take the cores the clip loader needs
    const runner =
      options.runner ??
      (await createOrtRunner(bytes as Uint8Array, { threads: options.threads, info, spinning: false }));
    try {
      return await verifyClips(options, runner, loader, inputs, warnings, started);
    } finally {
      await runner.close();
    }
  } finally {
    await loader.close();
  }
}

/** The model's input against the flags and the category list. */
function checkModel(options: VerifyOptions, info: ModelInfo, categories: readonly string[]): void {
  if (options.segments !== undefined && options.segments !== info.segments) {
    throw new TsmError(
      'usage',
      'E_SEGMENTS_MISMATCH',
      `--segments ${options.segments} but the model's input takes ${info.segments} segments`,
      {
        hint: `convert the checkpoint again with --segments ${options.segments}, or drop the flag`,
        details: { expected: options.segments, found: info.segments },
      },
    );
  }
  if (info.classes !== categories.length) {
    throw new TsmError(
      'usage',
      'E_CLASSES_MISMATCH',
      `the model has ${info.classes} classes but the category list has ${categories.length}`,
      {
        details: { expected: categories.length, found: info.classes },
      },
    );
  }
}

/** A clip model: every clip's views through the batch engine, scored as the protocol says. */
async function verifyClips(
  options: VerifyOptions,
  runner: Runner,
  loader: ClipLoader,
  inputs: ClipSet,
  warnings: string[],
  started: number,
): Promise<VerifyResult> {
  const ready = performance.now();
  const { info } = runner;
  const { config, categories, clips } = inputs;
  checkModel(options, info, categories);
  const protocol = chooseProtocol(options, info, inputs);
  warnings.push(...protocol.warnings);
  const { viewsPerClip } = protocol;
  const predictions: ClipPrediction[] = [];
  const run = await runBatches(clips, {
    runner,
    loader,
    batch: options.batch ?? 4,
    viewsPerClip,
    viewSize: info.segments * info.channels * info.size * info.size,
    jobOf: protocol.jobOf,
    onClip: (record, logits) => predictions.push(protocol.score(record, logits)),
    onBatch: (b, done) => {
      testPoint(`verify:batch:${b}`);
      options.onProgress?.(done, clips.length);
    },
  });
  if (!predictions.length) throw nothingRead(options, inputs, run.unreadable);
  const end = performance.now();
  const seconds = (end - started) / 1000;
  const { endedAt, clips: firstClips } = run.firstBatch;
  // the steady state: clips after the first batch (which pays for warm-up) over their time
  const steady =
    predictions.length > firstClips
      ? (predictions.length - firstClips) / ((end - endedAt) / 1000)
      : predictions.length / ((end - ready) / 1000);
  const timing = {
    setupSeconds: (ready - started) / 1000,
    firstBatchSeconds: (endedAt - ready) / 1000,
    overallClipsPerSecond: predictions.length / seconds,
    loaderThread: loader.thread,
  };
  return {
    model: options.model,
    dataset: config.name,
    root: options.root,
    labels: categories,
    protocol: protocol.report,
    warnings,
    ...computeMetrics(
      categories,
      predictions.map((p) => ({ label: p.label, scores: p.scores })),
    ),
    seconds,
    clipsPerSecond: steady,
    timing,
    inferenceSeconds: run.inferenceSeconds,
    missingFrames: run.missingFrames,
    unreadableClips: run.unreadable,
    badLines: inputs.bad,
    predictions,
    parity: options.reference ? compareWithReference(options.reference, predictions) : undefined,
  };
}

/** Scoring nothing is a failure, never "0 clips, top-1 0 %": what could not be read, and where it was looked for. */
function nothingRead(options: VerifyOptions, inputs: ClipSet, unreadable: readonly UnreadableClip[]): TsmError {
  const { config, flow, listPath, clips } = inputs;
  const first = unreadable[0];
  if (!options.videos) return noClipReadError(options.root, config, listPath, clips.length, unreadable, flow?.example);
  return new TsmError(
    'input',
    'E_NO_CLIPS_READ',
    `none of the ${clips.length} video(s) of ${listPath} could be decoded (first: clip ` +
      `${first?.clip}: ${first?.reason})`,
    { details: { list: listPath } },
  );
}

/** An online model: each clip streamed frame by frame (online.ts), reported in verify's terms. */
async function verifyOnline(
  options: VerifyOptions,
  bytes: Uint8Array,
  inputs: ClipSet,
  started: number,
): Promise<VerifyResult> {
  if (
    (options.crops ?? 1) !== 1 ||
    (options.sampling ?? 'uniform') !== 'uniform' ||
    options.fullRes ||
    options.segments !== undefined ||
    options.videos ||
    options.shard ||
    options.protocol === 'mmaction2'
  ) {
    throw new TsmError(
      'usage',
      'E_ONLINE_PROTOCOL',
      `${options.model} is an online model: it is verified by streaming each clip's frames; --crops, --dense, ` +
        `--twice, --full-res, --segments, --videos, --shard and --protocol mmaction2 do not apply (stream a video ` +
        `with tsm stream --video or tsm predict)`,
    );
  }
  const { config, categories, listPath, clips } = inputs;
  const r = await verifyStreamed({
    model: bytes,
    root: options.root,
    config,
    list: listPath,
    categories,
    clips,
    threads: options.threads,
    streaming: options.streaming,
    onProgress: options.onProgress,
  });
  const seconds = (performance.now() - started) / 1000;
  const predictions: ClipPrediction[] = r.predictions.map((p) => ({
    id: p.id,
    line: p.line,
    label: p.label,
    prediction: p.prediction,
    top5: p.top5,
    scores: p.scores,
  }));
  return {
    model: options.model,
    dataset: config.name,
    root: options.root,
    labels: r.labels,
    protocol: {
      segments: 1,
      sampling: 'stream',
      crops: 1,
      scaleShortSide: r.scale,
      cropSize: r.size,
      resize: 'Pillow-exact bilinear',
      viewsPerClip: 1,
      streaming: r.protocol,
    },
    ...r.metrics,
    seconds,
    clipsPerSecond: predictions.length / r.streamSeconds,
    timing: {
      setupSeconds: seconds - r.streamSeconds,
      firstBatchSeconds: 0,
      overallClipsPerSecond: predictions.length / seconds,
      loaderThread: 'main thread',
    },
    inferenceSeconds: r.inferenceSeconds,
    warnings: r.warnings,
    missingFrames: { count: r.missingFrames, first: [] },
    unreadableClips: r.unreadableClips,
    badLines: inputs.bad,
    predictions,
    parity: options.reference ? compareWithReference(options.reference, predictions) : undefined,
  };
}
