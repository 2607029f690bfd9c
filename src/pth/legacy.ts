/**
 * torch.save's legacy stream (torch < 1.6, or `_use_new_zipfile_serialization=False`; torch/serialization.py
 * `_legacy_save`): five pickles back to back — the magic number, the protocol version, sys info (byte order), the
 * object itself, the list of storage keys — then each storage's record in that key order.
 */
import { TsmError } from '../errors.js';
import {
  assembleCheckpoint,
  type Checkpoint,
  isTensorRef,
  type MetadataValue,
  type StorageResolver,
  scalarsOf,
} from './checkpoint.js';
import { DTYPES } from './dtypes.js';
import { type Storage, swapBytes } from './tensor.js';
import { type PickleOptions, PickleStream, type StorageRef, type UnpickleResult } from './unpickle.js';

// 0x1950a86a20f9469cfc6c, little-endian
const LEGACY_MAGIC = Uint8Array.from([0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]);
const LEGACY_PROTOCOL_VERSION = 1001;

/** PROTO, then LONG1 of 10 bytes holding the legacy magic number. */
export function looksLikeLegacy(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 14 &&
    bytes[0] === 0x80 &&
    bytes[2] === 0x8a &&
    bytes[3] === 0x0a &&
    LEGACY_MAGIC.every((b, i) => bytes[4 + i] === b)
  );
}

export function readLegacyCheckpoint(bytes: Uint8Array, source: string, options: PickleOptions = {}): Checkpoint {
  const { sysInfo, main, keys, recordsAt } = readLegacyPickles(bytes, source, options);
  const little = sysInfo.little_endian !== false;
  const roots = readStorageRecords(bytes, source, keys, rootRefsByKey(main.value), recordsAt, little);
  return assembleCheckpoint({
    file: source,
    format: 'legacy',
    protocol: main.protocol,
    byteOrder: little ? 'little' : 'big',
    sysInfo,
    value: main.value,
    resolveStorage: legacyStorageResolver(source, roots),
  });
}

interface LegacyPickles {
  readonly sysInfo: Record<string, MetadataValue>;
  readonly main: UnpickleResult;
  readonly keys: readonly string[];
  /** where the storage records start: right after the last pickle */
  readonly recordsAt: number;
}

function readLegacyPickles(bytes: Uint8Array, source: string, options: PickleOptions): LegacyPickles {
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
  const stream = new PickleStream(bytes, source, 15, options);
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
  const keys = stream.next().value;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    throw new TsmError('input', 'E_CORRUPT', `${source}: legacy storage key list is not a list of strings`, {
      details: { file: source },
    });
  }
  return { sysInfo, main, keys: keys as string[], recordsAt: stream.position };
}

/** The storage each key names, as a tensor that uses it whole declares it: its element type and count. */
function rootRefsByKey(value: unknown): Map<string, StorageRef> {
  const byKey = new Map<string, StorageRef>();
  for (const r of collectStorageRefs(value))
    if (!r.view || r.view.rootKey === r.key) byKey.set(r.key, byKey.get(r.key) ?? r);
  return byKey;
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

/** Storage records follow in key order: int64 element count, then the elements (swapped to native order). */
function readStorageRecords(
  bytes: Uint8Array,
  source: string,
  keys: readonly string[],
  byKey: ReadonlyMap<string, StorageRef>,
  start: number,
  little: boolean,
): Map<string, Storage> {
  const roots = new Map<string, Storage>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = start;
  for (const key of keys) {
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
  return roots;
}

/** A reference to a root storage, or to a window of one (the legacy pickle's view: root key, offset, count). */
function legacyStorageResolver(source: string, roots: ReadonlyMap<string, Storage>): StorageResolver {
  return (ref) => {
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
        `${source}: storage view of '${ref.key}' [${ref.view.offset}, +${ref.view.numel}) exceeds ` +
          `its ${root.numel} elements`,
        { details: { file: source, key: ref.key } },
      );
    }
    return {
      ...root,
      numel: ref.view.numel,
      bytes: root.bytes.subarray(ref.view.offset * size, (ref.view.offset + ref.view.numel) * size),
    };
  };
}

function truncated(source: string, key: string, offset: number, need: number, have: number): TsmError {
  return new TsmError(
    'input',
    'E_TRUNCATED',
    `${source}: truncated: storage '${key}' needs ${need} bytes from byte ${offset}, ` +
      `but the file ends ${have ? `${have} bytes later` : 'there'}`,
    {
      details: { file: source, key, offset, expected: need, found: have },
    },
  );
}
