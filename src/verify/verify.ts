/**
 * `tsm verify`: runs a model over a video-folder dataset with the TSM test protocol and scores it.
 * Clips of the next batches load (src/frames/clip.ts) on a worker thread while the current batch runs, where a core is
 * free for it (onnxruntime-node runs a session synchronously on this thread), or on this thread between runs. The
 * session does not spin between runs, so its idle threads leave the cores to the loader (bench:verify measures what
 * each of these is worth).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { extname, isAbsolute, join } from 'node:path';
import { exportOnnxModel } from '../convert/convert.js';
import { TsmError } from '../errors.js';
import { readInputBytes, readInputText } from '../io.js';
import { testPoint } from '../test-points.js';
import { viewsPerClip as countViews, type ClipJob, type MissingFrame } from '../frames/clip.js';
import { chooseLoaderThread, mainThreadLoader, workerLoader, type LoaderThread } from '../frames/clip-loader.js';
import { FLOW_CHANNELS, FLOW_NEW_LENGTH } from '../arch/features.js';
import { DATASETS, formatFrameName, readCategories, readClipList, type BadLine, type ClipRecord, type DatasetConfig, type FlowLayoutConfig } from '../data/dataset.js';
import { flowFrameCount, flowFrameExample, flowStorage, type FlowStorage } from '../frames/flow.js';
import { flipLabelPairs, flipPermutation } from './flip.js';
import { scaleShortSideOf } from '../model/preprocessing.js';
import { computeMetrics, topK, type Metrics } from './metrics.js';
import { createOrtRunner, DEFAULT_THREADS, readModelInfo, type ModelInfo, type Runner } from '../inference/runner.js';
import type { StreamingProtocol } from '../model/streaming.js';
import { verifyStreamed } from '../stream/verify-online.js';
import type { SamplingMode } from '../frames/sampling.js';
import { cropBoxes, type CropCount, type ResizeMethod } from '../frames/transforms.js';

export type { MissingFrame };

export interface VerifyOptions {
  readonly model: string;
  readonly dataset: string;
  readonly root: string;
  readonly list?: string;
  readonly categories?: string;
  readonly imageTemplate?: string;
  readonly segments?: number;
  readonly crops?: CropCount;
  readonly sampling?: SamplingMode;
  readonly fullRes?: boolean;
  /** frame scaling: `pillow` (exact, default) or `sharp` (libvips linear) */
  readonly resize?: ResizeMethod;
  readonly batch?: number;
  readonly threads?: number;
  readonly maxNum?: number;
  /** a JSON of reference outputs (tools/reference/eval_jester.py) to compare with, clip by clip */
  readonly reference?: string;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * flipped views (--crops 10): read their scores through the flip label map of the category names (Left ↔ Right);
   * without it a flipping protocol on a dataset with such classes gets a warning
   */
  readonly flipLabels?: boolean;
  /** the list's ids are video files (relative to `root`), decoded by ffmpeg with the same sampling */
  readonly videos?: boolean;
  /** ffmpeg for `videos` */
  readonly ffmpeg?: string;
  /** score only clip k of the list where k mod count = index (a deterministic partition, stable under re-runs) */
  readonly shard?: { readonly index: number; readonly count: number };
  /** online models: overrides of the model's declared streaming protocol */
  readonly streaming?: Partial<StreamingProtocol>;
  /** for tests and benchmarks: a runner instead of onnxruntime-node */
  readonly runner?: Runner;
  /**
   * where clips are loaded: a worker thread (when tsm runs compiled) or the main thread; `auto` (the default) takes
   * the worker only when the session's threads leave a core free (chooseLoaderThread)
   */
  readonly loaderThread?: 'worker' | 'main' | 'auto';
}

export interface ClipPrediction {
  readonly id: string;
  /** 1-based line of the list file: a clip's place in the list, whichever shard scored it */
  readonly line: number;
  readonly label: number;
  readonly prediction: number;
  readonly top5: readonly number[];
  readonly scores: readonly number[];
}

export interface Parity {
  readonly reference: string;
  readonly clips: number;
  readonly samePrediction: number;
  readonly samePredictionFraction: number;
  readonly maxAbsScoreDelta: number;
  readonly referenceTop1: number;
  readonly referenceTop5: number;
  readonly differingClips: readonly string[];
}

