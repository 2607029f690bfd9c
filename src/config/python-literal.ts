/**
 * Python config texts (mmengine/mmcv `Config.pretty_text`, or a config file as a person writes one) read as data,
 * never run. The subset is what those texts need and nothing that computes:
 *
 *   module     := (statement (';' statement)* NEWLINE)*
 *   statement  := NAME '=' expr | expr                    (a bare expression, e.g. a docstring, is read and dropped)
 *   expr       := '-'* atom
 *   atom       := string+ | number | True | False | None | NAME (assigned earlier) | '(' ')' | '(' expr ')'
 *               | '(' expr ',' [expr (',' expr)* [',']] ')' | '[' [expr (',' expr)* [',']] ']'
 *               | '{' [entry (',' entry)* [',']] '}' | 'dict' '(' [expr ','] [arg (',' arg)* [',']] ')'
 *   entry      := key ':' expr | '**' expr             key: a string, a number or a tuple of them
 *   arg        := NAME '=' expr | '**' expr            (a positional dict first: pretty_text writes `dict({1: 2})`)
 *
 * Tokens follow Python 3's lexical rules (string prefixes and escapes, triple quotes, implicit concatenation, `1_000`,
 * `0x`, `.5`, `1e-4`, comments, backslash continuations, newlines ignored inside brackets). Anything else Python
 * accepts — calls of anything but `dict`, attribute access, subscripts, operators, lambdas, comprehensions, f-strings,
 * statements — is refused by name with its line:column (`E_CONFIG_NOT_DATA`, family `unsupported`: valid Python that
 * tsm does not run); text Python itself rejects, or that would fail when run (an unknown name, `-'a'`, a repeated
 * keyword), is `input` (`E_CONFIG_SYNTAX`, `E_CONFIG_UNKNOWN_NAME`, `E_CONFIG_TYPE`). Each statement is parsed whole
 * before any of it is resolved, so a refused construct is reported even where a name in it is unknown.
 *
 * Output is plain frozen data: objects (dict keys as strings: numbers in decimal, tuples as `(a, b)`), arrays, strings,
 * numbers, booleans, null. A tuple is a frozen array marked for `isPyTuple`; ints and floats are both numbers. A name
 * refers to the value it had when it was used; shared values are shared, not copied, and their size counts each time
 * they are used, so a text cannot expand into more data than `maxSize` however its references nest.
 *
 * NOTE: this module imports nothing but the error type; it has no way to evaluate code (a test checks its imports).
 */
import { TsmError } from '../errors.js';

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

export const PYTHON_CONFIG_LIMITS = Object.freeze({ maxDepth: 100, maxSize: 16 * 1024 * 1024, maxLength: 8 * 1024 * 1024 });

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

// ------------------------------------------------------------------------------------------------- tokens

type TokenKind = 'name' | 'number' | 'string' | 'op' | 'newline' | 'eof';

interface Token {
  readonly kind: TokenKind;
  /** the source text of the token (a name NFKC-normalised, as Python does) */
  readonly text: string;
  readonly offset: number;
  /** number: its value; string: its decoded value */
  readonly value?: number | string;
  readonly isInt?: boolean;
}

const KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif',
  'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or',
  'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

/** Longest first: the tokenizer takes the first that matches. */
const OPERATORS = [
  '**=', '//=', '>>=', '<<=', '...', '->', ':=', '**', '//', '<<', '>>', '<=', '>=', '==', '!=', '+=', '-=', '*=', '/=',
  '%=', '&=', '|=', '^=', '@=', '(', ')', '[', ']', '{', '}', ',', ':', ';', '.', '=', '+', '-', '*', '/', '%', '&', '|',
  '^', '~', '<', '>', '@',
];
const BINARY_OPERATORS = new Set(['+', '-', '*', '/', '//', '%', '**', '@', '<<', '>>', '&', '|', '^', '<', '>', '<=', '>=', '==', '!=']);
const WORD_OPERATORS = new Set(['and', 'or', 'not', 'in', 'is']);
const CLOSING: ReadonlyMap<string, string> = new Map([['(', ')'], ['[', ']'], ['{', '}']]);

const NAME = /[\p{XID_Start}_][\p{XID_Continue}]*/uy;
const NUMBER =
  /0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*)?\.\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.?(?:[eE][+-]?\d(?:_?\d)*)?/y;
const STRING_PREFIX = /^(?:[rRuU]|[bB][rR]?|[rR][bB]|[fFtT][rR]?|[rR][fFtT])$/;
const SIMPLE_ESCAPES: ReadonlyMap<string, string> = new Map(Object.entries({
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
}));

