/** Python config values as tsm holds them: plain frozen data, tuples marked (see python-literal.ts). */

export type PyValue = null | boolean | number | string | readonly PyValue[] | PyDict;
export interface PyDict {
  readonly [key: string]: PyValue;
}

export interface PythonConfigOptions {
  /** Names the text in error messages, e.g. `model.pth meta.cfg` (default `config`). */
  readonly source?: string;
  /** Deepest nesting of brackets, unary minus and values built from references (default 100). */
  readonly maxDepth?: number;
  /** Largest value once every reference is written out: one per value plus one per string character (default 16 Mi). */
  readonly maxSize?: number;
  /** Longest text in characters (default 8 Mi). */
  readonly maxLength?: number;
}

export const PYTHON_CONFIG_LIMITS = Object.freeze({
  maxDepth: 100,
  maxSize: 16 * 1024 * 1024,
  maxLength: 8 * 1024 * 1024,
});

const TUPLE_MARK = Symbol.for('tsm.python-tuple');

/** True for an array that was a tuple in the text (`(1, 2)`, `(x,)`, `()`). */
export function isPyTuple(value: unknown): value is readonly PyValue[] {
  return Array.isArray(value) && (value as unknown as Record<symbol, unknown>)[TUPLE_MARK] === true;
}

/** A frozen array marked as a tuple (for building expected values and settings). */
export function pyTuple(items: readonly PyValue[]): readonly PyValue[] {
  const tuple = [...items];
  Object.defineProperty(tuple, TUPLE_MARK, { value: true });
  return Object.freeze(tuple);
}

export function isPyDict(value: unknown): value is PyDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value's kind as an error message names it. */
export function describeValue(value: PyValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'string') return `the string '${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (isPyTuple(value)) return `a tuple of ${value.length}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return 'a dict';
}
