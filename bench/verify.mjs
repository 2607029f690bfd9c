// npm run bench:verify — clips/s of tsm verify end to end (decode + Pillow-exact resize + crops + torch-exact
// normalisation + inference, pipelined) against pure inference of the same batches, in one run: the bundled
// TSM-MobileNetV2 ×0.5 (tiny: preprocessing matters) and a TSM-R50 (inference dominates), on 2 session threads; the
// ×0.5 again on one thread fewer than the machine's cores (a core free for the clip loader); and the bundled model
// against the Python reference evaluation (PIL + torch eager).
// Fixed costs (convert, session creation, the first verify's first batch: arena growth, JIT) are reported apart from
// the steady state, which is measured on a warm session: verify runs and pure replays of the batches it fed the model
// alternate (medians of RUNS), each counted after its first batch. Pure inference is timed on verify's session (no
// spinning) and on one with onnxruntime's default (spinning); the ratio uses the faster. Verify runs as `tsm verify`
// does (--loader auto), then with its clips loaded on the main thread and on the worker thread whatever the cores,
// and with a runner that returns zeros (preprocessing alone: the CPU time verify spends outside inference); last,
// preprocessing's stages a frame (read, JPEG decode, scale + crop + normalise), which say what a faster verify needs.
// TSM_NO_WASM_KERNELS=1 measures the JavaScript preprocessing instead of the WebAssembly SIMD kernels.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { convertCheckpoint } from '../dist/convert/convert.js';
import { decodeJpeg } from '../dist/frames/decode.js';
import { preprocessKernels } from '../dist/frames/kernels.js';
import { cropBoxes, scaleDecodedSource, writeNormalizedCrop } from '../dist/frames/transforms.js';
import { createOrtRunner } from '../dist/inference/runner.js';
import { verifyModel } from '../dist/verify/verify.js';
import { median, runJson } from './common.mjs';
import { userEnv } from './launch.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const here = import.meta.dirname;
const gen = join(here, '.generated');
const root = join(here, '../fixtures/jester-mini');
const models = join(here, '../fixtures/models');
mkdirSync(gen, { recursive: true });
const bundled = join(
  models,
  readdirSync(models).find((f) => f.includes('_shift')),
);
const r50 = join(gen, 'r50_blockres/TSM_jester_RGB_resnet50_shift8_blockres_avg_segment8_e2.pth');
if (!existsSync(r50))
  execFileSync('/usr/bin/python3', [join(here, '../tools/reference/make_variants.py'), gen, 'r50_blockres'], {
    stdio: 'ignore',
  });
const BATCH = 4;

