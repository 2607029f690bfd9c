/**
 * torch.save's zip format (torch ≥ 1.6, torch/serialization.py `_save`): `<prefix>/data.pkl` is the pickle,
 * `<prefix>/data/<key>` one record per storage, `<prefix>/byteorder` the storages' byte order (missing: little).
 */
import { TsmError } from '../errors.js';
import { assembleCheckpoint, type Checkpoint, type StorageResolver } from './checkpoint.js';
import { DTYPES } from './dtypes.js';
import { type Storage, swapBytes } from './tensor.js';
import { type PickleOptions, type StorageRef, unpickle } from './unpickle.js';
import { type InflateBudget, readZipDirectory, readZipEntry, type ZipEntry } from './zip.js';

export function readZipCheckpoint(
  bytes: Uint8Array,
  source: string,
  maxInflated: number,
  options: PickleOptions = {},
): Checkpoint {
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
  const { value, protocol } = unpickle(entryBytes(pkl), { source: `${source}:${pkl.name}`, ...options });
  const record = (ref: StorageRef) => {
    const name = `${prefix}data/${ref.key}`;
    const entry = byName.get(name);
    if (!entry)
      throw new TsmError(
        'input',
        'E_MISSING_STORAGE',
        `${source}: storage '${ref.key}' is referenced but record '${name}' is missing`,
        { details: { file: source, key: ref.key } },
      );
    return entryBytes(entry);
  };
  const resolveStorage = zipStorageResolver(source, byteOrder, record);
  return assembleCheckpoint({ file: source, format: 'zip', protocol, byteOrder, value, resolveStorage });
}

/**
 * Each storage read once (tensors sharing a storage share its bytes), cut to the size the pickle declares and, for a
 * big-endian file, copied and swapped to native order.
 */
function zipStorageResolver(
  source: string,
  byteOrder: 'little' | 'big',
  record: (ref: StorageRef) => Uint8Array,
): StorageResolver {
  const storages = new Map<StorageRef, Storage>();
  return (ref) => {
    let s = storages.get(ref);
    if (s) return s;
    let data = record(ref);
    const need = ref.numel * DTYPES[ref.dtype].itemSize;
    if (data.length < need) {
      throw new TsmError(
        'input',
        'E_TRUNCATED',
        `${source}: storage '${ref.key}' declares ${ref.numel} ${ref.dtype} elements (${need} bytes) but its ` +
          `record holds ${data.length}`,
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
}
