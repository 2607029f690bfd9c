// npm run bench:inference — onnxruntime-node ms per 8-frame clip (batch 1 and 8) for tsm's ONNX vs the
// torch.onnx export of the same weights vs PyTorch eager, TSM-R50 and TSM-MobileNetV2 at 224, in one run;
// achieved GFLOP/s against the fp32 peak measured in the same run on the same threads (prepacked MatMuls; no kernel
// measured exceeds it); the eager column names its torch version; and tsm's
// int8 export of the same weights (calibrated on the mini Jester set; accuracy effects are in bench:precision).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { convertCheckpoint, countMacs, detectArch, readCheckpointFile } from '../dist/index.js';
import { quantizeCheckpoint } from '../dist/quantize.js';
import { GraphBuilder } from '../dist/onnx/builder.js';
import { median, runJson, timeOnnx } from './common.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const THREADS = 2; // every onnxruntime session here, the peak's included
const here = import.meta.dirname;
const gen = join(here, '.generated');
mkdirSync(gen, { recursive: true });
const MODELS = [
  { id: 'r50_blockres', arch: 'resnet50', file: 'TSM_jester_RGB_resnet50_shift8_blockres_avg_segment8_e2.pth', place: 'blockres' },
  { id: 'mbv2_official', arch: 'mobilenetv2', file: 'TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e25.pth', place: 'blockres' },
  // non-local R50: float32 only (no int8 export), batch 1 only (PyTorch 1.13 eager takes ~8 s a clip here)
  { id: 'nl_r50', arch: 'resnet50', file: 'TSM_kinetics_RGB_resnet50_shift8_blockres_avg_segment8_e100_dense_nl.pth', place: 'blockres', batches: [1], int8: false },
];

/**
 * The fp32 peak of this machine on the threads the models run on, measured: onnxruntime MatMuls against a constant
 * (prepacked) matrix, large enough to be compute-bound, best of several sizes. A peak taken from the nominal clock
 * (as this bench once did) was exceeded by the models themselves; this one is raised to the fastest kernel measured
 * in the run if any model beats it, and the output says which set it.
 */
async function gemmGflops() {
  const best = { gflops: 0, n: 0 };
  for (const n of [1024, 1536, 2048]) {
    const g = new GraphBuilder();
    const a = g.input({ name: 'a', elemType: 'float', shape: [n, n] });
    const b = g.initializer('b', 'float', [n, n], Float32Array.from({ length: n * n }, (_, i) => Math.sin(i)));
    g.node('MatMul', [a, b], {}, { outputNames: ['c'] });
    g.output({ name: 'c', elemType: 'float', shape: [n, n] });
    const path = join(gen, `matmul${n}.onnx`);
    writeFileSync(path, g.toModel({ opset: 13, producerVersion: 'bench', graphName: 'matmul', metadata: {} }));
    const ms = await timeOnnx(path, [n, n], RUNS, THREADS);
    const gflops = (2 * n * n * n) / (ms / 1000) / 1e9;
    if (gflops > best.gflops) Object.assign(best, { gflops, n });
  }
  return best;
}

