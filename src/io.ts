/** Reading the user's files with one kind of error: missing → E_NOT_FOUND, a folder or unreadable → E_UNREADABLE. */
import { readFileSync, statSync } from 'node:fs';
import { TsmError, type TsmErrorOptions } from './errors.js';

/** `what` names the file's role in messages: "checkpoint", "clip list", "labels file", … */
export function readInputBytes(path: string, what: string, hint?: TsmErrorOptions['hint']): Buffer {
  try {
    if (statSync(path).isDirectory())
      throw new TsmError('input', 'E_UNREADABLE', `${path}: is a folder, not a ${what}`, {
        details: { file: path },
        hint,
      });
    return readFileSync(path);
  } catch (err) {
    if (err instanceof TsmError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new TsmError('input', 'E_NOT_FOUND', `${path}: ${what} not found`, { details: { file: path }, hint });
    throw new TsmError('input', 'E_UNREADABLE', `${path}: ${what} unreadable (${code ?? String(err)})`, {
      details: { file: path },
      hint,
    });
  }
}

export function readInputText(path: string, what: string, hint?: TsmErrorOptions['hint']): string {
  return readInputBytes(path, what, hint).toString('utf8');
}
