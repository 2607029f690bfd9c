/**
 * The OpenCV-exact INTER_LINEAR resize (resize-cv2.ts) in WebAssembly SIMD (src/wasm/resize-cv2.wat): the same taps
 * and the same integer steps, so the same bytes, faster. This module owns the kernel's memory: inputs are copied in,
 * the result copied out. Where WebAssembly SIMD is missing (or TSM_NO_WASM_KERNELS is set), `openCVResizeKernel()`
 * is undefined and callers use resizeLinearLikeOpenCV.
 */
import { RESIZE_CV2_WASM } from '../wasm/resize-cv2.wasm.js';
import { checkResizeArguments, columnTaps, type ResizeWindow, rowTaps, sourceRowSlots } from './resize-cv2.js';

interface Exports {
  readonly memory: WebAssembly.Memory;
  horizontal(
    src: number,
    srcStride: number,
    rows: number,
    rowIndex: number,
    x0: number,
    x1: number,
    weights: number,
    outW: number,
    dst: number,
  ): void;
  vertical(tmp: number, rowLen: number, r0: number, r1: number, weights: number, outRows: number, dst: number): void;
}

export interface OpenCVResizeKernel {
  /**
   * `cv2.resize(…, INTER_LINEAR)` of width×height pixels of `channels` bytes (3 or 4) to dstWidth×dstHeight, only
   * `window` of it. Returns window.width × window.height pixels of 4 bytes: the channels as resizeLinearLikeOpenCV
   * gives them, then junk for 3-channel input (the layout the frame kernels in src/frames/kernels.ts take).
   */
  resizeWindow(
    src: Uint8Array | Uint8ClampedArray,
    width: number,
    height: number,
    channels: 3 | 4,
    dstWidth: number,
    dstHeight: number,
    window?: ResizeWindow,
  ): Uint8Array;
}

/** Reads may run 30 bytes, writes 15, past a region's end; every region starts 16-byte aligned. */
const SLACK = 32;
const align = (n: number) => (n + SLACK + 15) & ~15;

let loaded: OpenCVResizeKernel | null | undefined;

export function openCVResizeKernel(): OpenCVResizeKernel | undefined {
  if (loaded === undefined) loaded = instantiate();
  return loaded ?? undefined;
}

function instantiate(): OpenCVResizeKernel | null {
  if (process.env.TSM_NO_WASM_KERNELS) return null;
  let exports: Exports;
  try {
    const module = new WebAssembly.Module(Buffer.from(RESIZE_CV2_WASM, 'base64'));
    exports = new WebAssembly.Instance(module).exports as unknown as Exports;
  } catch {
    return null; // no WebAssembly SIMD here: the JavaScript path does the same work
  }
  const memory = exports.memory;
  /** Byte offsets of consecutive regions of the given sizes, the memory grown to hold them. */
  const layout = (...sizes: number[]): number[] => {
    const offsets: number[] = [];
    let end = 0;
    for (const s of sizes) {
      offsets.push(end);
      end += align(s);
    }
    if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
    return offsets;
  };
  return {
    resizeWindow(
      src,
      width,
      height,
      channels,
      dstWidth,
      dstHeight,
      window = { left: 0, top: 0, width: dstWidth, height: dstHeight },
    ) {
      checkResizeArguments(src, width, height, channels, dstWidth, dstHeight, window, channels);
      const { left, top, width: winW, height: winH } = window;
      if (width === dstWidth && height === dstHeight) return copyTo4(src, width, channels, window); // OpenCV copies
      const cols = columnTaps(width, dstWidth);
      const rows = rowTaps(height, dstHeight);
      const { yFirst, slots, used } = sourceRowSlots(rows, top, winH);
      const srcStride = width * channels;
      const srcBytes = slots.length * srcStride;
      const rowLen = winW * 4; // int16 values a row of the horizontal pass = bytes a row of the output
      const [srcAt, rowIndexAt, x0At, x1At, hWeightsAt, tmpAt, r0At, r1At, vWeightsAt, outAt] = layout(
        srcBytes,
        used * 4,
        winW * 4,
        winW * 4,
        winW * 4,
        used * rowLen * 2,
        winH * 4,
        winH * 4,
        winH * 4,
        winH * rowLen,
      );
      const heap = new Uint8Array(memory.buffer);
      const ints = new Int32Array(memory.buffer);
      heap.set(src.subarray(yFirst * srcStride, yFirst * srcStride + srcBytes), srcAt);
      for (let r = 0; r < slots.length; r++) if (slots[r] >= 0) ints[(rowIndexAt >> 2) + slots[r]] = r;
      for (let i = 0; i < winW; i++) {
        ints[(x0At >> 2) + i] = cols.first[left + i] * channels;
        ints[(x1At >> 2) + i] = cols.second[left + i] * channels;
        ints[(hWeightsAt >> 2) + i] = cols.w0[left + i] | (cols.w1[left + i] << 16);
      }
      for (let i = 0; i < winH; i++) {
        const dy = top + i;
        ints[(r0At >> 2) + i] = slots[rows.first[dy] - yFirst] * rowLen * 2;
        ints[(r1At >> 2) + i] = slots[rows.second[dy] - yFirst] * rowLen * 2;
        ints[(vWeightsAt >> 2) + i] = rows.w0[dy] | (rows.w1[dy] << 16);
      }
      exports.horizontal(srcAt, srcStride, used, rowIndexAt, x0At, x1At, hWeightsAt, winW, tmpAt);
      exports.vertical(tmpAt, rowLen, r0At, r1At, vWeightsAt, winH, outAt);
      return new Uint8Array(memory.buffer).slice(outAt, outAt + winH * rowLen);
    },
  };
}

/** The window of an unchanged size as 4-byte pixels. */
function copyTo4(
  src: Uint8Array | Uint8ClampedArray,
  width: number,
  channels: 3 | 4,
  window: ResizeWindow,
): Uint8Array {
  const out = new Uint8Array(window.width * window.height * 4);
  for (let y = 0, o = 0; y < window.height; y++) {
    const row = ((window.top + y) * width + window.left) * channels;
    if (channels === 4) {
      out.set(src.subarray(row, row + window.width * 4), o);
      o += window.width * 4;
    } else {
      for (let p = row, end = row + window.width * 3; p < end; p += 3, o += 4) {
        out[o] = src[p];
        out[o + 1] = src[p + 1];
        out[o + 2] = src[p + 2];
      }
    }
  }
  return out;
}
