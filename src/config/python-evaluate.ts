/** Nodes into values: names resolved to earlier assignments, dicts built as Python builds them, sizes bounded. */
import type { ConfigErrorCode } from './python-lexicon.js';
import type { Node } from './python-parser.js';
import type { Tokenizer } from './python-tokens.js';
import { describeValue, isPyDict, isPyTuple, type PyDict, type PyValue, pyTuple } from './python-values.js';

export interface Built {
  readonly value: PyValue;
  /** a number written as a float (Python keeps -0.0, but -0 is the int 0) */
  readonly float?: boolean;
  /** the value written out: one per value, one per string character */
  readonly size: number;
  readonly depth: number;
}

type KeyKind = 'str' | 'num' | 'tuple';

export class Evaluator {
  readonly names = new Map<string, Built>();
  /** key kinds of the dicts built here whose keys are not all strings (Python keeps 1 and '1' apart; JSON cannot) */
  private readonly keyKinds = new WeakMap<object, ReadonlyMap<string, KeyKind>>();

  constructor(
    private readonly tokens: Tokenizer,
    private readonly maxSize: number,
  ) {}

  fail(
    code: ConfigErrorCode,
    family: 'input' | 'unsupported',
    at: number,
    message: string,
    extra: Record<string, unknown> = {},
  ): never {
    this.tokens.fail(family, code, at, message, extra);
  }

  private checked(built: Built, at: number): Built {
    if (built.depth > this.tokens.maxDepth)
      this.tokens.limit(at, `a value nested deeper than ${this.tokens.maxDepth} levels`);
    if (built.size > this.maxSize)
      this.tokens.limit(
        at,
        `a value larger than ${this.maxSize} (values plus string characters, references written out)`,
      );
    return built;
  }

  build(node: Node): Built {
    switch (node.k) {
      case 'const':
        return {
          value: node.value,
          float: node.isInt === false,
          size: 1 + (typeof node.value === 'string' ? node.value.length : 0),
          depth: 0,
        };
      case 'name': {
        const found = this.names.get(node.id);
        if (found) return found;
        if (node.id === 'dict')
          this.fail(
            'E_CONFIG_NOT_DATA',
            'unsupported',
            node.at,
            "the name 'dict' outside a call of dict(...) is not data",
            { construct: 'dict-name' },
          );
        const known = [...this.names.keys()];
        const hint = known.length
          ? ` (names assigned before it: ${known.slice(-12).join(', ')}${known.length > 12 ? ', …' : ''})`
          : '';
        return this.fail(
          'E_CONFIG_UNKNOWN_NAME',
          'input',
          node.at,
          `the name '${node.id}' is not assigned earlier in the config${hint}`,
          { name: node.id },
        );
      }
      case 'neg': {
        const operand = this.build(node.operand);
        if (typeof operand.value !== 'number' && typeof operand.value !== 'boolean') {
          this.fail(
            'E_CONFIG_TYPE',
            'input',
            node.at,
            `unary minus of ${describeValue(operand.value)}: Python accepts it only on numbers`,
          );
        }
        // -True is -1 and -0 is 0 (ints); only a float has a negative zero
        const value = operand.float ? -(operand.value as number) : 0 - Number(operand.value);
        return { value, float: operand.float, size: 1, depth: 0 };
      }
      case 'list':
      case 'tuple': {
        const items = node.items.map((item) => this.build(item));
        const values = items.map((b) => b.value);
        const built = {
          value: node.k === 'tuple' ? pyTuple(values) : Object.freeze(values),
          size: 1 + sum(items),
          depth: 1 + maxDepth(items),
        };
        return this.checked(built, node.at);
      }
      case 'dict':
        return this.dict(node);
      case 'call':
        return this.call(node);
      case 'range':
        return this.range(node);
    }
  }

  /** range(stop), range(start, stop[, step]) of integers: the list of its values, as data. */
  private range(node: Extract<Node, { k: 'range' }>): Built {
    const args = node.args.map((a) => this.build(a));
    if (args.length < 1 || args.length > 3 || args.some((a) => !Number.isInteger(a.value) || a.float))
      this.fail('E_CONFIG_TYPE', 'input', node.at, 'range() takes one to three integers');
    const [start, stop, step] = (
      args.length === 1 ? [0, args[0].value, 1] : [args[0].value, args[1].value, args[2]?.value ?? 1]
    ) as number[];
    if (step === 0) this.fail('E_CONFIG_TYPE', 'input', node.at, 'range() step must not be zero');
    const count = Math.max(0, Math.ceil((stop - start) / step));
    if (1 + count > this.maxSize) this.tokens.limit(node.at, `a range of ${count} values`);
    const values = Array.from({ length: count }, (_, i) => start + i * step);
    return { value: Object.freeze(values), size: 1 + count, depth: 1 };
  }

