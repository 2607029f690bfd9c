/**
 * Globals that pickle data, not code, outside a checkpoint's state dict: numpy scalars, dtypes and arrays (0.x
 * MMAction2 files keep `meta.hook_msgs.best_score` as a numpy float64; mmengine work-dir files keep numpy arrays in
 * their message hub), `_codecs.encode` (how protocol 2 pickles their bytes), `collections.Counter`, and the classes a
 * user names with `--allow-global` (torch's `add_safe_globals`), such as mmengine's `HistoryBuffer`. Each resolves to a
 * function or class written here that records its arguments and state as plain data: nothing a pickle names is
 * imported or run. Facts: numpy/core/multiarray.py (`scalar`, `_reconstruct`), numpy's `dtype.__reduce__` /
 * `ndarray.__reduce__` (state tuples), Lib/copyreg.py (`__newobj__` → the NEWOBJ opcode).
 */

type Fail = (message: string) => never;

/** A numpy value read as data: a scalar becomes a number; an array keeps its shape, dtype and numbers. */
export interface NumpyArray {
  readonly kind: 'numpy-array';
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly values?: readonly number[];
}

/** An object of a class `--allow-global` names: its class and the state BUILD gave it, kept as data. */
export interface AllowedObject {
  readonly kind: 'allowed-object';
  readonly global: string;
  readonly args: readonly unknown[];
  state?: unknown;
}

const NUMPY_DTYPE = Symbol('numpy-dtype');

interface NumpyDType {
  readonly [NUMPY_DTYPE]: true;
  readonly kind: 'numpy-dtype';
  name: string;
  order: '<' | '>' | '|' | '=';
  __setstate__(state: unknown): void;
}

/** numpy dtype codes tsm decodes to numbers (itemsize, DataView getter). */
const DECODERS: Readonly<Record<string, { size: number; read: (v: DataView, at: number, le: boolean) => number }>> = {
  f8: { size: 8, read: (v, at, le) => v.getFloat64(at, le) },
  f4: { size: 4, read: (v, at, le) => v.getFloat32(at, le) },
  i8: { size: 8, read: (v, at, le) => Number(v.getBigInt64(at, le)) },
  i4: { size: 4, read: (v, at, le) => v.getInt32(at, le) },
  i2: { size: 2, read: (v, at, le) => v.getInt16(at, le) },
  i1: { size: 1, read: (v, at) => v.getInt8(at) },
  u8: { size: 8, read: (v, at, le) => Number(v.getBigUint64(at, le)) },
  u4: { size: 4, read: (v, at, le) => v.getUint32(at, le) },
  u1: { size: 1, read: (v, at) => v.getUint8(at) },
  b1: { size: 1, read: (v, at) => v.getUint8(at) },
};

function isDType(v: unknown): v is NumpyDType {
  return typeof v === 'object' && v !== null && NUMPY_DTYPE in v;
}