export interface VerifyResult extends Omit<Metrics, 'confusion'> {
  readonly model: string;
  readonly dataset: string;
  readonly root: string;
  readonly labels: readonly string[];
  readonly protocol: {
    readonly segments: number;
    /** `stream`: an online model fed clip by clip, frame by frame (src/stream/verify-online.ts) */
    readonly sampling: SamplingMode | 'stream';
    readonly crops: CropCount;
    readonly scaleShortSide: number;
    readonly cropSize: number;
    readonly resize: string;
    readonly viewsPerClip: number;
    /** online models: how the clips were streamed and what counted */
    readonly streaming?: StreamingProtocol & { readonly declaredByModel: boolean };
    /** class pairs whose scores were swapped for flipped views */
    readonly flipLabelMap?: ReadonlyArray<readonly [number, number]>;
    /** Flow models: which flow frames were read and how many a segment stacks */
    readonly flow?: { readonly template: string; readonly framesDir: string; readonly storage: FlowStorage; readonly newLength: number };
  };
  /** what the user should know about the numbers (e.g. a flipping protocol on left/right classes) */
  readonly warnings: readonly string[];
  readonly confusion: readonly (readonly number[])[];
  /** wall time of the whole call, set-up included */
  readonly seconds: number;
  /** the steady-state rate: clips after the first batch (which pays for warm-up) over their time */
  readonly clipsPerSecond: number;
  /** fixed costs apart from the steady state */
  readonly timing: VerifyTiming;
  readonly inferenceSeconds: number;
  readonly missingFrames: { readonly count: number; readonly first: readonly MissingFrame[] };
  readonly unreadableClips: ReadonlyArray<{ readonly clip: string; readonly line: number; readonly reason: string }>;
  readonly badLines: readonly BadLine[];
  readonly predictions: readonly ClipPrediction[];
  readonly parity?: Parity;
}

export interface VerifyTiming {
  /** reading the model (converting a checkpoint), creating the session */
  readonly setupSeconds: number;
  /** the first batch: its clips' loading plus the runtime's first-run planning */
  readonly firstBatchSeconds: number;
  /** clips over the whole run, set-up included: what a one-off run of this size costs */
  readonly overallClipsPerSecond: number;
  /** where the clips were loaded */
  readonly loaderThread: LoaderThread;
}

interface LoadedClip {
  readonly record: ClipRecord;
  readonly ok: boolean;
  readonly reason?: string;
}

function datasetConfig(options: VerifyOptions): DatasetConfig {
  const base = DATASETS[options.dataset];
  if (!base) {
    throw new TsmError('usage', 'E_UNKNOWN_DATASET', `unknown dataset '${options.dataset}'`, { hint: `known: ${Object.keys(DATASETS).join(', ')}` });
  }
  return { ...base, imageTemplate: options.imageTemplate ?? base.imageTemplate };
}

/** The model's ONNX bytes, read once: the file itself, or a checkpoint converted in memory with what the flags say. */
function modelBytes(options: VerifyOptions): Uint8Array {
  if (extname(options.model).toLowerCase() === '.onnx') return readInputBytes(options.model, 'model');
  return exportOnnxModel({ input: options.model, overrides: { segments: options.segments } }).onnx;
}

interface ListRead {
  readonly categories: readonly string[];
  readonly listPath: string;
  readonly clips: readonly ClipRecord[];
  readonly bad: readonly BadLine[];
}

