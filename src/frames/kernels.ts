/**
 * The WebAssembly SIMD preprocessing kernels (src/wasm/preprocess.wat): the same Pillow-exact resize and torch-exact
 * normalisation as the JavaScript in resample.ts and transforms.ts, bit for bit, 3–5× faster. This module owns the
 * kernels' memory: inputs are copied in, results copied out, so callers keep plain typed arrays. Where WebAssembly
 * SIMD is missing, `preprocessKernels()` is undefined and callers use the JavaScript.
 */
import { PREPROCESS_WASM } from '../wasm/preprocess.wasm.js';
import type { FixedTaps } from './resample.js';
import type { ResizeWindow } from './window.js';

export type { FixedTaps };

interface Exports {
  readonly memory: WebAssembly.Memory;
  horizontal(
    src: number,
    srcStride: number,
    channels: number,
    rows: number,
    starts: number,
    weights: number,
    ksize: number,
    outW: number,
    dst: number,
  ): void;
  vertical(
    src: number,
    rowBytes: number,
    starts: number,
    weights: number,
    ksize: number,
    outRows: number,
    dst: number,
  ): void;
  normalize(
    src: number,
    stride: number,
    size: number,
    flip: number,
    dst: number,
    m0: number,
    m1: number,
    m2: number,
    s0: number,
    s1: number,
    s2: number,
  ): void;
  verticalNormalize(
    src: number,
    starts: number,
    weights: number,
    ksize: number,
    size: number,
    flip: number,
    dst: number,
    table: number,
  ): void;
}

/** Loads may read, and the vertical pass may write, up to 16 bytes past a region's end. */
const SLACK = 16;
const align = (n: number) => (n + SLACK + 15) & ~15;

export interface PreprocessKernels {
  /**
   * Pillow BILINEAR resize of w×h pixels (`channels` bytes each) to outW×outH, only `window` of the output, given the
   * fixed-tap coefficients of both axes. Returns window.width × window.height pixels of 4 bytes (the 4th is junk).
   */
  resizeWindow(
    src: Uint8Array | Uint8ClampedArray,
    w: number,
    channels: 3 | 4,
    horizontal: FixedTaps,
    vertical: FixedTaps,
    window: ResizeWindow,
  ): Uint8Array;
  /**
   * One size×size crop at (left, top) of 4-byte pixels (`width` a row) → three float32 planes at out[offset…], each
   * ((v / 255) − mean) / std in float32; `flip` mirrors it. size must be a multiple of 4.
   */
  normalizeCrop(
    pixels: Uint8Array,
    width: number,
    left: number,
    top: number,
    size: number,
    flip: boolean,
    mean: readonly number[],
    std: readonly number[],
    out: Float32Array,
    offset: number,
  ): void;
  /**
   * resizeWindow then normalizeCrop of the whole window, for a square `window` (size % 4 == 0) that is the one crop:
   * the vertical pass writes floats directly, looked up in `tables`: 3 × 256 normalised values, channel after channel
   * (transforms.ts builds them with torch's float32 steps). Same result as the two calls, bit for bit.
   */
  resizeNormalizeCrop(
    src: Uint8Array | Uint8ClampedArray,
    w: number,
    channels: 3 | 4,
    horizontal: FixedTaps,
    vertical: FixedTaps,
    window: ResizeWindow,
    flip: boolean,
    tables: Float32Array,
    out: Float32Array,
    offset: number,
  ): void;
}

let loaded: PreprocessKernels | null | undefined;

export function preprocessKernels(): PreprocessKernels | undefined {
  if (loaded === undefined) loaded = instantiate();
  return loaded ?? undefined;
}

