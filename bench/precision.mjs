// npm run bench:precision — what lower precision costs in accuracy and buys in size and speed, on the one trained model
// we have: the bundled TSM-MobileNetV2 ×0.5 as float32, `--fp16` (weights), `--fp16-compute` and `--int8` (calibrated
// on
// the first 20 mini Jester clips). Top-1/top-5 on all 80 clips and on the 60 not used for calibration, agreement with
// the PyTorch reference evaluation, file size, and ms per clip (batch 1 and 8, medians after a warm-up). int8 speed
// for TSM-R50 / MobileNetV2 ×1.0 is in bench:inference. Last, the browser's case: the zoo's online model and its int8
// export in onnxruntime-web's wasm build (run here in Node; 1 thread as the demo runs, and 2), ms per frame — the
// figure behind the demo not offering int8.
import './launch.mjs';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { convertCheckpoint } from '../dist/convert/convert.js';
import { quantizeCheckpoint } from '../dist/convert/quantize.js';
import { verifyModel } from '../dist/verify/verify.js';
import { median, timeOnnx } from './common.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CALIBRATION_CLIPS = 20;
const here = import.meta.dirname;
const gen = join(here, '.generated');
mkdirSync(gen, { recursive: true });
const root = join(here, '../fixtures/jester-mini');
const models = join(here, '../fixtures/models');
const file = readdirSync(models).find((f) => f.includes('_shift'));
const checkpoint = join(models, file);
const reference = join(models, 'reference', file.replace(/\.pth$/, '.json'));
const calibrationIds = new Set(
  readFileSync(join(root, 'val_videofolder.txt'), 'utf8')
    .trim()
    .split('\n')
    .slice(0, CALIBRATION_CLIPS)
    .map((l) => l.split(' ')[0]),
);

const float = convertCheckpoint({ input: checkpoint, output: join(gen, 'bundled_f32.onnx') });
const fp16 = convertCheckpoint({ input: checkpoint, output: join(gen, 'bundled_fp16.onnx'), fp16Weights: true });
const fp16Compute = convertCheckpoint({
  input: checkpoint,
  output: join(gen, 'bundled_fp16_compute.onnx'),
  fp16Compute: true,
});
const int8 = await quantizeCheckpoint({
  input: checkpoint,
  output: join(gen, 'bundled_int8.onnx'),
  calibration: { root, clips: CALIBRATION_CLIPS },
});

async function measure(name, converted) {
  const r = await verifyModel({ model: converted.output, dataset: 'jester', root, reference });
  const heldOut = r.predictions.filter((p) => !calibrationIds.has(p.id));
  const shape = (b) => [b, 8, 3, 224, 224];
  return {
    model: name,
    bytes: converted.bytes,
    top1: r.top1,
    top5: r.top5,
    heldOutClips: heldOut.length,
    heldOutTop1: heldOut.filter((p) => p.prediction === p.label).length / heldOut.length,
    samePredictionAsPyTorch: r.parity.samePrediction,
    clips: r.clips,
    maxAbsScoreDeltaVsPyTorch: r.parity.maxAbsScoreDelta,
    batch1MsPerClip: await timeOnnx(converted.output, shape(1), RUNS),
    batch8MsPerClip: (await timeOnnx(converted.output, shape(8), RUNS)) / 8,
  };
}

/** Median ms per frame of an online model in onnxruntime-web (wasm) on `threads` threads (zero shift buffers). */
async function timeWeb(path, threads) {
  ortWeb.env.wasm.numThreads = threads;
  const session = await ortWeb.InferenceSession.create(readFileSync(path), { executionProviders: ['wasm'] });
  const feeds = Object.fromEntries(
    session.inputNames.map((name) => {
      const shape = session.inputMetadata
        .find((m) => m.name === name)
        .shape.map((d) => (typeof d === 'number' ? d : 1));
      return [
        name,
        new ortWeb.Tensor(
          'float32',
          Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i)),
          shape,
        ),
      ];
    }),
  );
  for (let i = 0; i < 3; i++) await session.run(feeds);
  const times = [];
  for (let i = 0; i < 10 * RUNS; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  await session.release();
  return median(times);
}

