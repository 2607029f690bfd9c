// npm run bench:inference — onnxruntime-node ms per 8-frame clip (batch 1 and 8) for tsm's ONNX vs the
// torch.onnx export of the same weights vs PyTorch eager, TSM-R50 and TSM-MobileNetV2 at 224, in one run;
// achieved GFLOP/s against the fp32 peak (theoretical from /proc/cpuinfo, and a measured large MatMul); and tsm's
// int8 export of the same weights (calibrated on the mini Jester set; accuracy effects are in bench:precision).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { convertCheckpoint, countMacs, detectArch, readCheckpointFile } from '../dist/index.js';
import { quantizeCheckpoint } from '../dist/quantize.js';
import { GraphBuilder } from '../dist/onnx/builder.js';
import { median, runJson, timeOnnx } from './common.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const here = import.meta.dirname;
const gen = join(here, '.generated');
mkdirSync(gen, { recursive: true });
const MODELS = [
  { id: 'r50_blockres', arch: 'resnet50', file: 'TSM_jester_RGB_resnet50_shift8_blockres_avg_segment8_e2.pth', place: 'blockres' },
  { id: 'mbv2_official', arch: 'mobilenetv2', file: 'TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e25.pth', place: 'blockres' },
];

function cpuPeak() {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const flags = /flags\s*:\s*(.*)/.exec(info)?.[1].split(' ') ?? [];
  const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(info)?.[1] ?? 0);
  const lanes = flags.includes('avx512f') ? 16 : flags.includes('avx2') ? 8 : 4;
  const fmaUnits = 2; // two FMA pipes per core on current x86 server cores
  const perCycle = lanes * 2 * fmaUnits;
  const cores = cpus().length;
  return { cores, mhz, simd: lanes === 16 ? 'AVX-512' : lanes === 8 ? 'AVX2+FMA' : 'SSE', flopsPerCycle: perCycle, gflops: (cores * mhz * 1e6 * perCycle) / 1e9 };
}

async function matmulGflops() {
  const n = 1536;
  const g = new GraphBuilder();
  const a = g.input({ name: 'a', elemType: 'float', shape: [n, n] });
  const b = g.initializer('b', 'float', [n, n], Float32Array.from({ length: n * n }, (_, i) => Math.sin(i)));
  g.node('MatMul', [a, b], {}, { outputNames: ['c'] });
  g.output({ name: 'c', elemType: 'float', shape: [n, n] });
  const model = g.toModel({ opset: 13, producerVersion: 'bench', graphName: 'matmul', metadata: {} });
  const path = join(gen, 'matmul.onnx');
  (await import('node:fs')).writeFileSync(path, model);
  const ms = await timeOnnx(path, [n, n], RUNS);
  return (2 * n * n * n) / (ms / 1000) / 1e9;
}

const rows = [];
for (const m of MODELS) {
  const ckpt = join(gen, m.id, m.file);
  if (!existsSync(ckpt)) execFileSync('/usr/bin/python3', [join(here, '../tools/reference/make_variants.py'), gen, m.id], { stdio: 'ignore' });
  const ours = convertCheckpoint({ input: ckpt, output: join(gen, `${m.id}_tsm.onnx`) }).output;
  const int8 = (await quantizeCheckpoint({ input: ckpt, output: join(gen, `${m.id}_tsm_int8.onnx`), calibration: { root: join(here, '../fixtures/jester-mini'), clips: 8 } })).output;
  const torchOnnx = join(gen, `${m.id}_torch.onnx`);
  if (!existsSync(torchOnnx)) runJson('/usr/bin/python3', [join(here, '../tools/reference/torch_route.py'), ckpt, torchOnnx, m.arch, '8', '8', m.place, '27']);
  const macs = countMacs(detectArch(readCheckpointFile(ckpt).stateDict, { fileName: ckpt }).spec);
  const row = { model: m.id, gmacsPerClip: macs / 1e9 };
  for (const batch of [1, 8]) {
    const shape = [batch, 8, 3, 224, 224];
    const o = (await timeOnnx(ours, shape, RUNS)) / batch;
    const t = (await timeOnnx(torchOnnx, shape, RUNS)) / batch;
    const q = (await timeOnnx(int8, shape, RUNS)) / batch;
    const e = runJson('/usr/bin/python3', [join(here, '../tools/reference/time_eager.py'), ckpt, m.arch, '8', m.place, String(batch), String(RUNS)]).msPerClip;
    row[`batch${batch}`] = { tsmMs: o, torchOnnxMs: t, eagerMs: e, vsTorchOnnx: t / o, vsEager: e / o, tsmGflops: (2 * macs) / (o / 1000) / 1e9, int8Ms: q, int8VsTsm: o / q, int8VsEager: e / q };
  }
  rows.push(row);
}
const peak = cpuPeak();
const measuredPeak = await matmulGflops();
const result = { runs: RUNS, peak: { ...peak, matmulGflops: measuredPeak }, rows };
for (const r of rows) for (const b of ['batch1', 'batch8']) {
  r[b].fractionOfTheoreticalPeak = r[b].tsmGflops / peak.gflops;
  r[b].fractionOfMatmulPeak = r[b].tsmGflops / measuredPeak;
}
if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`fp32 peak: ${peak.cores} cores × ${peak.mhz} MHz × ${peak.flopsPerCycle} FLOP/cycle (${peak.simd}, 2 FMA pipes) = ${peak.gflops.toFixed(1)} GFLOP/s theoretical; onnxruntime MatMul 1536² reaches ${measuredPeak.toFixed(1)} GFLOP/s`);
  console.log('model          batch  tsm ms/clip  torch.onnx ms/clip  eager ms/clip  ×torch.onnx  ×eager  GFLOP/s (% theoretical, % MatMul)  | int8 ms/clip  ×tsm fp32  ×eager');
  for (const r of rows) for (const b of [1, 8]) {
    const x = r[`batch${b}`];
    console.log(`${r.model.padEnd(14)} ${String(b).padStart(5)}  ${x.tsmMs.toFixed(1).padStart(11)}  ${x.torchOnnxMs.toFixed(1).padStart(18)}  ${x.eagerMs.toFixed(1).padStart(13)}  ${x.vsTorchOnnx.toFixed(2).padStart(10)}×  ${x.vsEager.toFixed(2).padStart(5)}×  ${x.tsmGflops.toFixed(1)} (${(x.fractionOfTheoreticalPeak * 100).toFixed(0)} %, ${(x.fractionOfMatmulPeak * 100).toFixed(0)} %)  | ${x.int8Ms.toFixed(1).padStart(12)}  ${x.int8VsTsm.toFixed(2).padStart(8)}×  ${x.int8VsEager.toFixed(2).padStart(5)}×`);
  }
}
