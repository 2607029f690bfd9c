/**
 * The globals a checkpoint pickle may name, each resolved to a function written here (never to anything Python would
 * import): the tensor and parameter rebuilders, typed and untyped storages, dtypes, OrderedDict, torch.Size and
 * torch.device, the names `torch.load(weights_only=True)` accepts for plain weights. Persistent ids resolve to storage
 * references, cached per file. Anything else is refused with its `module.name` and the byte offset of the opcode.
 */
import { type ErrorCode, TsmError } from '../errors.js';
import { allowedClass, dataGlobals } from './data-globals.js';
import { type DType, STORAGE_CLASSES, TORCH_DTYPE_NAMES } from './dtypes.js';
import type { VettingReader } from './vetting-reader.js';

type Fail = (message: string, code?: ErrorCode) => never;

/** A storage named by a persistent id; its bytes are located later (zip entry or legacy stream). */
export interface StorageRef {
  readonly kind: 'storage-ref';
  readonly key: string;
  readonly dtype: DType;
  readonly numel: number;
  readonly location: string;
  /** Legacy files: this storage is a window of another one. */
  readonly view?: { readonly rootKey: string; readonly offset: number; readonly numel: number };
}

export interface TensorRef {
  readonly kind: 'tensor-ref';
  readonly storage: StorageRef;
  readonly dtype: DType;
  readonly offset: number;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly requiresGrad: boolean;
  readonly parameter: boolean;
}

function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function intList(v: unknown, what: string, fail: (msg: string) => never): number[] {
  if (!Array.isArray(v) || !v.every(isNonNegativeInt))
    fail(`${what} must be a tuple of non-negative integers, found ${describe(v)}`);
  return v as number[];
}

export function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `tuple(${v.length})`;
  if (v instanceof Map) return 'dict';
  if (typeof v === 'object') return (v as { kind?: string }).kind ?? 'object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

const STORAGE_CLASS = Symbol('storage-class');
const DTYPE_TAG = Symbol('dtype');
interface StorageClassMarker {
  readonly [STORAGE_CLASS]: DType;
  readonly name: string;
}
interface DTypeMarker {
  readonly [DTYPE_TAG]: DType;
}

/** The allowed globals by qualified name. */
function allowedGlobals(fail: Fail): ReadonlyMap<string, unknown> {
  const rebuild = (
    fn: string,
    storage: unknown,
    offset: unknown,
    size: unknown,
    stride: unknown,
    requiresGrad: unknown,
    dtype?: DType,
  ): TensorRef => {
    if (!(storage && (storage as StorageRef).kind === 'storage-ref'))
      fail(`${fn}: argument 0 must be a storage, found ${describe(storage)}`);
    if (!isNonNegativeInt(offset))
      fail(`${fn}: storage offset must be a non-negative integer, found ${describe(offset)}`);
    const shape = intList(size, `${fn}: size`, fail);
    const strides = intList(stride, `${fn}: stride`, fail);
    if (shape.length !== strides.length) fail(`${fn}: size has ${shape.length} dims but stride has ${strides.length}`);
    const s = storage as StorageRef;
    return Object.freeze({
      kind: 'tensor-ref' as const,
      storage: s,
      dtype: dtype ?? s.dtype,
      offset: offset as number,
      shape: Object.freeze(shape),
      strides: Object.freeze(strides),
      requiresGrad: requiresGrad === true,
      parameter: false,
    });
  };

  const asParameter = (data: unknown, requiresGrad: unknown): TensorRef => {
    if (!(data && (data as TensorRef).kind === 'tensor-ref'))
      fail(`_rebuild_parameter: argument 0 must be a tensor, found ${describe(data)}`);
    return Object.freeze({ ...(data as TensorRef), requiresGrad: requiresGrad === true, parameter: true });
  };

  const globals = new Map<string, unknown>([
    [
      'torch._utils._rebuild_tensor',
      (s: unknown, o: unknown, size: unknown, stride: unknown) => rebuild('_rebuild_tensor', s, o, size, stride, false),
    ],
    [
      'torch._utils._rebuild_tensor_v2',
      (s: unknown, o: unknown, size: unknown, stride: unknown, rg: unknown) =>
        rebuild('_rebuild_tensor_v2', s, o, size, stride, rg),
    ],
    [
      'torch._utils._rebuild_tensor_v3',
      (s: unknown, o: unknown, size: unknown, stride: unknown, rg: unknown, _hooks: unknown, dtype: unknown) => {
        const d = (dtype as DTypeMarker | undefined)?.[DTYPE_TAG];
        if (!d) fail(`_rebuild_tensor_v3: argument 6 must be a torch dtype, found ${describe(dtype)}`);
        return rebuild('_rebuild_tensor_v3', s, o, size, stride, rg, d);
      },
    ],
    ['torch._utils._rebuild_parameter', (data: unknown, rg: unknown) => asParameter(data, rg)],
    ['torch._utils._rebuild_parameter_with_state', (data: unknown, rg: unknown) => asParameter(data, rg)],
    [
      'collections.OrderedDict',
      (...args: unknown[]) => {
        if (args.length !== 0)
          fail(`collections.OrderedDict called with ${args.length} arguments; checkpoints pass none`);
        return new Map();
      },
    ],
    ['torch.Size', (dims: unknown) => Object.freeze(intList(dims, 'torch.Size', fail))],
    [
      'torch.device',
      (name: unknown, index?: unknown) => {
        if (typeof name !== 'string') fail(`torch.device expects a string, found ${describe(name)}`);
        return index === undefined ? name : `${name as string}:${String(index)}`;
      },
    ],
  ]);
  for (const [cls, dtype] of Object.entries(STORAGE_CLASSES)) {
    globals.set(`torch.${cls}`, Object.freeze({ [STORAGE_CLASS]: dtype, name: cls }));
  }
  // torch 2.x pickles its newer dtypes (uint16/32/64, float8) as an untyped storage, sized in bytes, whose tensor
  // names its dtype in _rebuild_tensor_v3; both are on torch's own weights_only allowlist.
  globals.set(
    'torch.storage.UntypedStorage',
    Object.freeze({ [STORAGE_CLASS]: 'uint8' as DType, name: 'UntypedStorage' }),
  );
  for (const [name, dtype] of Object.entries(TORCH_DTYPE_NAMES)) {
    globals.set(`torch.${name}`, Object.freeze({ [DTYPE_TAG]: dtype }));
  }
  return globals;
}

