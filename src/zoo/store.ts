/** Read-modify-write of zoo.json under a file lock, so concurrent publishes never lose an entry. */
import { existsSync, writeFileSync } from 'node:fs';
import lockfile from 'proper-lockfile';
import { TsmError } from '../errors.js';
import { writeFileAtomically } from '../onnx/write.js';
import { loadZoo } from './index.js';
import type { Zoo } from './types.js';

export async function updateZoo<T>(zooPath: string, change: (zoo: Zoo) => { zoo: Zoo; result: T }): Promise<T> {
  if (!existsSync(zooPath))
    writeFileSync(
      zooPath,
      `${JSON.stringify({ $schema: './zoo.schema.json', schemaVersion: 1, models: [] }, null, 2)}\n`,
    );
  let release: () => Promise<void>;
  try {
    // A lock whose holder died (killed mid-publish) stops being refreshed and counts as stale after 10 s; the retries
    // wait longer than that, so the next publish takes it over instead of failing.
    release = await lockfile.lock(zooPath, {
      retries: { retries: 40, minTimeout: 100, maxTimeout: 1000 },
      stale: 10_000,
    });
  } catch (err) {
    throw new TsmError(
      'conflict',
      'E_ZOO_LOCKED',
      `${zooPath} is locked by another tsm process (${(err as Error).message})`,
      { details: { file: zooPath } },
    );
  }
  try {
    const { zoo, result } = change(loadZoo(zooPath));
    writeFileAtomically(zooPath, `${JSON.stringify(zoo, null, 2)}\n`);
    return result;
  } finally {
    await release();
  }
}
