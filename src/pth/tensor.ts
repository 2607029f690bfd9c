import { TsmError } from '../errors.js';
import { DTYPES, type DType } from './dtypes.js';

/** Raw bytes of one torch storage, always little-endian here (big-endian files are swapped on read). */
export interface Storage {
  readonly key: string;
  readonly dtype: DType;
  readonly numel: number;
  readonly bytes: Uint8Array;
}

/** A tensor as torch describes it: a strided view (in elements) into a storage. */
export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly storage: Storage;
}

export function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= shape[i];
  }
  return strides;
}

export function isContiguous(t: Tensor): boolean {
  const expected = contiguousStrides(t.shape);
  return t.shape.every((d, i) => d <= 1 || t.strides[i] === expected[i]);
}

/** Highest element index + 1 the view touches; 0 for an empty tensor. */
export function viewExtent(shape: readonly number[], strides: readonly number[], offset: number): number {
  if (shape.some((d) => d === 0)) return 0;
  let last = offset;
  for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * strides[i];
  return last + 1;
}

/**
 * The tensor's elements in row-major order as little-endian bytes. Contiguous tensors are a view into the
 * storage (no copy); strided ones are materialised.
 */
export function tensorBytes(t: Tensor): Uint8Array {
  const size = DTYPES[t.dtype].itemSize;
  const n = numelOf(t.shape);
  if (isContiguous(t)) return t.storage.bytes.subarray(t.offset * size, (t.offset + n) * size);
  const out = new Uint8Array(n * size);
  const rank = t.shape.length;
  const index = new Array<number>(rank).fill(0);
  let src = t.offset;
  for (let k = 0; k < n; k++) {
    out.set(t.storage.bytes.subarray(src * size, src * size + size), k * size);
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      src += t.strides[d];
      if (index[d] < t.shape[d]) break;
      src -= t.strides[d] * t.shape[d];
      index[d] = 0;
    }
  }
  return out;
}

/** fp16 bits → number (IEEE 754 binary16). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** float8 e4m3fn bits → number: bias 7, three mantissa bits, no infinities, NaN only at S.1111.111 (OCP FP8). */
export function float8E4M3FnToFloat(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exp = (b >> 3) & 0xf;
  const mant = b & 0x7;
  if (exp === 0xf && mant === 0x7) return NaN;
  if (exp === 0) return sign * (mant / 8) * 2 ** -6;
  return sign * (1 + mant / 8) * 2 ** (exp - 7);
}

/** number → fp16 bits, rounding to nearest even (IEEE 754 binary16; overflow → ±Inf). */
export function floatToHalf(value: number): number {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // underflow to ±0
    mant |= 0x800000; // subnormal: shift in the implicit bit
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // may carry into the exponent: still correct
  return sign | half;
}

/** Float32 values → fp16 bit patterns. */
export function toFloat16Bits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = floatToHalf(values[i]);
  return out;
}

/** Any floating or integer tensor as float32 in row-major order (fp16/bf16 widened exactly). */
export function toFloat32(t: Tensor): Float32Array {
  const bytes = tensorBytes(t);
  const n = numelOf(t.shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  switch (t.dtype) {
    case 'float32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case 'float64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    case 'float16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    case 'bfloat16': {
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u32[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'int64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      return out;
    case 'int32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    case 'int16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    case 'int8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      return out;
    case 'uint8':
    case 'bool':
      for (let i = 0; i < n; i++) out[i] = bytes[i];
      return out;
    case 'uint16':
      for (let i = 0; i < n; i++) out[i] = view.getUint16(i * 2, true);
      return out;
    case 'uint32':
      for (let i = 0; i < n; i++) out[i] = view.getUint32(i * 4, true);
      return out;
    case 'uint64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigUint64(i * 8, true));
      return out;
    case 'float8_e4m3fn':
      for (let i = 0; i < n; i++) out[i] = float8E4M3FnToFloat(bytes[i]);
      return out;
    case 'float8_e5m2':
      // the upper byte of an fp16 (same sign, exponent and bias; two mantissa bits)
      for (let i = 0; i < n; i++) out[i] = halfToFloat(bytes[i] << 8);
      return out;
    default:
      throw new TsmError('unsupported', 'E_DTYPE_UNSUPPORTED', `${t.dtype} values have no float32 form`, {
        details: { dtype: t.dtype },
      });
  }
}

/** Reverses byte order of each item in place (big-endian storages). */
export function swapBytes(bytes: Uint8Array, itemSize: number): void {
  if (itemSize === 1) return;
  for (let i = 0; i + itemSize <= bytes.length; i += itemSize) {
    for (let a = i, b = i + itemSize - 1; a < b; a++, b--) {
      const tmp = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = tmp;
    }
  }
}