async function measure(name, checkpoint, maxNum, threads = 2) {
  let t0 = performance.now();
  const onnx = convertCheckpoint({
    input: checkpoint,
    output: join(gen, `verify_${name.replace(/[^A-Za-z0-9.]+/g, '_')}.onnx`),
  }).output;
  const convertSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  // the session as verify creates it (no spinning between runs), and one with onnxruntime's default (spinning)
  const ort = await createOrtRunner(onnx, { threads, spinning: false });
  const sessionSeconds = (performance.now() - t0) / 1000;
  const spinningOrt = await createOrtRunner(onnx, { threads });
  // verify closes the runner it is given: this one stays open across runs, and keeps the first run's batches
  const recorded = [];
  const warm = (record) => ({
    info: ort.info,
    close: async () => {},
    run: async (batch, n) => {
      if (record) recorded.push([batch.slice(), n]);
      return ort.run(batch, n);
    },
  });
  const verify = (runner, loaderThread = 'auto') =>
    verifyModel({ model: onnx, dataset: 'jester', root, batch: BATCH, maxNum, runner, threads, loaderThread });
  const first = await verify(warm(true));
  const replay = async (session) => {
    let clips = 0;
    let t1 = 0;
    for (const [k, [batch, n]] of recorded.entries()) {
      await session.run(batch, n);
      if (k === 0) t1 = performance.now();
      else clips += n;
    }
    return clips / ((performance.now() - t1) / 1000);
  };
  const endToEnd = [];
  const mainThread = [];
  const workerThread = [];
  const pure = [];
  const pureSpinning = [];
  const preprocessing = [];
  const zeros = {
    info: ort.info,
    close: async () => {},
    run: async (_batch, n) => new Float32Array(n * ort.info.classes),
  };
  for (let i = 0; i < RUNS; i++) {
    endToEnd.push((await verify(warm(false))).clipsPerSecond);
    pure.push(await replay(ort));
    pureSpinning.push(await replay(spinningOrt));
    mainThread.push((await verify(warm(false), 'main')).clipsPerSecond);
    workerThread.push((await verify(warm(false), 'worker')).clipsPerSecond);
    preprocessing.push((await verify(zeros, 'main')).clipsPerSecond);
  }
  await ort.close();
  await spinningOrt.close();
  // the better of the two sessions is the denominator: verify's settings must not flatter the ratio
  const pureRate = Math.max(median(pure), median(pureSpinning));
  const row = {
    model: name,
    sessionThreads: threads,
    clips: first.predictions.length,
    kernels: preprocessKernels() ? 'WebAssembly SIMD' : 'JavaScript',
    loaderThread: first.timing.loaderThread,
    endToEndClipsPerSecond: median(endToEnd),
    mainThreadLoaderClipsPerSecond: median(mainThread),
    workerLoaderClipsPerSecond: median(workerThread),
    pureInferenceClipsPerSecond: pureRate,
    pureInferenceNoSpinningClipsPerSecond: median(pure),
    pureInferenceSpinningClipsPerSecond: median(pureSpinning),
    preprocessingOnlyClipsPerSecond: median(preprocessing),
    fixedCosts: {
      convertSeconds,
      sessionSeconds,
      firstVerifySetupSeconds: first.timing.setupSeconds,
      firstVerifyFirstBatchSeconds: first.timing.firstBatchSeconds,
      firstVerifyOverallClipsPerSecond: first.timing.overallClipsPerSecond,
    },
  };
  row.endToEndOverPureInference = row.endToEndClipsPerSecond / row.pureInferenceClipsPerSecond;
  row.mainThreadLoaderOverPureInference = row.mainThreadLoaderClipsPerSecond / row.pureInferenceClipsPerSecond;
  row.workerLoaderOverPureInference = row.workerLoaderClipsPerSecond / row.pureInferenceClipsPerSecond;
  return row;
}

/**
 * Where preprocessing's time goes, per frame, on 8 frames of each mini clip (warm, one thread, best of ROUNDS rounds):
 * reading the file, decoding the JPEG, and scaling + cropping + normalising it into a batch-sized buffer.
 */
function preprocessingStages(ROUNDS = 7) {
  const framesDir = join(root, '20bn-jester-v1');
  const paths = readdirSync(framesDir).flatMap((c) =>
    readdirSync(join(framesDir, c))
      .sort()
      .slice(0, 8)
      .map((f) => join(framesDir, c, f)),
  );
  const request = { scale: 256, cropSize: 224, crops: 1 };
  const plane = 3 * 224 * 224;
  const out = new Float32Array(BATCH * 8 * plane); // a batch's worth, as verify writes: not a cache-resident slot
  const best = (fn) => {
    let min = Infinity;
    for (let r = 0; r < ROUNDS; r++) {
      const t = performance.now();
      fn();
      min = Math.min(min, (performance.now() - t) / paths.length);
    }
    return min * 1000;
  };
  let bytes = [];
  let pixels = [];
  const readMicros = best(() => {
    bytes = paths.map((p) => readFileSync(p));
  });
  const decodeMicros = best(() => {
    pixels = bytes.map((b) => decodeJpeg(b));
  });
  const scaleMicros = best(() =>
    pixels.forEach((px, i) => {
      const frame = scaleDecodedSource(px.data, px.width, px.height, request, px.channels);
      writeNormalizedCrop(
        frame,
        cropBoxes(frame.fullWidth, frame.fullHeight, 224, 1)[0],
        out,
        (i % (BATCH * 8)) * plane,
      );
    }),
  );
  return { frames: paths.length, readMicros, decodeMicros, scaleCropNormalizeMicros: scaleMicros };
}