const rows = [
  await measure('float32', float),
  await measure('fp16 weights', fp16),
  await measure('fp16 compute', fp16Compute),
  await measure('int8 (QDQ)', int8),
];
const [f, , , q] = rows;
const result = {
  model: file,
  runs: RUNS,
  calibration: int8.quantization.calibration,
  rows,
  change: {
    top1Points: (q.top1 - f.top1) * 100,
    heldOutTop1Points: (q.heldOutTop1 - f.heldOutTop1) * 100,
    sizeRatio: q.bytes / f.bytes,
    speedupBatch1: f.batch1MsPerClip / q.batch1MsPerClip,
    speedupBatch8: f.batch8MsPerClip / q.batch8MsPerClip,
  },
};
const zooModel = (id) =>
  join(
    here,
    '..',
    JSON.parse(readFileSync(join(here, '../zoo.json'), 'utf8')).models.find((m) => m.id === id).artifacts[0].path,
  );
result.browser = [];
for (const threads of [1, 2]) {
  const floatMs = await timeWeb(zooModel('tsm-mobilenetv2-jester-online-mini'), threads);
  const int8Ms = await timeWeb(zooModel('tsm-mobilenetv2-jester-online-mini-int8'), threads);
  result.browser.push({
    runtime: 'onnxruntime-web (wasm)',
    threads,
    float32MsPerFrame: floatMs,
    int8MsPerFrame: int8Ms,
    int8Speedup: floatMs / int8Ms,
  });
}
if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  const pct = (x) => `${(x * 100).toFixed(2)} %`;
  console.log(
    `${file}: int8 calibrated (min/max) on the first ${CALIBRATION_CLIPS} mini Jester clips in ` +
      `${int8.quantization.calibration.seconds.toFixed(1)} s; medians of ${RUNS}`,
  );
  console.log(
    'model          MB     top-1     top-5   top-1 on 60 held-out   same as PyTorch   max |Δscore|  ' +
      ' ms/clip b1   ms/clip b8',
  );
  for (const r of rows) {
    console.log(
      `${r.model.padEnd(13)} ${(r.bytes / 1e6).toFixed(2).padStart(5)}  ${pct(r.top1).padStart(8)}  ` +
        `${pct(r.top5).padStart(8)}  ` +
        `${pct(r.heldOutTop1).padStart(21)}  ${`${r.samePredictionAsPyTorch}/${r.clips}`.padStart(16)}  ` +
        `${r.maxAbsScoreDeltaVsPyTorch.toExponential(2).padStart(13)}  ` +
        `${r.batch1MsPerClip.toFixed(1).padStart(11)}  ${r.batch8MsPerClip.toFixed(1).padStart(11)}`,
    );
  }
  const c = result.change;
  console.log(
    `int8 vs float32: top-1 ${c.top1Points >= 0 ? '+' : ''}${c.top1Points.toFixed(2)} points (held-out ` +
      `${c.heldOutTop1Points >= 0 ? '+' : ''}${c.heldOutTop1Points.toFixed(2)}), file ${c.sizeRatio.toFixed(2)}×, ` +
      `${c.speedupBatch1.toFixed(2)}× faster at batch 1, ${c.speedupBatch8.toFixed(2)}× at batch 8`,
  );
  for (const b of result.browser)
    console.log(
      `online model in ${b.runtime}, ${b.threads} thread(s): float32 ${b.float32MsPerFrame.toFixed(1)} ms/frame, ` +
        `int8 ${b.int8MsPerFrame.toFixed(1)} ms/frame → int8 ${b.int8Speedup.toFixed(2)}× (the browser ` +
        `demo offers float32 only)`,
    );
}
