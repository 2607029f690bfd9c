// npm run bench:verify — clips/s of tsm verify end to end (decode + Pillow-exact resize + crops + inference,
// pipelined) against pure inference on the same, pre-decoded batches, in one run: the bundled TSM-MobileNetV2 ×0.5
// (tiny: preprocessing dominates) and a TSM-R50 (inference dominates); and the bundled model against the Python
// reference evaluation (PIL + torch eager). Medians of RUNS after a warm-up. Rates are steady state (after the first
// batch) on both sides; verify's fixed costs (set-up, first batch) are reported apart.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { convertCheckpoint } from '../dist/convert.js';
import { createOrtRunner } from '../dist/verify/runner.js';
import { verifyModel } from '../dist/verify/verify.js';
import { median, runJson } from './common.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const here = import.meta.dirname;
const gen = join(here, '.generated');
const root = join(here, '../fixtures/jester-mini');
const models = join(here, '../fixtures/models');
mkdirSync(gen, { recursive: true });
const bundled = join(models, readdirSync(models).find((f) => f.includes('_shift')));
const r50 = join(gen, 'r50_blockres/TSM_jester_RGB_resnet50_shift8_blockres_avg_segment8_e2.pth');
if (!existsSync(r50)) execFileSync('/usr/bin/python3', [join(here, '../tools/reference/make_variants.py'), gen, 'r50_blockres'], { stdio: 'ignore' });
const BATCH = 4;

async function measure(name, checkpoint, maxNum) {
  const onnx = convertCheckpoint({ input: checkpoint, output: join(gen, `verify_${name}.onnx`) }).output;
  // A recording runner keeps the batches so pure inference replays exactly the same tensors.
  const recorded = [];
  const endToEnd = [];
  const fixed = [];
  for (let i = 0; i <= RUNS; i++) {
    const ort = await createOrtRunner(onnx, { threads: 2 });
    const recording = { info: ort.info, close: ort.close, run: async (batch, n) => { if (i === 0) recorded.push([batch, n]); return ort.run(batch, n); } };
    const r = await verifyModel({ model: onnx, dataset: 'jester', root, batch: BATCH, maxNum, runner: recording });
    if (i > 0) {
      endToEnd.push(r.clipsPerSecond); // steady state: after the first batch
      fixed.push(r.timing);
    }
  }
  const pure = [];
  const runner = await createOrtRunner(onnx, { threads: 2 });
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now();
    let clips = 0;
    let t1 = t0;
    // the same steady state as verify reports: the first batch apart
    for (const [k, [batch, n]] of recorded.entries()) {
      await runner.run(batch, n);
      if (k === 0) t1 = performance.now();
      else clips += n;
    }
    if (i > 0) pure.push(clips / ((performance.now() - t1) / 1000));
  }
  await runner.close();
  const row = {
    model: name, clips: recorded.reduce((a, [, n]) => a + n, 0), endToEndClipsPerSecond: median(endToEnd), pureInferenceClipsPerSecond: median(pure),
    fixedCosts: { setupSeconds: median(fixed.map((t) => t.setupSeconds)), firstBatchSeconds: median(fixed.map((t) => t.firstBatchSeconds)), overallClipsPerSecond: median(fixed.map((t) => t.overallClipsPerSecond)) },
  };
  row.endToEndOverPureInference = row.endToEndClipsPerSecond / row.pureInferenceClipsPerSecond;
  return row;
}

const rows = [await measure('bundled TSM-MobileNetV2 x0.5', bundled, undefined), await measure('TSM-R50 (random weights)', r50, 16)];
const py = runJson('/usr/bin/python3', [join(here, '../tools/reference/eval_jester.py'), bundled, root, join(gen, 'reference.json')]);
const result = { batch: BATCH, runs: RUNS, rows, pythonReference: { model: 'bundled TSM-MobileNetV2 x0.5', clipsPerSecond: py.clips / py.seconds } };
result.ratios = { bundledOverPythonReference: rows[0].endToEndClipsPerSecond / result.pythonReference.clipsPerSecond };
if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`tsm verify on the mini Jester set, batch ${BATCH}, 2 threads (medians of ${RUNS})`);
  for (const r of rows) {
    console.log(`${r.model.padEnd(30)} ${String(r.clips).padStart(3)} clips, steady state (after the first batch): end to end ${r.endToEndClipsPerSecond.toFixed(1)} clips/s, pure inference ${r.pureInferenceClipsPerSecond.toFixed(1)} clips/s → ${r.endToEndOverPureInference.toFixed(2)}×`);
    console.log(`${''.padEnd(30)}      fixed costs: set-up ${r.fixedCosts.setupSeconds.toFixed(2)} s (session given), first batch ${r.fixedCosts.firstBatchSeconds.toFixed(2)} s; ${r.fixedCosts.overallClipsPerSecond.toFixed(1)} clips/s overall`);
  }
  console.log(`Python reference (PIL + torch eager) on the bundled model: ${result.pythonReference.clipsPerSecond.toFixed(1)} clips/s → tsm is ${result.ratios.bundledOverPythonReference.toFixed(2)}× faster`);
}
