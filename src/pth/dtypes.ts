/** Tensor element types found in PyTorch checkpoints, keyed by the names tsm reports. */
export type DType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export interface DTypeInfo {
  readonly name: DType;
  readonly itemSize: number;
  readonly floating: boolean;
}

const info = (name: DType, itemSize: number, floating: boolean): DTypeInfo => Object.freeze({ name, itemSize, floating });

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = Object.freeze({
  float32: info('float32', 4, true),
  float16: info('float16', 2, true),
  bfloat16: info('bfloat16', 2, true),
  float64: info('float64', 8, true),
  int64: info('int64', 8, false),
  int32: info('int32', 4, false),
  int16: info('int16', 2, false),
  int8: info('int8', 1, false),
  uint8: info('uint8', 1, false),
  bool: info('bool', 1, false),
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
});

/** `torch.<dtype>` globals as pickled by `_rebuild_tensor_v3` and typed storages. */
export const TORCH_DTYPE_NAMES: Readonly<Record<string, DType>> = Object.freeze({
  float32: 'float32', float: 'float32', float16: 'float16', half: 'float16', bfloat16: 'bfloat16',
  float64: 'float64', double: 'float64', int64: 'int64', long: 'int64', int32: 'int32', int: 'int32',
  int16: 'int16', short: 'int16', int8: 'int8', uint8: 'uint8', bool: 'bool',
});
