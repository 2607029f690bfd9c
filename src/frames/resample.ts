/**
 * Bilinear resize that reproduces Pillow's `Image.resize(size, BILINEAR)` bit for bit (libImaging/Resample.c):
 * separable triangle filter with support scaled by the down-scaling factor, coefficients normalised and rounded to
 * 22-bit fixed point, a horizontal pass rounded to 8 bits, then a vertical pass. TSM's test code scales frames with
 * Pillow, so this is what makes our inputs equal the reference's.
 */
import type { ResizeWindow } from './window.js';

export type { ResizeWindow };

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);

interface Coefficients {
  readonly ksize: number;
  readonly bounds: Int32Array; // [xmin, count] per output pixel
  readonly weights: Int32Array; // ksize per output pixel, fixed point
}

function precompute(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 1 * filterScale; // bilinear support 1.0
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterScale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      const w = t < 1 ? 1 - t : 0;
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x] / ww : k[x];
      weights[xx * ksize + x] =
        w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

const clip8 = (v: number) => {
  const x = v >> PRECISION_BITS;
  return x < 0 ? 0 : Math.min(x, 255);
};

/** Output pixel (or row) i reads `ksize` inputs from starts[i] with weights[i·ksize …]; zero weights pad the taps. */
export interface FixedTaps {
  readonly ksize: number;
  readonly starts: Int32Array;
  readonly weights: Int32Array;
}

/** Coefficients depend only on the sizes, and a data set's frames mostly share them: one cache per form, bounded. */
function sizeCache<T>(make: (inSize: number, outSize: number) => T): (inSize: number, outSize: number) => T {
  const cache = new Map<string, T>();
  return (inSize, outSize) => {
    const key = `${inSize}:${outSize}`;
    let value = cache.get(key);
    if (!value) {
      if (cache.size > 64) cache.clear();
      value = make(inSize, outSize);
      cache.set(key, value);
    }
    return value;
  };
}

const coefficients = sizeCache(precompute);

/**
 * The coefficients with every output reading the same number of inputs K: each output's taps trimmed of the zero
 * weights at their ends (a bilinear upscale computes 3 taps of which at most 2 are non-zero), K the longest trimmed
 * run (at most the input size), the start moved back where the taps would run past the input's end and zeros added
 * there. The same non-zero integers are summed, so the result is the same. The form the SIMD kernels take
 * (src/frames/kernels.ts).
 */
export const fixedTaps = sizeCache((inSize: number, outSize: number): FixedTaps => {
  const c = coefficients(inSize, outSize);
  const runs = new Int32Array(outSize * 2); // [first, end) of the non-zero weights among an output's taps
  let K = 1;
  for (let x = 0; x < outSize; x++) {
    const n = c.bounds[x * 2 + 1];
    let first = 0;
    let end = n;
    while (first < end && c.weights[x * c.ksize + first] === 0) first++;
    while (end > first && c.weights[x * c.ksize + end - 1] === 0) end--;
    runs[x * 2] = first;
    runs[x * 2 + 1] = end;
    K = Math.max(K, end - first);
  }
  K = Math.min(K, inSize);
  const starts = new Int32Array(outSize);
  const weights = new Int32Array(outSize * K);
  for (let x = 0; x < outSize; x++) {
    const xmin = c.bounds[x * 2] + runs[x * 2];
    const start = Math.min(xmin, inSize - K);
    starts[x] = start;
    for (let t = runs[x * 2]; t < runs[x * 2 + 1]; t++)
      weights[x * K + c.bounds[x * 2] + t - start] = c.weights[x * c.ksize + t];
  }
  return { ksize: K, starts, weights };
});

/**
 * Resizes interleaved RGB (or RGBA with `channels` 4, alpha ignored) from w×h to outW×outH like Pillow's BILINEAR,
 * computing only `window` of the output (each output pixel depends only on its own coefficients, so the window is
 * bit-identical to the same region of the full resize). Returns window.width × window.height RGB pixels.
 */
export function resizeBilinearLikePillow(
  src: Uint8Array | Uint8ClampedArray,
  w: number,
  h: number,
  outW: number,
  outH: number,
  window: ResizeWindow = { left: 0, top: 0, width: outW, height: outH },
  channels: 3 | 4 = 3,
): Uint8Array {
  const horiz = coefficients(w, outW);
  const vert = coefficients(h, outH);
  const { left, top, width: winW, height: winH } = window;
  // Only the input rows the window's vertical pass reads go through the horizontal pass (as Pillow does).
  const yFirst = vert.bounds[top * 2];
  const yLast = vert.bounds[(top + winH - 1) * 2] + vert.bounds[(top + winH - 1) * 2 + 1];
  const rows = yLast - yFirst;
  const rowStride = winW * 3;
  const tmp = new Uint8Array(rows * rowStride);
  const hk = horiz.ksize;
  const hw = horiz.weights;
  const hb = horiz.bounds;
  for (let y = 0; y < rows; y++) {
    const srcRow = (y + yFirst) * w * channels;
    let o = y * rowStride;
    for (let xx = left, end = left + winW; xx < end; xx++) {
      const n = hb[xx * 2 + 1];
      let p = srcRow + hb[xx * 2] * channels;
      let k = xx * hk;
      let s0 = HALF,
        s1 = HALF,
        s2 = HALF;
      for (let x = 0; x < n; x++, p += channels, k++) {
        const kx = hw[k];
        s0 += src[p] * kx;
        s1 += src[p + 1] * kx;
        s2 += src[p + 2] * kx;
      }
      tmp[o++] = clip8(s0);
      tmp[o++] = clip8(s1);
      tmp[o++] = clip8(s2);
    }
  }
  // Vertical pass a row at a time over the row's bytes (the channels interleave, the weights are per row); the 2- and
  // 3-tap cases (every upscale) are spelt out, which V8 runs ~1.4× faster than the general loop.
  const out = new Uint8Array(winH * rowStride);
  const vw = vert.weights;
  const vk = vert.ksize;
  for (let wy = 0; wy < winH; wy++) {
    const yy = wy + top;
    const n = vert.bounds[yy * 2 + 1];
    const r0 = (vert.bounds[yy * 2] - yFirst) * rowStride;
    const r1 = r0 + rowStride;
    const r2 = r1 + rowStride;
    const k0 = vw[yy * vk];
    const k1 = vw[yy * vk + 1];
    const k2 = vw[yy * vk + 2];
    const o = wy * rowStride;
    if (n === 2) {
      for (let i = 0; i < rowStride; i++) out[o + i] = clip8(HALF + tmp[r0 + i] * k0 + tmp[r1 + i] * k1);
    } else if (n === 3) {
      for (let i = 0; i < rowStride; i++)
        out[o + i] = clip8(HALF + tmp[r0 + i] * k0 + tmp[r1 + i] * k1 + tmp[r2 + i] * k2);
    } else {
      for (let i = 0; i < rowStride; i++) {
        let sum = HALF;
        for (let t = 0; t < n; t++) sum += tmp[r0 + t * rowStride + i] * vw[yy * vk + t];
        out[o + i] = clip8(sum);
      }
    }
  }
  return out;
}
