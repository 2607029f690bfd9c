/** The Python lexicon the config reader knows: token kinds, keywords, operators, literal patterns. */

/** The codes the config reader raises (each also listed in src/error-codes.ts, which TsmError checks). */
export type ConfigErrorCode =
  | 'E_CONFIG_SYNTAX'
  | 'E_CONFIG_NOT_DATA'
  | 'E_CONFIG_UNKNOWN_NAME'
  | 'E_CONFIG_TYPE'
  | 'E_CONFIG_LIMIT';

export type TokenKind = 'name' | 'number' | 'string' | 'op' | 'newline' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** the source text of the token (a name NFKC-normalised, as Python does) */
  readonly text: string;
  readonly offset: number;
  /** number: its value; string: its decoded value */
  readonly value?: number | string;
  readonly isInt?: boolean;
}

export const KEYWORDS = new Set([
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
]);

/** Longest first: the tokenizer takes the first that matches. */
export const OPERATORS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '...',
  '->',
  ':=',
  '**',
  '//',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '@=',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  ';',
  '.',
  '=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '&',
  '|',
  '^',
  '~',
  '<',
  '>',
  '@',
];
export const BINARY_OPERATORS = new Set([
  '+',
  '-',
  '*',
  '/',
  '//',
  '%',
  '**',
  '@',
  '<<',
  '>>',
  '&',
  '|',
  '^',
  '<',
  '>',
  '<=',
  '>=',
  '==',
  '!=',
]);
export const WORD_OPERATORS = new Set(['and', 'or', 'not', 'in', 'is']);
export const CLOSING: ReadonlyMap<string, string> = new Map([
  ['(', ')'],
  ['[', ']'],
  ['{', '}'],
]);

export const NAME = /[\p{XID_Start}_][\p{XID_Continue}]*/uy;
export const NUMBER = new RegExp(
  [
    '0[xX](?:_?[0-9a-fA-F])+',
    '0[oO](?:_?[0-7])+',
    '0[bB](?:_?[01])+',
    '(?:\\d(?:_?\\d)*)?\\.\\d(?:_?\\d)*(?:[eE][+-]?\\d(?:_?\\d)*)?',
    '\\d(?:_?\\d)*\\.?(?:[eE][+-]?\\d(?:_?\\d)*)?',
  ].join('|'),
  'y',
);
export const STRING_PREFIX = /^(?:[rRuU]|[bB][rR]?|[rR][bB]|[fFtT][rR]?|[rR][fFtT])$/;
export const SIMPLE_ESCAPES: ReadonlyMap<string, string> = new Map(
  Object.entries({
    '\\': '\\',
    "'": "'",
    '"': '"',
    a: '\x07',
    b: '\b',
    f: '\f',
    n: '\n',
    r: '\r',
    t: '\t',
    v: '\v',
  }),
);

/** Where a token or construct is: 1-based line and column (columns count code points, as editors do). */
export interface Position {
  readonly line: number;
  readonly column: number;
}

export const STATEMENT_KEYWORDS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    import: "an 'import' statement",
    from: "an 'import' statement",
    def: "a function definition ('def')",
    class: "a class definition ('class')",
    if: "an 'if' statement",
    elif: "an 'elif' statement",
    else: "an 'else' clause",
    for: "a 'for' loop",
    while: "a 'while' loop",
    with: "a 'with' statement",
    try: "a 'try' statement",
    except: "an 'except' clause",
    finally: "a 'finally' clause",
    return: "a 'return' statement",
    del: "a 'del' statement",
    global: "a 'global' statement",
    nonlocal: "a 'nonlocal' statement",
    assert: "an 'assert' statement",
    raise: "a 'raise' statement",
    pass: "a 'pass' statement",
    break: "a 'break' statement",
    continue: "a 'continue' statement",
    async: "an 'async' statement",
    await: "an 'await' expression",
    yield: "a 'yield' expression",
    lambda: 'a lambda',
  }),
);