/** Where a token or construct is: 1-based line and column (columns count code points, as editors do). */
interface Position {
  readonly line: number;
  readonly column: number;
}

class Tokenizer {
  private pos = 0;
  private readonly brackets: Array<{ open: string; offset: number }> = [];
  private atLineStart = true;
  private lastKind: TokenKind | undefined;
  private readonly queue: Token[] = [];
  private finished = false;

  constructor(readonly text: string, readonly source: string, readonly maxDepth: number) {}

  position(offset: number): Position {
    let line = 1;
    let lineStart = 0;
    for (let i = this.text.indexOf('\n'); i !== -1 && i < offset; i = this.text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    return { line, column: Array.from(this.text.slice(lineStart, offset)).length + 1 };
  }

  fail(family: 'input' | 'unsupported', code: string, offset: number, message: string, extra: Record<string, unknown> = {}): never {
    const { line, column } = this.position(offset);
    throw new TsmError(family, code, `${this.source} line ${line}:${column}: ${message}`, {
      hint: family === 'unsupported'
        ? 'tsm reads configs as data without running them: dicts, dict(k=v), lists, tuples, strings, numbers, True/False/None and names assigned earlier'
        : undefined,
      details: { source: this.source, line, column, ...extra },
    });
  }

  peek(ahead = 0): Token {
    while (this.queue.length <= ahead) this.queue.push(this.scan());
    return this.queue[ahead];
  }

  next(): Token {
    const token = this.peek();
    this.queue.shift();
    return token;
  }

  private emit(kind: TokenKind, text: string, offset: number, extra: Partial<Token> = {}): Token {
    this.lastKind = kind;
    this.atLineStart = kind === 'newline';
    return { kind, text, offset, ...extra };
  }

  private scan(): Token {
    const t = this.text;
    for (;;) {
      if (this.finished) return { kind: 'eof', text: '', offset: t.length };
      const start = this.pos;
      // whitespace; at the start of a logical line it is indentation, which no top-level statement may have
      while (this.pos < t.length && (t[this.pos] === ' ' || t[this.pos] === '\t' || t[this.pos] === '\f')) this.pos++;
      const c = t[this.pos];
      const blank = c === undefined || c === '\n' || c === '#';
      if (this.atLineStart && this.brackets.length === 0 && this.pos > start && !blank) {
        this.fail('input', 'E_CONFIG_SYNTAX', this.pos, 'unexpected indent (a config is a list of top-level assignments)');
      }
      if (c === undefined) {
        if (this.brackets.length) {
          const open = this.brackets[this.brackets.length - 1];
          this.fail('input', 'E_CONFIG_SYNTAX', open.offset, `'${open.open}' was never closed`);
        }
        if (this.lastKind !== undefined && this.lastKind !== 'newline') return this.emit('newline', '', this.pos);
        this.finished = true;
        return { kind: 'eof', text: '', offset: t.length };
      }
      if (c === '#') {
        const end = t.indexOf('\n', this.pos);
        this.pos = end === -1 ? t.length : end;
        continue;
      }
      if (c === '\n') {
        this.pos++;
        if (this.brackets.length === 0 && this.lastKind !== undefined && this.lastKind !== 'newline') return this.emit('newline', '\n', this.pos - 1);
        if (this.brackets.length === 0) this.atLineStart = true;
        continue;
      }
      if (c === '\\') {
        if (t[this.pos + 1] === '\n') {
          this.pos += 2;
          continue;
        }
        this.fail('input', 'E_CONFIG_SYNTAX', this.pos, t[this.pos + 1] === undefined ? 'unexpected end of text after a line continuation' : 'unexpected character after a line continuation');
      }
      return this.token();
    }
  }

  private token(): Token {
    const t = this.text;
    const start = this.pos;
    const c = t[start];
    if (c === '"' || c === "'") return this.string(start, '');
    if ((c >= '0' && c <= '9') || (c === '.' && t[start + 1] >= '0' && t[start + 1] <= '9')) return this.number(start);
    NAME.lastIndex = start;
    const name = NAME.exec(t);
    if (name) {
      this.pos = start + name[0].length;
      const quote = t[this.pos];
      if ((quote === '"' || quote === "'") && STRING_PREFIX.test(name[0])) return this.string(start, name[0]);
      return this.emit('name', name[0].normalize('NFKC'), start);
    }
    for (const op of OPERATORS) {
      if (t.startsWith(op, start)) {
        this.pos = start + op.length;
        if (CLOSING.has(op)) {
          if (this.brackets.length >= this.maxDepth) this.limit(start, `brackets nested deeper than ${this.maxDepth} levels`);
          this.brackets.push({ open: op, offset: start });
        } else if (op === ')' || op === ']' || op === '}') {
          const open = this.brackets.pop();
          if (!open) this.fail('input', 'E_CONFIG_SYNTAX', start, `unmatched '${op}'`);
          if (CLOSING.get(open.open) !== op) {
            const at = this.position(open.offset);
            this.fail('input', 'E_CONFIG_SYNTAX', start, `closing '${op}' does not match '${open.open}' opened at line ${at.line}:${at.column}`);
          }
        }
        return this.emit('op', op, start);
      }
    }
    if (c === '\0') this.fail('input', 'E_CONFIG_SYNTAX', start, 'a config text cannot contain NUL characters');
    const cp = t.codePointAt(start)!;
    this.fail('input', 'E_CONFIG_SYNTAX', start, `invalid character '${String.fromCodePoint(cp)}' (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`);
  }

  limit(offset: number, what: string): never {
    this.fail('unsupported', 'E_CONFIG_LIMIT', offset, `${what}: more than tsm reads from a config`);
  }

  private number(start: number): Token {
    const t = this.text;
    NUMBER.lastIndex = start;
    const text = NUMBER.exec(t)![0];
    this.pos = start + text.length;
    const after = t[this.pos];
    if (after === 'j' || after === 'J') this.fail('unsupported', 'E_CONFIG_NOT_DATA', start, `a complex number '${text}${after}' is not data tsm reads`, { construct: 'complex' });
    NAME.lastIndex = this.pos;
    if (after !== undefined && (NAME.test(t) || (after >= '0' && after <= '9'))) this.fail('input', 'E_CONFIG_SYNTAX', start, `invalid number literal '${text}${after}'`);
    const digits = text.replaceAll('_', '');
    const isInt = /^(?:0[xXoObB].*|\d+)$/.test(digits);
    let value: number;
    if (isInt) {
      if (/^0\d/.test(digits) && /[1-9]/.test(digits)) this.fail('input', 'E_CONFIG_SYNTAX', start, `leading zeros in the integer '${text}' are not Python (use an 0o prefix for octal)`);
      const big = BigInt(digits.length > 1 && /^0[oObBxX]/.test(digits) ? `0${digits[1].toLowerCase()}${digits.slice(2)}` : digits);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
        this.fail('unsupported', 'E_CONFIG_NOT_DATA', start, `the integer ${text} is larger than tsm represents exactly (2^53 - 1)`, { construct: 'big-int' });
      }
      value = Number(big);
    } else {
      value = Number(digits);
      if (!Number.isFinite(value)) this.fail('unsupported', 'E_CONFIG_NOT_DATA', start, `the float ${text} overflows to infinity`, { construct: 'infinite-float' });
    }
    return this.emit('number', text, start, { value, isInt });
  }

