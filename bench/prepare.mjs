// npm run bench:prepare — frames/s of `tsm prepare frames` against the upstream approach (a Python process pool
// handing each video to one ffmpeg, as tools/vid2img_kinetics.py does, with its Pool(100) and with one process per
// core) on the same videos with the same ffmpeg, in one run; and decode throughput of the piped path `predict` uses
// (ffmpeg → raw RGB in memory) against reading the pre-extracted JPEGs. The videos: the 80 mini Jester clips as
// H.264 at 256 px high (Kinetics-like sizes), extracted with the Kinetics settings (scale=-1:331, img_%05d.jpg).

import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { decodeVideo, extractFrames, loadScaledFrame, resolveFfmpeg } from '../dist/index.js';
import { median, runJson } from './common.mjs';
import { userEnv } from './launch.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const here = import.meta.dirname;
const gen = join(here, '.generated/prepare');
const mini = join(here, '../fixtures/jester-mini');
const ffmpeg = resolveFfmpeg();
const videos = join(gen, 'videos');
rmSync(gen, { recursive: true, force: true });
mkdirSync(videos, { recursive: true });
const ids = readFileSync(join(mini, 'val_videofolder.txt'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => l.split(' ')[0]);
for (const id of ids)
  execFileSync(ffmpeg, [
    '-nostdin',
    '-v',
    'error',
    '-framerate',
    '12',
    '-i',
    join(mini, '20bn-jester-v1', id, '%05d.jpg'),
    '-vf',
    'scale=-2:256',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    join(videos, `${id}.mp4`),
  ]);

const countFrames = (dir) =>
  readdirSync(dir).reduce((a, d) => a + readdirSync(join(dir, d)).filter((f) => f.endsWith('.jpg')).length, 0);
const cores = cpus().length;
const tsmRuns = [];
const poolRuns = { 100: [], [cores]: [] };
let frames = 0;
for (let r = 0; r <= RUNS; r++) {
  const a = join(gen, `tsm-${r}`);
  const t = await extractFrames({ videos, out: a, dataset: 'kinetics', workers: cores });
  frames = t.frames;
  if (r > 0) tsmRuns.push(t.frames / t.seconds);
  for (const n of Object.keys(poolRuns)) {
    const b = join(gen, `pool${n}-${r}`);
    const py = runJson(
      '/usr/bin/python3',
      [join(here, '../tools/reference/vid2img_pool.py'), ffmpeg, videos, b, String(n)],
      userEnv(),
    );
    if (r > 0) poolRuns[n].push(countFrames(b) / py.seconds);
  }
}

// decode throughput: the piped path vs the JPEGs tsm extracted, both scaled as the test protocol scales (256 → 224)
const request = { scale: 256, cropSize: 224, crops: 1 };
const piped = [];
const jpegs = [];
const extracted = join(gen, 'tsm-1');
for (let r = 0; r <= RUNS; r++) {
  let t0 = performance.now();
  let n = 0;
  for (const id of ids.slice(0, 20)) n += (await decodeVideo(join(videos, `${id}.mp4`))).frames.length;
  if (r > 0) piped.push(n / ((performance.now() - t0) / 1000));
  t0 = performance.now();
  n = 0;
  for (const id of ids.slice(0, 20))
    for (const f of readdirSync(join(extracted, id)).filter((x) => x.endsWith('.jpg'))) {
      await loadScaledFrame(join(extracted, id, f), request);
      n++;
    }
  if (r > 0) jpegs.push(n / ((performance.now() - t0) / 1000));
}
const result = {
  runs: RUNS,
  videos: ids.length,
  frames,
  cores,
  extract: {
    tsmFramesPerSecond: median(tsmRuns),
    upstreamPool100FramesPerSecond: median(poolRuns[100]),
    upstreamPoolCoresFramesPerSecond: median(poolRuns[cores]),
  },
  decode: { pipedRawFramesPerSecond: median(piped), jpegDecodeAndScaleFramesPerSecond: median(jpegs) },
};
result.ratios = {
  tsmOverPool100: result.extract.tsmFramesPerSecond / result.extract.upstreamPool100FramesPerSecond,
  tsmOverPoolCores: result.extract.tsmFramesPerSecond / result.extract.upstreamPoolCoresFramesPerSecond,
};
rmSync(gen, { recursive: true, force: true });
if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  const e = result.extract;
  console.log(
    `${ids.length} videos (${frames} frames at 256 px high → scale=-1:331), ${cores} cores, medians ` +
      `of ${RUNS} after a warm-up`,
  );
  console.log(
    `prepare frames: tsm (${cores} workers) ${e.tsmFramesPerSecond.toFixed(0)} frames/s; upstream Pool(100) ` +
      `${e.upstreamPool100FramesPerSecond.toFixed(0)} frames/s (${result.ratios.tsmOverPool100.toFixed(2)}×), ` +
      `Pool(${cores}) ${e.upstreamPoolCoresFramesPerSecond.toFixed(0)} frames/s ` +
      `(${result.ratios.tsmOverPoolCores.toFixed(2)}×)`,
  );
  console.log(
    `decoding for predict: piped raw RGB ${result.decode.pipedRawFramesPerSecond.toFixed(0)} frames/s (decode only, ` +
      `native size) vs extracted JPEGs ${result.decode.jpegDecodeAndScaleFramesPerSecond.toFixed(0)} frames/s ` +
      `(decode + Pillow-exact scale to 256 + crop window)`,
  );
}
