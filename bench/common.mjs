// Shared helpers for the benchmarks: medians, fresh-process runs, ONNX Runtime timing.
import { execFileSync } from 'node:child_process';
import * as ort from 'onnxruntime-node';

/** The median; of an even count, the mean of the two middle values (not the upper one, which biases toward slower). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs a command whose last stdout line is JSON (references pass `userEnv()` of launch.mjs as `env`). */
export function runJson(cmd, args, env = process.env) {
  return JSON.parse(
    execFileSync(cmd, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n')
      .pop(),
  );
}

/** A session of `model` (`threads` intra-op threads, all optimisations) and a fixed pseudo-random input of `shape`. */
async function sessionWithInput(model, shape, threads) {
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  return { session, feeds: { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) } };
}

/** Every run's ms of an ONNX model on a random input of `shape` (1 warm-up, then `runs` timed), in run order. */
export async function timeOnnxRuns(model, shape, runs, threads = 2) {
  const { session, feeds } = await sessionWithInput(model, shape, threads);
  await session.run(feeds);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  await session.release();
  return times;
}

/** Median ms per run of an ONNX model on a random input of `shape` (1 warm-up, `runs` timed). */
export async function timeOnnx(model, shape, runs, threads = 2) {
  return median(await timeOnnxRuns(model, shape, runs, threads));
}

// a side of a pair is a burst of runs lasting about this long: one preempted run of a small model must not decide it
const BURST_MS = 300;

/**
 * Two models on the same input, timed run against run: both sessions stay open and warm, and each pair runs one of
 * each back to back (the order alternating), so that a drift in the machine's speed hits both sides of every ratio.
 * Returns the medians of each side (ms a run) and the median, lowest and highest of the per-pair ratios a / b.
 */
export async function timeOnnxPaired(modelA, modelB, shape, pairs, threads = 2) {
  const opened = [await sessionWithInput(modelA, shape, threads), await sessionWithInput(modelB, shape, threads)];
  let reps = 1;
  const burst = async (k) => {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) await opened[k].session.run(opened[k].feeds);
    return (performance.now() - t0) / reps;
  };
  for (let k = 0; k < 2; k++) await burst(k); // warm-up: arena growth, first-run costs
  reps = Math.max(1, Math.round(BURST_MS / Math.min(await burst(0), await burst(1))));
  const a = [];
  const b = [];
  const ratios = [];
  for (let i = 0; i < pairs; i++) {
    const order = i % 2 ? [1, 0] : [0, 1];
    const t = [0, 0];
    for (const k of order) t[k] = await burst(k);
    a.push(t[0]);
    b.push(t[1]);
    ratios.push(t[0] / t[1]);
  }
  for (const { session } of opened) await session.release();
  return {
    aMs: median(a),
    bMs: median(b),
    ratio: median(ratios),
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
  };
}
