/**
 * Bilinear resize that reproduces OpenCV 4.6's `cv::resize(src, dst, dsize, 0, 0, INTER_LINEAR)` on 8-bit images
 * byte for byte, as MMAction2's test pipeline calls it through `mmcv.imresize` (no antialiasing). Measured against
 * Debian's python3-opencv 4.6.0 (test/frames/resize-cv2.test.ts); what the measurements pinned down:
 *
 * - Source coordinate of output d: `(d + 0.5)·scale − 0.5` in double with `scale = 1 / (out / in)`, rounded to
 *   float32, then split into floor and fraction in float32. The float32 step changes weights (e.g. 10 → 523 rows).
 * - Weights `(1 − f, f)` in float32 times 2048 (INTER_RESIZE_COEF_BITS = 11), rounded half to even (cvRound); they may
 *   sum to 2049. Rounding half up differs (e.g. 9 → 529 rows).
 * - Columns: where the left tap falls before the first column or on/after the last, the tap moves to that border and
 *   the fraction becomes 0. Rows: the fraction is kept and only the row indices are clamped, so an upscale's border
 *   rows mix a row with itself through two rounded products (clamping the fraction too gives other bytes).
 * - Horizontal pass exact in int32: `a0·S[x0] + a1·S[x1]`.
 * - Vertical pass not the textbook `(b0·T0 + b1·T1 + 2^21) >> 22` but the 16-bit form OpenCV's 8-bit path uses (its
 *   scalar code and its SIMD kernels agree): `(((b0·(T0 >> 4)) >> 16) + ((b1·(T1 >> 4)) >> 16) + 2) >> 2`.
 * - Exact 2× down-scaling on both axes takes OpenCV's INTER_AREA fast path, `(a + b + c + d + 2) >> 2`, which the
 *   formulas above give too (weights 1024, 1024); an unchanged size is a copy, which they also give.
 */
import { TsmError } from '../errors.js';
import type { ResizeWindow } from './window.js';

const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;

export type { ResizeWindow };

/** Per output position: the two source positions read and their fixed-point weights. */
export interface LinearTaps {
  readonly first: Int32Array;
  readonly second: Int32Array;
  readonly w0: Int32Array;
  readonly w1: Int32Array;
}

/** cvRound of a float: to nearest, ties to even (the values here are ≥ 0 and exact in float32). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

/**
 * OpenCV's taps along one axis. `clampFraction` is the column rule (border taps get weight 2048 on the border pixel);
 * without it (the row rule) the fraction stays and only the indices are clamped into [0, inSize).
 */
export function linearTapsLikeOpenCV(inSize: number, outSize: number, clampFraction: boolean): LinearTaps {
  const scale = 1 / (outSize / inSize);
  const first = new Int32Array(outSize);
  const second = new Int32Array(outSize);
  const w0 = new Int32Array(outSize);
  const w1 = new Int32Array(outSize);
  const last = inSize - 1;
  for (let d = 0; d < outSize; d++) {
    const fx = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(fx);
    let f = Math.fround(fx - s);
    if (clampFraction) {
      if (s < 0 || s >= last) {
        s = s < 0 ? 0 : last;
        f = 0;
      }
    }
    // float32 products by 2048 are exact, so only 1 − f needs rounding to float32
    w0[d] = roundHalfEven(Math.fround(1 - f) * COEF_SCALE);
    w1[d] = roundHalfEven(f * COEF_SCALE);
    first[d] = s < 0 ? 0 : Math.min(s, last);
    second[d] = s + 1 < 0 ? 0 : Math.min(s + 1, last);
  }
  return { first, second, w0, w1 };
}

/** Taps depend only on the sizes, and a data set's frames mostly share them: a small cache per axis rule. */
function tapCache(clampFraction: boolean): (inSize: number, outSize: number) => LinearTaps {
  const cache = new Map<number, LinearTaps>();
  return (inSize, outSize) => {
    const key = inSize * 65536 + outSize;
    let taps = cache.get(key);
    if (!taps) {
      if (cache.size > 64) cache.clear();
      taps = linearTapsLikeOpenCV(inSize, outSize, clampFraction);
      cache.set(key, taps);
    }
    return taps;
  };
}

/** The column taps (fraction clamped at the borders) for inSize → outSize, cached. */
export const columnTaps = tapCache(true);
/** The row taps (fraction kept, indices clamped) for inSize → outSize, cached. */
export const rowTaps = tapCache(false);

/**
 * The source rows that output rows [top, top + height) read, each given a slot (its place in the horizontal pass's
 * buffer) in the order first needed; `slots[r − yFirst]` is −1 for a row nothing reads (a down-scale skips rows).
 */
export function sourceRowSlots(
  rows: LinearTaps,
  top: number,
  height: number,
): { yFirst: number; slots: Int32Array; used: number } {
  const yFirst = rows.first[top];
  const slots = new Int32Array(rows.second[top + height - 1] - yFirst + 1).fill(-1);
  let used = 0;
  for (let dy = top; dy < top + height; dy++) {
    if (slots[rows.first[dy] - yFirst] < 0) slots[rows.first[dy] - yFirst] = used++;
    if (slots[rows.second[dy] - yFirst] < 0) slots[rows.second[dy] - yFirst] = used++;
  }
  return { yFirst, slots, used };
}

