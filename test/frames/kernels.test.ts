import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { preprocessKernels } from '../../src/frames/kernels.js';
import { fixedTaps, resizeBilinearLikePillow } from '../../src/frames/resample.js';
import {
  cropBoxes,
  type DecodedFrame,
  scaleDecodedFrame,
  scaleDecodedSource,
  torchNormalizeTable,
  writeNormalizedCrop,
} from '../../src/frames/transforms.js';
import { FLOW_MEAN, FLOW_STD, IMAGENET_MEAN, IMAGENET_STD } from '../../src/model/preprocessing.js';
import { PYTHON, ROOT } from '../helpers/reference.js';

/** A deterministic pseudo-random byte stream (the same cases every run). */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

const kernels = preprocessKernels();

describe('the WebAssembly SIMD preprocessing kernels', () => {
  it('load in Node, and their binary is the assembly of src/wasm/preprocess.wat', () => {
    expect(kernels).toBeDefined();
    const check = spawnSync(process.execPath, [join(ROOT, 'tools/build-wasm.mjs'), '--check'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  // up- and down-scaling, odd sizes, inputs narrower than the filter, 3- and 4-byte pixels, windows at the edges
  const cases: Array<[number, number, number, number, 3 | 4]> = [
    [176, 100, 450, 256, 4],
    [176, 100, 256, 146, 3],
    [176, 100, 88, 50, 4],
    [100, 176, 146, 256, 3],
    [177, 101, 256, 146, 4],
    [640, 360, 227, 128, 3],
    [33, 17, 301, 155, 4],
    [2, 3, 40, 41, 3],
    [300, 200, 300, 200, 4],
    [1920, 1080, 455, 256, 3],
  ];
  for (const [w, h, outW, outH, channels] of cases) {
    it(
      `resize ${w}×${h} (${channels} bytes a pixel) → ${outW}×${outH} equals the ` + `JavaScript resize byte for byte`,
      () => {
        const src = bytes(w * h * channels, w * 7 + h);
        const full = resizeBilinearLikePillow(src, w, h, outW, outH, undefined, channels);
        const windows = [
          { left: 0, top: 0, width: outW, height: outH },
          {
            left: Math.floor(outW / 3),
            top: Math.floor(outH / 5),
            width: Math.ceil(outW / 2),
            height: Math.ceil(outH / 2),
          },
          { left: outW - 7, top: outH - 5, width: 7, height: 5 },
        ];
        for (const win of windows) {
          const ours = kernels!.resizeWindow(src, w, channels, fixedTaps(w, outW), fixedTaps(h, outH), win);
          expect(ours.length).toBe(win.width * win.height * 4);
          let differing = 0;
          for (let y = 0; y < win.height; y++) {
            for (let x = 0; x < win.width; x++) {
              for (let c = 0; c < 3; c++)
                if (ours[(y * win.width + x) * 4 + c] !== full[((y + win.top) * outW + x + win.left) * 3 + c])
                  differing++;
            }
          }
          expect(differing, `window ${JSON.stringify(win)}`).toBe(0);
        }
      },
    );
  }

  it('normalise crops (plain and mirrored) exactly as the JavaScript does', () => {
    const width = 240;
    const height = 260;
    const rgbx = bytes(width * height * 4, 5);
    const rgb = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = rgbx[i * 4 + c];
    const at = { width, height, offsetX: 10, offsetY: 20, fullWidth: 400, fullHeight: 300 };
    const wasmFrame: DecodedFrame = { data: rgbx, ...at, channels: 4 };
    const jsFrame: DecodedFrame = { data: rgb, ...at, channels: 3 }; // 3-byte pixels take the JavaScript loop
    for (const box of [
      { left: 10, top: 20, size: 224, flip: false },
      { left: 23, top: 37, size: 160, flip: true },
      { left: 90, top: 40, size: 64, flip: false },
    ]) {
      const plane = 3 * box.size * box.size;
      const a = new Float32Array(plane + 8).fill(7);
      const b = new Float32Array(plane + 8).fill(7);
      writeNormalizedCrop(wasmFrame, box, a, 4);
      writeNormalizedCrop(jsFrame, box, b, 4);
      expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer)), JSON.stringify(box)).toBe(0);
      expect([a[0], a[plane + 4]]).toEqual([7, 7]); // nothing written outside the crop's slot
    }
  });
  it('trim the zero taps: a bilinear upscale reads 2 inputs an output, not 3', () => {
    expect([fixedTaps(176, 450).ksize, fixedTaps(100, 256).ksize]).toEqual([2, 2]);
    expect(fixedTaps(640, 455).ksize).toBe(3); // a down-scale by 1.41: Pillow computes 5 taps, ±1.41 inputs hold 3
  });

  // scaled, cropped and normalised in one call (one-crop protocol) vs scaled bytes then the JavaScript normalisation
  const oneCrop: Array<[number, number, number, number, 3 | 4, boolean]> = [
    [176, 100, 256, 224, 4, false],
    [176, 100, 256, 224, 4, true],
    [176, 100, 256, 224, 3, false],
    [100, 176, 256, 224, 4, true],
    [640, 360, 256, 224, 3, false],
    [177, 101, 128, 112, 4, false],
    [33, 17, 64, 60, 4, true],
  ];
  for (const [w, h, scale, size, channels, flip] of oneCrop) {
    it(
      `scale ${w}×${h} (${channels} bytes a pixel) to ${scale}, crop ${size}${flip ? ' mirrored' : ''} and ` +
        `normalise in one call, as the two steps do`,
      () => {
        const src = bytes(w * h * channels, w * 3 + h + size);
        const request = { scale, cropSize: size, crops: 1 as const };
        const deferred = scaleDecodedSource(src, w, h, request, channels);
        expect('deferred' in deferred).toBe(true);
        const scaled = scaleDecodedFrame(src, w, h, request, channels);
        // the JavaScript loop
        const rgb = { ...scaled, data: new Uint8Array(scaled.width * scaled.height * 3), channels: 3 as const };
        for (let i = 0; i < scaled.width * scaled.height; i++)
          for (let c = 0; c < 3; c++) rgb.data[i * 3 + c] = scaled.data[i * scaled.channels + c];
        const box = { ...cropBoxes(scaled.fullWidth, scaled.fullHeight, size, 1)[0], flip };
        const plane = 3 * size * size;
        const a = new Float32Array(plane + 8).fill(7);
        const b = new Float32Array(plane + 8).fill(7);
        writeNormalizedCrop(deferred, box, a, 4);
        writeNormalizedCrop(rgb, box, b, 4);
        expect(Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer))).toBe(0);
        expect([a[3], a[plane + 4]]).toEqual([7, 7]);
        expect(new Set(a.subarray(4, 4 + plane)).size).toBeGreaterThan(100); // not a constant image
      },
    );
  }
});

describe('normalisation', () => {
  it('equals torch ToTorchFormatTensor + GroupNormalize bit for bit, for RGB and Flow', () => {
    const pairs = IMAGENET_MEAN.map((m, c) => [m, IMAGENET_STD[c]]).concat([[FLOW_MEAN, FLOW_STD]]);
    const script = [
      'import sys, torch',
      'v = torch.arange(256, dtype=torch.uint8).float().div(255)',
      `for m, s in ${JSON.stringify(pairs)}:`,
      '    sys.stdout.buffer.write(v.clone().sub_(m).div_(s).numpy().tobytes())',
    ].join('\n');
    const out = execFileSync(PYTHON, ['-c', script]);
    const theirs = new Float32Array(out.buffer, out.byteOffset, out.length / 4);
    const ours = [0, 1, 2]
      .map((c) => torchNormalizeTable(IMAGENET_MEAN[c], IMAGENET_STD[c]))
      .concat([torchNormalizeTable(FLOW_MEAN, FLOW_STD)]);
    expect(theirs.length).toBe(4 * 256);
    for (const [k, table] of ours.entries()) {
      expect(Array.from(table), `table ${k}`).toEqual(Array.from(theirs.subarray(k * 256, (k + 1) * 256)));
    }
  });
});