async function verifyOnline(options: VerifyOptions, bytes: Uint8Array, config: DatasetConfig, list: ListRead, started: number): Promise<VerifyResult> {
  if ((options.crops ?? 1) !== 1 || (options.sampling ?? 'uniform') !== 'uniform' || options.fullRes || options.segments !== undefined || options.videos || options.shard) {
    throw new TsmError('usage', 'E_ONLINE_PROTOCOL', `${options.model} is an online model: it is verified by streaming each clip's frames; --crops, --dense, --twice, --full-res, --segments, --videos and --shard do not apply (stream a video with tsm stream --video or tsm predict)`);
  }
  const r = await verifyStreamed({
    model: bytes, root: options.root, config, list: list.listPath, categories: list.categories, clips: list.clips,
    threads: options.threads, streaming: options.streaming, onProgress: options.onProgress,
  });
  const end = performance.now();
  const seconds = (end - started) / 1000;
  const predictions: ClipPrediction[] = r.predictions.map((p) => ({ id: p.id, line: p.line, label: p.label, prediction: p.prediction, top5: p.top5, scores: p.scores }));
  return {
    model: options.model,
    dataset: config.name,
    root: options.root,
    labels: r.labels,
    protocol: { segments: 1, sampling: 'stream', crops: 1, scaleShortSide: r.scale, cropSize: r.size, resize: 'Pillow-exact bilinear', viewsPerClip: 1, streaming: r.protocol },
    ...r.metrics,
    seconds,
    clipsPerSecond: predictions.length / r.streamSeconds,
    timing: { setupSeconds: seconds - r.streamSeconds, firstBatchSeconds: 0, overallClipsPerSecond: predictions.length / seconds, loaderThread: 'main thread' },
    inferenceSeconds: r.inferenceSeconds,
    warnings: r.warnings,
    missingFrames: { count: r.missingFrames, first: [] },
    unreadableClips: r.unreadableClips,
    badLines: list.bad,
    predictions,
    parity: options.reference ? compareWithReference(options.reference, predictions) : undefined,
  };
}

/** A Flow model reads the dataset's flow layout: its frames folder, template and list (TSM-FACTS-2 §5). */
interface FlowInput {
  readonly layout: FlowLayoutConfig;
  readonly newLength: number;
  readonly storage: FlowStorage;
}

function flowInput(options: VerifyOptions, base: DatasetConfig, info: ModelInfo, warnings: string[]): FlowInput | undefined {
  if (info.channels !== FLOW_CHANNELS) return undefined;
  if (options.videos) throw new TsmError('usage', 'E_FLOW_VIDEOS', `${options.model} is a Flow model: it reads flow frames (x/y images), not --videos`, { details: { model: options.model } });
  const template = options.imageTemplate ?? base.flow?.template;
  if (!template) {
    throw new TsmError('usage', 'E_NO_FLOW_LAYOUT', `${options.model} is a Flow model but upstream defines no flow frames for ${base.name}`, {
      hint: "pass --template (e.g. 'flow_{}_{:05d}.jpg' for flow_x_00001.jpg / flow_y_00001.jpg in each clip folder) and --list",
      details: { dataset: base.name },
    });
  }
  const layout: FlowLayoutConfig = { framesDir: base.flow?.framesDir ?? base.framesDir, list: base.flow?.list ?? base.list, template };
  if (base.flow?.undocumented && !options.imageTemplate) {
    warnings.push(`upstream documents no ${base.name} flow layout; reading ${flowFrameExample(layout)} and ${layout.list} (pass --template and --list for another)`);
  }
  return { layout, newLength: FLOW_NEW_LENGTH, storage: flowStorage(layout.template) };
}