const isSize = (n: number) => Number.isInteger(n) && n > 0 && n < 65536;

export interface ResizeLikeOpenCVOptions {
  /** Only this part of the output (bit-identical to the same region of the whole); default the whole output. */
  readonly window?: ResizeWindow;
  /** Keep the first N channels of each pixel (3 for RGB out of decoded RGBA); default all `channels`. */
  readonly outputChannels?: number;
}

/**
 * `cv2.resize(src, (dstWidth, dstHeight), interpolation=cv2.INTER_LINEAR)` of interleaved 8-bit pixels (`channels`
 * bytes each, every channel treated alike, as OpenCV does). Returns window.width × window.height pixels of
 * `outputChannels` bytes.
 */
export function resizeLinearLikeOpenCV(
  src: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  channels: number,
  dstWidth: number,
  dstHeight: number,
  options: ResizeLikeOpenCVOptions = {},
): Uint8Array {
  const window = options.window ?? { left: 0, top: 0, width: dstWidth, height: dstHeight };
  const outCn = options.outputChannels ?? channels;
  checkResizeArguments(src, width, height, channels, dstWidth, dstHeight, window, outCn);
  // An unchanged size is a copy in OpenCV (the formulas below would give the same bytes, slower).
  if (width === dstWidth && height === dstHeight) return copyWindow(src, width, channels, window, outCn);
  const cols = columnTaps(width, dstWidth);
  const rows = rowTaps(height, dstHeight);
  const { left, top, width: winW, height: winH } = window;

  // Horizontal pass over only the source rows the window's rows read (a down-scale skips rows), only the window's
  // columns; each value is stored already shifted right by 4 (the vertical pass's first step), which fits in int16:
  // ≤ (255·2049) >> 4 = 32655.
  const { yFirst, slots, used } = sourceRowSlots(rows, top, winH);
  const rowLen = winW * outCn;
  const tmp = new Int16Array(used * rowLen);
  const x0 = new Int32Array(winW);
  const x1 = new Int32Array(winW);
  for (let i = 0; i < winW; i++) {
    x0[i] = cols.first[left + i] * channels;
    x1[i] = cols.second[left + i] * channels;
  }
  const a0 = cols.w0.subarray(left, left + winW);
  const a1 = cols.w1.subarray(left, left + winW);
  const srcStride = width * channels;
  for (let r = 0; r < slots.length; r++) {
    if (slots[r] < 0) continue;
    const base = (yFirst + r) * srcStride;
    let o = slots[r] * rowLen;
    if (outCn === 3) {
      for (let i = 0; i < winW; i++) {
        const p = base + x0[i];
        const q = base + x1[i];
        const k0 = a0[i];
        const k1 = a1[i];
        tmp[o] = (src[p] * k0 + src[q] * k1) >> 4;
        tmp[o + 1] = (src[p + 1] * k0 + src[q + 1] * k1) >> 4;
        tmp[o + 2] = (src[p + 2] * k0 + src[q + 2] * k1) >> 4;
        o += 3;
      }
    } else {
      for (let i = 0; i < winW; i++) {
        const p = base + x0[i];
        const q = base + x1[i];
        const k0 = a0[i];
        const k1 = a1[i];
        for (let c = 0; c < outCn; c++) tmp[o++] = (src[p + c] * k0 + src[q + c] * k1) >> 4;
      }
    }
  }

  // Vertical pass: each product < 2^31 and the sum ≤ 1022 before the final shift, so no clamping is needed. Row views
  // (subarray) make V8's loop ~2× faster than offsets into the whole buffers.
  const out = new Uint8Array(winH * rowLen);
  for (let wy = 0; wy < winH; wy++) {
    const dy = top + wy;
    const r0 = slots[rows.first[dy] - yFirst] * rowLen;
    const r1 = slots[rows.second[dy] - yFirst] * rowLen;
    const t0 = tmp.subarray(r0, r0 + rowLen);
    const t1 = tmp.subarray(r1, r1 + rowLen);
    const d = out.subarray(wy * rowLen, (wy + 1) * rowLen);
    const b0 = rows.w0[dy];
    const b1 = rows.w1[dy];
    for (let i = 0; i < rowLen; i++) d[i] = (((b0 * t0[i]) >> 16) + ((b1 * t1[i]) >> 16) + 2) >> 2;
  }
  return out;
}

