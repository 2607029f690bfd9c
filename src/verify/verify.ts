/**
 * `tsm verify`: runs a model over a video-folder dataset with the TSM test protocol and scores it.
 * Frames are decoded and scaled by sharp (libvips on libuv's thread pool) for the next batches while
 * onnxruntime runs the current one.
 */
import { extname, join } from 'node:path';
import { exportOnnxModel } from '../convert.js';
import { TsmError } from '../errors.js';
import { readInputText } from '../io.js';
import { DATASETS, framePath, readCategories, readClipList, type BadLine, type ClipRecord, type DatasetConfig } from './dataset.js';
import { computeMetrics, topK, type Metrics } from './metrics.js';
import { createOrtRunner, type Runner } from './runner.js';
import { sampleClips, type SamplingMode } from './sampling.js';
import { cropBoxes, loadScaledFrame, writeNormalizedCrop, type CropCount, type DecodedFrame, type ResizeMethod } from './transforms.js';

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
  /** for tests and benchmarks: a runner instead of onnxruntime-node */
  readonly runner?: Runner;
}

export interface ClipPrediction {
  readonly id: string;
  readonly label: number;
  readonly prediction: number;
  readonly top5: readonly number[];
  readonly scores: readonly number[];
}

export interface MissingFrame {
  readonly clip: string;
  readonly frame: number;
  readonly path: string;
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
    readonly sampling: SamplingMode;
    readonly crops: CropCount;
    readonly scaleShortSide: number;
    readonly cropSize: number;
    readonly resize: string;
    readonly viewsPerClip: number;
  };
  readonly confusion: readonly (readonly number[])[];
  readonly seconds: number;
  readonly clipsPerSecond: number;
  readonly inferenceSeconds: number;
  readonly missingFrames: { readonly count: number; readonly first: readonly MissingFrame[] };
  readonly unreadableClips: ReadonlyArray<{ readonly clip: string; readonly line: number; readonly reason: string }>;
  readonly badLines: readonly BadLine[];
  readonly predictions: readonly ClipPrediction[];
  readonly parity?: Parity;
}

interface LoadedClip {
  readonly record: ClipRecord;
  readonly views: Float32Array | null;
  readonly reason?: string;
}

function datasetConfig(options: VerifyOptions): DatasetConfig {
  const base = DATASETS[options.dataset];
  if (!base) {
    throw new TsmError('usage', 'E_UNKNOWN_DATASET', `unknown dataset '${options.dataset}'`, { hint: `known: ${Object.keys(DATASETS).join(', ')}` });
  }
  return { ...base, imageTemplate: options.imageTemplate ?? base.imageTemplate };
}

async function openRunner(options: VerifyOptions): Promise<Runner> {
  if (options.runner) return options.runner;
  const ext = extname(options.model).toLowerCase();
  if (ext === '.onnx') return createOrtRunner(options.model, { threads: options.threads });
  // A checkpoint: convert in memory with what the flags say.
  const exported = exportOnnxModel({ input: options.model, overrides: { segments: options.segments } });
  return createOrtRunner(exported.onnx, { threads: options.threads });
}

