// npm run bench:verify — clips/s of tsm verify end to end (decode + transforms + inference, pipelined) against
// pure inference on the same, pre-decoded batches, and against the Python reference evaluation (PIL + torch eager),
// all in one run on the bundled TSM model and mini Jester set. Medians of RUNS after a warm-up.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { convertCheckpoint } from '../dist/convert.js';
import { createOrtRunner } from '../dist/verify/runner.js';
import { verifyModel } from '../dist/verify/verify.js';
import { median, runJson } from './common.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const here = import.meta.dirname;
const root = join(here, '../fixtures/jester-mini');
const models = join(here, '../fixtures/models');
const checkpoint = join(models, readdirSync(models).find((f) => f.includes('_shift')));
mkdirSync(join(here, '.generated'), { recursive: true });
const onnx = convertCheckpoint({ input: checkpoint, output: join(here, '.generated/bundled_tsm.onnx') }).output;
const BATCH = 4;

// End to end; a recording runner keeps the batches so pure inference can replay exactly the same tensors.
const recorded = [];
const endToEnd = [];
for (let i = 0; i <= RUNS; i++) {
  const ort = await createOrtRunner(onnx, { threads: 2 });
  const recording = { info: ort.info, close: ort.close, run: async (batch, n) => { if (i === 0) recorded.push([batch, n]); return ort.run(batch, n); } };
  const r = await verifyModel({ model: onnx, dataset: 'jester', root, batch: BATCH, runner: recording });
  if (i > 0) endToEnd.push(r.clipsPerSecond);
}
const pure = [];
const runner = await createOrtRunner(onnx, { threads: 2 });
for (let i = 0; i <= RUNS; i++) {
  const t0 = performance.now();
  let clips = 0;
  for (const [batch, n] of recorded) {
    await runner.run(batch, n);
    clips += n;
  }
  if (i > 0) pure.push(clips / ((performance.now() - t0) / 1000));
}
await runner.close();
const py = runJson('/usr/bin/python3', [join(here, '../tools/reference/eval_jester.py'), checkpoint, root, join(here, '.generated/reference.json')]);
const result = {
  model: checkpoint,
  clips: recorded.reduce((a, [, n]) => a + n, 0),
  batch: BATCH,
  endToEndClipsPerSecond: median(endToEnd),
  pureInferenceClipsPerSecond: median(pure),
  pythonReferenceClipsPerSecond: py.clips / py.seconds,
};
result.ratios = {
  endToEndOverPureInference: result.endToEndClipsPerSecond / result.pureInferenceClipsPerSecond,
  endToEndOverPythonReference: result.endToEndClipsPerSecond / result.pythonReferenceClipsPerSecond,
};
if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`tsm verify on ${result.clips} mini Jester clips, batch ${BATCH}, 2 threads (medians of ${RUNS})`);
  console.log(`end to end        ${result.endToEndClipsPerSecond.toFixed(1)} clips/s`);
  console.log(`pure inference    ${result.pureInferenceClipsPerSecond.toFixed(1)} clips/s  → end to end is ${result.ratios.endToEndOverPureInference.toFixed(2)}× of it`);
  console.log(`Python reference  ${result.pythonReferenceClipsPerSecond.toFixed(1)} clips/s (PIL + torch eager) → tsm is ${result.ratios.endToEndOverPythonReference.toFixed(2)}× faster`);
}
