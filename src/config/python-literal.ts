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
 *               | 'range' '(' int [',' int [',' int]] ')'      (read as the list of its values: mmcv 1.x prints
 *                                                              `gpu_ids = range(0, 8)` into every 0.x config)
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
 * NOTE: these modules (python-*.ts) import nothing but the error type and each other; they have no way to evaluate
 * code (a test checks their imports).
 */
import { TsmError } from '../errors.js';
import { Evaluator } from './python-evaluate.js';
import { Parser } from './python-parser.js';
import { Tokenizer } from './python-tokens.js';
import { PYTHON_CONFIG_LIMITS, type PyDict, type PythonConfigOptions, type PyValue } from './python-values.js';

export * from './python-values.js';

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
    throw new TsmError(
      'unsupported',
      'E_CONFIG_LIMIT',
      `${source}: the config text has ${text.length} characters, more than the ${maxLength} tsm reads`,
      {
        details: { source, length: text.length, maxLength },
      },
    );
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
    if (total > maxSize)
      tokens.limit(node.at, `a config larger than ${maxSize} (values plus string characters, references written out)`);
    evaluator.names.set(target, built);
  }
  const module: Record<string, PyValue> = {};
  for (const [name, built] of evaluator.names)
    Object.defineProperty(module, name, { value: built.value, enumerable: true, writable: true, configurable: true });
  return Object.freeze(module);
}