const rows = [];
let eagerTorch = '';
for (const m of MODELS) {
  const ckpt = join(gen, m.id, m.file);
  if (!existsSync(ckpt)) execFileSync('/usr/bin/python3', [join(here, '../tools/reference/make_variants.py'), gen, m.id], { stdio: 'ignore' });
  const ours = convertCheckpoint({ input: ckpt, output: join(gen, `${m.id}_tsm.onnx`) }).output;
  const int8 = m.int8 === false ? undefined : (await quantizeCheckpoint({ input: ckpt, output: join(gen, `${m.id}_tsm_int8.onnx`), calibration: { root: join(here, '../fixtures/jester-mini'), clips: 8 } })).output;
  const torchOnnx = join(gen, `${m.id}_torch.onnx`);
  if (!existsSync(torchOnnx)) runJson('/usr/bin/python3', [join(here, '../tools/reference/torch_route.py'), ckpt, torchOnnx, m.arch, '8', '8', m.place, '27']);
  const macs = countMacs(detectArch(readCheckpointFile(ckpt).stateDict, { fileName: ckpt }).spec);
  const row = { model: m.id, gmacsPerClip: macs / 1e9 };
  for (const batch of m.batches ?? [1, 8]) {
    const shape = [batch, 8, 3, 224, 224];
    const o = (await timeOnnx(ours, shape, RUNS, THREADS)) / batch;
    const t = (await timeOnnx(torchOnnx, shape, RUNS, THREADS)) / batch;
    const q = int8 ? (await timeOnnx(int8, shape, RUNS, THREADS)) / batch : NaN;
    const eager = runJson('/usr/bin/python3', [join(here, '../tools/reference/time_eager.py'), ckpt, m.arch, '8', m.place, String(batch), String(RUNS)]);
    const e = eager.msPerClip;
    eagerTorch = `PyTorch ${eager.torch}, ${eager.threads} threads`;
    row[`batch${batch}`] = { tsmMs: o, torchOnnxMs: t, eagerMs: e, vsTorchOnnx: t / o, vsEager: e / o, tsmGflops: (2 * macs) / (o / 1000) / 1e9, int8Ms: q, int8VsTsm: o / q, int8VsEager: e / q };
  }
  rows.push(row);
}
const gemm = await gemmGflops();
const measured = (r) => [1, 8].map((b) => r[`batch${b}`]).filter(Boolean);
const fastestModel = Math.max(...rows.flatMap((r) => measured(r).map((x) => x.tsmGflops)));
const peak = { gflops: Math.max(gemm.gflops, fastestModel), setBy: gemm.gflops >= fastestModel ? `MatMul ${gemm.n}² (prepacked)` : 'a model (faster than every MatMul measured)', gemmGflops: gemm.gflops, gemmN: gemm.n, threads: THREADS, cpu: cpus()[0]?.model ?? 'unknown' };
for (const r of rows) for (const x of measured(r)) x.fractionOfPeak = x.tsmGflops / peak.gflops;
const result = { runs: RUNS, eager: eagerTorch, peak, rows };
if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`${peak.cpu}; ${THREADS} onnxruntime threads; medians of ${RUNS} after a warm-up; eager is ${eagerTorch}`);
  console.log(`fp32 peak, measured: ${peak.gflops.toFixed(1)} GFLOP/s, set by ${peak.setBy} (best MatMul ${gemm.gflops.toFixed(1)} GFLOP/s at ${gemm.n}²); no kernel in this run exceeds it`);
  console.log('model          batch  tsm ms/clip  torch.onnx ms/clip  eager ms/clip  ×torch.onnx  ×eager  GFLOP/s (% of peak)  | int8 ms/clip  ×tsm fp32  ×eager');
  for (const r of rows) for (const b of [1, 8]) {
    const x = r[`batch${b}`];
    if (!x) continue;
    console.log(`${r.model.padEnd(14)} ${String(b).padStart(5)}  ${x.tsmMs.toFixed(1).padStart(11)}  ${x.torchOnnxMs.toFixed(1).padStart(18)}  ${x.eagerMs.toFixed(1).padStart(13)}  ${x.vsTorchOnnx.toFixed(2).padStart(10)}×  ${x.vsEager.toFixed(2).padStart(5)}×  ${x.tsmGflops.toFixed(1)} (${(x.fractionOfPeak * 100).toFixed(0)} %)  | ${Number.isNaN(x.int8Ms) ? '   (float32 only)' : `${x.int8Ms.toFixed(1).padStart(12)}  ${x.int8VsTsm.toFixed(2).padStart(8)}×  ${x.int8VsEager.toFixed(2).padStart(5)}×`}`);
  }
}
