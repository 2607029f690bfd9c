/** The parser of config texts: statements and expressions of the data subset into nodes, refusing the rest by name. */
import { BINARY_OPERATORS, KEYWORDS, STATEMENT_KEYWORDS, type Token, WORD_OPERATORS } from './python-lexicon.js';
import type { Tokenizer } from './python-tokens.js';

export type Node =
  | {
      readonly k: 'const';
      readonly value: null | boolean | number | string;
      readonly isInt?: boolean;
      readonly at: number;
    }
  | { readonly k: 'name'; readonly id: string; readonly at: number }
  | { readonly k: 'neg'; readonly operand: Node; readonly at: number }
  | { readonly k: 'list' | 'tuple'; readonly items: readonly Node[]; readonly at: number }
  | { readonly k: 'dict'; readonly entries: readonly DictEntry[]; readonly at: number }
  | { readonly k: 'call'; readonly positional?: Node; readonly args: readonly CallArg[]; readonly at: number }
  | { readonly k: 'range'; readonly args: readonly Node[]; readonly at: number };

export type DictEntry = { readonly key: Node; readonly value: Node } | { readonly spread: Node; readonly at: number };
export type CallArg =
  | { readonly name: string; readonly value: Node; readonly at: number }
  | { readonly spread: Node; readonly at: number };

export class Parser {
  private depth = 0;

  constructor(private readonly tokens: Tokenizer) {}

  notData(offset: number, construct: string, message: string): never {
    this.tokens.fail(
      'unsupported',
      'E_CONFIG_NOT_DATA',
      offset,
      `${message} is not data; tsm reads configs without executing them`,
      { construct },
    );
  }

  syntax(offset: number, message: string): never {
    this.tokens.fail('input', 'E_CONFIG_SYNTAX', offset, message);
  }

  /** The next statement: `[name, node]` for an assignment, `[undefined, node]` for a bare expression, undefined at
   * the end. */
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
      if (target === 'dict' || target === 'range')
        this.notData(
          token.offset,
          `rebinding-${target}`,
          `assigning to '${target}' (it would change what ${target}(...) means)`,
        );
      this.tokens.next();
      this.tokens.next();
    }
    const node = this.expressionList();
    const end = this.tokens.peek();
    if (end.kind === 'op' && end.text === '=') {
      if (target !== undefined)
        this.notData(end.offset, 'chained-assignment', `a chained assignment '${target} = … = …'`);
      if (node.k === 'tuple') this.notData(node.at, 'unpacking', 'an unpacking assignment');
      this.syntax(end.offset, 'only a name can be assigned to');
    }
    if (end.kind === 'op' && end.text === ':' && target === undefined && node.k === 'name')
      this.notData(end.offset, 'annotation', `an annotated assignment '${node.id}: …'`);
    if (
      end.kind === 'op' &&
      end.text.length >= 2 &&
      end.text.endsWith('=') &&
      !['==', '<=', '>=', '!='].includes(end.text)
    ) {
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
      if (token.text === 'for' || token.text === 'async')
        this.notData(token.offset, 'comprehension', "a comprehension '… for … in …'");
      if (WORD_OPERATORS.has(token.text)) this.notData(token.offset, 'operator', `the operator '${token.text}'`);
    }
    const found =
      token.kind === 'newline'
        ? 'the end of the line'
        : token.kind === 'eof'
          ? 'the end of the text'
          : `'${token.text}'`;
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
    if (++this.depth > this.tokens.maxDepth)
      this.tokens.limit(offset, `expressions nested deeper than ${this.tokens.maxDepth} levels`);
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
    if (token.kind === 'op' && (token.text === '+' || token.text === '~'))
      this.notData(token.offset, 'operator', `the unary operator '${token.text}'`);
    if (token.kind === 'op' && (token.text === '*' || token.text === '**'))
      this.notData(token.offset, 'starred', `a starred item '${token.text}…'`);
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
    // mmcv 1.x's pretty_text prints a range as its repr (`gpu_ids = range(0, 8)` in every 0.x checkpoint's config)
    if (id === 'range' && next.kind === 'op' && next.text === '(') {
      this.tokens.next();
      this.enter(token.offset);
      const { items } = this.items(')', () => this.expression());
      this.depth--;
      return { k: 'range', args: items, at: token.offset };
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
      if (colon.kind === 'op' && (colon.text === ',' || colon.text === '}')) this.notData(open.offset, 'set', 'a set');
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
        if (KEYWORDS.has(token.text))
          this.syntax(token.offset, `'${token.text}' is a keyword and cannot name an argument`);
        this.tokens.next();
        this.tokens.next();
        keywords = true;
        return { name: token.text, value: this.expression(), at: token.offset };
      }
      const value = this.expression();
      if (!first || keywords)
        this.syntax(value.at, 'dict() takes one positional argument, before its keyword arguments');
      positional = value;
      return undefined;
    });
    this.depth--;
    return { k: 'call', positional, args: items.filter((a): a is CallArg => a !== undefined), at: callee.offset };
  }
}
