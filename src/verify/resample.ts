/**
 * Bilinear resize that reproduces Pillow's `Image.resize(size, BILINEAR)` bit for bit (libImaging/Resample.c):
 * separable triangle filter with support scaled by the down-scaling factor, coefficients normalised and rounded to
 * 22-bit fixed point, a horizontal pass rounded to 8 bits, then a vertical pass. TSM's test code scales frames with
 * Pillow, so this is what makes our inputs equal the reference's.
 */
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
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

const clip8 = (v: number) => {
  const x = v >> PRECISION_BITS;
  return x < 0 ? 0 : x > 255 ? 255 : x;
};

/** The part of the resized image to compute: output columns [left, left+width), rows [top, top+height). */
export interface ResizeWindow {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Resizes interleaved RGB (3 bytes a pixel) from w×h to outW×outH like Pillow's BILINEAR, computing only `window`
 * of the output (each output pixel depends only on its own coefficients, so the window is bit-identical to the same
 * region of the full resize). Returns window.width × window.height pixels.
 */
export function resizeBilinearLikePillow(src: Uint8Array, w: number, h: number, outW: number, outH: number, window: ResizeWindow = { left: 0, top: 0, width: outW, height: outH }): Uint8Array {
  const horiz = precompute(w, outW);
  const vert = precompute(h, outH);
  const { left, top, width: winW, height: winH } = window;
  // Only the input rows the window's vertical pass reads go through the horizontal pass (as Pillow does).
  const yFirst = vert.bounds[top * 2];
  const yLast = vert.bounds[(top + winH - 1) * 2] + vert.bounds[(top + winH - 1) * 2 + 1];
  const rows = yLast - yFirst;
  const tmp = new Uint8Array(rows * winW * 3);
  for (let y = 0; y < rows; y++) {
    const srcRow = (y + yFirst) * w * 3;
    for (let wx = 0; wx < winW; wx++) {
      const xx = wx + left;
      const xmin = horiz.bounds[xx * 2];
      const n = horiz.bounds[xx * 2 + 1];
      const kOff = xx * horiz.ksize;
      let s0 = HALF, s1 = HALF, s2 = HALF;
      for (let x = 0; x < n; x++) {
        const kx = horiz.weights[kOff + x];
        const p = srcRow + (x + xmin) * 3;
        s0 += src[p] * kx;
        s1 += src[p + 1] * kx;
        s2 += src[p + 2] * kx;
      }
      const o = (y * winW + wx) * 3;
      tmp[o] = clip8(s0);
      tmp[o + 1] = clip8(s1);
      tmp[o + 2] = clip8(s2);
    }
  }
  const out = new Uint8Array(winW * winH * 3);
  for (let wy = 0; wy < winH; wy++) {
    const yy = wy + top;
    const ymin = vert.bounds[yy * 2] - yFirst;
    const n = vert.bounds[yy * 2 + 1];
    const kOff = yy * vert.ksize;
    for (let xx = 0; xx < winW; xx++) {
      let s0 = HALF, s1 = HALF, s2 = HALF;
      for (let y = 0; y < n; y++) {
        const ky = vert.weights[kOff + y];
        const p = ((y + ymin) * winW + xx) * 3;
        s0 += tmp[p] * ky;
        s1 += tmp[p + 1] * ky;
        s2 += tmp[p + 2] * ky;
      }
      const o = (wy * winW + xx) * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return out;
}
