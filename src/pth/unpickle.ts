/**
 * A restricted unpickler for torch checkpoints on top of pickleparser.
 *
 * Nothing a pickle names is ever executed: every GLOBAL resolves to a function written here, from an allowlist
 * (the names `torch.load(weights_only=True)` accepts for plain weights); any other name is refused with its
 * `module.name` and the byte offset of the opcode. Opcodes that build arbitrary objects (INST, OBJ, NEWOBJ, EXT…)
 * are refused before pickleparser acts on them.
 */
import pickleparser from 'pickleparser';
import { TsmError } from '../errors.js';
import { STORAGE_CLASSES, TORCH_DTYPE_NAMES, type DType } from './dtypes.js';

const { Parser, BufferReader } = pickleparser;

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

export interface UnpickleResult {
  readonly value: unknown;
  readonly protocol: number | undefined;
  readonly start: number;
  readonly end: number;
}

/** pickle opcodes (Lib/pickle.py) tsm lets through; the table is the whole policy. */
const ALLOWED_OPCODES: ReadonlyMap<number, string> = new Map([
  [0x80, 'PROTO'],
  [0x2e, 'STOP'],
  [0x95, 'FRAME'],
  [0x28, 'MARK'],
  [0x30, 'POP'],
  [0x31, 'POP_MARK'],
  [0x32, 'DUP'],
  [0x70, 'PUT'],
  [0x71, 'BINPUT'],
  [0x72, 'LONG_BINPUT'],
  [0x94, 'MEMOIZE'],
  [0x67, 'GET'],
  [0x68, 'BINGET'],
  [0x6a, 'LONG_BINGET'],
  [0x4e, 'NONE'],
  [0x88, 'NEWTRUE'],
  [0x89, 'NEWFALSE'],
  [0x49, 'INT'],
  [0x4c, 'LONG'],
  [0x46, 'FLOAT'],
  [0x56, 'UNICODE'],
  [0x4a, 'BININT'],
  [0x4b, 'BININT1'],
  [0x4d, 'BININT2'],
  [0x8a, 'LONG1'],
  [0x47, 'BINFLOAT'],
  [0x42, 'BINBYTES'],
  [0x43, 'SHORT_BINBYTES'],
  [0x54, 'BINSTRING'],
  [0x55, 'SHORT_BINSTRING'],
  [0x58, 'BINUNICODE'],
  [0x8c, 'SHORT_BINUNICODE'],
  [0x29, 'EMPTY_TUPLE'],
  [0x74, 'TUPLE'],
  [0x85, 'TUPLE1'],
  [0x86, 'TUPLE2'],
  [0x87, 'TUPLE3'],
  [0x5d, 'EMPTY_LIST'],
  [0x6c, 'LIST'],
  [0x61, 'APPEND'],
  [0x65, 'APPENDS'],
  [0x7d, 'EMPTY_DICT'],
  [0x73, 'SETITEM'],
  [0x75, 'SETITEMS'],
  [0x8f, 'EMPTY_SET'],
  [0x91, 'FROZENSET'],
  [0x90, 'ADDITEMS'],
  [0x63, 'GLOBAL'],
  [0x93, 'STACK_GLOBAL'],
  [0x51, 'BINPERSID'],
  [0x52, 'REDUCE'],
  [0x62, 'BUILD'],
]);

/** Opcodes refused by name (everything else unknown is refused as "unknown opcode"). */
const REFUSED_OPCODES: ReadonlyMap<number, string> = new Map([
  [0x69, 'INST'],
  [0x6f, 'OBJ'],
  [0x81, 'NEWOBJ'],
  [0x92, 'NEWOBJ_EX'],
  [0x82, 'EXT1'],
  [0x83, 'EXT2'],
  [0x84, 'EXT4'],
  [0x50, 'PERSID'],
  [0x64, 'DICT'],
  [0x8b, 'LONG4'],
  [0x8e, 'BINBYTES8'],
  [0x8d, 'BINUNICODE8'],
  [0x96, 'BYTEARRAY8'],
  [0x97, 'NEXT_BUFFER'],
  [0x98, 'READONLY_BUFFER'],
  [0x53, 'STRING'],
]);

/** A BufferReader that knows where each opcode starts, so errors can name an offset and opcodes can be vetted. */
class VettingReader extends BufferReader {
  opcodeOffset = 0;
  opcode = -1;
  private atOpcode = false;
  constructor(
    buffer: Uint8Array,
    readonly source: string,
  ) {
    super(buffer);
  }
  override hasNext(): boolean {
    // NOTE: pickleparser 0.2.1 calls hasNext() right before reading each opcode; that is our hook.
    this.atOpcode = true;
    return super.hasNext();
  }
  override byte(): number {
    if (!this.atOpcode) return super.byte();
    this.atOpcode = false;
    this.opcodeOffset = this.position;
    const op = super.byte();
    this.opcode = op;
    if (!ALLOWED_OPCODES.has(op)) {
      const name = REFUSED_OPCODES.get(op);
      throw new TsmError(
        'unsafe',
        name ? 'E_UNSAFE_OPCODE' : 'E_BAD_OPCODE',
        name
          ? `${this.source}: pickle opcode ${name} at byte ${this.opcodeOffset} is not allowed in a checkpoint`
          : `${this.source}: unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${this.opcodeOffset}`,
        { details: { file: this.source, offset: this.opcodeOffset, opcode: name ?? op } },
      );
    }
    return op;
  }
  seek(position: number): void {
    this.skip(position - this.position);
  }
}

