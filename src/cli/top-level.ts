/**
 * Errors that reach bin/run.js: those a command already reported (exit with its code), an unknown command (oclif
 * raises it before any tsm command runs; also for a known command without arguments followed by stray words), oclif's
 * exit requests, and anything else as a bug — all through
 * reportError, so `--json` still prints exactly one object.
 */
import { Config, Errors, flush } from '@oclif/core';
import { asTsmError, type TsmError } from '../errors.js';
import { reportError } from './report-error.js';
import { commandInfo, splitCommandWords, unexpectedArgumentsError, unknownCommandError } from './usage-errors.js';

type OclifError = Error & { oclif?: { exit?: number }; skipOclifErrorHandling?: boolean };

export async function handleTopLevelError(err: OclifError, argv: readonly string[], root: string): Promise<void> {
  if (err.skipOclifErrorHandling) {
    process.exitCode = err.oclif?.exit ?? 1;
    await flush();
    return;
  }
  if (err instanceof Errors.ExitError) {
    process.exitCode = err.oclif.exit ?? 0;
    return;
  }
  const json = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length).includes('--json');
  let error: TsmError;
  const notFound = /^command (\S+) not found/.exec(err.message ?? '');
  if (notFound) {
    const config = await Config.load(root);
    const known = splitCommandWords(argv, config.commandIDs);
    const command = known && config.findCommand(known.id);
    if (known && command) {
      // a command without arguments followed by stray words ('zoo list foo'), which oclif looked up as one id
      error = unexpectedArgumentsError(commandInfo(known.id, command, argv), known.extra);
    } else {
      // oclif joins every leading word into the id ('convrt x.pth'): the command is the first word, or the first two
      // when the first is a topic ('zoo lst').
      const words = argv.filter((a) => !a.startsWith('-'));
      const typed = config.topics.some((t) => t.name === words[0])
        ? words.slice(0, 2).join(':')
        : (words[0] ?? notFound[1]);
      error = unknownCommandError(typed, config.commandIDs);
    }
  } else {
    error = asTsmError(err);
  }
  reportError(error, { json, stack: err.stack });
  process.exitCode = error.exitCode;
}
