import type { TsmError } from '../errors.js';

/**
 * How every error reaches the user: under --json exactly one `{"error": {...}}` object on stdout; otherwise one
 * `tsm: …` line on stderr, a hint line, and for bugs the stack when TSM_DEBUG is set.
 */
export function reportError(error: TsmError, options: { json: boolean; stack?: string }): void {
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ error: error.toJSON() }, null, 2)}\n`);
    return;
  }
  const lines = [`tsm: ${error.message}`];
  if (error.hint) lines.push(`  hint: ${error.hint}`);
  if (error.kind === 'bug') lines.push('  this is a bug in tsm; rerun with TSM_DEBUG=1 for the stack and report it');
  process.stderr.write(`${lines.join('\n')}\n`);
  if (error.kind === 'bug' && process.env.TSM_DEBUG && options.stack) process.stderr.write(`${options.stack}\n`);
}