  private string(start: number, prefix: string): Token {
    const t = this.text;
    const lower = prefix.toLowerCase();
    if (lower.includes('f') || lower.includes('t')) {
      this.fail('unsupported', 'E_CONFIG_NOT_DATA', start, `an ${lower.includes('f') ? 'f' : 't'}-string is not data: it evaluates the expressions in its braces`, { construct: 'f-string' });
    }
    if (lower.includes('b')) this.fail('unsupported', 'E_CONFIG_NOT_DATA', start, 'a bytes literal is not data tsm reads (configs hold text)', { construct: 'bytes' });
    const raw = lower.includes('r');
    let i = start + prefix.length;
    const quote = t[i];
    const triple = t.startsWith(quote.repeat(3), i);
    const close = triple ? quote.repeat(3) : quote;
    i += close.length;
    let value = '';
    for (;;) {
      if (i >= t.length || (!triple && t[i] === '\n')) {
        this.fail('input', 'E_CONFIG_SYNTAX', start, `unterminated ${triple ? 'triple-quoted ' : ''}string`);
      }
      if (t.startsWith(close, i)) break;
      const c = t[i];
      if (c !== '\\') {
        value += c;
        i++;
        continue;
      }
      const e = t[i + 1];
      if (e === undefined) this.fail('input', 'E_CONFIG_SYNTAX', start, `unterminated ${triple ? 'triple-quoted ' : ''}string`);
      if (raw) {
        // a raw string keeps the backslash; it still stops the next character from closing the string
        value += c + e;
        i += 2;
        continue;
      }
      i += 2;
      if (e === '\n') continue;
      const simple = SIMPLE_ESCAPES.get(e);
      if (simple !== undefined) {
        value += simple;
      } else if (e >= '0' && e <= '7') {
        let digits = e;
        while (digits.length < 3 && t[i] >= '0' && t[i] <= '7') digits += t[i++];
        value += String.fromCodePoint(parseInt(digits, 8));
      } else if (e === 'x' || e === 'u' || e === 'U') {
        const width = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = t.slice(i, i + width);
        if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) this.fail('input', 'E_CONFIG_SYNTAX', i - 2, `truncated \\${e} escape (${width} hex digits expected)`);
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) this.fail('input', 'E_CONFIG_SYNTAX', i - 2, `\\U${hex} is beyond Unicode`);
        value += String.fromCodePoint(cp);
        i += width;
      } else if (e === 'N') {
        this.fail('unsupported', 'E_CONFIG_NOT_DATA', i - 2, 'a \\N{...} escape (a character by its Unicode name) is not supported', { construct: 'named-escape' });
      } else {
        value += c + e; // Python keeps an unknown escape as it is
      }
    }
    this.pos = i + close.length;
    return this.emit('string', t.slice(start, this.pos), start, { value });
  }
}

