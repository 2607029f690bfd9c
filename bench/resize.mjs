// npm run bench:resize — ms a frame of the OpenCV-exact INTER_LINEAR resize (src/frames/resize-cv2.ts, MMAction2's
// protocol; JavaScript, and its WebAssembly SIMD kernel, resize-cv2-kernels.ts) against the Pillow-exact one the tsm
// protocol uses (JavaScript, and its WebAssembly SIMD kernel) and
// against cv2.resize itself (native, in Debian's Python, when python3-opencv is there), on decoded RGBA frames as
// verify holds them: the whole output and a centred 224² window (what a one-crop protocol computes). Times are the
// best of 25 batches, in CPU time of this process (user + system), so other load on the machine inflates them less.
import './launch.mjs';
import { spawnSync } from 'node:child_process';
import { preprocessKernels } from '../dist/frames/kernels.js';
import { fixedTaps, resizeBilinearLikePillow } from '../dist/frames/resample.js';
import { rescaleSizeLikeMmcv, resizeLinearLikeOpenCV } from '../dist/frames/resize-cv2.js';
import { openCVResizeKernel } from '../dist/frames/resize-cv2-kernels.js';

const BATCHES = 25;
// Jester frames (100 px high, scaled up), Kinetics-like frames already short side 256 (a copy), the same scaled to
// 224, and 360p video scaled down
const CASES = [
  { w: 176, h: 100, scale: [-1, 256] },
  { w: 340, h: 256, scale: [-1, 256] },
  { w: 340, h: 256, scale: [-1, 224] },
  { w: 640, h: 360, scale: [-1, 256] },
];

function cpuMs(f, perBatch) {
  for (let i = 0; i < perBatch; i++) f();
  let best = Infinity;
  for (let b = 0; b < BATCHES; b++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < perBatch; i++) f();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000 / perBatch);
  }
  return best;
}

function cv2Ms(cases) {
  const script = `
import json, sys, time
import cv2, numpy as np
cv2.setNumThreads(1)
out = []
for w, h, dw, dh in json.loads(sys.argv[1]):
    img = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    best = float('inf')
    for _ in range(${BATCHES}):
        t0 = time.process_time()
        for _ in range(50): cv2.resize(img, (dw, dh), interpolation=cv2.INTER_LINEAR)
        best = min(best, (time.process_time() - t0) / 50 * 1000)
    out.append(best)
print(json.dumps(out))`;
  const r = spawnSync('/usr/bin/python3', ['-c', script, JSON.stringify(cases)], { encoding: 'utf8' });
  return r.status === 0 ? JSON.parse(r.stdout) : undefined;
}

const kernels = preprocessKernels();
const cv2Kernel = openCVResizeKernel();
const rows = [];
for (const { w, h, scale } of CASES) {
  const src = new Uint8Array(w * h * 4);
  for (let i = 0; i < src.length; i++) src[i] = (Math.imul(i, 2654435761) >>> 24) & 255;
  const { width: dw, height: dh } = rescaleSizeLikeMmcv(w, h, scale);
  const whole = { left: 0, top: 0, width: dw, height: dh };
  const crop = { left: (dw - 224) >> 1, top: (dh - 224) >> 1, width: 224, height: 224 };
  const perBatch = Math.max(5, Math.round(2e6 / (dw * dh)));
  const row = { frame: `${w}×${h}`, output: `${dw}×${dh}` };
  for (const [name, win] of [
    ['whole', whole],
    ['crop224', crop],
  ]) {
    row[`cv2exactJs_${name}`] = cpuMs(
      () => resizeLinearLikeOpenCV(src, w, h, 4, dw, dh, { window: win, outputChannels: 3 }),
      perBatch,
    );
    if (cv2Kernel)
      row[`cv2exactWasm_${name}`] = cpuMs(() => cv2Kernel.resizeWindow(src, w, h, 4, dw, dh, win), perBatch);
    row[`pillowJs_${name}`] = cpuMs(() => resizeBilinearLikePillow(src, w, h, dw, dh, win, 4), perBatch);
    if (kernels)
      row[`pillowWasm_${name}`] = cpuMs(
        () => kernels.resizeWindow(src, w, 4, fixedTaps(w, dw), fixedTaps(h, dh), win),
        perBatch,
      );
  }
  rows.push({ ...row, w, h, dw, dh });
}
const native = cv2Ms(rows.map((r) => [r.w, r.h, r.dw, r.dh]));
rows.forEach((r, i) => {
  r.cv2Native_whole = native?.[i];
});

if (process.argv.includes('--json')) console.log(JSON.stringify({ batches: BATCHES, rows }, null, 2));
else {
  console.log(
    `ms a frame (best of ${BATCHES} batches, CPU time), RGBA in, RGB out (the WASM kernels: 4-byte pixels); whole ` +
      `output / centred 224² window`,
  );
  const f = (v) => (v === undefined ? '   –  ' : v.toFixed(3));
  for (const r of rows) {
    console.log(
      `${r.frame.padEnd(8)} → ${r.output.padEnd(8)} OpenCV-exact JS ${f(r.cv2exactJs_whole)} / ` +
        `${f(r.cv2exactJs_crop224)}   WASM ${f(r.cv2exactWasm_whole)} / ${f(r.cv2exactWasm_crop224)}   Pillow-exact ` +
        `JS ${f(r.pillowJs_whole)} / ${f(r.pillowJs_crop224)}   Pillow-exact WASM ${f(r.pillowWasm_whole)} / ` +
        `${f(r.pillowWasm_crop224)}   cv2.resize native (1 thread, RGB) ${f(r.cv2Native_whole)}`,
    );
  }
}