export async function verifyModel(options: VerifyOptions): Promise<VerifyResult> {
  const started = performance.now();
  const warnings: string[] = [];
  const base = datasetConfig(options);
  // the loader's worker thread boots (its modules, its WebAssembly) while the model is read and its session created
  const loaderThread = chooseLoaderThread(options.loaderThread, options.threads ?? DEFAULT_THREADS, availableParallelism());
  const loader = (loaderThread === 'worker' ? workerLoader() : undefined) ?? mainThreadLoader();
  // read (or convert) the model once: it decides the protocol and, for Flow, which frames and list to read
  const bytes = options.runner ? undefined : modelBytes(options);
  const modelInfo = options.runner?.info ?? readModelInfo(bytes as Uint8Array, options.model);
  const flow = flowInput(options, base, modelInfo, warnings);
  const config: DatasetConfig = flow ? { ...base, framesDir: flow.layout.framesDir, imageTemplate: flow.layout.template, list: flow.layout.list } : base;
  const categories = readCategories(options.categories ?? join(options.root, config.categories));
  const listPath = options.list ?? join(options.root, config.list);
  const read = readClipList(listPath, categories.length);
  const bad = read.bad;
  // the padded-pair flow layout counts x and y files: upstream halves the listed count
  const allClips = flow ? read.clips.map((c) => ({ ...c, frames: flowFrameCount(c.frames, flow.storage) })) : read.clips;
  const listed = options.maxNum !== undefined ? allClips.slice(0, options.maxNum) : allClips;
  const clips = options.shard ? listed.filter((_, k) => k % options.shard!.count === options.shard!.index) : listed;
  if (options.shard && listed.length && !clips.length) {
    throw new TsmError('usage', 'E_EMPTY_SHARD', `shard ${options.shard.index}/${options.shard.count} of ${listPath} holds no clip: the list has ${listed.length}`, {
      hint: `use at most ${listed.length} shards`,
      details: { list: listPath, shard: options.shard, clips: listed.length },
    });
  }
  if (!clips.length) {
    throw new TsmError('input', 'E_NO_CLIPS', `${listPath}: no usable clips (${allClips.length + bad.length} list line(s) read${bad.length ? `, ${bad.length} bad; first: line ${bad[0].line}: ${bad[0].reason}` : ''})`, {
      details: { list: listPath, linesRead: allClips.length + bad.length, badLines: bad.length },
    });
  }

  if (bytes && modelInfo.metadata['tsm.online_buffers'] !== undefined) return verifyOnline(options, bytes, config, { categories, listPath, clips, bad }, started);
  // no spinning: between runs the runtime's threads would take the cores the clip loader needs
  const runner = options.runner ?? (await createOrtRunner(bytes as Uint8Array, { threads: options.threads, info: modelInfo, spinning: false }));
  const ready = performance.now();
  let firstBatchEnd = 0;
  let firstBatchClips = 0;
  try {
    const info = runner.info;
    if (options.segments !== undefined && options.segments !== info.segments) {
      throw new TsmError('usage', 'E_SEGMENTS_MISMATCH', `--segments ${options.segments} but the model's input takes ${info.segments} segments`, {
        hint: `convert the checkpoint again with --segments ${options.segments}, or drop the flag`,
        details: { expected: options.segments, found: info.segments },
      });
    }
    if (info.classes !== categories.length) {
      throw new TsmError('usage', 'E_CLASSES_MISMATCH', `the model has ${info.classes} classes but the category list has ${categories.length}`, {
        details: { expected: categories.length, found: info.classes },
      });
    }
    const T = info.segments;
    const S = info.size;
    const crops = options.crops ?? 1;
    const sampling = options.sampling ?? 'uniform';
    // --full-res: upstream's input_size = scale_size, a crop of the whole scaled frame
    const declared = options.fullRes ? undefined : scaleShortSideOf(info.metadata, S, options.model);
    if (declared?.warning) warnings.push(declared.warning);
    const scale = declared ? declared.scaleShortSide : S;
    const resize = options.resize ?? 'pillow';
    const frameSize = info.channels * S * S;
    const clipSize = T * frameSize;
    const viewsPerClip = countViews({ segments: T, sampling, crops });
    const mirrored = crops === 10 ? flipLabelPairs(categories) : [];
    const flipMap = options.flipLabels && mirrored.length ? mirrored : undefined;
    if (options.flipLabels && crops !== 10) warnings.push(`--flip-labels has no effect with --crops ${crops}: only the 10-crop protocol flips views`);
    if (mirrored.length && !options.flipLabels) {
      const [i, j] = mirrored[0];
      warnings.push(`--crops 10 scores horizontally flipped views, which turn ${categories[i]} into ${categories[j]} (${mirrored.length} such class pair(s) in this category list); pass --flip-labels to read flipped views with those classes swapped`);
    }
    // a clip's views are its sampled clips × the crops, in cropBoxes' order: which crops are mirrored, it says
    const perm = flipMap ? flipPermutation(categories.length, flipMap) : undefined;
    const flippedCrop = cropBoxes(scale, scale, S, crops).map((box) => box.flip);
    const isFlipped = (view: number) => flippedCrop[view % crops];

    const missing: MissingFrame[] = [];
    let missingCount = 0;
    const unreadable: Array<{ clip: string; line: number; reason: string }> = [];

    const jobOf = (record: ClipRecord): ClipJob => ({
      root: options.root, config, id: record.id, frames: record.frames, segments: T, size: S, scale, crops, sampling, resize,
      ...(flow ? { flow: { layout: flow.layout, newLength: flow.newLength } } : {}),
      ...(options.videos ? { video: { path: isAbsolute(record.id) ? record.id : join(options.root, record.id), ffmpeg: options.ffmpeg } } : {}),
    });

    const batchClips = Math.max(1, options.batch ?? 4);
    const batches: ClipRecord[][] = [];
    for (let i = 0; i < clips.length; i += batchClips) batches.push(clips.slice(i, i + batchClips));
    const PREFETCH = 2;
    // Clips load straight into their batch's input, one of PREFETCH + 1 reused buffers: no copy, and no fresh
    // (page-faulting) allocation per clip, which cost as much as the normalisation itself.
    const slot = viewsPerClip * clipSize;
    const ring: Float32Array[] = [];
    const pending: Array<Promise<{ loaded: LoadedClip[]; input: Float32Array }>> = [];
    const schedule = (i: number) => {
      if (i >= batches.length) return;
      const at = i % (PREFETCH + 1);
      const records = batches[i];
      pending[i] = loader.load(records.map(jobOf), (ring[at] ??= new Float32Array(batchClips * slot)), slot).then(({ input, clips: results }) => {
        ring[at] = input; // a worker hands back a new view of the same memory
        const loaded = results.map((r, k): LoadedClip => {
          missingCount += r.missing.length;
          for (const m of r.missing) if (missing.length < 50) missing.push(m);
          return { record: records[k], ok: r.ok, reason: r.reason };
        });
        return { loaded, input };
      });
    };
    for (let i = 0; i < PREFETCH; i++) schedule(i);

    const predictions: ClipPrediction[] = [];
    let inferenceMs = 0;
    let done = 0;
    for (let b = 0; b < batches.length; b++) {
      const { loaded, input: batchInput } = await pending[b];
      delete pending[b];
      schedule(b + PREFETCH);
      const good = loaded.filter((c) => c.ok);
      for (const c of loaded) if (!c.ok) unreadable.push({ clip: c.record.id, line: c.record.line, reason: c.reason ?? 'unreadable' });
      if (good.length) {
        // an unreadable clip leaves a hole: close it up (rare)
        let n = 0;
        loaded.forEach((c, k) => {
          if (!c.ok) return;
          if (k !== n) batchInput.copyWithin(n * slot, k * slot, (k + 1) * slot);
          n++;
        });
        const input = batchInput.subarray(0, good.length * slot);
        const t0 = performance.now();
        const logits = await runner.run(input, good.length * viewsPerClip);
        inferenceMs += performance.now() - t0;
        const K = info.classes;
        good.forEach((c, i) => {
          const scores = new Array<number>(K).fill(0);
          for (let v = 0; v < viewsPerClip; v++) {
            const row = (i * viewsPerClip + v) * K;
            const read = perm && isFlipped(v) ? perm : undefined;
            for (let k = 0; k < K; k++) scores[k] += logits[row + (read ? read[k] : k)] / viewsPerClip;
          }
          const top5 = topK(scores, Math.min(5, K));
          predictions.push({ id: c.record.id, line: c.record.line, label: c.record.label, prediction: top5[0], top5, scores });
        });
      }
      done += batches[b].length;
      testPoint(`verify:batch:${b}`);
      if (b === 0) {
        firstBatchEnd = performance.now();
        firstBatchClips = predictions.length;
      }
      options.onProgress?.(done, clips.length);
    }

    if (!predictions.length) {
      if (options.videos) {
        throw new TsmError('input', 'E_NO_CLIPS_READ', `none of the ${clips.length} video(s) of ${listPath} could be decoded (first: clip ${unreadable[0]?.clip}: ${unreadable[0]?.reason})`, { details: { list: listPath } });
      }
      throw noClipReadError(options.root, config, listPath, clips.length, unreadable, flow && flowFrameExample(flow.layout));
    }
    const metrics = computeMetrics(categories, predictions.map((p) => ({ label: p.label, scores: p.scores })));
    const end = performance.now();
    const seconds = (end - started) / 1000;
    const steady = predictions.length > firstBatchClips ? (predictions.length - firstBatchClips) / ((end - firstBatchEnd) / 1000) : predictions.length / ((end - ready) / 1000);
    return {
      model: options.model,
      dataset: config.name,
      root: options.root,
      labels: categories,
      protocol: {
        segments: T, sampling, crops, scaleShortSide: scale, cropSize: S, resize: resize === 'pillow' ? 'Pillow-exact bilinear' : 'sharp (libvips) linear', viewsPerClip,
        ...(flipMap ? { flipLabelMap: flipMap } : {}),
        ...(flow ? { flow: { template: flow.layout.template, framesDir: flow.layout.framesDir, storage: flow.storage, newLength: flow.newLength } } : {}),
      },
      warnings,
      ...metrics,
      seconds,
      clipsPerSecond: steady,
      timing: { setupSeconds: (ready - started) / 1000, firstBatchSeconds: (firstBatchEnd - ready) / 1000, overallClipsPerSecond: predictions.length / seconds, loaderThread: loader.thread },
      inferenceSeconds: inferenceMs / 1000,
      missingFrames: { count: missingCount, first: missing },
      unreadableClips: unreadable,
      badLines: bad,
      predictions,
      parity: options.reference ? compareWithReference(options.reference, predictions) : undefined,
    };
  } finally {
    await loader.close();
    await runner.close();
  }
}