function instantiate(): PreprocessKernels | null {
  // browser-safe: no `process` or Buffer in a page
  if ((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TSM_NO_WASM_KERNELS)
    return null;
  let exports: Exports;
  try {
    const module = new WebAssembly.Module(Uint8Array.from(atob(PREPROCESS_WASM), (c) => c.charCodeAt(0)));
    exports = new WebAssembly.Instance(module).exports as unknown as Exports;
  } catch {
    return null; // no WebAssembly SIMD here: the JavaScript path does the same work
  }
  return wasmKernels(exports);
}

/** Byte offsets of consecutive regions of the given sizes, the memory grown to hold them. */
function layout(memory: WebAssembly.Memory, ...sizes: number[]): number[] {
  const offsets: number[] = [];
  let end = 0;
  for (const s of sizes) {
    offsets.push(end);
    end += align(s);
  }
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  return offsets;
}

/** Where the horizontal pass left its rows and the vertical taps, and where the vertical pass may write. */
interface HorizontalStage {
  readonly tmpAt: number;
  readonly vStartsAt: number;
  readonly vWeightsAt: number;
  readonly outAt: number;
}

/**
 * Copies in the input rows `window`'s vertical taps read and the window's taps, and runs the horizontal pass over
 * them. Returns where the vertical pass reads (its input and taps) and where it may write `outBytes`.
 */
function horizontalStage(
  exports: Exports,
  src: Uint8Array | Uint8ClampedArray,
  w: number,
  channels: 3 | 4,
  horizontal: FixedTaps,
  vertical: FixedTaps,
  window: ResizeWindow,
  outBytes: number,
): HorizontalStage {
  const { left, top, width: winW, height: winH } = window;
  // the input rows the window's vertical taps read; only those go through the horizontal pass
  const vStarts = vertical.starts.subarray(top, top + winH);
  let yFirst = Infinity;
  let yEnd = 0;
  for (const s of vStarts) {
    yFirst = Math.min(yFirst, s);
    yEnd = Math.max(yEnd, s + vertical.ksize);
  }
  const rows = yEnd - yFirst;
  const srcBytes = rows * w * channels;
  const rowBytes = winW * 4;
  const hTaps = winW * horizontal.ksize;
  const vTaps = winH * vertical.ksize;
  const [srcAt, hStartsAt, hWeightsAt, tmpAt, vStartsAt, vWeightsAt, outAt] = layout(
    exports.memory,
    srcBytes,
    winW * 4,
    hTaps * 4,
    rows * rowBytes,
    winH * 4,
    vTaps * 4,
    outBytes,
  );
  // views made after layout: growing the memory detaches the old buffer
  const heap = new Uint8Array(exports.memory.buffer);
  const ints = new Int32Array(exports.memory.buffer);
  heap.set(src.subarray(yFirst * w * channels, yFirst * w * channels + srcBytes), srcAt);
  ints.set(horizontal.starts.subarray(left, left + winW), hStartsAt >> 2);
  ints.set(horizontal.weights.subarray(left * horizontal.ksize, (left + winW) * horizontal.ksize), hWeightsAt >> 2);
  for (let i = 0; i < winH; i++) ints[(vStartsAt >> 2) + i] = vStarts[i] - yFirst;
  ints.set(vertical.weights.subarray(top * vertical.ksize, (top + winH) * vertical.ksize), vWeightsAt >> 2);
  exports.horizontal(srcAt, w * channels, channels, rows, hStartsAt, hWeightsAt, horizontal.ksize, winW, tmpAt);
  return { tmpAt, vStartsAt, vWeightsAt, outAt };
}

/** The three kernels over one instance: each call lays out its regions from the start of memory. */
function wasmKernels(exports: Exports): PreprocessKernels {
  const memory = exports.memory;
  return {
    resizeWindow(src, w, channels, horizontal, vertical, window) {
      const { width: winW, height: winH } = window;
      const rowBytes = winW * 4;
      const stage = horizontalStage(exports, src, w, channels, horizontal, vertical, window, winH * rowBytes);
      exports.vertical(stage.tmpAt, rowBytes, stage.vStartsAt, stage.vWeightsAt, vertical.ksize, winH, stage.outAt);
      return new Uint8Array(memory.buffer).slice(stage.outAt, stage.outAt + winH * rowBytes);
    },
    resizeNormalizeCrop(src, w, channels, horizontal, vertical, window, flip, tables, out, offset) {
      const size = window.width;
      const planes = 3 * size * size;
      const stage = horizontalStage(exports, src, w, channels, horizontal, vertical, window, planes * 4 + 3 * 1024);
      const tableAt = stage.outAt + planes * 4;
      new Float32Array(memory.buffer, tableAt, 3 * 256).set(tables);
      exports.verticalNormalize(
        stage.tmpAt,
        stage.vStartsAt,
        stage.vWeightsAt,
        vertical.ksize,
        size,
        flip ? 1 : 0,
        stage.outAt,
        tableAt,
      );
      out.set(new Float32Array(memory.buffer, stage.outAt, planes), offset);
    },
    normalizeCrop(pixels, width, left, top, size, flip, mean, std, out, offset) {
      const stride = width * 4;
      const planes = 3 * size * size;
      // only the crop's rows go in
      const first = (top * width + left) * 4;
      const bytes = (size - 1) * stride + size * 4;
      const [srcAt, dstAt] = layout(memory, bytes, planes * 4);
      new Uint8Array(memory.buffer).set(pixels.subarray(first, first + bytes), srcAt);
      const f = Math.fround;
      exports.normalize(
        srcAt,
        stride,
        size,
        flip ? 1 : 0,
        dstAt,
        f(mean[0]),
        f(mean[1]),
        f(mean[2]),
        f(std[0]),
        f(std[1]),
        f(std[2]),
      );
      out.set(new Float32Array(memory.buffer, dstAt, planes), offset);
    },
  };
}
