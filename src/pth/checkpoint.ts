/**
 * The Checkpoint every format reader produces, and the assembly both torch.save formats share: an unpickled
 * top-level value and a way to resolve storages → state dict, metadata and the entries left over.
 */
import { TsmError } from '../errors.js';
import { dataGlobalOf } from './data-globals.js';
import { DTYPES, type DType } from './dtypes.js';
import { type Storage, type Tensor, viewExtent } from './tensor.js';
import type { StorageRef, TensorRef } from './unpickle.js';

export type CheckpointFormat = 'zip' | 'legacy' | 'tar' | 'safetensors';
export type Scalar = number | string | boolean | null;
export type MetadataValue = Scalar | Scalar[];

export interface Checkpoint {
  readonly file: string;
  readonly format: CheckpointFormat;
  readonly protocol?: number;
  readonly sysInfo?: Record<string, MetadataValue>;
  readonly byteOrder: 'little' | 'big';
  /** Scalars beside the weights (`epoch`, `arch`, `best_prec1`, …). */
  readonly metadata: Record<string, MetadataValue>;
  /** Where the weights were found: `state_dict`, `model`, `net`, or '' for a bare state dict. */
  readonly stateDictKey: string;
  /**
   * Weights by name as the file stores them, in file order. Prefixes such as DataParallel's `module.` are kept:
   * what a name means is the key layout's business (src/arch/layouts).
   */
  readonly stateDict: ReadonlyMap<string, Tensor>;
  /** Top-level entries that are neither weights nor scalars (e.g. `optimizer`), named so nothing is silently dropped.
   * */
  readonly otherEntries: readonly string[];
  /** The scalars of a top-level `meta` dict (mmengine/mmcv: `cfg`, `config`, `mmaction_version`, …), if any. */
  readonly meta?: Record<string, MetadataValue>;
}

const WEIGHT_KEYS = ['state_dict', 'model', 'net', 'model_state_dict'] as const;

/** Resolves a pickle's storage reference to its bytes (native byte order), as the format stores them. */
export type StorageResolver = (ref: StorageRef) => Storage;

export interface AssembleInput {
  file: string;
  format: CheckpointFormat;
  protocol?: number;
  byteOrder: 'little' | 'big';
  sysInfo?: Record<string, MetadataValue>;
  value: unknown;
  resolveStorage: StorageResolver;
}

export function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === 'object' && v !== null && (v as TensorRef).kind === 'tensor-ref';
}

function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
}

/** The string-keyed scalars (and lists of scalars) of a pickled dict, a bigint as a number. */
export function scalarsOf(map: Map<unknown, unknown>): Record<string, MetadataValue> {
  const out: Record<string, MetadataValue> = {};
  for (const [k, v] of map) {
    if (typeof k !== 'string') continue;
    if (isScalar(v)) out[k] = v;
    else if (Array.isArray(v) && v.every(isScalar)) out[k] = v as Scalar[];
    else if (typeof v === 'bigint') out[k] = Number(v);
  }
  return out;
}

function isStateDict(v: unknown): v is Map<string, unknown> {
  if (!(v instanceof Map) || v.size === 0) return false;
  let tensors = 0;
  for (const [k, x] of v) {
    if (typeof k !== 'string') return false;
    if (isTensorRef(x)) tensors++;
  }
  return tensors > 0 && tensors >= v.size / 2;
}

