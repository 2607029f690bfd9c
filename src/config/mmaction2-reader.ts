/** Typed reads from a config's data: each value checked against the kind expected, named by its dotted path. */
import { TsmError } from '../errors.js';
import type { ConfigWarning, Sourced } from './mmaction2-types.js';
import { describeValue, isPyDict, type PyDict, type PyValue } from './python-literal.js';

export interface Kind<T> {
  readonly expected: string;
  accept(value: PyValue): T | undefined;
}

export const POSITIVE_INT: Kind<number> = {
  expected: 'an integer ≥ 1',
  accept: (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : undefined),
};
export const NONNEGATIVE_INT: Kind<number> = {
  expected: 'an integer ≥ 0',
  accept: (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined),
};
export const NUMBER: Kind<number> = { expected: 'a number', accept: (v) => (typeof v === 'number' ? v : undefined) };
export const STRING: Kind<string> = { expected: 'a string', accept: (v) => (typeof v === 'string' ? v : undefined) };
export const STRING_OR_NONE: Kind<string | null> = {
  expected: 'a string or None',
  accept: (v) => (typeof v === 'string' || v === null ? v : undefined),
};
/** Python's truth of a flag: True/False, or the ints 0/1 some configs write */
export const FLAG: Kind<boolean> = {
  expected: 'True or False',
  accept: (v) => (typeof v === 'boolean' ? v : v === 0 || v === 1 ? v === 1 : undefined),
};
export const NUMBERS: Kind<readonly number[]> = {
  expected: 'a list of numbers',
  accept: (v) =>
    Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number') ? (v as readonly number[]) : undefined,
};
/** crop_size / scale: an int for a square, or (w, h) */
export const PAIR: Kind<readonly [number, number]> = {
  expected: 'an integer or a pair (w, h)',
  accept: (v) => {
    if (typeof v === 'number' && Number.isInteger(v)) return [v, v];
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number'))
      return [v[0] as number, v[1] as number];
    return undefined;
  },
};
export const NON_LOCAL: Kind<readonly (readonly (0 | 1)[])[]> = {
  expected: 'one sequence of 0/1 a stage',
  accept: (v) => {
    if (
      !Array.isArray(v) ||
      !v.every((stage) => Array.isArray(stage) && stage.every((x) => x === 0 || x === 1 || typeof x === 'boolean'))
    )
      return undefined;
    return v.map((stage) => (stage as readonly PyValue[]).map((x) => (x === 1 || x === true ? 1 : 0)));
  },
};

export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

export class SettingsReader {
  readonly warnings: ConfigWarning[] = [];

  constructor(readonly source: string) {}

  error(path: string, expected: string, found: PyValue | undefined): never {
    throw new TsmError(
      'input',
      'E_CONFIG_SETTING',
      `${this.source}: ${path} should be ${expected}, found ${describeValue(found)}`,
      {
        details: { source: this.source, path, expected, found: describeValue(found) },
      },
    );
  }

  warn(code: ConfigWarning['code'], path: string, message: string): void {
    this.warnings.push({ code, path, message: `${path}: ${message}` });
  }

  /** The dict at a path below `root` (itself at `at`), or undefined where it is absent or None (`train_cfg=None`). */
  dict(root: PyDict, path: string, at = ''): PyDict | undefined {
    let value: PyValue | undefined = root;
    for (const key of path.split('.')) {
      if (!isPyDict(value)) return undefined;
      value = Object.hasOwn(value, key) ? value[key] : undefined;
    }
    if (value === undefined || value === null) return undefined;
    if (!isPyDict(value)) this.error(childPath(at, path), 'a dict', value);
    return value;
  }

  read<T>(dict: PyDict | undefined, path: string, key: string, kind: Kind<T>): Sourced<T> | undefined {
    if (!dict || !Object.hasOwn(dict, key)) return undefined;
    const raw = dict[key];
    const from = childPath(path, key);
    const value = kind.accept(raw);
    if (value === undefined) this.error(from, kind.expected, raw);
    return { value, from };
  }

  /** A string that must be one of a few; any other string is a warning and leaves the setting unset. */
  oneOf<T extends string>(
    dict: PyDict | undefined,
    path: string,
    key: string,
    allowed: readonly T[],
    what: string,
  ): Sourced<T> | undefined {
    const found = this.read(dict, path, key, STRING);
    if (!found) return undefined;
    if ((allowed as readonly string[]).includes(found.value)) return found as Sourced<T>;
    this.warn(
      'W_CONFIG_UNKNOWN_VALUE',
      found.from,
      `${what} '${found.value}' is none of ${allowed.join(', ')}; left unset`,
    );
    return undefined;
  }

  /** A component's `type`: unknown names are kept (the caller refuses them by name) and warned about. */
  type(dict: PyDict | undefined, path: string, known: readonly string[], what: string): Sourced<string> | undefined {
    const found = this.read(dict, path, 'type', STRING);
    if (found && !known.includes(found.value)) {
      this.warn(
        'W_CONFIG_UNKNOWN_TYPE',
        found.from,
        `${what} '${found.value}' is not one tsm knows (${known.join(', ')})`,
      );
    }
    return found;
  }
}

export function valueAt(root: PyDict, path: string): PyValue | undefined {
  let value: PyValue | undefined = root;
  for (const key of path.split('.')) {
    if (!isPyDict(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

export function sameData(a: PyValue | undefined, b: PyValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
