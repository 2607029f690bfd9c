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
  return JSON.parse(execFileSync(cmd, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop());
}

/** Median ms per run of an ONNX model on a random input of `shape` (1 warm-up, `runs` timed). */
export async function timeOnnx(model, shape, runs, threads = 2) {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  await session.run(feeds);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  await session.release();
  return median(times);
}