// ------------------------------------------------------------------------------------------------- syntax

type Node =
  | { readonly k: 'const'; readonly value: null | boolean | number | string; readonly isInt?: boolean; readonly at: number }
  | { readonly k: 'name'; readonly id: string; readonly at: number }
  | { readonly k: 'neg'; readonly operand: Node; readonly at: number }
  | { readonly k: 'list' | 'tuple'; readonly items: readonly Node[]; readonly at: number }
  | { readonly k: 'dict'; readonly entries: readonly DictEntry[]; readonly at: number }
  | { readonly k: 'call'; readonly positional?: Node; readonly args: readonly CallArg[]; readonly at: number };

type DictEntry = { readonly key: Node; readonly value: Node } | { readonly spread: Node; readonly at: number };
type CallArg = { readonly name: string; readonly value: Node; readonly at: number } | { readonly spread: Node; readonly at: number };

const STATEMENT_KEYWORDS: ReadonlyMap<string, string> = new Map(Object.entries({
  import: "an 'import' statement", from: "an 'import' statement", def: "a function definition ('def')",
  class: "a class definition ('class')", if: "an 'if' statement", elif: "an 'elif' statement", else: "an 'else' clause",
  for: "a 'for' loop", while: "a 'while' loop", with: "a 'with' statement", try: "a 'try' statement",
  except: "an 'except' clause", finally: "a 'finally' clause", return: "a 'return' statement", del: "a 'del' statement",
  global: "a 'global' statement", nonlocal: "a 'nonlocal' statement", assert: "an 'assert' statement",
  raise: "a 'raise' statement", pass: "a 'pass' statement", break: "a 'break' statement",
  continue: "a 'continue' statement", async: "an 'async' statement", await: "an 'await' expression",
  yield: "a 'yield' expression", lambda: 'a lambda',
}));

class Parser {
  private depth = 0;

  constructor(private readonly tokens: Tokenizer) {}

  notData(offset: number, construct: string, message: string): never {
    this.tokens.fail('unsupported', 'E_CONFIG_NOT_DATA', offset, `${message} is not data; tsm reads configs without executing them`, { construct });
  }

  syntax(offset: number, message: string): never {
    this.tokens.fail('input', 'E_CONFIG_SYNTAX', offset, message);
  }

