/** Tensor element types found in PyTorch checkpoints, keyed by the names tsm reports. */
export type DType =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'float8_e4m3fn'
  | 'float8_e5m2'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint64'
  | 'uint32'
  | 'uint16'
  | 'uint8'
  | 'bool'
  | 'complex64'
  | 'complex128';

export interface DTypeInfo {
  readonly name: DType;
  readonly itemSize: number;
  readonly floating: boolean;
  /** whether a graph can take its values as float32 (complex numbers cannot be) */
  readonly real: boolean;
}

const info = (name: DType, itemSize: number, floating: boolean, real = true): DTypeInfo =>
  Object.freeze({ name, itemSize, floating, real });

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = Object.freeze({
  float32: info('float32', 4, true),
  float16: info('float16', 2, true),
  bfloat16: info('bfloat16', 2, true),
  float64: info('float64', 8, true),
  float8_e4m3fn: info('float8_e4m3fn', 1, true),
  float8_e5m2: info('float8_e5m2', 1, true),
  int64: info('int64', 8, false),
  int32: info('int32', 4, false),
  int16: info('int16', 2, false),
  int8: info('int8', 1, false),
  uint64: info('uint64', 8, false),
  uint32: info('uint32', 4, false),
  uint16: info('uint16', 2, false),
  uint8: info('uint8', 1, false),
  bool: info('bool', 1, false),
  complex64: info('complex64', 8, false, false),
  complex128: info('complex128', 16, false, false),
});

/** `torch.<Name>Storage` class names (torch/storage.py) → dtype. */
export const STORAGE_CLASSES: Readonly<Record<string, DType>> = Object.freeze({
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
});

/** `torch.<dtype>` globals as pickled by `_rebuild_tensor_v3` and typed storages. */
export const TORCH_DTYPE_NAMES: Readonly<Record<string, DType>> = Object.freeze({
  float32: 'float32',
  float: 'float32',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  float64: 'float64',
  double: 'float64',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
  uint16: 'uint16',
  uint32: 'uint32',
  uint64: 'uint64',
  float8_e4m3fn: 'float8_e4m3fn',
  float8_e5m2: 'float8_e5m2',
  complex64: 'complex64',
  cfloat: 'complex64',
  complex128: 'complex128',
  cdouble: 'complex128',
});

/**
 * safetensors dtype names (the format's spec) → dtype. Names tsm cannot represent (F8_E8M0, F4, …) are absent and
 * refused as unsupported by name.
 */
export const SAFETENSORS_DTYPES: Readonly<Record<string, DType>> = Object.freeze({
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F8_E4M3: 'float8_e4m3fn',
  F8_E5M2: 'float8_e5m2',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U64: 'uint64',
  U32: 'uint32',
  U16: 'uint16',
  U8: 'uint8',
  BOOL: 'bool',
  C64: 'complex64',
});