function copyWindow(
  src: Uint8Array | Uint8ClampedArray,
  width: number,
  channels: number,
  window: ResizeWindow,
  outCn: number,
): Uint8Array {
  const out = new Uint8Array(window.width * window.height * outCn);
  let o = 0;
  for (let y = window.top; y < window.top + window.height; y++) {
    const row = (y * width + window.left) * channels;
    if (outCn === channels) {
      out.set(src.subarray(row, row + window.width * channels), o);
      o += window.width * channels;
    } else if (outCn === 3) {
      for (let p = row, end = row + window.width * channels; p < end; p += channels, o += 3) {
        out[o] = src[p];
        out[o + 1] = src[p + 1];
        out[o + 2] = src[p + 2];
      }
    } else {
      for (let p = row, end = row + window.width * channels; p < end; p += channels)
        for (let c = 0; c < outCn; c++) out[o++] = src[p + c];
    }
  }
  return out;
}

/** Throws E_RESIZE_ARGUMENTS (a caller's bug) naming what does not fit. */
export function checkResizeArguments(
  src: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  dstWidth: number,
  dstHeight: number,
  window: ResizeWindow,
  outCn: number,
): void {
  const fail = (what: string) => {
    throw new TsmError('bug', 'E_RESIZE_ARGUMENTS', `OpenCV-exact resize: ${what}`, {
      details: { width, height, channels, dstWidth, dstHeight, window, outputChannels: outCn },
    });
  };
  if (!isSize(width) || !isSize(height)) fail(`source size ${width}×${height} is not two integers in 1…65535`);
  if (!isSize(dstWidth) || !isSize(dstHeight))
    fail(`output size ${dstWidth}×${dstHeight} is not two integers in 1…65535`);
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) fail(`channels ${channels} is not 1, 2, 3 or 4`);
  if (!Number.isInteger(outCn) || outCn < 1 || outCn > channels)
    fail(`outputChannels ${outCn} is not in 1…${channels}`);
  if (src.length < width * height * channels)
    fail(`source holds ${src.length} bytes, expected ${width}×${height}×${channels} = ${width * height * channels}`);
  const { left, top, width: w, height: h } = window;
  if (
    ![left, top, w, h].every(Number.isInteger) ||
    left < 0 ||
    top < 0 ||
    w < 1 ||
    h < 1 ||
    left + w > dstWidth ||
    top + h > dstHeight
  ) {
    fail(`window ${w}×${h} at (${left}, ${top}) is not inside the ${dstWidth}×${dstHeight} output`);
  }
}

/** An output size, and the factor that produced it. */
export interface RescaledSize {
  readonly width: number;
  readonly height: number;
  readonly scaleFactor: number;
}

/**
 * The size MMAction2's `Resize(scale, keep_ratio=True)` resizes a width×height frame to, through `mmcv.rescale_size`:
 * a number scales both sides by it; a pair (long edge, short edge), in either order, gives the largest factor that
 * keeps the long side ≤ the larger and the short side ≤ the smaller number, and −1 for one of them (MMAction2's
 * `(-1, 256)`: short side 256) leaves that side unbounded. Each side becomes `int(side·factor + 0.5)`.
 */
export function rescaleSizeLikeMmcv(
  width: number,
  height: number,
  scale: number | readonly [number, number],
): RescaledSize {
  if (!isSize(width) || !isSize(height)) {
    throw new TsmError(
      'bug',
      'E_RESIZE_ARGUMENTS',
      `rescaleSizeLikeMmcv: frame size ${width}×${height} is not two integers in 1…65535`,
    );
  }
  let factor: number;
  if (typeof scale === 'number') {
    if (!(scale > 0) || !Number.isFinite(scale)) throw badScale(scale, 'a scale factor must be a finite number > 0');
    factor = scale;
  } else {
    const [a, b] = scale;
    const valid = (v: number) => v === -1 || (v > 0 && Number.isFinite(v));
    if (!valid(a) || !valid(b) || (a === -1 && b === -1))
      throw badScale(scale, 'a scale pair holds two numbers > 0, or one of them −1 (that side unbounded)');
    // MMAction2 turns a −1 short edge into an infinite long edge (Resize.__init__), then mmcv takes max and min
    const pair = a === -1 ? [Infinity, b] : b === -1 ? [Infinity, a] : [a, b];
    const longEdge = Math.max(pair[0], pair[1]);
    const shortEdge = Math.min(pair[0], pair[1]);
    factor = Math.min(longEdge / Math.max(height, width), shortEdge / Math.min(height, width));
  }
  const side = (v: number) => Math.trunc(v * factor + 0.5);
  const size = { width: side(width), height: side(height), scaleFactor: factor };
  if (!isSize(size.width) || !isSize(size.height)) {
    throw new TsmError(
      'usage',
      'E_BAD_SCALE',
      `Resize scale ${JSON.stringify(scale)} turns a ${width}×${height} frame into ${size.width}×${size.height}, ` +
        `which is not a size in 1…65535 pixels a side`,
      { details: { scale, width, height, result: [size.width, size.height] } },
    );
  }
  return size;
}

function badScale(scale: unknown, expected: string): TsmError {
  return new TsmError('usage', 'E_BAD_SCALE', `Resize scale ${JSON.stringify(scale)} is not valid: ${expected}`, {
    details: { scale },
  });
}