  /** The next statement: `[name, node]` for an assignment, `[undefined, node]` for a bare expression, undefined at the end. */
  statement(): [string | undefined, Node] | undefined {
    let token = this.tokens.peek();
    while (token.kind === 'newline' || (token.kind === 'op' && token.text === ';')) {
      if (token.text === ';') this.syntax(token.offset, "a statement cannot start with ';'");
      this.tokens.next();
      token = this.tokens.peek();
    }
    if (token.kind === 'eof') return undefined;
    if (token.kind === 'op' && token.text === '@') this.notData(token.offset, 'decorator', 'a decorator');
    const statementKeyword = token.kind === 'name' ? STATEMENT_KEYWORDS.get(token.text) : undefined;
    if (statementKeyword && token.text !== 'lambda' && token.text !== 'await' && token.text !== 'yield') {
      this.notData(token.offset, token.text, statementKeyword);
    }
    let target: string | undefined;
    const following = this.tokens.peek(1);
    if (token.kind === 'name' && !KEYWORDS.has(token.text) && following.kind === 'op' && following.text === '=') {
      target = token.text;
      if (target === 'dict') this.notData(token.offset, 'rebinding-dict', "assigning to 'dict' (it would change what dict(...) means)");
      this.tokens.next();
      this.tokens.next();
    }
    const node = this.expressionList();
    const end = this.tokens.peek();
    if (end.kind === 'op' && end.text === '=') {
      if (target !== undefined) this.notData(end.offset, 'chained-assignment', `a chained assignment '${target} = … = …'`);
      if (node.k === 'tuple') this.notData(node.at, 'unpacking', 'an unpacking assignment');
      this.syntax(end.offset, 'only a name can be assigned to');
    }
    if (end.kind === 'op' && end.text === ':' && target === undefined && node.k === 'name') this.notData(end.offset, 'annotation', `an annotated assignment '${node.id}: …'`);
    if (end.kind === 'op' && end.text.length >= 2 && end.text.endsWith('=') && !['==', '<=', '>=', '!='].includes(end.text)) {
      this.notData(end.offset, 'augmented-assignment', `an augmented assignment '${end.text}'`);
    }
    this.expectEnd(end, 'the end of the statement');
    this.tokens.next();
    return [target, node];
  }

  /** After an expression: a newline or ';' ends the statement; anything else is named (an operator, a call, …). */
  private expectEnd(token: Token, expected: string): void {
    if (token.kind === 'newline' || token.kind === 'eof' || (token.kind === 'op' && token.text === ';')) return;
    this.unexpected(token, expected);
  }

  /** The construct a token starts where it cannot continue an expression, or a syntax error. */
  private unexpected(token: Token, expected: string): never {
    if (token.kind === 'op') {
      if (BINARY_OPERATORS.has(token.text)) this.notData(token.offset, 'operator', `the operator '${token.text}'`);
      if (token.text === ':=') this.notData(token.offset, 'walrus', "an assignment expression ':='");
      if (token.text === '.') {
        const attr = this.tokens.peek(1);
        this.notData(token.offset, 'attribute', `attribute access '.${attr.kind === 'name' ? attr.text : ''}'`);
      }
      if (token.text === '(') this.notData(token.offset, 'call', 'a call');
      if (token.text === '[') this.notData(token.offset, 'subscript', 'a subscript');
    }
    if (token.kind === 'name') {
      if (token.text === 'if') this.notData(token.offset, 'conditional', "a conditional expression '… if … else …'");
      if (token.text === 'for' || token.text === 'async') this.notData(token.offset, 'comprehension', "a comprehension '… for … in …'");
      if (WORD_OPERATORS.has(token.text)) this.notData(token.offset, 'operator', `the operator '${token.text}'`);
    }
    const found = token.kind === 'newline' ? 'the end of the line' : token.kind === 'eof' ? 'the end of the text' : `'${token.text}'`;
    this.syntax(token.offset, `expected ${expected}, found ${found}`);
  }

  /** `x = 1, 2` and `x = 1,` are tuples without brackets, as in Python. */
  private expressionList(): Node {
    const first = this.expression();
    if (!this.isOp(this.tokens.peek(), ',')) return first;
    const items = [first];
    while (this.isOp(this.tokens.peek(), ',')) {
      this.tokens.next();
      const next = this.tokens.peek();
      if (next.kind === 'newline' || next.kind === 'eof' || this.isOp(next, ';') || this.isOp(next, '=')) break;
      items.push(this.expression());
    }
    return { k: 'tuple', items, at: first.at };
  }

  private isOp(token: Token, text: string): boolean {
    return token.kind === 'op' && token.text === text;
  }

  private enter(offset: number): void {
    if (++this.depth > this.tokens.maxDepth) this.tokens.limit(offset, `expressions nested deeper than ${this.tokens.maxDepth} levels`);
  }

  expression(): Node {
    const token = this.tokens.peek();
    if (token.kind === 'op' && token.text === '-') {
      this.tokens.next();
      this.enter(token.offset);
      const operand = this.expression();
      this.depth--;
      return { k: 'neg', operand, at: token.offset };
    }
    if (token.kind === 'op' && (token.text === '+' || token.text === '~')) this.notData(token.offset, 'operator', `the unary operator '${token.text}'`);
    if (token.kind === 'op' && (token.text === '*' || token.text === '**')) this.notData(token.offset, 'starred', `a starred item '${token.text}…'`);
    const node = this.atom();
    const after = this.tokens.peek();
    // a trailer on a value: the call/attribute/subscript is what is refused, named after the value when it is a name
    if (after.kind === 'op' && (after.text === '(' || after.text === '.' || after.text === '[')) {
      const callee = node.k === 'name' ? node.id : undefined;
      if (after.text === '(') this.notData(node.at, 'call', callee ? `a call of '${callee}'` : 'a call');
      if (after.text === '[') this.notData(node.at, 'subscript', callee ? `a subscript of '${callee}'` : 'a subscript');
      const attr = this.tokens.peek(1);
      const attrName = attr.kind === 'name' ? attr.text : '';
      this.notData(node.at, 'attribute', `attribute access '${callee ?? ''}.${attrName}'`);
    }
    return node;
  }