/** Storage references for persistent ids, cached per file: the same storage is named once per tensor viewing it. */
function persistentResolver(fail: Fail) {
  const storages = new Map<string, StorageRef>();
  return {
    resolve(pid: unknown) {
      if (!Array.isArray(pid) || pid[0] !== 'storage')
        fail(`persistent id must be a ('storage', …) tuple, found ${describe(pid)}`, 'E_BAD_PERSISTENT_ID');
      const [, cls, key, location, numel, viewMeta] = pid as unknown[];
      const dtype = (cls as StorageClassMarker | undefined)?.[STORAGE_CLASS];
      if (!dtype)
        fail(`persistent id names storage type ${describe(cls)}, not a torch storage class`, 'E_BAD_PERSISTENT_ID');
      if (typeof key !== 'string' || !/^[\w.-]{1,64}$/.test(key))
        fail(`storage key ${describe(key)} is not a plain name`, 'E_BAD_PERSISTENT_ID');
      if (!isNonNegativeInt(numel))
        fail(`storage '${key as string}' declares ${describe(numel)} elements`, 'E_BAD_PERSISTENT_ID');
      let view: StorageRef['view'];
      if (viewMeta !== undefined && viewMeta !== null) {
        const v = viewMeta as unknown[];
        if (!Array.isArray(v) || typeof v[0] !== 'string' || !isNonNegativeInt(v[1]) || !isNonNegativeInt(v[2]))
          fail(`storage '${key as string}' has malformed view metadata`, 'E_BAD_PERSISTENT_ID');
        view = { rootKey: key as string, offset: v[1] as number, numel: v[2] as number };
      }
      const cacheKey = view ? `${key as string}/${view.offset}/${view.numel}` : (key as string);
      const cached = storages.get(cacheKey);
      if (cached) {
        if (cached.dtype !== dtype)
          fail(`storage '${key as string}' is used as both ${cached.dtype} and ${dtype as DType}`);
        return cached;
      }
      const ref: StorageRef = Object.freeze({
        kind: 'storage-ref' as const,
        key: key as string,
        dtype: dtype as DType,
        numel: numel as number,
        location: String(location),
        view,
      });
      storages.set(cacheKey, ref);
      return ref;
    },
  };
}

/** What a pickle may name beyond the checkpoint allowlist. */
export interface PickleOptions {
  /** `module.Name` globals read as data objects outside the state dict (`--allow-global`, torch's add_safe_globals) */
  readonly allowGlobals?: readonly string[];
}

/** Builds the resolvers pickleparser asks. A fresh instance per file so that storage refs are cached per file. */
export function makeResolvers(reader: VettingReader, options: PickleOptions = {}) {
  const fail: Fail = (message, code = 'E_CORRUPT') => {
    throw new TsmError('input', code, `${reader.source}: ${message} (pickle opcode at byte ${reader.opcodeOffset})`, {
      details: { file: reader.source, offset: reader.opcodeOffset },
    });
  };
  const globals = new Map([...allowedGlobals(fail), ...dataGlobals((m) => fail(m))]);
  for (const name of options.allowGlobals ?? []) if (!globals.has(name)) globals.set(name, allowedClass(name));
  const nameResolver = {
    resolve(module: string, name: string) {
      const qualified = `${module}.${name}`;
      const found = globals.get(qualified);
      if (found === undefined) {
        throw new TsmError(
          'unsafe',
          'E_UNSAFE_GLOBAL',
          `${reader.source}: refused global '${qualified}' at byte ${reader.opcodeOffset}: not on ` +
            `the checkpoint allowlist (--allow-global ${qualified} reads it as data outside the weights, if you ` +
            'trust the file)',
          {
            hint:
              'tsm only loads tensors, plain containers and numpy data; this file asks Python to import and call ' +
              "other code. --allow-global is for plain data classes such as mmengine's HistoryBuffer in a work-dir " +
              'checkpoint: what it names is recorded as data, never imported or run',
            details: { file: reader.source, offset: reader.opcodeOffset, global: qualified },
          },
        );
      }
      return found as (...a: unknown[]) => unknown;
    },
  };
  return { nameResolver, persistentResolver: persistentResolver(fail), fail };
}
