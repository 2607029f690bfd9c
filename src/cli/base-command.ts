import { Command } from '@oclif/core';
import { asTsmError, TsmError } from '../errors.js';
import { reportError } from './report-error.js';
import { type CommandInfo, commandInfo, usageErrorFromOclif } from './usage-errors.js';

/**
 * Every tsm command: `--json` (oclif's enableJsonFlag: the value `run()` returns is the payload), and one place
 * that turns errors into one clear line plus a distinct exit code. No stack traces for user mistakes; bugs print
 * theirs when TSM_DEBUG is set. oclif's own parse errors come through here too (src/cli/usage-errors.ts).
 */
export abstract class TsmCommand extends Command {
  static enableJsonFlag = true;

  protected override async catch(
    err: Error & { oclif?: { exit?: number }; skipOclifErrorHandling?: boolean },
  ): Promise<never> {
    const error = this.toTsmError(err);
    reportError(error, { json: this.jsonEnabled(), stack: err.stack });
    err.skipOclifErrorHandling = true;
    err.oclif = { ...err.oclif, exit: error.exitCode };
    throw err;
  }

  /** A warning on stderr, one unwrapped line (oclif's own warn wraps at the terminal width and garbles long ones). */
  override warn(input: string | Error): string | Error {
    process.stderr.write(`tsm: warning: ${typeof input === 'string' ? input : input.message}\n`);
    return input;
  }

  private toTsmError(err: Error & { oclif?: { exit?: number } }): TsmError {
    if (err instanceof TsmError) return err;
    const ctor = this.constructor as typeof Command;
    const info: CommandInfo = commandInfo(this.id ?? ctor.id ?? 'command', ctor, this.argv);
    return usageErrorFromOclif(err, info) ?? asTsmError(err);
  }
}