  private atom(): Node {
    const token = this.tokens.next();
    switch (token.kind) {
      case 'number':
        return { k: 'const', value: token.value as number, isInt: token.isInt, at: token.offset };
      case 'string': {
        let value = token.value as string;
        while (this.tokens.peek().kind === 'string') value += this.tokens.next().value as string;
        return { k: 'const', value, at: token.offset };
      }
      case 'name':
        return this.nameAtom(token);
      case 'op':
        if (token.text === '(') return this.parenthesised(token);
        if (token.text === '[') return this.list(token);
        if (token.text === '{') return this.braces(token);
        if (token.text === '...') this.notData(token.offset, 'ellipsis', "an Ellipsis '...'");
        break;
    }
    this.unexpected(token, 'a value');
  }

  private nameAtom(token: Token): Node {
    const id = token.text;
    if (id === 'True' || id === 'False') return { k: 'const', value: id === 'True', at: token.offset };
    if (id === 'None') return { k: 'const', value: null, at: token.offset };
    if (id === 'lambda') this.notData(token.offset, 'lambda', 'a lambda');
    if (id === 'not') this.notData(token.offset, 'operator', "the operator 'not'");
    const keyword = STATEMENT_KEYWORDS.get(id);
    if (keyword) this.notData(token.offset, id, keyword);
    if (KEYWORDS.has(id)) this.syntax(token.offset, `'${id}' is a keyword, not a value`);
    const next = this.tokens.peek();
    if (id === 'dict' && next.kind === 'op' && next.text === '(') {
      this.tokens.next();
      return this.dictCall(token);
    }
    return { k: 'name', id, at: token.offset };
  }

  /** Items up to the closing bracket, with a trailing comma allowed; `item` parses one and may refuse it. */
  private items<T>(close: string, item: (first: boolean) => T, onComma?: () => void): { items: T[]; comma: boolean } {
    const items: T[] = [];
    let comma = false;
    for (;;) {
      const token = this.tokens.peek();
      if (token.kind === 'op' && token.text === close) {
        this.tokens.next();
        return { items, comma };
      }
      items.push(item(items.length === 0));
      comma = false;
      const after = this.tokens.peek();
      if (after.kind === 'op' && after.text === ',') {
        this.tokens.next();
        comma = true;
        onComma?.();
      } else if (!(after.kind === 'op' && after.text === close)) {
        this.unexpected(after, `',' or '${close}'`);
      }
    }
  }

  private parenthesised(open: Token): Node {
    this.enter(open.offset);
    const { items, comma } = this.items(')', () => this.expression());
    this.depth--;
    if (items.length === 1 && !comma) return items[0];
    return { k: 'tuple', items, at: open.offset };
  }

  private list(open: Token): Node {
    this.enter(open.offset);
    const { items } = this.items(']', () => this.expression());
    this.depth--;
    return { k: 'list', items, at: open.offset };
  }

  private braces(open: Token): Node {
    this.enter(open.offset);
    const { items } = this.items('}', () => {
      const token = this.tokens.peek();
      if (token.kind === 'op' && token.text === '**') {
        this.tokens.next();
        return { spread: this.expression(), at: token.offset };
      }
      const key = this.expression();
      const colon = this.tokens.peek();
      if (colon.kind === 'op' && colon.text === ':') {
        this.tokens.next();
        return { key, value: this.expression() };
      }
      if ((colon.kind === 'op' && (colon.text === ',' || colon.text === '}'))) this.notData(open.offset, 'set', 'a set');
      return this.unexpected(colon, "':'");
    });
    this.depth--;
    return { k: 'dict', entries: items, at: open.offset };
  }