/**
 * Every listed clip was unreadable: scoring nothing is a failure, never "0 clips, top-1 0 %". The message names the
 * folder and template tried and, when the root holds another dataset's frames folder, that dataset.
 */
function noClipReadError(root: string, config: DatasetConfig, listPath: string, listed: number, unreadable: ReadonlyArray<{ clip: string; reason: string }>, flowExample?: string): TsmError {
  const where = flowExample ? join(root, flowExample) : join(root, config.framesDir, '<id>', formatFrameName(config.imageTemplate, 1));
  const others = Object.values(DATASETS).filter((d) => d.framesDir !== config.framesDir && existsSync(join(root, d.framesDir)));
  const first = unreadable[0];
  return new TsmError('input', 'E_NO_CLIPS_READ', `none of the ${listed} clip(s) of ${listPath} could be read from ${where}${first ? ` (first: clip ${first.clip}: ${first.reason})` : ''}`, {
    hint: others.length
      ? `${root} holds ${others.map((d) => `${d.framesDir}/ (--dataset ${d.name})`).join(', ')}; --dataset ${config.name} reads ${config.framesDir}/ with frames named like ${formatFrameName(config.imageTemplate, 1)}`
      : `check --root, --dataset and --template (frames named like ${formatFrameName(config.imageTemplate, 1)})`,
    details: { list: listPath, clips: listed, framesDir: join(root, config.framesDir), template: config.imageTemplate },
  });
}

