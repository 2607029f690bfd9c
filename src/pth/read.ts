/**
 * bytes → Checkpoint: detects the torch.save format by content and resolves every tensor of the state dict
 * against its storage bytes. Format facts: torch/serialization.py (`_save`, `_legacy_save`).
 */
import { TsmError } from '../errors.js';
import { readInputBytes } from '../io.js';
import { DTYPES, type DType } from './dtypes.js';
import { swapBytes, viewExtent, type Storage, type Tensor } from './tensor.js';
import { PickleStream, unpickle, type StorageRef, type TensorRef } from './unpickle.js';
import {
  DEFAULT_MAX_INFLATED_BYTES,
  looksLikeZip,
  readZipDirectory,
  readZipEntry,
  type InflateBudget,
  type ZipEntry,
} from './zip.js';
import { looksLikeSafetensors, readSafetensors } from './safetensors.js';
import { looksLikeTar, readTarEntries } from './tar.js';

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
  /** Top-level entries that are neither weights nor scalars (e.g. `optimizer`), named so nothing is silently dropped. */
  readonly otherEntries: readonly string[];
}

const LEGACY_MAGIC = Uint8Array.from([0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]); // 0x1950a86a20f9469cfc6c LE
const LEGACY_PROTOCOL_VERSION = 1001;
const WEIGHT_KEYS = ['state_dict', 'model', 'net', 'model_state_dict'] as const;

export interface ReadOptions {
  /** name used in messages; defaults to the path */
  source?: string;
  /** cap on what a zip checkpoint's deflated entries may inflate to, all together (default 4 GiB) */
  maxInflatedBytes?: number;
}

export function readCheckpointFile(path: string, options: ReadOptions = {}): Checkpoint {
  return readCheckpoint(readInputBytes(path, 'checkpoint'), { ...options, source: options.source ?? path });
}

export function detectFormat(bytes: Uint8Array): CheckpointFormat | undefined {
  if (looksLikeZip(bytes)) return 'zip';
  if (
    bytes.length >= 14 &&
    bytes[0] === 0x80 &&
    bytes[2] === 0x8a &&
    bytes[3] === 0x0a &&
    LEGACY_MAGIC.every((b, i) => bytes[4 + i] === b)
  )
    return 'legacy';
  if (looksLikeTar(bytes)) return 'tar';
  if (looksLikeSafetensors(bytes)) return 'safetensors';
  return undefined;
}

export function readCheckpoint(bytes: Uint8Array, options: ReadOptions = {}): Checkpoint {
  const source = options.source ?? '<buffer>';
  const format = detectFormat(bytes);
  switch (format) {
    case 'zip':
      return readZip(bytes, source, options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES);
    case 'legacy':
      return readLegacy(bytes, source);
    case 'tar':
      return readTar(bytes, source);
    case 'safetensors':
      return fromSafetensors(bytes, source);
    default:
      throw new TsmError(
        'input',
        'E_NOT_CHECKPOINT',
        `${source}: not a weights file (neither a torch zip archive, a legacy torch.save stream nor safetensors)`,
        {
          hint: 'expected a file written by torch.save (.pth, .pth.tar, .pt) or safetensors (.safetensors)',
          details: { file: source, head: Buffer.from(bytes.subarray(0, 8)).toString('hex') },
        },
      );
  }
}

/** A safetensors file as a bare state dict, `__metadata__` as the metadata. */
function fromSafetensors(bytes: Uint8Array, source: string): Checkpoint {
  const file = readSafetensors(bytes, source);
  const stateDict = new Map(file.tensors.map(({ name, tensor }) => [name, tensor] as const));
  if (!stateDict.size)
    throw new TsmError('unsupported', 'E_NO_STATE_DICT', `${source}: the safetensors file holds no tensors`, {
      details: { file: source },
    });
  return {
    file: source,
    format: 'safetensors',
    byteOrder: 'little',
    metadata: { ...file.metadata },
    stateDictKey: '',
    stateDict,
    otherEntries: [],
  };
}