  private dictCall(callee: Token): Node {
    this.enter(callee.offset);
    let positional: Node | undefined;
    let keywords = false;
    const { items } = this.items(')', (first) => {
      const token = this.tokens.peek();
      if (token.kind === 'op' && token.text === '**') {
        this.tokens.next();
        keywords = true;
        return { spread: this.expression(), at: token.offset };
      }
      if (token.kind === 'op' && token.text === '*') this.notData(token.offset, 'starred', "a starred argument '*…'");
      const following = this.tokens.peek(1);
      if (token.kind === 'name' && following.kind === 'op' && following.text === '=') {
        if (KEYWORDS.has(token.text)) this.syntax(token.offset, `'${token.text}' is a keyword and cannot name an argument`);
        this.tokens.next();
        this.tokens.next();
        keywords = true;
        return { name: token.text, value: this.expression(), at: token.offset };
      }
      const value = this.expression();
      if (!first || keywords) this.syntax(value.at, 'dict() takes one positional argument, before its keyword arguments');
      positional = value;
      return undefined;
    });
    this.depth--;
    return { k: 'call', positional, args: items.filter((a): a is CallArg => a !== undefined), at: callee.offset };
  }
}

// ------------------------------------------------------------------------------------------------- values

interface Built {
  readonly value: PyValue;
  /** a number written as a float (Python keeps -0.0, but -0 is the int 0) */
  readonly float?: boolean;
  /** the value written out: one per value, one per string character */
  readonly size: number;
  readonly depth: number;
}

type KeyKind = 'str' | 'num' | 'tuple';

class Evaluator {
  readonly names = new Map<string, Built>();
  /** key kinds of the dicts built here whose keys are not all strings (Python keeps 1 and '1' apart; JSON cannot) */
  private readonly keyKinds = new WeakMap<object, ReadonlyMap<string, KeyKind>>();

  constructor(private readonly tokens: Tokenizer, private readonly maxSize: number) {}

  fail(code: string, family: 'input' | 'unsupported', at: number, message: string, extra: Record<string, unknown> = {}): never {
    this.tokens.fail(family, code, at, message, extra);
  }

  private checked(built: Built, at: number): Built {
    if (built.depth > this.tokens.maxDepth) this.tokens.limit(at, `a value nested deeper than ${this.tokens.maxDepth} levels`);
    if (built.size > this.maxSize) this.tokens.limit(at, `a value larger than ${this.maxSize} (values plus string characters, references written out)`);
    return built;
  }

  build(node: Node): Built {
    switch (node.k) {
      case 'const':
        return { value: node.value, float: node.isInt === false, size: 1 + (typeof node.value === 'string' ? node.value.length : 0), depth: 0 };
      case 'name': {
        const found = this.names.get(node.id);
        if (found) return found;
        if (node.id === 'dict') this.fail('E_CONFIG_NOT_DATA', 'unsupported', node.at, "the name 'dict' outside a call of dict(...) is not data", { construct: 'dict-name' });
        const known = [...this.names.keys()];
        const hint = known.length ? ` (names assigned before it: ${known.slice(-12).join(', ')}${known.length > 12 ? ', …' : ''})` : '';
        return this.fail('E_CONFIG_UNKNOWN_NAME', 'input', node.at, `the name '${node.id}' is not assigned earlier in the config${hint}`, { name: node.id });
      }
      case 'neg': {
        const operand = this.build(node.operand);
        if (typeof operand.value !== 'number' && typeof operand.value !== 'boolean') {
          this.fail('E_CONFIG_TYPE', 'input', node.at, `unary minus of ${describeValue(operand.value)}: Python accepts it only on numbers`);
        }
        // -True is -1 and -0 is 0 (ints); only a float has a negative zero
        const value = operand.float ? -(operand.value as number) : 0 - Number(operand.value);
        return { value, float: operand.float, size: 1, depth: 0 };
      }
      case 'list':
      case 'tuple': {
        const items = node.items.map((item) => this.build(item));
        const values = items.map((b) => b.value);
        const built = { value: node.k === 'tuple' ? pyTuple(values) : Object.freeze(values), size: 1 + sum(items), depth: 1 + maxDepth(items) };
        return this.checked(built, node.at);
      }
      case 'dict':
        return this.dict(node);
      case 'call':
        return this.call(node);
    }
  }