function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function intList(v: unknown, what: string, fail: (msg: string) => never): number[] {
  if (!Array.isArray(v) || !v.every(isNonNegativeInt))
    fail(`${what} must be a tuple of non-negative integers, found ${describe(v)}`);
  return v as number[];
}

function describe(v: unknown): string {
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

export interface UnpickleOptions {
  /** file name used in error messages */
  source: string;
  /** start offset of the pickle inside `bytes` */
  start?: number;
}

/** Builds the allowlist. A fresh instance per file so that storage refs are cached per file. */
function makeResolvers(reader: VettingReader) {
  const fail = (message: string, code = 'E_CORRUPT'): never => {
    throw new TsmError('input', code, `${reader.source}: ${message} (pickle opcode at byte ${reader.opcodeOffset})`, {
      details: { file: reader.source, offset: reader.opcodeOffset },
    });
  };
  const storages = new Map<string, StorageRef>();

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

  const nameResolver = {
    resolve(module: string, name: string) {
      const qualified = `${module}.${name}`;
      const found = globals.get(qualified);
      if (found === undefined) {
        throw new TsmError(
          'unsafe',
          'E_UNSAFE_GLOBAL',
          `${reader.source}: refused global '${qualified}' at byte ${reader.opcodeOffset}: not on the checkpoint allowlist`,
          {
            hint: 'tsm only loads tensors and plain containers; this file asks Python to import and call other code',
            details: { file: reader.source, offset: reader.opcodeOffset, global: qualified },
          },
        );
      }
      return found as (...a: unknown[]) => unknown;
    },
  };

  const persistentResolver = {
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
  return { nameResolver, persistentResolver, fail };
}

/** A reader over one buffer that can parse several consecutive pickles (the legacy format's stream). */
export class PickleStream {
  private readonly reader: VettingReader;
  private readonly parser: InstanceType<typeof Parser>;
  private protocol: number | undefined;

  constructor(
    readonly bytes: Uint8Array,
    readonly source: string,
    start = 0,
  ) {
    this.reader = new VettingReader(bytes, source);
    if (start) this.reader.seek(start);
    const { nameResolver, persistentResolver } = makeResolvers(this.reader);
    this.parser = new Parser({
      nameResolver,
      persistentResolver,
      unpicklingTypeOfDictionary: 'Map',
      unpicklingTypeOfSet: 'array',
    });
  }

  get position(): number {
    return this.reader.position;
  }

  seek(position: number): void {
    this.reader.seek(position);
  }

  /** Parses the next pickle; maps every failure to a typed error carrying the opcode offset. */
  next(): UnpickleResult {
    const start = this.reader.position;
    if (start >= this.bytes.length) {
      throw new TsmError(
        'input',
        'E_TRUNCATED',
        `${this.source}: truncated: the file ends after ${start} bytes, where another pickle was expected`,
        {
          details: { file: this.source, offset: start },
        },
      );
    }
    if (this.bytes[start] === 0x80) this.protocol = this.bytes[start + 1];
    let value: unknown;
    try {
      value = this.parser.read(this.reader);
    } catch (err) {
      throw this.explain(err);
    }
    if (value === undefined) {
      throw new TsmError(
        'input',
        'E_CORRUPT',
        `${this.source}: pickle at byte ${start} ends (STOP) with nothing on its stack`,
        { details: { file: this.source, offset: this.reader.opcodeOffset } },
      );
    }
    return { value, protocol: this.protocol, start, end: this.reader.position };
  }

  private explain(err: unknown): TsmError {
    if (err instanceof TsmError) return err;
    const message = err instanceof Error ? err.message : String(err);
    const offset = this.reader.opcodeOffset;
    const details = { file: this.source, offset };
    if (/end of file|more bytes|end of line/i.test(message)) {
      // The reader has already moved past the end when it notices; report where the file ends and which opcode
      // wanted more, both offsets inside the file.
      const size = this.reader.length;
      const more = /Expected (\d+) more bytes?/.exec(message)?.[1];
      return new TsmError(
        'input',
        'E_TRUNCATED',
        `${this.source}: truncated: the pickle opcode at byte ${offset} needs ${more ?? 'more'} byte(s) past the end of the data (${size} bytes)`,
        {
          details: { ...details, size, missingBytes: more ? Number(more) : undefined },
          cause: err,
        },
      );
    }
    const op = ALLOWED_OPCODES.get(this.reader.opcode) ?? `0x${this.reader.opcode.toString(16)}`;
    return new TsmError(
      'input',
      'E_CORRUPT',
      `${this.source}: malformed pickle at byte ${offset} (opcode ${op}): ${message}`,
      { details, cause: err },
    );
  }
}

/** Parses one pickle from `bytes` (a zip's data.pkl). */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): UnpickleResult {
  return new PickleStream(bytes, options.source, options.start ?? 0).next();
}
