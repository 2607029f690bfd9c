/**
 * oclif's own parse errors (unknown flag, missing argument, a value that does not parse, an unknown command) turned
 * into tsm usage errors: one line that names the command, the flag or argument, the value given and what is
 * accepted, with a "did you mean" where a known name is close. oclif's messages are read only for the values they
 * carry; the wording is ours.
 */
import { TsmError } from '../errors.js';
import { closest, didYouMean } from './suggest.js';

export { closest, editDistance } from './suggest.js';

export interface FlagInfo {
  readonly options?: readonly string[];
  readonly type?: string;
  readonly description?: string;
  readonly char?: string;
}

export interface ArgInfo {
  readonly description?: string;
  readonly required?: boolean;
}

export interface CommandInfo {
  /** as the user types it: `verify`, `zoo show` */
  readonly name: string;
  readonly flags: Readonly<Record<string, FlagInfo>>;
  readonly args: Readonly<Record<string, ArgInfo>>;
  readonly argv: readonly string[];
}

function flagList(info: CommandInfo): string {
  return Object.keys(info.flags)
    .filter((f) => f !== 'json')
    .map((f) => `--${f}`)
    .join(', ');
}

function usageLine(info: CommandInfo): string {
  const args = Object.entries(info.args).map(([name, a]) =>
    a.required ? name.toUpperCase() : `[${name.toUpperCase()}]`,
  );
  return `tsm ${info.name}${args.length ? ` ${args.join(' ')}` : ''} [flags] (tsm ${info.name} --help)`;
}