/** The unpickled value → Checkpoint: finds the state dict (bare or under a known key), its metadata and leftovers. */
export function assembleCheckpoint(input: AssembleInput): Checkpoint {
  const { file, value } = input;
  if (!(value instanceof Map)) {
    throw new TsmError(
      'unsupported',
      'E_NO_STATE_DICT',
      `${file}: the checkpoint holds a ${Array.isArray(value) ? 'list' : typeof value}, not a dict of weights`,
      { details: { file } },
    );
  }
  const { weights, stateDictKey } = findWeights(value, file);
  const stateDict = new Map<string, Tensor>();
  for (const [name, v] of weights) {
    if (isTensorRef(v)) stateDict.set(name, toTensor(v, name, file, input.resolveStorage));
    else refuseDataInWeights(file, name, v);
  }
  const metaEntry = stateDictKey ? value.get('meta') : undefined;
  const metadata = stateDictKey ? scalarsOf(value) : {};
  const otherEntries: string[] = [];
  if (stateDictKey) {
    for (const [k, v] of value) {
      if (k === stateDictKey || (typeof k === 'string' && k in metadata)) continue;
      if (isTensorRef(v) && v.shape.length === 0 && typeof k === 'string') {
        const t = toTensor(v, k, file, input.resolveStorage);
        metadata[k] = readScalarTensor(t);
        continue;
      }
      otherEntries.push(String(k));
    }
  }
  return {
    file,
    format: input.format,
    protocol: input.protocol,
    sysInfo: input.sysInfo,
    byteOrder: input.byteOrder,
    metadata,
    stateDictKey,
    stateDict,
    otherEntries,
    ...(metaEntry instanceof Map ? { meta: scalarsOf(metaEntry) } : {}),
  };
}

/** numpy data and --allow-global objects are read only beside the weights: in the state dict they are refused. */
function refuseDataInWeights(file: string, name: string, v: unknown): void {
  const global = dataGlobalOf(v);
  if (!global) return;
  throw new TsmError(
    'unsafe',
    'E_UNSAFE_GLOBAL',
    `${file}: the state dict entry '${name}' is a ${global} object; tsm reads numpy and --allow-global data only ` +
      'outside the weights',
    { details: { file, key: name, global } },
  );
}

/** The top-level dict itself when it is a state dict, else the first of WEIGHT_KEYS that holds one. */
function findWeights(
  value: Map<unknown, unknown>,
  file: string,
): { weights: Map<string, unknown>; stateDictKey: string } {
  if (isStateDict(value)) return { weights: value as Map<string, unknown>, stateDictKey: '' };
  for (const key of WEIGHT_KEYS) {
    const candidate = value.get(key);
    if (isStateDict(candidate)) return { weights: candidate, stateDictKey: key };
  }
  throw new TsmError(
    'unsupported',
    'E_NO_STATE_DICT',
    `${file}: no state dict found at the top level or under ${WEIGHT_KEYS.map((k) => `'${k}'`).join(', ')}; ` +
      `top-level keys: ${[...value.keys()].map(String).join(', ')}`,
    {
      details: { file, keys: [...value.keys()].map(String) },
    },
  );
}

function toTensor(ref: TensorRef, name: string, file: string, resolve: StorageResolver): Tensor {
  const storage = resolve(ref.storage);
  const itemSize = DTYPES[ref.dtype].itemSize;
  const available = Math.floor(storage.bytes.length / itemSize);
  const extent = viewExtent(ref.shape, ref.strides, ref.offset);
  if (extent > available) {
    throw new TsmError(
      'input',
      'E_CORRUPT',
      `${file}: tensor '${name}' (shape [${ref.shape.join(', ')}], offset ${ref.offset}) reaches element ${extent} ` +
        `of storage '${storage.key}', which has ${available}`,
      {
        details: { file, key: name, expected: extent, found: available },
      },
    );
  }
  const typed: Storage = ref.dtype === storage.dtype ? storage : { ...storage, dtype: ref.dtype, numel: available };
  return { dtype: ref.dtype as DType, shape: ref.shape, strides: ref.strides, offset: ref.offset, storage: typed };
}

function readScalarTensor(t: Tensor): number {
  const size = DTYPES[t.dtype].itemSize;
  const b = t.storage.bytes.subarray(t.offset * size, t.offset * size + size);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (t.dtype) {
    case 'float32':
      return v.getFloat32(0, true);
    case 'float64':
      return v.getFloat64(0, true);
    case 'int64':
      return Number(v.getBigInt64(0, true));
    case 'int32':
      return v.getInt32(0, true);
    default:
      return NaN;
  }
}