function readZip(bytes: Uint8Array, source: string, maxInflated: number): Checkpoint {
  const entries = readZipDirectory(bytes, source);
  const pkl = entries.find((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
  if (!pkl)
    throw new TsmError(
      'input',
      'E_NOT_CHECKPOINT',
      `${source}: zip has no data.pkl record, so it is not a torch checkpoint`,
      { details: { file: source } },
    );
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const budget: InflateBudget = { remaining: maxInflated, limit: maxInflated };
  const entryBytes = (e: ZipEntry): Uint8Array => readZipEntry(bytes, e, source, budget);
  const orderEntry = byName.get(`${prefix}byteorder`);
  const byteOrderText = orderEntry ? new TextDecoder().decode(entryBytes(orderEntry)).trim() : 'little';
  if (byteOrderText !== 'little' && byteOrderText !== 'big') {
    throw new TsmError(
      'input',
      'E_CORRUPT',
      `${source}: byteorder record says '${byteOrderText}', expected 'little' or 'big'`,
      { details: { file: source } },
    );
  }
  const byteOrder = byteOrderText;
  const { value, protocol } = unpickle(entryBytes(pkl), { source: `${source}:${pkl.name}` });
  const storages = new Map<StorageRef, Storage>();
  const resolveStorage = (ref: StorageRef): Storage => {
    let s = storages.get(ref);
    if (s) return s;
    const name = `${prefix}data/${ref.key}`;
    const entry = byName.get(name);
    if (!entry)
      throw new TsmError(
        'input',
        'E_MISSING_STORAGE',
        `${source}: storage '${ref.key}' is referenced but record '${name}' is missing`,
        { details: { file: source, key: ref.key } },
      );
    let data = entryBytes(entry);
    const need = ref.numel * DTYPES[ref.dtype].itemSize;
    if (data.length < need) {
      throw new TsmError(
        'input',
        'E_TRUNCATED',
        `${source}: storage '${ref.key}' declares ${ref.numel} ${ref.dtype} elements (${need} bytes) but its record holds ${data.length}`,
        {
          details: { file: source, key: ref.key, expected: need, found: data.length },
        },
      );
    }
    data = data.subarray(0, need);
    if (byteOrder === 'big') {
      data = Uint8Array.from(data);
      swapBytes(data, DTYPES[ref.dtype].itemSize);
    }
    s = { key: ref.key, dtype: ref.dtype, numel: ref.numel, bytes: data };
    storages.set(ref, s);
    return s;
  };
  return assemble({ file: source, format: 'zip', protocol, byteOrder, value, resolveStorage });
}

function readLegacy(bytes: Uint8Array, source: string): Checkpoint {
  // The magic number's LONG1 holds 10 bytes, more than pickleparser reads: check it here and skip its pickle.
  if (bytes.length < 15)
    throw new TsmError(
      'input',
      'E_TRUNCATED',
      `${source}: truncated: ${bytes.length} bytes, shorter than the legacy format's 15-byte magic number`,
      { details: { file: source, size: bytes.length } },
    );
  if (bytes[14] !== 0x2e)
    throw new TsmError('input', 'E_CORRUPT', `${source}: legacy magic number pickle is malformed`, {
      details: { file: source, offset: 14 },
    });
  const stream = new PickleStream(bytes, source, 15);
  const version = stream.next().value;
  if (version !== LEGACY_PROTOCOL_VERSION) {
    throw new TsmError(
      'unsupported',
      'E_LEGACY_VERSION',
      `${source}: legacy protocol version ${String(version)}, expected ${LEGACY_PROTOCOL_VERSION}`,
      { details: { file: source } },
    );
  }
  const sysInfoRaw = stream.next().value;
  const sysInfo = sysInfoRaw instanceof Map ? scalarsOf(sysInfoRaw) : {};
  const main = stream.next();
  const keysValue = stream.next().value;
  if (!Array.isArray(keysValue) || !keysValue.every((k) => typeof k === 'string')) {
    throw new TsmError('input', 'E_CORRUPT', `${source}: legacy storage key list is not a list of strings`, {
      details: { file: source },
    });
  }
  const refs = collectStorageRefs(main.value);
  const byKey = new Map<string, StorageRef>();
  for (const r of refs) if (!r.view || r.view.rootKey === r.key) byKey.set(r.key, byKey.get(r.key) ?? r);
  const little = sysInfo.little_endian !== false;
  // Storage records follow in key order: int64 element count, then the elements.
  const roots = new Map<string, Storage>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = stream.position;
  for (const key of keysValue as string[]) {
    const ref = byKey.get(key);
    if (!ref)
      throw new TsmError(
        'input',
        'E_CORRUPT',
        `${source}: storage key '${key}' is listed but no tensor uses it, so its element size is unknown`,
        { details: { file: source, offset: p } },
      );
    if (p + 8 > bytes.length) throw truncated(source, key, p, 8, bytes.length - p);
    const count = Number(little ? view.getBigInt64(p, true) : view.getBigInt64(p, false));
    if (count < 0 || count !== ref.numel) {
      throw new TsmError(
        'input',
        'E_CORRUPT',
        `${source}: storage '${key}' at byte ${p} holds ${count} elements but the pickle declared ${ref.numel}`,
        {
          details: { file: source, key, offset: p, expected: ref.numel, found: count },
        },
      );
    }
    const size = DTYPES[ref.dtype].itemSize;
    const need = count * size;
    p += 8;
    if (p + need > bytes.length) throw truncated(source, key, p, need, bytes.length - p);
    let data = bytes.subarray(p, p + need);
    if (!little) {
      data = Uint8Array.from(data);
      swapBytes(data, size);
    }
    roots.set(key, { key, dtype: ref.dtype, numel: count, bytes: data });
    p += need;
  }
  const resolveStorage = (ref: StorageRef): Storage => {
    const root = roots.get(ref.key);
    if (!root)
      throw new TsmError(
        'input',
        'E_MISSING_STORAGE',
        `${source}: storage '${ref.key}' is referenced but not in the file's storage list`,
        { details: { file: source, key: ref.key } },
      );
    if (!ref.view) return root;
    const size = DTYPES[ref.dtype].itemSize;
    if (ref.view.offset + ref.view.numel > root.numel) {
      throw new TsmError(
        'input',
        'E_CORRUPT',
        `${source}: storage view of '${ref.key}' [${ref.view.offset}, +${ref.view.numel}) exceeds its ${root.numel} elements`,
        { details: { file: source, key: ref.key } },
      );
    }
    return {
      ...root,
      numel: ref.view.numel,
      bytes: root.bytes.subarray(ref.view.offset * size, (ref.view.offset + ref.view.numel) * size),
    };
  };
  return assemble({
    file: source,
    format: 'legacy',
    protocol: main.protocol,
    byteOrder: little ? 'little' : 'big',
    sysInfo,
    value: main.value,
    resolveStorage,
  });
}

function readTar(bytes: Uint8Array, source: string): Checkpoint {
  const entries = readTarEntries(bytes, source);
  throw new TsmError(
    'unsupported',
    'E_TAR_FORMAT',
    `${source}: the torch ≤ 0.1 tar format (${entries.map((e) => e.name).join(', ')}) is recognised but not read yet`,
    {
      hint: 'load and re-save it with a newer torch (torch.save) to get the zip format',
      details: { file: source },
    },
  );
}

function truncated(source: string, key: string, offset: number, need: number, have: number): TsmError {
  return new TsmError(
    'input',
    'E_TRUNCATED',
    `${source}: truncated: storage '${key}' needs ${need} bytes from byte ${offset}, but the file ends ${have ? `${have} bytes later` : 'there'}`,
    {
      details: { file: source, key, offset, expected: need, found: have },
    },
  );
}

function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === 'object' && v !== null && (v as TensorRef).kind === 'tensor-ref';
}

function collectStorageRefs(root: unknown): StorageRef[] {
  const out: StorageRef[] = [];
  const stack: unknown[] = [root];
  const seen = new Set<unknown>();
  while (stack.length) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    if (isTensorRef(v)) out.push(v.storage);
    else if (v instanceof Map) for (const x of v.values()) stack.push(x);
    else if (Array.isArray(v)) for (const x of v) stack.push(x);
  }
  return out;
}

