import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPyTuple, type PyValue, parsePythonConfig } from '../../src/config/python-literal.js';
import { TsmError } from '../../src/errors.js';
import { PYTHON, ROOT } from '../helpers/reference.js';
import { requireTool } from '../helpers/requirements.js';
import { testTempDir } from '../helpers/tmp.js';

const CONFIGS = join(ROOT, 'fixtures/mmaction2-configs');
const hasPython = requireTool('python3', existsSync(PYTHON), 'apt-get install python3');

/** Tuples kept apart from lists, as the fixtures' manifest and the Python side write them. */
function tagged(value: PyValue | undefined): unknown {
  if (isPyTuple(value)) return { __tuple__: value.map(tagged) };
  if (Array.isArray(value)) return value.map(tagged);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, tagged(v)]));
  return value;
}

/**
 * What Python makes of each text: compiled and run with `dict` as the only builtin (the texts are this file's own),
 * printed as tagged JSON. One process for the whole batch.
 */
function pythonReads(texts: readonly string[]): unknown[] {
  const script = String.raw`
import json, sys
def tagged(v):
    if isinstance(v, tuple): return {'__tuple__': [tagged(x) for x in v]}
    if isinstance(v, list): return [tagged(x) for x in v]
    if isinstance(v, dict): return {str(k): tagged(x) for k, x in v.items()}
    return v
out = []
for text in json.load(sys.stdin):
    scope = {'__builtins__': {'dict': dict}}
    exec(compile(text, '<config>', 'exec'), scope)
    del scope['__builtins__']
    scope.pop('__doc__', None)  # Python keeps a module docstring as __doc__; it is not a setting
    out.append(tagged(scope))
json.dump(out, sys.stdout)
`;
  // a byte-order mark is dropped by whatever reads a file as text; compile() of a str would refuse it
  const input = JSON.stringify(texts.map((t) => t.replace(/^\uFEFF/, '')));
  const run = spawnSync(PYTHON, ['-c', script], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

function refusal(text: string): TsmError {
  try {
    parsePythonConfig(text);
  } catch (err) {
    expect(err).toBeInstanceOf(TsmError);
    return err as TsmError;
  }
  throw new Error(`accepted: ${text}`);
}

// [what, text, the module as tagged JSON]
const LITERALS: Array<[string, string, Record<string, unknown>]> = [
  [
    'ints: decimal, underscores, hex, octal, binary, zeros',
    'a = 0\nb = 1_000\nc = 0xFF\nd = 0o17\ne = 0b101\nf = 0x_ff\ng = 00\nh = 9007199254740991',
    { a: 0, b: 1000, c: 255, d: 15, e: 5, f: 255, g: 0, h: 9007199254740991 },
  ],
  [
    'floats: exponents, leading and trailing dots',
    'a = 1e-4\nb = .5\nc = 1.\nd = 1.5E+3\ne = 1_0.0_1\nf = 1e-05\ng = 0.0001\nh = 5e-324',
    { a: 1e-4, b: 0.5, c: 1, d: 1500, e: 10.01, f: 1e-5, g: 1e-4, h: 5e-324 },
  ],
  [
    'unary minus: ints have no negative zero, floats do; -True is -1',
    'a = -1\nb = --2\nc = -0\nd = -0.0\ne = -(-0.0)\nf = -True\ng = - 3\nz = 0.0\nh = -z',
    { a: -1, b: 2, c: 0, d: -0, e: 0, f: -1, g: -3, z: 0, h: -0 },
  ],
  ['True, False, None', 'a = True\nb = False\nc = None', { a: true, b: false, c: null }],
  [
    'quotes, triple quotes, implicit concatenation',
    `a = 'x'\nb = "y"\nc = '''l1\nl2'''\nd = """q"q"""\ne = 'a' "b" '''c'''\nf = ('p'\n     'q')\ng = ''`,
    { a: 'x', b: 'y', c: 'l1\nl2', d: 'q"q', e: 'abc', f: 'pq', g: '' },
  ],
  [
    'escapes',
    String.raw`a = '\n\t\r\\\'\"\a\b\f\v'` +
      '\n' +
      String.raw`b = '\x41\u00e9\U0001F600\101\0\777'` +
      '\n' +
      String.raw`c = '\q\d'` +
      "\nd = 'one\\\ntwo'",
    { a: '\n\t\r\\\'"\x07\b\f\v', b: 'Aé😀A\0ǿ', c: '\\q\\d', d: 'onetwo' },
  ],
  [
    'raw and u strings',
    String.raw`a = r'\n\'' ` + '\n' + String.raw`b = R"C:\dir"` + '\n' + "c = u'é'\nd = U'x'",
    { a: "\\n\\'", b: 'C:\\dir', c: 'é', d: 'x' },
  ],
  [
    'lists, tuples, trailing commas, parentheses, tuples without brackets',
    'a = [1, 2,]\nb = (1,)\nc = ()\nd = (1)\ne = ((1, 2), [3])\nf = []\ng = (\n  1,\n  2,\n)\nh = 1, 2\ni = 3,',
    {
      a: [1, 2],
      b: { __tuple__: [1] },
      c: { __tuple__: [] },
      d: 1,
      e: { __tuple__: [{ __tuple__: [1, 2] }, [3]] },
      f: [],
      g: { __tuple__: [1, 2] },
      h: { __tuple__: [1, 2] },
      i: { __tuple__: [3] },
    },
  ],
  [
    'dicts: braces, dict(), dict({...}) as pretty_text writes non-identifier keys, ** spreads, later keys win',
    "a = {'k': 1, 2: 'two', -1: 'm', 1.5: 'f', (1, 'x'): 't', 'k': 9}\nb = dict(x=1, y=dict())\n" +
      "c = dict({86: 87, 'z': 0}, w=1)\nd = dict(**b, z=2)\ne = {**b, 'x': 5}\nf = dict()\ng = {}",
    {
      a: { k: 9, 2: 'two', '-1': 'm', 1.5: 'f', "(1, 'x')": 't' },
      b: { x: 1, y: {} },
      c: { 86: 87, z: 0, w: 1 },
      d: { x: 1, y: {}, z: 2 },
      e: { x: 5, y: {} },
      f: {},
      g: {},
    },
  ],
  [
    'names refer to earlier values; reassignment; docstrings and bare literals are dropped',
    '"""A config."""\na = [1]\nb = dict(p=a, q=(a, a))\na = 2\nc = a\n42',
    { a: 2, b: { p: [1], q: { __tuple__: [[1], [1]] } }, c: 2 },
  ],
  [
    'comments, blank lines, backslash continuations, semicolons, CRLF, a byte-order mark',
    '\uFEFF# head\r\n\r\na = [1,  # one\r\n     2]\r\nb = \\\r\n  3; c = 4;\r\n# tail',
    { a: [1, 2], b: 3, c: 4 },
  ],
  [
    'keys and names that are Object.prototype members stay plain data',
    "__proto__ = {'__proto__': 1, 'constructor': 2}\nconstructor = dict(toString=3)\nhasOwnProperty = 4",
    JSON.parse(
      '{"__proto__": {"__proto__": 1, "constructor": 2}, "constructor": {"toString": 3}, "hasOwnProperty": 4}',
    ),
  ],
  [
    'identifiers are Unicode and NFKC-normalised, as Python reads them',
    'größe = 1\nﬁle = 2\nx = file',
    { größe: 1, file: 2, x: 2 },
  ],
  [
    'soft keywords are names',
    'match = 1\ncase = 2\ntype = dict(type=3)\n_ = [match, case]',
    { match: 1, case: 2, type: { type: 3 }, _: [1, 2] },
  ],
];

describe('parsePythonConfig: literals', () => {
  for (const [what, text, expected] of LITERALS) {
    it(what, () => {
      const module = parsePythonConfig(text);
      for (const [k, v] of Object.entries(expected)) expect(tagged(module[k])).toEqual(v);
      expect(Object.keys(module).sort()).toEqual(Object.keys(expected).sort());
    });
  }

  it.runIf(hasPython)('Python reads every text in the table as the same data', () => {
    const python = pythonReads(LITERALS.map(([, text]) => text)) as Array<Record<string, unknown>>;
    LITERALS.forEach(([, text], i) => {
      const module = parsePythonConfig(text);
      for (const [k, v] of Object.entries(python[i])) expect(tagged(module[k]), `${text} → ${k}`).toEqual(v);
      expect(Object.keys(module).sort()).toEqual(Object.keys(python[i]).sort());
    });
  });

  it('tuples are marked, lists are not; every value is frozen, shared values are shared', () => {
    const m = parsePythonConfig('a = [1]\nb = (a, a)\nc = dict(k=a)');
    expect(isPyTuple(m.b)).toBe(true);
    expect(isPyTuple(m.a)).toBe(false);
    expect(JSON.stringify(m)).toBe('{"a":[1],"b":[[1],[1]],"c":{"k":[1]}}');
    const b = m.b as readonly PyValue[];
    expect(b[0]).toBe(b[1]);
    expect(Object.isFrozen(m) && Object.isFrozen(m.a) && Object.isFrozen(m.b) && Object.isFrozen(m.c)).toBe(true);
    expect(() => (m.a as PyValue[]).push(2)).toThrow(TypeError);
  });

  it('a __proto__ key is an own property, not a prototype', () => {
    const m = parsePythonConfig("x = dict(__proto__=dict(polluted=1))\ny = {'__proto__': 2}");
    expect(Object.getPrototypeOf(m.x)).toBe(Object.prototype);
    expect(Object.keys(m.x as object)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('parsePythonConfig: the fixtures (1.x, 0.x pretty_text, a config file) read as Python reads them', () => {
  const manifest: Record<string, { release: string; data: Record<string, unknown> }> = JSON.parse(
    readFileSync(join(CONFIGS, 'manifest.json'), 'utf8'),
  );
  const files = [
    ...readdirSync(CONFIGS).filter((f) => f.endsWith('.py')),
    ...readdirSync(join(CONFIGS, 'plain')).map((f) => `plain/${f}`),
  ];

  it('the manifest covers every text, and there are the 15 configs of the facts plus the plain one', () => {
    expect(files.sort()).toEqual(Object.keys(manifest).sort());
    expect(files.length).toBe(16);
  });
  for (const file of files) {
    it(file, () => {
      expect(tagged(parsePythonConfig(readFileSync(join(CONFIGS, file), 'utf8'), { source: file }))).toEqual(
        manifest[file].data,
      );
    });
  }
});

// ------------------------------------------------------------------------------------------------ refusals

interface Refusal {
  readonly text: string;
  readonly code: string;
  readonly at: [number, number];
  /** words the message must contain: the construct and its name */
  readonly says: readonly string[];
  readonly construct?: string;
}

const NOT_DATA = 'E_CONFIG_NOT_DATA';
const HOSTILE: Record<string, Refusal> = {
  '__import__ chain': {
    text: "x = 1\ny = __import__('os').system('touch /tmp/pwned')",
    code: NOT_DATA,
    at: [2, 5],
    says: ["a call of '__import__'", 'not data'],
    construct: 'call',
  },
  'open()': { text: "x = open('x')", code: NOT_DATA, at: [1, 5], says: ["a call of 'open'"], construct: 'call' },
  'print() as a statement': {
    text: "print('x')",
    code: NOT_DATA,
    at: [1, 1],
    says: ["a call of 'print'"],
    construct: 'call',
  },
  'exec/eval': {
    text: "model = dict(type=eval('1'))",
    code: NOT_DATA,
    at: [1, 19],
    says: ["a call of 'eval'"],
    construct: 'call',
  },
  lambda: { text: 'x = lambda: 0', code: NOT_DATA, at: [1, 5], says: ['a lambda'], construct: 'lambda' },
  'attribute access': {
    text: 'x = a.b',
    code: NOT_DATA,
    at: [1, 5],
    says: ["attribute access 'a.b'"],
    construct: 'attribute',
  },
  'attribute of a literal': {
    text: "x = ''.join(['a'])",
    code: NOT_DATA,
    at: [1, 5],
    says: ["attribute access '.join'"],
    construct: 'attribute',
  },
  subscript: {
    text: 'x = [1]\ny = x[0]',
    code: NOT_DATA,
    at: [2, 5],
    says: ["a subscript of 'x'"],
    construct: 'subscript',
  },
  'list comprehension (unknown names do not matter)': {
    text: 'x = [i for i in y]',
    code: NOT_DATA,
    at: [1, 8],
    says: ['a comprehension'],
    construct: 'comprehension',
  },
  'dict comprehension': {
    text: 'x = {k: 1 for k in y}',
    code: NOT_DATA,
    at: [1, 11],
    says: ['a comprehension'],
    construct: 'comprehension',
  },
  'generator in dict()': {
    text: 'x = dict(p for p in y)',
    code: NOT_DATA,
    at: [1, 12],
    says: ['a comprehension'],
    construct: 'comprehension',
  },
  import: { text: 'import os', code: NOT_DATA, at: [1, 1], says: ["an 'import' statement"], construct: 'import' },
  'from import': {
    text: 'x = 1\nfrom os import system',
    code: NOT_DATA,
    at: [2, 1],
    says: ["an 'import' statement"],
    construct: 'from',
  },
  'f-string': {
    text: 'x = f\'{__import__("os")}\'',
    code: NOT_DATA,
    at: [1, 5],
    says: ['an f-string'],
    construct: 'f-string',
  },
  'raw f-string': { text: "x = rf'{a}'", code: NOT_DATA, at: [1, 5], says: ['an f-string'], construct: 'f-string' },
  'unknown name': {
    text: 'a = 1\nx = dict(pipeline=train_pipeline)',
    code: 'E_CONFIG_UNKNOWN_NAME',
    at: [2, 19],
    says: ["'train_pipeline' is not assigned earlier", 'a'],
  },
  'a name used before its assignment': {
    text: 'x = y\ny = 1',
    code: 'E_CONFIG_UNKNOWN_NAME',
    at: [1, 5],
    says: ["'y'"],
  },
  'a builtin is not a value': { text: 'x = open', code: 'E_CONFIG_UNKNOWN_NAME', at: [1, 5], says: ["'open'"] },
  'a call hidden in a dict value': {
    text: "model = dict(\n    backbone=dict(\n        depth=int('50')))",
    code: NOT_DATA,
    at: [3, 15],
    says: ["a call of 'int'"],
    construct: 'call',
  },
  'a call hidden in a list in a tuple': {
    text: 'x = ([1, (2, exit())],)',
    code: NOT_DATA,
    at: [1, 14],
    says: ["a call of 'exit'"],
    construct: 'call',
  },
  'dict(**open(...))': {
    text: "x = dict(**open('/etc/passwd'))",
    code: NOT_DATA,
    at: [1, 12],
    says: ["a call of 'open'"],
    construct: 'call',
  },
  def: {
    text: 'def f():\n    pass',
    code: NOT_DATA,
    at: [1, 1],
    says: ["a function definition ('def')"],
    construct: 'def',
  },
  class: {
    text: 'class A: pass',
    code: NOT_DATA,
    at: [1, 1],
    says: ["a class definition ('class')"],
    construct: 'class',
  },
  if: { text: 'if True:\n    x = 1', code: NOT_DATA, at: [1, 1], says: ["an 'if' statement"], construct: 'if' },
  for: { text: 'for i in []: pass', code: NOT_DATA, at: [1, 1], says: ["a 'for' loop"], construct: 'for' },
  'while/with/try/del/assert/raise': {
    text: 'with open("x") as f: pass',
    code: NOT_DATA,
    at: [1, 1],
    says: ["a 'with' statement"],
    construct: 'with',
  },
  decorator: {
    text: '@register\nclass A: pass',
    code: NOT_DATA,
    at: [1, 1],
    says: ['a decorator'],
    construct: 'decorator',
  },
  walrus: { text: 'x = [y := 1]', code: NOT_DATA, at: [1, 8], says: ["':='"], construct: 'walrus' },
  'starred list item': {
    text: 'a = [1]\nx = [*a]',
    code: NOT_DATA,
    at: [2, 6],
    says: ["a starred item '*…'"],
    construct: 'starred',
  },
  'starred dict() argument': {
    text: 'a = [1]\nx = dict(*a)',
    code: NOT_DATA,
    at: [2, 10],
    says: ["a starred argument '*…'"],
    construct: 'starred',
  },
  'binary operator': {
    text: 'x = 1 + 2',
    code: NOT_DATA,
    at: [1, 7],
    says: ["the operator '+'"],
    construct: 'operator',
  },
  'string formatting': {
    text: "x = 'a%s' % 'b'",
    code: NOT_DATA,
    at: [1, 11],
    says: ["the operator '%'"],
    construct: 'operator',
  },
  'power (would build a huge int)': {
    text: 'x = 10 ** 10 ** 10',
    code: NOT_DATA,
    at: [1, 8],
    says: ["the operator '**'"],
    construct: 'operator',
  },
  comparison: { text: 'x = 1 < 2', code: NOT_DATA, at: [1, 7], says: ["the operator '<'"], construct: 'operator' },
  'and/or/not/in/is': {
    text: 'x = None or 1',
    code: NOT_DATA,
    at: [1, 10],
    says: ["the operator 'or'"],
    construct: 'operator',
  },
  not: { text: 'x = not 1', code: NOT_DATA, at: [1, 5], says: ["the operator 'not'"], construct: 'operator' },
  'unary plus and invert': {
    text: 'x = ~1',
    code: NOT_DATA,
    at: [1, 5],
    says: ["the unary operator '~'"],
    construct: 'operator',
  },
  'conditional expression': {
    text: 'x = 1 if y else 2',
    code: NOT_DATA,
    at: [1, 7],
    says: ['a conditional expression'],
    construct: 'conditional',
  },
  set: { text: 'x = {1, 2}', code: NOT_DATA, at: [1, 5], says: ['a set'], construct: 'set' },
  ellipsis: { text: 'x = ...', code: NOT_DATA, at: [1, 5], says: ["an Ellipsis '...'"], construct: 'ellipsis' },
  bytes: { text: "x = b'\\x00'", code: NOT_DATA, at: [1, 5], says: ['a bytes literal'], construct: 'bytes' },
  complex: { text: 'x = 1j', code: NOT_DATA, at: [1, 5], says: ["a complex number '1j'"], construct: 'complex' },
  'yield/await': {
    text: 'x = (yield)',
    code: NOT_DATA,
    at: [1, 6],
    says: ["a 'yield' expression"],
    construct: 'yield',
  },
  'augmented assignment': {
    text: 'x = 1\nx += 1',
    code: NOT_DATA,
    at: [2, 3],
    says: ["an augmented assignment '+='"],
    construct: 'augmented-assignment',
  },
  'annotated assignment': {
    text: 'x: int = 1',
    code: NOT_DATA,
    at: [1, 2],
    says: ['an annotated assignment'],
    construct: 'annotation',
  },
  'chained assignment': {
    text: 'x = y = 1',
    code: NOT_DATA,
    at: [1, 7],
    says: ['a chained assignment'],
    construct: 'chained-assignment',
  },
  unpacking: { text: 'x, y = 1, 2', code: NOT_DATA, at: [1, 1], says: ['unpacking'], construct: 'unpacking' },
  'assigning to an attribute': {
    text: 'os.environ = 1',
    code: NOT_DATA,
    at: [1, 1],
    says: ["attribute access 'os.environ'"],
    construct: 'attribute',
  },
  'rebinding dict': {
    text: 'dict = 1\nx = dict(a=1)',
    code: NOT_DATA,
    at: [1, 1],
    says: ["assigning to 'dict'"],
    construct: 'rebinding-dict',
  },
  'dict as a value': {
    text: 'x = dict',
    code: NOT_DATA,
    at: [1, 5],
    says: ["the name 'dict' outside a call"],
    construct: 'dict-name',
  },
  'a call of a call result': { text: 'x = (1)(2)', code: NOT_DATA, at: [1, 6], says: ['a call'], construct: 'call' },
  'a named escape (needs the Unicode database)': {
    text: "x = '\\N{BULLET}'",
    code: NOT_DATA,
    at: [1, 6],
    says: ['\\N{...}'],
    construct: 'named-escape',
  },
  'an int beyond 2^53': {
    text: 'x = 9007199254740993',
    code: NOT_DATA,
    at: [1, 5],
    says: ['9007199254740993'],
    construct: 'big-int',
  },
  'a float literal that overflows': {
    text: 'x = 1e999',
    code: NOT_DATA,
    at: [1, 5],
    says: ['1e999', 'infinity'],
    construct: 'infinite-float',
  },
  "1 and '1' as keys of one dict": {
    text: "x = {1: 'a', '1': 'b'}",
    code: NOT_DATA,
    at: [1, 14],
    says: ["string key '1'", 'number key 1'],
    construct: 'key-collision',
  },
  'a list as a key': {
    text: 'x = {(1, [2]): 3}',
    code: NOT_DATA,
    at: [1, 6],
    says: ['a tuple of 2'],
    construct: 'key',
  },
  'dict() of pairs': {
    text: "x = dict([('a', 1)])",
    code: NOT_DATA,
    at: [1, 10],
    says: ['dict() of a list of 1'],
    construct: 'dict-of-pairs',
  },
  // text Python refuses, or that fails when Python runs it
  'unary minus of a string': {
    text: "x = -'a'",
    code: 'E_CONFIG_TYPE',
    at: [1, 5],
    says: ["unary minus of the string 'a'"],
  },
  'a repeated keyword': { text: 'x = dict(a=1, a=2)', code: 'E_CONFIG_TYPE', at: [1, 15], says: ["'a' twice"] },
  'a keyword repeated by a spread': {
    text: "x = dict(a=1, **{'a': 2})",
    code: 'E_CONFIG_TYPE',
    at: [1, 15],
    says: ["'a' twice"],
  },
  '** of a list': {
    text: 'y = [1]\nx = dict(**y)',
    code: 'E_CONFIG_TYPE',
    at: [2, 10],
    says: ['needs a dict', 'a list of 1'],
  },
  '** of non-string keys': { text: 'x = dict(**{1: 2})', code: 'E_CONFIG_TYPE', at: [1, 10], says: ['string keys'] },
  'unterminated string': {
    text: "x = 'abc\ny = 1",
    code: 'E_CONFIG_SYNTAX',
    at: [1, 5],
    says: ['unterminated string'],
  },
  'unterminated triple-quoted string': {
    text: 'x = """abc',
    code: 'E_CONFIG_SYNTAX',
    at: [1, 5],
    says: ['unterminated triple-quoted string'],
  },
  'a backslash at the end of the text': {
    text: "x = 'abc\\",
    code: 'E_CONFIG_SYNTAX',
    at: [1, 5],
    says: ['unterminated'],
  },
  'an unclosed bracket': {
    text: 'x = dict(\n  a=[1,\n',
    code: 'E_CONFIG_SYNTAX',
    at: [2, 5],
    says: ["'[' was never closed"],
  },
  'a mismatched bracket': {
    text: 'x = [1)',
    code: 'E_CONFIG_SYNTAX',
    at: [1, 7],
    says: ["')' does not match '['", '1:5'],
  },
  'an indented statement': {
    text: 'x = 1\n    y = 2',
    code: 'E_CONFIG_SYNTAX',
    at: [2, 5],
    says: ['unexpected indent'],
  },
  'leading zeros': { text: 'x = 007', code: 'E_CONFIG_SYNTAX', at: [1, 5], says: ["'007'"] },
  'a bad number': { text: 'x = 12abc', code: 'E_CONFIG_SYNTAX', at: [1, 5], says: ["'12a'"] },
  'a bad \\x escape': { text: "x = '\\x4'", code: 'E_CONFIG_SYNTAX', at: [1, 6], says: ['\\x escape'] },
  'a NUL character': { text: 'x = 1\0', code: 'E_CONFIG_SYNTAX', at: [1, 6], says: ['NUL'] },
  'an invalid character': { text: 'x = $', code: 'E_CONFIG_SYNTAX', at: [1, 5], says: ["'$' (U+0024)"] },
  'two values without a comma': {
    text: 'x = [1 2]',
    code: 'E_CONFIG_SYNTAX',
    at: [1, 8],
    says: ["expected ',' or ']'", "'2'"],
  },
  'a missing value': { text: 'x =', code: 'E_CONFIG_SYNTAX', at: [1, 4], says: ['expected a value'] },
  'a positional argument after a keyword': {
    text: "x = dict(a=1, {'b': 2})",
    code: 'E_CONFIG_SYNTAX',
    at: [1, 15],
    says: ['one positional argument'],
  },
};

describe('parsePythonConfig: hostile and broken texts are refused by name, with line:column', () => {
  for (const [what, r] of Object.entries(HOSTILE)) {
    it(`${what} → ${r.code}`, () => {
      const e = refusal(r.text);
      expect(e.code).toBe(r.code);
      expect(e.family).toBe(r.code === NOT_DATA || r.code === 'E_CONFIG_LIMIT' ? 'unsupported' : 'input');
      expect(e.kind).toBe('user');
      expect({ line: e.details.line, column: e.details.column }).toEqual({ line: r.at[0], column: r.at[1] });
      expect(e.message.startsWith(`config line ${r.at[0]}:${r.at[1]}: `)).toBe(true);
      for (const word of r.says) expect(e.message).toContain(word);
      if (r.construct) expect(e.details.construct).toBe(r.construct);
    });
  }

  it('the message and the details name the text it came from', () => {
    let error: unknown;
    try {
      parsePythonConfig("x = 1\ny = open('f')", { source: 'model.pth meta.cfg' });
    } catch (err) {
      error = err;
    }
    expect((error as TsmError).message).toMatch(/^model\.pth meta\.cfg line 2:5: a call of 'open'/);
    expect((error as TsmError).details).toMatchObject({
      source: 'model.pth meta.cfg',
      line: 2,
      column: 5,
      construct: 'call',
    });
    expect((error as TsmError).hint).toContain('without running them');
  });

  it.runIf(hasPython)(
    'the code-running texts are live: Python runs them and they write their marker (tsm refused each above)',
    () => {
      const dir = testTempDir('tsm-config-live-');
      const markers = ['import', 'open', 'spread', 'hidden'].map((m) => join(dir, m));
      const texts = [
        `x = __import__('os').system('touch ${markers[0]}')`,
        `x = open('${markers[1]}', 'w').close()`,
        `x = dict(**__import__('builtins').dict(a=open('${markers[2]}', 'w').close()))`,
        `model = dict(backbone=dict(depth=__import__('pathlib').Path('${markers[3]}').touch()))`,
      ];
      for (const text of texts) expect(refusal(text).code).toBe(NOT_DATA);
      for (const m of markers) expect(existsSync(m)).toBe(false);
      const run = spawnSync(PYTHON, ['-c', `for t in ${JSON.stringify(texts)}:\n    exec(t, {})`], {
        encoding: 'utf8',
      });
      expect(run.status, run.stderr).toBe(0);
      for (const m of markers) expect(existsSync(m), m).toBe(true);
    },
  );
});

describe('parsePythonConfig: bounded', () => {
  const deep = 10_000;
  const nestings: Array<[string, string]> = [
    ['lists', `x = ${'['.repeat(deep)}${']'.repeat(deep)}`],
    ['tuples', `x = ${'('.repeat(deep)}1,${'),'.repeat(deep - 1)})`],
    ['dicts', `x = ${"{'a': ".repeat(deep)}1${'}'.repeat(deep)}`],
    ['dict() calls', `x = ${'dict(a='.repeat(deep)}1${')'.repeat(deep)}`],
    ['unary minus', `x = ${'-'.repeat(deep)}1`],
    ['unclosed brackets', `x = ${'['.repeat(deep)}`],
  ];
  for (const [what, text] of nestings) {
    it(`${deep}-deep ${what} → E_CONFIG_LIMIT at the 101st level, no stack overflow`, () => {
      const e = refusal(text);
      expect(e.code).toBe('E_CONFIG_LIMIT');
      expect(e.family).toBe('unsupported');
      expect(e.message).toMatch(/^config line 1:\d+: .*deeper than 100 levels/);
    });
  }

  it('100 levels are read', () => {
    const m = parsePythonConfig(`x = ${'['.repeat(99)}${']'.repeat(99)}`);
    let v = m.x as readonly unknown[];
    let depth = 1;
    while (v.length) {
      v = v[0] as readonly unknown[];
      depth++;
    }
    expect(depth).toBe(99);
  });

  it('depth built through references is bounded too', () => {
    const lines = ['a0 = []', ...Array.from({ length: 150 }, (_, i) => `a${i + 1} = [a${i}]`)];
    const e = refusal(lines.join('\n'));
    expect(e.code).toBe('E_CONFIG_LIMIT');
    expect(e.details.line).toBe(101);
  });

  it('a billion laughs (each name used ten times by the next) stops at the size limit, expanding nothing', () => {
    const lines = [
      `a0 = '${'x'.repeat(1000)}'`,
      ...Array.from({ length: 12 }, (_, i) => `a${i + 1} = [${Array(10).fill(`a${i}`).join(', ')}]`),
    ];
    const e = refusal(lines.join('\n'));
    expect(e.code).toBe('E_CONFIG_LIMIT');
    expect(e.message).toContain('larger than');
    // 10^4 copies of 1000 characters fit in 16 Mi; 10^5 do not
    expect(e.details.line).toBe(6);
  });

  it('size counts each use of a shared value, also across names and ** spreads', () => {
    const text = `a = '${'x'.repeat(100)}'\nb = dict(k=a)\nc = dict(**b, j=a)`;
    expect(() => parsePythonConfig(text, { maxSize: 10_000 })).not.toThrow();
    const e = (() => {
      try {
        parsePythonConfig(text, { maxSize: 300 });
      } catch (err) {
        return err as TsmError;
      }
      throw new Error('accepted');
    })();
    expect(e.code).toBe('E_CONFIG_LIMIT');
  });

  it('a text longer than maxLength is refused before it is read', () => {
    expect(() => parsePythonConfig('x = 1\n'.repeat(20), { maxLength: 100 })).toThrow(
      /120 characters, more than the 100/,
    );
  });
});

// ------------------------------------------------------------------------------------------------ property

/** A value as Python source, and what it must read as (tagged: tuples as {__tuple__}). */
interface Printed {
  readonly value: unknown;
  readonly text: string;
}

const SEPARATORS = ['', ' ', '\n', '\n    ', '  # a comment, with ) and ] in it\n', ' \\\n'];
const IDENTIFIER = fc
  .stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/)
  .filter(
    (s) =>
      ![
        'False',
        'None',
        'True',
        'and',
        'as',
        'assert',
        'async',
        'await',
        'break',
        'class',
        'continue',
        'def',
        'del',
        'elif',
        'else',
        'except',
        'finally',
        'for',
        'from',
        'global',
        'if',
        'import',
        'in',
        'is',
        'lambda',
        'nonlocal',
        'not',
        'or',
        'pass',
        'raise',
        'return',
        'try',
        'while',
        'with',
        'yield',
      ].includes(s),
  );

/** One character of a string literal, written as itself or as one of the escapes that mean it. */
function printChar(ch: string, quote: string, choice: number): string {
  const cp = ch.codePointAt(0)!;
  const special: Record<string, string> = {
    '\\': '\\\\',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    [quote[0]]: `\\${quote[0]}`,
  };
  const forms: string[] = [];
  const mustEscape = ch in special || cp < 0x20 || cp === 0x7f || (cp >= 0xd800 && cp <= 0xdfff);
  if (!mustEscape) forms.push(ch);
  if (ch in special) forms.push(special[ch]);
  if (cp < 0x100) forms.push(`\\x${cp.toString(16).padStart(2, '0')}`);
  if (cp < 0x200) forms.push(`\\${cp.toString(8).padStart(3, '0')}`);
  if (cp < 0x10000) forms.push(`\\u${cp.toString(16).padStart(4, '0')}`);
  forms.push(`\\U${cp.toString(16).padStart(8, '0')}`);
  return forms[choice % forms.length];
}

const printedString: fc.Arbitrary<Printed> = fc
  .tuple(
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.constantFrom("'", '"', "'''", '"""'),
    fc.constantFrom('', 'u', 'U'),
    fc.array(fc.nat(7), { minLength: 12, maxLength: 12 }),
  )
  .map(([s, quote, prefix, choices]) => {
    // code units, so that a lone surrogate is written as one escape
    const chars = s.length === [...s].length ? [...s] : s.split('');
    return {
      value: s,
      text: prefix + quote + chars.map((c, i) => printChar(c, quote, choices[i % choices.length])).join('') + quote,
    };
  });

const printedInt: fc.Arbitrary<Printed> = fc
  .tuple(fc.maxSafeInteger(), fc.constantFrom('dec', 'hex', 'under'))
  .map(([n, style]) => {
    const abs = Math.abs(n);
    const body =
      style === 'hex'
        ? `0x${abs.toString(16)}`
        : style === 'under'
          ? abs.toString().replace(/\B(?=(\d{3})+$)/g, '_')
          : abs.toString();
    return { value: n === 0 ? 0 : n, text: n < 0 ? `-${body}` : body };
  });

const printedFloat: fc.Arbitrary<Printed> = fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => {
  let text = String(d);
  if (Object.is(d, -0)) text = '-0.0';
  else if (Number.isInteger(d) && !/e/.test(text)) text += '.0';
  if (/^-?0\./.test(text)) text = text.replace('0.', '.');
  return { value: d, text };
});

const printedScalar: fc.Arbitrary<Printed> = fc.oneof(
  printedString,
  printedInt,
  printedFloat,
  fc.constantFrom<Printed>(
    { value: true, text: 'True' },
    { value: false, text: 'False' },
    { value: null, text: 'None' },
  ),
);

function joinItems(items: readonly string[], sep: string, trailing: boolean): string {
  return items.map((t) => sep + t).join(',') + (trailing && items.length ? ',' : '') + sep;
}

const { printed } = fc.letrec<{ printed: Printed; list: Printed; tuple: Printed; dict: Printed; call: Printed }>(
  (tie) => ({
    printed: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      printedScalar,
      tie('list'),
      tie('tuple'),
      tie('dict'),
      tie('call'),
    ),
    list: fc
      .tuple(fc.array(tie('printed'), { maxLength: 4 }), fc.constantFrom(...SEPARATORS), fc.boolean())
      .map(([items, sep, trailing]) => ({
        value: items.map((i) => i.value),
        text: `[${joinItems(
          items.map((i) => i.text),
          sep,
          trailing,
        )}]`,
      })),
    tuple: fc
      .tuple(fc.array(tie('printed'), { maxLength: 4 }), fc.constantFrom(...SEPARATORS), fc.boolean())
      .map(([items, sep, trailing]) => ({
        value: { __tuple__: items.map((i) => i.value) },
        text: `(${joinItems(
          items.map((i) => i.text),
          sep,
          trailing || items.length === 1,
        )})`,
      })),
    dict: fc
      .tuple(
        fc.dictionary(fc.string({ maxLength: 6 }), tie('printed'), { maxKeys: 4 }),
        fc.constantFrom(...SEPARATORS),
        fc.boolean(),
      )
      .map(([entries, sep, trailing]) => ({
        value: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, v.value])),
        text: `{${joinItems(
          Object.entries(entries).map(
            ([k, v]) =>
              `${JSON.stringify(k).replace(/\u2028|\u2029/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`)}: ${v.text}`,
          ),
          sep,
          trailing,
        )}}`,
      })),
    call: fc
      .tuple(fc.dictionary(IDENTIFIER, tie('printed'), { maxKeys: 4 }), fc.constantFrom(...SEPARATORS), fc.boolean())
      .map(([entries, sep, trailing]) => ({
        value: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, v.value])),
        text: `dict(${joinItems(
          Object.entries(entries).map(([k, v]) => `${k}=${v.text}`),
          sep,
          trailing,
        )})`,
      })),
  }),
);

describe('parsePythonConfig: any JSON-like value printed as a Python literal reads back equal', () => {
  it('property: random data, quoting, escapes, number forms, dict() or braces, newlines, comments, line joins', () => {
    fc.assert(
      fc.property(printed, (p) => {
        const module = parsePythonConfig(`x = ${p.text}\n`);
        expect(tagged(module.x)).toEqual(p.value);
      }),
      { numRuns: 400 },
    );
  });

  it.runIf(hasPython)('Python reads the same printed texts as the same data', () => {
    const samples = fc.sample(printed, { seed: 27, numRuns: 300 });
    const texts = samples.map((p) => `x = ${p.text}\n`);
    const python = pythonReads(texts) as Array<{ x: unknown }>;
    samples.forEach((p, i) => {
      expect(python[i].x, texts[i]).toEqual(p.value);
      expect(tagged(parsePythonConfig(texts[i]).x), texts[i]).toEqual(python[i].x);
    });
  });
});

describe('parsePythonConfig evaluates nothing', () => {
  it('its modules (src/config/python-*.ts) import only the error type and each other, name no way to run code', () => {
    const dir = join(ROOT, 'src/config');
    const files = readdirSync(dir).filter((f) => /^python-.*\.ts$/.test(f));
    expect(files).toContain('python-literal.ts');
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) {
      const source = readFileSync(join(dir, file), 'utf8');
      const imports = [...source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
      for (const from of imports) expect(from, file).toMatch(/^(?:\.\.\/errors\.js|\.\/python-[a-z-]+\.js)$/);
      expectNoWayToRunCode(source);
    }
  });
});

function expectNoWayToRunCode(source: string): void {
  {
    const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    for (const word of [
      /\beval\s*\(/,
      /\bFunction\s*\(/,
      /\bimport\s*\(/,
      /\brequire\s*\(/,
      /\bnode:vm\b/,
      /child_process/,
      /\bprocess\./,
      /\bglobalThis\b/,
      /\bReflect\b/,
    ]) {
      expect(code).not.toMatch(word);
    }
  }
}

describe('parsePythonConfig: range() as mmcv 1.x prints it (gpu_ids = range(0, 8) in 0.x checkpoint configs)', () => {
  it('reads as the list of its values; only integers; range cannot be rebound', () => {
    expect(parsePythonConfig('gpu_ids = range(0, 8)\nb = range(3)\nc = range(10, 0, -4)')).toEqual({
      gpu_ids: [0, 1, 2, 3, 4, 5, 6, 7],
      b: [0, 1, 2],
      c: [10, 6, 2],
    });
    expect(() => parsePythonConfig("x = range('a')")).toThrow(/range\(\) takes one to three integers/);
    expect(() => parsePythonConfig('x = range(0, 1, 0)')).toThrow(/step must not be zero/);
    expect(() => parsePythonConfig('range = 1')).toThrow(/assigning to 'range'/);
    expect(() => parsePythonConfig('x = range(0, 10 ** 9)')).toThrow(TsmError);
    expect(() => parsePythonConfig('x = range(0, 100000000)', { maxSize: 1000 })).toThrow(/a range of/);
  });
});
