/** The tokenizer of config texts: Python 3's lexical rules for the subset python-literal.ts reads. */
import { TsmError } from '../errors.js';
import {
  CLOSING,
  type ConfigErrorCode,
  NAME,
  NUMBER,
  OPERATORS,
  type Position,
  SIMPLE_ESCAPES,
  STRING_PREFIX,
  type Token,
  type TokenKind,
} from './python-lexicon.js';

export class Tokenizer {
  private pos = 0;
  private readonly brackets: Array<{ open: string; offset: number }> = [];
  private atLineStart = true;
  private lastKind: TokenKind | undefined;
  private readonly queue: Token[] = [];
  private finished = false;

  constructor(
    readonly text: string,
    readonly source: string,
    readonly maxDepth: number,
  ) {}

  position(offset: number): Position {
    let line = 1;
    let lineStart = 0;
    for (let i = this.text.indexOf('\n'); i !== -1 && i < offset; i = this.text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    return { line, column: Array.from(this.text.slice(lineStart, offset)).length + 1 };
  }

  fail(
    family: 'input' | 'unsupported',
    code: ConfigErrorCode,
    offset: number,
    message: string,
    extra: Record<string, unknown> = {},
  ): never {
    const { line, column } = this.position(offset);
    throw new TsmError(family, code, `${this.source} line ${line}:${column}: ${message}`, {
      hint:
        family === 'unsupported'
          ? 'tsm reads configs as data without running them: dicts, dict(k=v), lists, tuples, strings, numbers, ' +
            'True/False/None and names assigned earlier'
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
        this.fail(
          'input',
          'E_CONFIG_SYNTAX',
          this.pos,
          'unexpected indent (a config is a list of top-level assignments)',
        );
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
        if (this.brackets.length === 0 && this.lastKind !== undefined && this.lastKind !== 'newline')
          return this.emit('newline', '\n', this.pos - 1);
        if (this.brackets.length === 0) this.atLineStart = true;
        continue;
      }
      if (c === '\\') {
        if (t[this.pos + 1] === '\n') {
          this.pos += 2;
          continue;
        }
        this.fail(
          'input',
          'E_CONFIG_SYNTAX',
          this.pos,
          t[this.pos + 1] === undefined
            ? 'unexpected end of text after a line continuation'
            : 'unexpected character after a line continuation',
        );
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
          if (this.brackets.length >= this.maxDepth)
            this.limit(start, `brackets nested deeper than ${this.maxDepth} levels`);
          this.brackets.push({ open: op, offset: start });
        } else if (op === ')' || op === ']' || op === '}') {
          const open = this.brackets.pop();
          if (!open) this.fail('input', 'E_CONFIG_SYNTAX', start, `unmatched '${op}'`);
          if (CLOSING.get(open.open) !== op) {
            const at = this.position(open.offset);
            this.fail(
              'input',
              'E_CONFIG_SYNTAX',
              start,
              `closing '${op}' does not match '${open.open}' opened at line ${at.line}:${at.column}`,
            );
          }
        }
        return this.emit('op', op, start);
      }
    }
    if (c === '\0') this.fail('input', 'E_CONFIG_SYNTAX', start, 'a config text cannot contain NUL characters');
    const cp = t.codePointAt(start) ?? 0;
    this.fail(
      'input',
      'E_CONFIG_SYNTAX',
      start,
      `invalid character '${String.fromCodePoint(cp)}' (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`,
    );
  }

  limit(offset: number, what: string): never {
    this.fail('unsupported', 'E_CONFIG_LIMIT', offset, `${what}: more than tsm reads from a config`);
  }

  private number(start: number): Token {
    const t = this.text;
    NUMBER.lastIndex = start;
    const text = NUMBER.exec(t)?.[0] ?? '';
    this.pos = start + text.length;
    const after = t[this.pos];
    if (after === 'j' || after === 'J')
      this.fail('unsupported', 'E_CONFIG_NOT_DATA', start, `a complex number '${text}${after}' is not data tsm reads`, {
        construct: 'complex',
      });
    NAME.lastIndex = this.pos;
    if (after !== undefined && (NAME.test(t) || (after >= '0' && after <= '9')))
      this.fail('input', 'E_CONFIG_SYNTAX', start, `invalid number literal '${text}${after}'`);
    const digits = text.replaceAll('_', '');
    const isInt = /^(?:0[xXoObB].*|\d+)$/.test(digits);
    let value: number;
    if (isInt) {
      if (/^0\d/.test(digits) && /[1-9]/.test(digits))
        this.fail(
          'input',
          'E_CONFIG_SYNTAX',
          start,
          `leading zeros in the integer '${text}' are not Python (use an 0o prefix for octal)`,
        );
      const big = BigInt(
        digits.length > 1 && /^0[oObBxX]/.test(digits) ? `0${digits[1].toLowerCase()}${digits.slice(2)}` : digits,
      );
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
        this.fail(
          'unsupported',
          'E_CONFIG_NOT_DATA',
          start,
          `the integer ${text} is larger than tsm represents exactly (2^53 - 1)`,
          { construct: 'big-int' },
        );
      }
      value = Number(big);
    } else {
      value = Number(digits);
      if (!Number.isFinite(value))
        this.fail('unsupported', 'E_CONFIG_NOT_DATA', start, `the float ${text} overflows to infinity`, {
          construct: 'infinite-float',
        });
    }
    return this.emit('number', text, start, { value, isInt });
  }

  private string(start: number, prefix: string): Token {
    const t = this.text;
    const lower = prefix.toLowerCase();
    if (lower.includes('f') || lower.includes('t')) {
      this.fail(
        'unsupported',
        'E_CONFIG_NOT_DATA',
        start,
        `an ${lower.includes('f') ? 'f' : 't'}-string is not data: it evaluates the expressions in its braces`,
        { construct: 'f-string' },
      );
    }
    if (lower.includes('b'))
      this.fail(
        'unsupported',
        'E_CONFIG_NOT_DATA',
        start,
        'a bytes literal is not data tsm reads (configs hold text)',
        { construct: 'bytes' },
      );
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
      if (e === undefined)
        this.fail('input', 'E_CONFIG_SYNTAX', start, `unterminated ${triple ? 'triple-quoted ' : ''}string`);
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
        if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex))
          this.fail('input', 'E_CONFIG_SYNTAX', i - 2, `truncated \\${e} escape (${width} hex digits expected)`);
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) this.fail('input', 'E_CONFIG_SYNTAX', i - 2, `\\U${hex} is beyond Unicode`);
        value += String.fromCodePoint(cp);
        i += width;
      } else if (e === 'N') {
        this.fail(
          'unsupported',
          'E_CONFIG_NOT_DATA',
          i - 2,
          'a \\N{...} escape (a character by its Unicode name) is not supported',
          { construct: 'named-escape' },
        );
      } else {
        value += c + e; // Python keeps an unknown escape as it is
      }
    }
    this.pos = i + close.length;
    return this.emit('string', t.slice(start, this.pos), start, { value });
  }
}
