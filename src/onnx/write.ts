/**
 * Writes under a temp name in the target folder, syncs and renames: a reader never sees a half-written file. A process
 * killed mid-write (SIGKILL, or a scheduler's SIGTERM during a synchronous write) cannot remove its temp file, so each
 * write first removes the temp files that earlier, dead processes left for the same target.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TsmError } from '../errors.js';
import { testPoint } from '../test-points.js';

const tempPattern = (name: string) =>
  new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)\\.[0-9a-f]{8}\\.tmp$`);

/** Whether a process with this pid is running (signal 0 only asks). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `.<name>.<pid>.<hex>.tmp` files in `dir` whose writer is gone; returns what was removed. */
export function removeStaleTemps(dir: string, name: string): string[] {
  const pattern = tempPattern(name);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const m = pattern.exec(entry);
    if (!m || processAlive(Number(m[1]))) continue;
    rmSync(join(dir, entry), { force: true });
    removed.push(join(dir, entry));
  }
  return removed;
}

export function writeFileAtomically(path: string, bytes: Uint8Array | string): void {
  writeChunksAtomically(path, [typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes]);
}

/**
 * Data given as chunks (a model's initializers as they are) written one after the other under a temp name, synced,
 * renamed: no second copy of a 94 MB model. `testPoints` names the points `<name>:chunk:<i>` (after chunk i) and
 * `<name>:synced` (before the rename) for the kill tests.
 */
export function writeChunksAtomically(path: string, chunks: readonly Uint8Array[], testPoints?: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    removeStaleTemps(dirname(path), basename(path));
    fd = openSync(temp, 'w');
    chunks.forEach((chunk, i) => {
      for (let done = 0; done < chunk.byteLength; )
        done += writeSync(fd as number, chunk, done, chunk.byteLength - done);
      if (testPoints) testPoint(`${testPoints}:chunk:${i}`);
    });
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (testPoints) testPoint(`${testPoints}:synced`);
    renameSync(temp, path);
  } catch (err) {
    try {
      if (fd !== undefined) closeSync(fd);
      rmSync(temp, { force: true });
    } catch {
      // nothing was created (e.g. the folder is a file): nothing to clean up
    }
    throw new TsmError(
      'input',
      'E_WRITE',
      `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      { details: { file: path }, cause: err },
    );
  }
}
