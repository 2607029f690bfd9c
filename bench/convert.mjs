// npm run bench:convert — tsm convert vs the torch route (torch.load + model + torch.onnx.export) on a generated
// TSM-R50 legacy checkpoint, and onnxruntime-node ms per 8-frame clip for both ONNX files, in one run.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { median, runJson, timeOnnx } from './common.mjs';
import { userEnv } from './launch.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const here = import.meta.dirname;
const gen = join(here, '.generated');
mkdirSync(gen, { recursive: true });
const ckpt = join(gen, 'r50_blockres/TSM_jester_RGB_resnet50_shift8_blockres_avg_segment8_e2.pth');
if (!existsSync(ckpt))
  execFileSync('/usr/bin/python3', [join(here, '../tools/reference/make_variants.py'), gen, 'r50_blockres'], {
    stdio: 'ignore',
  });

const oursOnnx = join(gen, 'r50_tsm.onnx');
const torchOnnx = join(gen, 'r50_torch.onnx');
// One protocol for both routes: a fresh process per run, one untimed warm-up run each (page cache, imports), then
// RUNS timed runs each, interleaved so that machine noise falls on both alike.
const oursArgs = [join(here, 'convert-once.mjs'), ckpt, oursOnnx];
const torchArgs = [
  join(here, '../tools/reference/torch_route.py'),
  ckpt,
  torchOnnx,
  'resnet50',
  '8',
  '8',
  'blockres',
  '27',
];
runJson(process.execPath, oursArgs);
runJson('/usr/bin/python3', torchArgs, userEnv());
const ours = [];
const torch = [];
for (let i = 0; i < RUNS; i++) {
  ours.push(runJson(process.execPath, oursArgs));
  torch.push(runJson('/usr/bin/python3', torchArgs, userEnv()));
}

const clip = [1, 8, 3, 224, 224];
const batch8 = [8, 8, 3, 224, 224];
const infer = {
  oursBatch1: await timeOnnx(oursOnnx, clip, 5),
  torchBatch1: await timeOnnx(torchOnnx, clip, 5),
  oursBatch8: (await timeOnnx(oursOnnx, batch8, 3)) / 8,
  torchBatch8: (await timeOnnx(torchOnnx, batch8, 3)) / 8,
};
const result = {
  checkpoint: ckpt,
  runs: RUNS,
  convert: {
    oursSeconds: median(ours.map((r) => r.seconds)),
    oursPeakRssBytes: median(ours.map((r) => r.peakRssBytes)),
    oursBytes: ours[0].bytes,
    weightBytes: ours[0].weightBytes,
    torchSeconds: median(torch.map((r) => r.seconds)),
    torchExportSeconds: median(torch.map((r) => r.exportSeconds)),
    torchPeakRssBytes: median(torch.map((r) => r.peakRssBytes)),
    torchBytes: torch[0].bytes,
  },
  inferenceMsPerClip: infer,
};
result.ratios = {
  convertSpeedup: result.convert.torchSeconds / result.convert.oursSeconds,
  fileOverWeights: result.convert.oursBytes / result.convert.weightBytes,
  inferenceSpeedupBatch1: infer.torchBatch1 / infer.oursBatch1,
  inferenceSpeedupBatch8: infer.torchBatch8 / infer.oursBatch8,
};
if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  const c = result.convert;
  const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
  console.log(
    `TSM-R50 blockres, 8 segments, legacy checkpoint (${mb(c.weightBytes)} of weights); medians of ${RUNS} runs each ` +
      `after one warm-up each, fresh processes`,
  );
  console.log(
    `convert    tsm ${c.oursSeconds.toFixed(2)} s, peak RSS ${mb(c.oursPeakRssBytes)}, ${mb(c.oursBytes)}   |   ` +
      `torch route ${c.torchSeconds.toFixed(2)} s (export ${c.torchExportSeconds.toFixed(2)} s), peak RSS ` +
      `${mb(c.torchPeakRssBytes)}, ${mb(c.torchBytes)}   → ${result.ratios.convertSpeedup.toFixed(1)}× faster, ` +
      `file ${result.ratios.fileOverWeights.toFixed(3)}× weights`,
  );
  console.log(
    `inference  batch 1: tsm ${infer.oursBatch1.toFixed(0)} ms/clip vs torch.onnx ${infer.torchBatch1.toFixed(0)} ` +
      `ms/clip → ${result.ratios.inferenceSpeedupBatch1.toFixed(2)}×`,
  );
  console.log(
    `           batch 8: tsm ${infer.oursBatch8.toFixed(0)} ms/clip vs torch.onnx ${infer.torchBatch8.toFixed(0)} ` +
      `ms/clip → ${result.ratios.inferenceSpeedupBatch8.toFixed(2)}×`,
  );
}