/** The value the user gave a flag, read from argv (`--flag value` or `--flag=value`). */
function givenValue(argv: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${flag}`) return argv[i + 1];
    if (argv[i].startsWith(`--${flag}=`)) return argv[i].slice(flag.length + 3);
  }
  return undefined;
}

/** An error oclif's parser throws: its class tells the kind, some kinds carry the flags or arguments concerned. */
type OclifError = Error & { flags?: string[]; args?: Array<{ name?: string; description?: string }> };

/** What every kind's translation reads: the error's class name and message, and the command's flags and args. */
interface ParseError {
  readonly err: OclifError;
  readonly kind: string;
  readonly message: string;
  readonly info: CommandInfo;
  /** the command as the user types it */
  readonly cmd: string;
  /** the details every usage error carries */
  readonly base: { readonly command: string };
}

/** One kind of oclif parse error in tsm's words, or undefined when the error is of another kind. */
type Translation = (e: ParseError) => TsmError | undefined;

/**
 * A TsmError for an oclif parse error, or undefined when `err` is not one. Kinds are told apart by the error's class
 * name and the fields oclif sets on it (`flags`, `args`), with its message read only for values.
 */
export function usageErrorFromOclif(err: OclifError, info: CommandInfo): TsmError | undefined {
  const e: ParseError = {
    err,
    kind: err.constructor?.name ?? '',
    message: err.message ?? '',
    info,
    cmd: info.name,
    base: { command: info.name },
  };
  for (const translate of OCLIF_ERROR_KINDS) {
    const usage = translate(e);
    if (usage) return usage;
  }
  return undefined;
}

function unknownFlag({ err, kind, message, info, cmd, base }: ParseError): TsmError | undefined {
  if (kind !== 'NonExistentFlagsError' && !/^Nonexistent flags?:/.test(message)) return undefined;
  const given =
    err.flags?.[0] ??
    message
      .replace(/^Nonexistent flags?:\s*/, '')
      .split(/[,\n]/)[0]
      .trim();
  const name = given.replace(/^-+/, '').split('=')[0];
  const suggestion = closest(name, Object.keys(info.flags));
  return new TsmError(
    'usage',
    'E_UNKNOWN_FLAG',
    `${cmd}: unknown flag ${given}${didYouMean(suggestion && `--${suggestion}`)}`,
    {
      hint: `flags of tsm ${cmd}: ${flagList(info)}`,
      details: { ...base, flag: given, suggestion: suggestion && `--${suggestion}` },
    },
  );
}

function missingArgument({ err, kind, message, info, cmd, base }: ParseError): TsmError | undefined {
  if (kind !== 'RequiredArgsError' && !/^Missing \d+ required arg/.test(message)) return undefined;
  const missing = (err.args ?? []).map((a) => a.name).filter((n): n is string => !!n);
  const names = missing.length
    ? missing
    : Object.entries(info.args)
        .filter(([, a]) => a.required)
        .map(([n]) => n);
  const described = names.map(
    (n) => `${n.toUpperCase()}${info.args[n]?.description ? ` (${info.args[n].description})` : ''}`,
  );
  return new TsmError('usage', 'E_MISSING_ARGUMENT', `${cmd}: missing argument ${described.join(', ')}`, {
    hint: `usage: ${usageLine(info)}`,
    details: { ...base, arguments: names },
  });
}

function unexpectedArguments({ err, kind, message, info }: ParseError): TsmError | undefined {
  if (kind !== 'UnexpectedArgsError' && !/^Unexpected arguments?:/.test(message)) return undefined;
  return unexpectedArgumentsError(
    info,
    (err.args as unknown as string[] | undefined) ?? [message.replace(/^Unexpected arguments?:\s*/, '').split('\n')[0]],
  );
}

/** A value outside a flag's options: oclif names the flag, the list and (for `--flag=value`) the value. */
function valueNotAnOption({ message, info, cmd, base }: ParseError): TsmError | undefined {
  const option =
    /^Expected --([\w-]+)=(.*) to be one of: (.*)$/m.exec(message) ??
    /^Flag --([\w-]+) expects one of these values: ()(.*)$/m.exec(message);
  if (!option) return undefined;
  const [, flag, valueFromMessage, list] = option;
  const accepted = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const value = valueFromMessage || givenValue(info.argv, flag) || '';
  const suggestion = closest(value, accepted);
  return new TsmError(
    'usage',
    'E_BAD_FLAG_VALUE',
    `${cmd}: --${flag} ${value === '' ? '(empty)' : `'${value}'`} is not accepted; one of ` +
      `${accepted.join(', ')}${didYouMean(suggestion)}`,
    {
      details: { ...base, flag: `--${flag}`, value, accepted, suggestion },
    },
  );
}

/** A value a flag's parser refused (e.g. not an integer). */
function valueNotParsed({ message, info, cmd, base }: ParseError): TsmError | undefined {
  const parsing = /^Parsing --([\w-]+)\s*\n\s*(.*)$/m.exec(message);
  if (!parsing) return undefined;
  const [, flag, reason] = parsing;
  const value = givenValue(info.argv, flag) ?? /received: (.*)$/.exec(reason)?.[1] ?? '';
  const accepted = reason
    .replace(/ but received: .*$/, '')
    .replace(/^Expected /, '')
    .trim();
  return new TsmError(
    'usage',
    'E_BAD_FLAG_VALUE',
    `${cmd}: --${flag} '${value}' is not accepted; expected ${accepted}`,
    {
      details: { ...base, flag: `--${flag}`, value, accepted },
    },
  );
}

function flagWithoutValue({ message, info, cmd, base }: ParseError): TsmError | undefined {
  const needsValue = /^Flag --([\w-]+) expects a value/.exec(message);
  if (!needsValue) return undefined;
  return new TsmError('usage', 'E_MISSING_FLAG_VALUE', `${cmd}: --${needsValue[1]} needs a value`, {
    hint: info.flags[needsValue[1]]?.description,
    details: { ...base, flag: `--${needsValue[1]}` },
  });
}

/** Flags that exclude or need each other, as oclif's validation lists them (one reason a line). */
function failedFlagValidation({ kind, message, info, cmd, base }: ParseError): TsmError | undefined {
  if (kind !== 'FailedFlagValidationError' && !/^The following errors? occurred/.test(message)) return undefined;
  // e.g. "--dense=true cannot also be provided when using --twice"
  const reasons = message
    .split('\n')
    .slice(1)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: oclif colours its messages with ANSI escapes
    .map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim())
    .filter((l) => l && !/^See more help/.test(l));
  const conflict = reasons
    .map((r) => /^--([\w-]+)=\S* cannot also be provided when using --([\w-]+)/.exec(r))
    .find(Boolean);
  if (conflict) {
    return new TsmError('usage', 'E_FLAG_CONFLICT', `${cmd}: --${conflict[1]} cannot be used with --${conflict[2]}`, {
      details: { ...base, flags: [`--${conflict[1]}`, `--${conflict[2]}`] },
    });
  }
  const required = reasons
    .map((r) => /^All of the following must be provided when using --([\w-]+): (.*)$/.exec(r))
    .find(Boolean);
  if (required) {
    return new TsmError('usage', 'E_FLAG_CONFLICT', `${cmd}: --${required[1]} also needs ${required[2]}`, {
      details: { ...base, flags: [`--${required[1]}`] },
    });
  }
  return new TsmError('usage', 'E_USAGE', `${cmd}: ${reasons.join('; ') || 'invalid flags'}`, {
    hint: `usage: ${usageLine(info)}`,
    details: base,
  });
}

function repeatedFlag({ message, cmd, base }: ParseError): TsmError | undefined {
  if (!/^Flag --([\w-]+) can only be specified once/.test(message)) return undefined;
  const flag = /--([\w-]+)/.exec(message)?.[1];
  return new TsmError('usage', 'E_REPEATED_FLAG', `${cmd}: --${flag} given more than once`, {
    details: { ...base, flag: `--${flag}` },
  });
}

/** Any other error of oclif's own (it marks them with an `oclif` field): its first line, with the usage. */
function otherOclifError({ err, kind, message, info, cmd, base }: ParseError): TsmError | undefined {
  if ((err as { oclif?: unknown }).oclif === undefined || kind === 'Error' || kind === 'TsmError') return undefined;
  const first =
    message
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l && !/^See more help/.test(l)) ?? 'invalid arguments';
  return new TsmError('usage', 'E_USAGE', `${cmd}: ${first}`, { hint: `usage: ${usageLine(info)}`, details: base });
}

/** Tried in this order: the first kind that claims the error words it (the message tests overlap, the order decides).
 * */
const OCLIF_ERROR_KINDS: readonly Translation[] = [
  unknownFlag,
  missingArgument,
  unexpectedArguments,
  valueNotAnOption,
  valueNotParsed,
  flagWithoutValue,
  failedFlagValidation,
  repeatedFlag,
  otherOclifError,
];

/** Arguments a command does not take, named with its usage line. */
export function unexpectedArgumentsError(info: CommandInfo, extra: readonly string[]): TsmError {
  return new TsmError(
    'usage',
    'E_UNEXPECTED_ARGUMENT',
    `${info.name}: unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((a) => `'${a}'`).join(', ')}`,
    {
      hint: `usage: ${usageLine(info)}`,
      details: { command: info.name, arguments: [...extra] },
    },
  );
}

/** What the messages need of a command, from its class or from oclif's manifest entry (both have flags and args). */
export function commandInfo(
  id: string,
  command: {
    readonly flags?: Readonly<
      Record<string, { options?: readonly string[]; type?: string; description?: string; char?: string }>
    >;
    readonly args?: Readonly<Record<string, { description?: string; required?: boolean }>>;
  },
  argv: readonly string[],
): CommandInfo {
  return {
    name: id.replace(/:/g, ' '),
    flags: Object.fromEntries(
      Object.entries(command.flags ?? {}).map(([k, f]) => [
        k,
        { options: f.options, type: f.type, description: f.description, char: f.char },
      ]),
    ),
    args: Object.fromEntries(
      Object.entries(command.args ?? {}).map(([k, a]) => [k, { description: a.description, required: a.required }]),
    ),
    argv,
  };
}

/**
 * oclif joins leading words into a command id while the command so far takes no argument ('zoo list foo' is looked
 * up as 'zoo:list:foo'). The longest leading run of words that names a command, and the words after it, or undefined
 * when no leading words name one.
 */
export function splitCommandWords(
  argv: readonly string[],
  commandIds: readonly string[],
): { readonly id: string; readonly extra: readonly string[] } | undefined {
  const end = argv.findIndex((a) => a === '--' || a.startsWith('-') || a.includes('='));
  const words = argv.slice(0, end === -1 ? argv.length : end);
  for (let n = words.length - 1; n >= 1; n--) {
    const id = words.slice(0, n).join(':');
    if (commandIds.includes(id)) return { id, extra: words.slice(n) };
  }
  return undefined;
}

/** An unknown command, with the closest known one (ids use ':' inside oclif, ' ' for the user). */
export function unknownCommandError(id: string, known: readonly string[]): TsmError {
  const shown = id.replace(/:/g, ' ');
  const names = known.map((k) => k.replace(/:/g, ' '));
  const suggestion = closest(shown, names);
  return new TsmError(
    'usage',
    'E_UNKNOWN_COMMAND',
    `unknown command '${shown}'${didYouMean(suggestion && `'${suggestion}'`)}`,
    {
      hint: `commands: ${names.sort().join(', ')} (tsm --help)`,
      details: { command: shown, suggestion },
    },
  );
}
