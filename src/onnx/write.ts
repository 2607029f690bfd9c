/** Writes bytes under a temp name in the target directory and renames: a reader never sees a half-written file. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { TsmError } from '../errors.js';

export function writeFileAtomically(path: string, bytes: Uint8Array | string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic.sync(path, typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new TsmError('input', 'E_WRITE', `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { details: { file: path }, cause: err });
  }
}