  private key(node: Node): [string, KeyKind] {
    const built = this.build(node);
    const v = built.value;
    if (typeof v === 'string') return [v, 'str'];
    if (typeof v === 'number') return [String(v), 'num'];
    if (isPyTuple(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) {
      return [`(${v.map((x) => (typeof x === 'string' ? `'${x}'` : String(x))).join(', ')}${v.length === 1 ? ',' : ''})`, 'tuple'];
    }
    this.fail('E_CONFIG_NOT_DATA', 'unsupported', node.at, `a dict key that is ${describeValue(v)}: tsm reads string, number and tuple keys`, { construct: 'key' });
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
    if (node.positional) out.spread(this.spreadSource(node.positional, node.positional.at, 'dict(…)'), node.positional.at);
    const given = new Set<string>();
    for (const arg of node.args) {
      if ('spread' in arg) {
        const source = this.spreadSource(arg.spread, arg.at, 'dict(**…)');
        for (const key of Object.keys(source.value as PyDict)) {
          if ((this.kinds(source.value)?.get(key) ?? 'str') !== 'str') {
            this.fail('E_CONFIG_TYPE', 'input', arg.at, `dict(**…) needs string keys; found the key ${key}`);
          }
          if (given.has(key)) this.fail('E_CONFIG_TYPE', 'input', arg.at, `dict() got the keyword '${key}' twice (Python refuses this)`, { key });
          given.add(key);
        }
        out.spread(source, arg.at);
      } else {
        if (given.has(arg.name)) this.fail('E_CONFIG_TYPE', 'input', arg.at, `dict() got the keyword '${arg.name}' twice (Python refuses this)`, { key: arg.name });
        given.add(arg.name);
        out.set(arg.name, 'str', this.build(arg.value), arg.at);
      }
    }
    return out.done();
  }

  private spreadSource(node: Node, at: number, form: string): Built {
    const built = this.build(node);
    if (Array.isArray(built.value) && form === 'dict(…)') {
      this.fail('E_CONFIG_NOT_DATA', 'unsupported', at, `dict() of ${describeValue(built.value)} (pairs) is not supported; tsm reads dict(k=v), dict({…}) and dict(**a_dict)`, { construct: 'dict-of-pairs' });
    }
    if (!isPyDict(built.value)) this.fail('E_CONFIG_TYPE', 'input', at, `${form} needs a dict, found ${describeValue(built.value)}`);
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
class DictBuilder {
  private readonly out: Record<string, PyValue> = {};
  private readonly kinds = new Map<string, KeyKind>();
  private size = 1;
  private depth = 1;

  constructor(private readonly evaluator: Evaluator, private readonly at: number) {}

  set(key: string, kind: KeyKind, value: Built, at: number): void {
    const before = this.kinds.get(key);
    if (before !== undefined && before !== kind && (before === 'str' || kind === 'str')) {
      this.evaluator.fail('E_CONFIG_NOT_DATA', 'unsupported', at, `the dict has both the string key '${key}' and the ${(kind === 'str' ? before : kind) === 'num' ? 'number' : 'tuple'} key ${key}, which tsm cannot keep apart`, { construct: 'key-collision', key });
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

/**
 * The module's names and their final values, from a config text, without running any of it. Throws a TsmError
 * (E_CONFIG_SYNTAX, E_CONFIG_NOT_DATA, E_CONFIG_UNKNOWN_NAME, E_CONFIG_TYPE, E_CONFIG_LIMIT) naming the line:column.
 */
export function parsePythonConfig(text: string, options: PythonConfigOptions = {}): PyDict {
  const source = options.source ?? 'config';
  const maxDepth = options.maxDepth ?? PYTHON_CONFIG_LIMITS.maxDepth;
  const maxSize = options.maxSize ?? PYTHON_CONFIG_LIMITS.maxSize;
  const maxLength = options.maxLength ?? PYTHON_CONFIG_LIMITS.maxLength;
  if (text.length > maxLength) {
    throw new TsmError('unsupported', 'E_CONFIG_LIMIT', `${source}: the config text has ${text.length} characters, more than the ${maxLength} tsm reads`, {
      details: { source, length: text.length, maxLength },
    });
  }
  // Python reads source with universal newlines; a leading byte-order mark is not part of the text
  const normalised = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const tokens = new Tokenizer(normalised, source, maxDepth);
  const parser = new Parser(tokens);
  const evaluator = new Evaluator(tokens, maxSize);
  let total = 0;
  for (let statement = parser.statement(); statement; statement = parser.statement()) {
    const [target, node] = statement;
    const built = evaluator.build(node);
    if (target === undefined) continue;
    total += built.size - (evaluator.names.get(target)?.size ?? 0);
    if (total > maxSize) tokens.limit(node.at, `a config larger than ${maxSize} (values plus string characters, references written out)`);
    evaluator.names.set(target, built);
  }
  const module: Record<string, PyValue> = {};
  for (const [name, built] of evaluator.names) Object.defineProperty(module, name, { value: built.value, enumerable: true, writable: true, configurable: true });
  return Object.freeze(module);
}