function decode(dtype: NumpyDType, bytes: Uint8Array, fail: Fail): number[] {
  const decoder = DECODERS[dtype.name];
  if (!decoder) fail(`numpy dtype '${dtype.name}' is not one tsm reads as data (${Object.keys(DECODERS).join(', ')})`);
  if (bytes.length % decoder.size !== 0) fail(`numpy ${dtype.name} data of ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = dtype.order !== '>';
  const out: number[] = [];
  for (let at = 0; at < bytes.length; at += decoder.size) out.push(decoder.read(view, at, le));
  return out;
}

function makeDType(name: unknown, fail: Fail): NumpyDType {
  if (typeof name !== 'string') fail(`numpy.dtype expects a type code, found ${typeof name}`);
  return {
    [NUMPY_DTYPE]: true,
    kind: 'numpy-dtype',
    name: name as string,
    order: '<',
    __setstate__(state: unknown) {
      // (version, byte order, subarray, names, fields, elsize, alignment, flags)
      const order = Array.isArray(state) ? state[1] : undefined;
      if (order === '<' || order === '>' || order === '|' || order === '=') this.order = order;
    },
  };
}

/** An ndarray built by `_reconstruct`; BUILD's state (version, shape, dtype, fortran, data) fills it in. */
class NumpyArrayBuilder {
  kind = 'numpy-array' as const;
  dtype = '';
  shape: readonly number[] = [];
  values?: readonly number[];
  constructor(private readonly fail: Fail) {}
  __setstate__(state: unknown): void {
    if (!Array.isArray(state) || state.length < 5) this.fail('numpy array state is not (version, shape, dtype, …)');
    const [, shape, dtype, , data] = state as unknown[];
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) this.fail('numpy array shape');
    if (!isDType(dtype)) this.fail('numpy array state without a numpy dtype');
    this.shape = Object.freeze([...(shape as number[])]);
    this.dtype = (dtype as NumpyDType).name;
    if (data instanceof Uint8Array) this.values = Object.freeze(decode(dtype as NumpyDType, data, this.fail));
    else if (Array.isArray(data) && data.every((x) => typeof x === 'number')) this.values = Object.freeze([...data]);
    // object arrays (a list of pickled objects) keep only their shape
  }
}

/** The numpy and codec globals, under numpy 1's (`numpy.core`) and numpy 2's (`numpy._core`) module names. */
export function dataGlobals(fail: Fail): Map<string, unknown> {
  const globals = new Map<string, unknown>();
  const scalar = (dtype: unknown, bytes: unknown): number => {
    if (!isDType(dtype)) fail('numpy scalar without a numpy dtype');
    if (!(bytes instanceof Uint8Array)) fail('numpy scalar without its bytes');
    const values = decode(dtype as NumpyDType, bytes as Uint8Array, fail);
    if (values.length !== 1) fail(`numpy scalar of ${values.length} values`);
    return values[0];
  };
  const ndarray = Object.freeze({ kind: 'numpy-ndarray-class' });
  const reconstruct = (cls: unknown) => {
    if (cls !== ndarray) fail('numpy _reconstruct of a class other than numpy.ndarray');
    return new NumpyArrayBuilder(fail);
  };
  for (const core of ['numpy.core', 'numpy._core']) {
    globals.set(`${core}.multiarray.scalar`, scalar);
    globals.set(`${core}.multiarray._reconstruct`, reconstruct);
  }
  globals.set('numpy.dtype', (name: unknown) => makeDType(name, fail));
  globals.set('numpy.ndarray', ndarray);
  globals.set('_codecs.encode', (text: unknown, encoding: unknown) => {
    if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1'))
      fail(`_codecs.encode is read only as protocol 2's latin1 bytes, found encoding ${String(encoding)}`);
    const s = text as string;
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) fail('_codecs.encode latin1 text with a character above U+00FF');
      out[i] = c;
    }
    return out;
  });
  globals.set('collections.Counter', (...args: unknown[]) => {
    if (args.length > 1) fail(`collections.Counter called with ${args.length} arguments`);
    return args[0] instanceof Map ? new Map(args[0]) : new Map();
  });
  return globals;
}

/**
 * A class `--allow-global` names: constructible (NEWOBJ) and callable (REDUCE) only to record its arguments, its
 * BUILD state kept as data. Nothing of the real class runs.
 */
export function allowedClass(global: string): unknown {
  // a plain function: NEWOBJ constructs it and REDUCE calls it, and either way it returns the record
  return function allowedGlobal(...args: unknown[]): AllowedObject & { __setstate__(state: unknown): void } {
    return {
      kind: 'allowed-object',
      global,
      args,
      __setstate__(state: unknown) {
        this.state = state;
      },
    };
  };
}

/** Whether a value came from a data global (numpy, an --allow-global class) rather than a plain container. */
export function dataGlobalOf(v: unknown): string | undefined {
  if (v instanceof NumpyArrayBuilder) return 'numpy.ndarray';
  if (isDType(v)) return 'numpy.dtype';
  if (typeof v === 'object' && v !== null && (v as AllowedObject).kind === 'allowed-object')
    return (v as AllowedObject).global;
  return undefined;
}
