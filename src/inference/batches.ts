/**
 * The batch engine verify and int8 calibration share: a list's clips in batches, each batch's clips loaded (the
 * frames/ clip loader, on a worker thread or this one) straight into one of a few reused input buffers while the
 * batches before it run, then run through a Runner. The caller gets each readable clip's logits as they come.
 */
import type { ClipRecord } from '../data/dataset.js';
import type { ClipJob, MissingFrame } from '../frames/clip.js';
import type { ClipLoader } from '../frames/clip-loader.js';
import type { UnreadableClip } from '../frames/clip-set.js';
import type { Runner } from './runner.js';

/** Batches loaded ahead of the one running. */
const PREFETCH = 2;
/** Missing frames listed in full; the rest are counted. */
const MISSING_LISTED = 50;

export type { UnreadableClip };

export interface BatchEngineOptions {
  readonly runner: Runner;
  readonly loader: ClipLoader;
  /** clips a batch */
  readonly batch: number;
  /** views a clip's input holds (sampled clips × crops), each `viewSize` floats */
  readonly viewsPerClip: number;
  readonly viewSize: number;
  readonly jobOf: (record: ClipRecord) => ClipJob;
  /** a readable clip's logits: viewsPerClip × classes floats (a view of the runner's output, valid during the call) */
  readonly onClip: (record: ClipRecord, logits: Float32Array) => void;
  /** after batch `index`, with the clips done so far (read or not) */
  readonly onBatch?: (index: number, done: number) => void;
}

export interface BatchRunResult {
  readonly unreadable: readonly UnreadableClip[];
  readonly missingFrames: { readonly count: number; readonly first: readonly MissingFrame[] };
  /** time spent in the runner */
  readonly inferenceSeconds: number;
  /** when the first batch ended (performance.now()), and the clips it scored: the steady state starts there */
  readonly firstBatch: { readonly endedAt: number; readonly clips: number };
}

interface LoadedBatch {
  readonly records: readonly ClipRecord[];
  readonly input: Float32Array;
  readonly results: ReadonlyArray<{
    readonly ok: boolean;
    readonly missing: readonly MissingFrame[];
    readonly reason?: string;
  }>;
}

export async function runBatches(clips: readonly ClipRecord[], options: BatchEngineOptions): Promise<BatchRunResult> {
  const { runner, loader, viewsPerClip } = options;
  const batchClips = Math.max(1, options.batch);
  const batches: ClipRecord[][] = [];
  for (let i = 0; i < clips.length; i += batchClips) batches.push(clips.slice(i, i + batchClips));
  // Clips load straight into their batch's input, one of PREFETCH + 1 reused buffers: no copy, and no fresh
  // (page-faulting) allocation per clip, which cost as much as the normalisation itself.
  const slot = viewsPerClip * options.viewSize;
  const ring: Float32Array[] = [];
  const pending: Array<Promise<LoadedBatch>> = [];
  const schedule = (i: number) => {
    if (i >= batches.length) return;
    const at = i % (PREFETCH + 1);
    const records = batches[i];
    ring[at] ??= new Float32Array(batchClips * slot);
    pending[i] = loader.load(records.map(options.jobOf), ring[at], slot).then(({ input, clips: results }) => {
      ring[at] = input; // a worker hands back a new view of the same memory
      return { records, input, results };
    });
  };
  for (let i = 0; i < PREFETCH; i++) schedule(i);

  const unreadable: UnreadableClip[] = [];
  const missing: MissingFrame[] = [];
  let missingCount = 0;
  let inferenceMs = 0;
  let done = 0;
  let scored = 0;
  let firstBatch = { endedAt: 0, clips: 0 };
  for (let b = 0; b < batches.length; b++) {
    const { records, input: batchInput, results } = await pending[b];
    delete pending[b];
    schedule(b + PREFETCH);
    const good: ClipRecord[] = [];
    results.forEach((r, k) => {
      missingCount += r.missing.length;
      for (const m of r.missing) if (missing.length < MISSING_LISTED) missing.push(m);
      if (!r.ok) unreadable.push({ clip: records[k].id, line: records[k].line, reason: r.reason ?? 'unreadable' });
      // an unreadable clip leaves a hole: close it up (rare)
      else if (k !== good.length) batchInput.copyWithin(good.length * slot, k * slot, (k + 1) * slot);
      if (r.ok) good.push(records[k]);
    });
    if (good.length) {
      const t0 = performance.now();
      const logits = await runner.run(batchInput.subarray(0, good.length * slot), good.length * viewsPerClip);
      inferenceMs += performance.now() - t0;
      const perClip = logits.length / good.length;
      for (const [i, record] of good.entries()) options.onClip(record, logits.subarray(i * perClip, (i + 1) * perClip));
      scored += good.length;
    }
    done += records.length;
    if (b === 0) firstBatch = { endedAt: performance.now(), clips: scored };
    options.onBatch?.(b, done);
  }
  return {
    unreadable,
    missingFrames: { count: missingCount, first: missing },
    inferenceSeconds: inferenceMs / 1000,
    firstBatch,
  };
}