export async function verifyModel(options: VerifyOptions): Promise<VerifyResult> {
  const started = performance.now();
  const config = datasetConfig(options);
  const categories = readCategories(options.categories ?? join(options.root, config.categories));
  const { clips: allClips, bad } = readClipList(options.list ?? join(options.root, config.list), categories.length);
  const clips = options.maxNum !== undefined ? allClips.slice(0, options.maxNum) : allClips;
  if (!clips.length) throw new TsmError('input', 'E_NO_CLIPS', `no usable clips in the list${bad.length ? ` (${bad.length} bad line(s), first: line ${bad[0].line}: ${bad[0].reason})` : ''}`);

  const runner = await openRunner(options);
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
    const scale = options.fullRes ? S : Math.floor((S * 256) / 224);
    const resize = options.resize ?? 'pillow';
    const frameSize = 3 * S * S;
    const clipSize = T * frameSize;
    const viewsPerClip = sampleClips(Math.max(T, 1), T, sampling).length * (crops as number);

    const missing: MissingFrame[] = [];
    let missingCount = 0;
    const unreadable: Array<{ clip: string; line: number; reason: string }> = [];

    const loadClip = async (record: ClipRecord): Promise<LoadedClip> => {
      const groups = sampleClips(record.frames, T, sampling);
      const wanted = [...new Set(groups.flat())];
      const frames = new Map<number, DecodedFrame>();
      const loadOne = async (index: number): Promise<DecodedFrame | undefined> => {
        try {
          return await loadScaledFrame(framePath(options.root, config, record.id, index), { scale, resize, cropSize: S, crops });
        } catch {
          return undefined;
        }
      };
      const loaded = await Promise.all(wanted.map(loadOne));
      let fallback: DecodedFrame | undefined;
      for (let i = 0; i < wanted.length; i++) {
        let f = loaded[i];
        if (!f) {
          // As TSM's loader does: an unreadable frame is replaced by frame 1, and reported.
          missingCount++;
          if (missing.length < 50) missing.push({ clip: record.id, frame: wanted[i], path: framePath(options.root, config, record.id, wanted[i]) });
          fallback ??= wanted[i] === 1 ? undefined : await loadOne(1);
          f = fallback;
          if (!f) return { record, views: null, reason: `frame ${wanted[i]} and frame 1 unreadable` };
        }
        frames.set(wanted[i], f);
      }
      const size = frames.values().next().value as DecodedFrame;
      const boxes = cropBoxes(size.fullWidth, size.fullHeight, S, crops);
      const views = new Float32Array(viewsPerClip * clipSize);
      let v = 0;
      for (const group of groups) {
        for (const box of boxes) {
          group.forEach((index, t) => {
            const frame = frames.get(index) as DecodedFrame;
            if (frame.fullWidth !== size.fullWidth || frame.fullHeight !== size.fullHeight) {
              throw new TsmError('input', 'E_FRAME_SIZE', `clip ${record.id}: frame ${index} is ${frame.fullWidth}×${frame.fullHeight} after scaling, others ${size.fullWidth}×${size.fullHeight}`);
            }
            writeNormalizedCrop(frame, box, views, v * clipSize + t * frameSize);
          });
          v++;
        }
      }
      return { record, views };
    };

    const batchClips = Math.max(1, options.batch ?? 4);
    const batches: ClipRecord[][] = [];
    for (let i = 0; i < clips.length; i += batchClips) batches.push(clips.slice(i, i + batchClips));
    const PREFETCH = 2;
    const pending: Array<Promise<LoadedClip[]>> = [];
    const schedule = (i: number) => {
      if (i < batches.length) pending[i] = Promise.all(batches[i].map(loadClip));
    };
    for (let i = 0; i < PREFETCH; i++) schedule(i);

    const predictions: ClipPrediction[] = [];
    let inferenceMs = 0;
    let done = 0;
    for (let b = 0; b < batches.length; b++) {
      const loaded = await pending[b];
      delete pending[b];
      schedule(b + PREFETCH);
      const good = loaded.filter((c) => c.views);
      for (const c of loaded) if (!c.views) unreadable.push({ clip: c.record.id, line: c.record.line, reason: c.reason ?? 'unreadable' });
      if (good.length) {
        const input = new Float32Array(good.length * viewsPerClip * clipSize);
        good.forEach((c, i) => input.set(c.views as Float32Array, i * viewsPerClip * clipSize));
        const t0 = performance.now();
        const logits = await runner.run(input, good.length * viewsPerClip);
        inferenceMs += performance.now() - t0;
        const K = info.classes;
        good.forEach((c, i) => {
          const scores = new Array<number>(K).fill(0);
          for (let v = 0; v < viewsPerClip; v++) for (let k = 0; k < K; k++) scores[k] += logits[(i * viewsPerClip + v) * K + k] / viewsPerClip;
          const top5 = topK(scores, Math.min(5, K));
          predictions.push({ id: c.record.id, label: c.record.label, prediction: top5[0], top5, scores });
        });
      }
      done += batches[b].length;
      options.onProgress?.(done, clips.length);
    }

    const metrics = computeMetrics(categories, predictions.map((p) => ({ label: p.label, scores: p.scores })));
    const seconds = (performance.now() - started) / 1000;
    return {
      model: options.model,
      dataset: config.name,
      root: options.root,
      labels: categories,
      protocol: { segments: T, sampling, crops, scaleShortSide: scale, cropSize: S, resize: resize === 'pillow' ? 'Pillow-exact bilinear' : 'sharp (libvips) linear', viewsPerClip },
      ...metrics,
      seconds,
      clipsPerSecond: predictions.length / seconds,
      inferenceSeconds: inferenceMs / 1000,
      missingFrames: { count: missingCount, first: missing },
      unreadableClips: unreadable,
      badLines: bad,
      predictions,
      parity: options.reference ? compareWithReference(options.reference, predictions) : undefined,
    };
  } finally {
    await runner.close();
  }
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