interface ReferenceFile {
  clips: Array<{ id: string; label: number; prediction: number; scores: number[] }>;
  top1: number;
  top5: number;
}

export function compareWithReference(path: string, predictions: readonly ClipPrediction[]): Parity {
  const text = readInputText(path, 'reference outputs');
  let ref: ReferenceFile;
  try {
    ref = JSON.parse(text);
  } catch (err) {
    throw new TsmError('input', 'E_REFERENCE', `${path}: cannot read reference outputs (${(err as Error).message})`, { details: { file: path } });
  }
  const byId = new Map(ref.clips.map((c) => [c.id, c]));
  let same = 0;
  let compared = 0;
  let maxDelta = 0;
  const differing: string[] = [];
  for (const p of predictions) {
    const r = byId.get(p.id);
    if (!r) continue;
    compared++;
    if (r.prediction === p.prediction) same++;
    else differing.push(p.id);
    for (let k = 0; k < p.scores.length; k++) maxDelta = Math.max(maxDelta, Math.abs(p.scores[k] - r.scores[k]));
  }
  return {
    reference: path,
    clips: compared,
    samePrediction: same,
    samePredictionFraction: compared ? same / compared : 0,
    maxAbsScoreDelta: maxDelta,
    referenceTop1: ref.top1,
    referenceTop5: ref.top5,
    differingClips: differing,
  };
}
