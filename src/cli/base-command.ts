import { Command } from '@oclif/core';
import { asTsmError, TsmError } from '../errors.js';

/**
 * Every tsm command: `--json` (oclif's enableJsonFlag: the value `run()` returns is the payload), and one place
 * that turns errors into one clear line plus a distinct exit code. No stack traces for user mistakes; bugs print
 * theirs when TSM_DEBUG is set.
 */
export abstract class TsmCommand extends Command {
  static enableJsonFlag = true;

  protected override async catch(err: Error & { oclif?: { exit?: number }; skipOclifErrorHandling?: boolean }): Promise<never> {
    const error = toTsmError(err);
    if (this.jsonEnabled()) {
      this.logJson({ error: error.toJSON() });
    } else {
      const lines = [`tsm: ${error.message}`];
      if (error.hint) lines.push(`  hint: ${error.hint}`);
      if (error.kind === 'bug') lines.push('  this is a bug in tsm; rerun with TSM_DEBUG=1 for the stack and report it');
      process.stderr.write(lines.join('\n') + '\n');
      if (error.kind === 'bug' && process.env.TSM_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
    }
    err.skipOclifErrorHandling = true;
    err.oclif = { ...err.oclif, exit: error.exitCode };
    throw err;
  }
}

/** oclif's own parse errors (unknown flag, missing argument) are usage errors; everything else goes via asTsmError. */
function toTsmError(err: Error & { oclif?: { exit?: number } }): TsmError {
  if (err instanceof TsmError) return err;
  if (err.oclif && err.constructor.name !== 'Error') {
    // oclif prefixes flag-relation errors with "The following error(s) occurred:"; the line after it says what
    const first = (err.message ?? String(err)).split('\n').find((l) => l.trim() && !/^the following errors? occurred/i.test(l.trim())) ?? 'invalid arguments';
    return new TsmError('usage', 'E_USAGE', first.trim(), { hint: 'see `tsm COMMAND --help`' });
  }
  return asTsmError(err);
}