  private key(node: Node): [string, KeyKind] {
    const built = this.build(node);
    const v = built.value;
    if (typeof v === 'string') return [v, 'str'];
    if (typeof v === 'number') return [String(v), 'num'];
    if (isPyTuple(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) {
      return [
        `(${v.map((x) => (typeof x === 'string' ? `'${x}'` : String(x))).join(', ')}${v.length === 1 ? ',' : ''})`,
        'tuple',
      ];
    }
    this.fail(
      'E_CONFIG_NOT_DATA',
      'unsupported',
      node.at,
      `a dict key that is ${describeValue(v)}: tsm reads string, number and tuple keys`,
      { construct: 'key' },
    );
  }

  private dict(node: Extract<Node, { k: 'dict' }>): Built {
    const out = new DictBuilder(this, node.at);
    for (const entry of node.entries) {
      if ('spread' in entry) out.spread(this.spreadSource(entry.spread, entry.at, '{**…}'), entry.at);
      else {
        const [key, kind] = this.key(entry.key);
        out.set(key, kind, this.build(entry.value), entry.key.at);
      }
    }
    return out.done();
  }

  private call(node: Extract<Node, { k: 'call' }>): Built {
    const out = new DictBuilder(this, node.at);
    if (node.positional)
      out.spread(this.spreadSource(node.positional, node.positional.at, 'dict(…)'), node.positional.at);
    const given = new Set<string>();
    for (const arg of node.args) {
      if ('spread' in arg) {
        const source = this.spreadSource(arg.spread, arg.at, 'dict(**…)');
        for (const key of Object.keys(source.value as PyDict)) {
          if ((this.kinds(source.value)?.get(key) ?? 'str') !== 'str') {
            this.fail('E_CONFIG_TYPE', 'input', arg.at, `dict(**…) needs string keys; found the key ${key}`);
          }
          if (given.has(key))
            this.fail('E_CONFIG_TYPE', 'input', arg.at, `dict() got the keyword '${key}' twice (Python refuses this)`, {
              key,
            });
          given.add(key);
        }
        out.spread(source, arg.at);
      } else {
        if (given.has(arg.name))
          this.fail(
            'E_CONFIG_TYPE',
            'input',
            arg.at,
            `dict() got the keyword '${arg.name}' twice (Python refuses this)`,
            { key: arg.name },
          );
        given.add(arg.name);
        out.set(arg.name, 'str', this.build(arg.value), arg.at);
      }
    }
    return out.done();
  }

  private spreadSource(node: Node, at: number, form: string): Built {
    const built = this.build(node);
    if (Array.isArray(built.value) && form === 'dict(…)') {
      this.fail(
        'E_CONFIG_NOT_DATA',
        'unsupported',
        at,
        `dict() of ${describeValue(built.value)} (pairs) is not supported; ` +
          'tsm reads dict(k=v), dict({…}) and dict(**a_dict)',
        { construct: 'dict-of-pairs' },
      );
    }
    if (!isPyDict(built.value))
      this.fail('E_CONFIG_TYPE', 'input', at, `${form} needs a dict, found ${describeValue(built.value)}`);
    return built;
  }

  kinds(dict: PyValue): ReadonlyMap<string, KeyKind> | undefined {
    return typeof dict === 'object' && dict !== null ? this.keyKinds.get(dict) : undefined;
  }

  record(dict: object, kinds: ReadonlyMap<string, KeyKind>): void {
    this.keyKinds.set(dict, kinds);
  }

  limit(built: Built, at: number): Built {
    return this.checked(built, at);
  }
}

/** One dict being built: later keys win (Python), but a string and a number that print alike are refused. */
export class DictBuilder {
  private readonly out: Record<string, PyValue> = {};
  private readonly kinds = new Map<string, KeyKind>();
  private size = 1;
  private depth = 1;

  constructor(
    private readonly evaluator: Evaluator,
    private readonly at: number,
  ) {}

  set(key: string, kind: KeyKind, value: Built, at: number): void {
    const before = this.kinds.get(key);
    if (before !== undefined && before !== kind && (before === 'str' || kind === 'str')) {
      this.evaluator.fail(
        'E_CONFIG_NOT_DATA',
        'unsupported',
        at,
        `the dict has both the string key '${key}' and the ` +
          `${(kind === 'str' ? before : kind) === 'num' ? 'number' : 'tuple'} key ${key}, which tsm cannot keep apart`,
        { construct: 'key-collision', key },
      );
    }
    this.kinds.set(key, kind);
    // defineProperty: a key named __proto__ is an own property, not the object's prototype
    Object.defineProperty(this.out, key, { value: value.value, enumerable: true, writable: true, configurable: true });
    this.size += 1 + key.length + value.size;
    this.depth = Math.max(this.depth, 1 + value.depth);
  }

  spread(source: Built, at: number): void {
    const dict = source.value as PyDict;
    const kinds = this.evaluator.kinds(dict);
    for (const key of Object.keys(dict)) {
      const value = dict[key];
      // the size of one entry is not known apart from its dict's; the whole source's size bounds it
      this.set(key, kinds?.get(key) ?? 'str', { value, size: 0, depth: source.depth - 1 }, at);
    }
    this.size += source.size;
  }

  done(): Built {
    if ([...this.kinds.values()].some((k) => k !== 'str')) this.evaluator.record(this.out, this.kinds);
    return this.evaluator.limit({ value: Object.freeze(this.out), size: this.size, depth: this.depth }, this.at);
  }
}

function sum(items: readonly Built[]): number {
  let total = 0;
  for (const b of items) total += b.size;
  return total;
}

function maxDepth(items: readonly Built[]): number {
  let depth = 0;
  for (const b of items) depth = Math.max(depth, b.depth);
  return depth;
}