function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
}

function scalarsOf(map: Map<unknown, unknown>): Record<string, MetadataValue> {
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

interface AssembleInput {
  file: string;
  format: CheckpointFormat;
  protocol?: number;
  byteOrder: 'little' | 'big';
  sysInfo?: Record<string, MetadataValue>;
  value: unknown;
  resolveStorage: (ref: StorageRef) => Storage;
}

function assemble(input: AssembleInput): Checkpoint {
  const { file, value } = input;
  if (!(value instanceof Map)) {
    throw new TsmError(
      'unsupported',
      'E_NO_STATE_DICT',
      `${file}: the checkpoint holds a ${Array.isArray(value) ? 'list' : typeof value}, not a dict of weights`,
      { details: { file } },
    );
  }
  let stateDictKey = '';
  let weights: Map<string, unknown> | undefined = isStateDict(value) ? (value as Map<string, unknown>) : undefined;
  if (!weights) {
    for (const key of WEIGHT_KEYS) {
      const candidate = value.get(key);
      if (isStateDict(candidate)) {
        weights = candidate;
        stateDictKey = key;
        break;
      }
    }
  }
  if (!weights) {
    throw new TsmError(
      'unsupported',
      'E_NO_STATE_DICT',
      `${file}: no state dict found at the top level or under ${WEIGHT_KEYS.map((k) => `'${k}'`).join(', ')}; top-level keys: ${[...value.keys()].map(String).join(', ')}`,
      {
        details: { file, keys: [...value.keys()].map(String) },
      },
    );
  }
  const stateDict = new Map<string, Tensor>();
  for (const [name, v] of weights)
    if (isTensorRef(v)) stateDict.set(name, toTensor(v, name, file, input.resolveStorage));
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
  };
}

function toTensor(ref: TensorRef, name: string, file: string, resolve: (ref: StorageRef) => Storage): Tensor {
  const storage = resolve(ref.storage);
  const itemSize = DTYPES[ref.dtype].itemSize;
  const available = Math.floor(storage.bytes.length / itemSize);
  const extent = viewExtent(ref.shape, ref.strides, ref.offset);
  if (extent > available) {
    throw new TsmError(
      'input',
      'E_CORRUPT',
      `${file}: tensor '${name}' (shape [${ref.shape.join(', ')}], offset ${ref.offset}) reaches element ${extent} of storage '${storage.key}', which has ${available}`,
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