// the default 2 session threads; then, for the small model, one core fewer than the machine has, which leaves the
// loader a core of its own (auto then takes the worker): how fast verify runs when preprocessing is not competing
const spare = Math.max(1, availableParallelism() - 1);
const rows = [
  await measure('bundled TSM-MobileNetV2 x0.5', bundled, undefined),
  await measure('TSM-R50 (random weights)', r50, 16),
  await measure(`bundled x0.5, ${spare} thread${spare > 1 ? 's' : ''}`, bundled, undefined, spare),
];
const stages = preprocessingStages();
const py = runJson(
  '/usr/bin/python3',
  [join(here, '../tools/reference/eval_jester.py'), bundled, root, join(gen, 'reference.json')],
  userEnv(),
);
const result = {
  batch: BATCH,
  runs: RUNS,
  rows,
  preprocessingMicrosPerFrame: stages,
  pythonReference: { model: 'bundled TSM-MobileNetV2 x0.5', clipsPerSecond: py.clips / py.seconds },
};
result.ratios = { bundledOverPythonReference: rows[0].endToEndClipsPerSecond / result.pythonReference.clipsPerSecond };
if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  console.log(
    `tsm verify on the mini Jester set, batch ${BATCH}, ${availableParallelism()} cores (medians of ${RUNS})`,
  );
  for (const r of rows) {
    const f = r.fixedCosts;
    console.log(
      `${r.model.padEnd(30)} ${String(r.clips).padStart(3)} clips, warm session, after each run's first batch: end ` +
        `to end ${r.endToEndClipsPerSecond.toFixed(1)} clips/s, pure inference ` +
        `${r.pureInferenceClipsPerSecond.toFixed(1)} clips/s → ${r.endToEndOverPureInference.toFixed(2)}×`,
    );
    console.log(
      `${''.padEnd(30)}      clips loaded on the ${r.loaderThread} (--loader auto, ${availableParallelism()} cores, ` +
        `${r.sessionThreads} session thread${r.sessionThreads > 1 ? 's' : ''}); forced: main thread ` +
        `${r.mainThreadLoaderClipsPerSecond.toFixed(1)} clips/s → ` +
        `${r.mainThreadLoaderOverPureInference.toFixed(2)}×, worker ${r.workerLoaderClipsPerSecond.toFixed(1)} ` +
        `clips/s → ${r.workerLoaderOverPureInference.toFixed(2)}×`,
    );
    console.log(
      `${''.padEnd(30)}      pure inference, session without / with spinning: ` +
        `${r.pureInferenceNoSpinningClipsPerSecond.toFixed(1)} / ${r.pureInferenceSpinningClipsPerSecond.toFixed(1)} ` +
        `clips/s (the ratio uses the better)`,
    );
    console.log(
      `${''.padEnd(30)}      preprocessing alone (${r.kernels}): ${r.preprocessingOnlyClipsPerSecond.toFixed(1)} ` +
        `clips/s = ${(1000 / r.preprocessingOnlyClipsPerSecond).toFixed(1)} ms a clip, inference ` +
        `${(1000 / r.pureInferenceClipsPerSecond).toFixed(1)} ms a clip`,
    );
    console.log(
      `${''.padEnd(30)}      fixed costs: convert ${f.convertSeconds.toFixed(2)} s, session ` +
        `${f.sessionSeconds.toFixed(2)} s, first verify's first batch ${f.firstVerifyFirstBatchSeconds.toFixed(2)} s ` +
        `(its overall rate ${f.firstVerifyOverallClipsPerSecond.toFixed(1)} clips/s)`,
    );
  }
  console.log(
    `preprocessing a frame (${stages.frames} mini Jester frames, one thread, best of 7): read ` +
      `${stages.readMicros.toFixed(0)} µs, JPEG decode ${stages.decodeMicros.toFixed(0)} µs, scale + crop + ` +
      `normalise ${stages.scaleCropNormalizeMicros.toFixed(0)} µs`,
  );
  console.log(
    `Python reference (PIL + torch eager) on the bundled model: ${result.pythonReference.clipsPerSecond.toFixed(1)} ` +
      `clips/s → tsm is ${result.ratios.bundledOverPythonReference.toFixed(2)}× faster`,
  );
}
