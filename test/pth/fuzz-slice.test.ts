import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module shared with `npm run fuzz`
import { mutate, prng } from '../../fuzz/mutate.mjs';
import { TsmError } from '../../src/errors.js';
import { readCheckpoint } from '../../src/pth/read.js';
import { summarizeCheckpoint } from '../../src/pth/summary.js';
import { tensorBytes } from '../../src/pth/tensor.js';
import { PYTHON, ROOT } from '../helpers/reference.js';
import { testTempDir } from '../helpers/tmp.js';

/** A short, seeded slice of `npm run fuzz` (which runs ≥ 10,000): same mutations, same three figures. */
describe('fuzz slice: 600 mutated checkpoints', () => {
  it('no crash, no hang, and whatever is read equals what torch.load reads from the same bytes', () => {
    const dir = join(ROOT, 'fixtures/pth');
    const names = readdirSync(dir).filter((f) => /\.(pth|pt|tar)$/.test(f) && f !== 'dtypes_bigendian.pth');
    expect(names.filter((f) => f.includes('_deflated.')).length).toBe(2); // zips re-zipped with deflated entries
    const sources = names.map((f) => ({ name: f, bytes: readFileSync(join(dir, f)) }));
    const fromDeflated = new Set<string>();
    const rand = prng(20261125);
    const accepted = testTempDir('tsm-fuzz-');
    const ours: Record<string, Record<string, string>> = {};
    let crashes = 0;
    let hangs = 0;
    for (let i = 0; i < 600; i++) {
      const source = sources[Math.floor(rand() * sources.length)];
      const m = mutate(source.bytes, rand);
      const t0 = performance.now();
      try {
        const ckpt = readCheckpoint(m.bytes, { source: `mutant-${i}` });
        summarizeCheckpoint(ckpt);
        const digests: Record<string, string> = {};
        for (const [name, t] of ckpt.stateDict)
          digests[name] = createHash('sha256').update(tensorBytes(t)).digest('hex');
        ours[`${i}.pth`] = digests;
        if (source.name.includes('_deflated.')) fromDeflated.add(`${i}.pth`);
        writeFileSync(join(accepted, `${i}.pth`), m.bytes);
      } catch (err) {
        if (!(err instanceof TsmError) || err.kind !== 'user') crashes++;
      }
      if (performance.now() - t0 > 1000) hangs++;
    }
    expect({ crashes, hangs }).toEqual({ crashes: 0, hangs: 0 });
    const theirs = JSON.parse(
      execFileSync(PYTHON, [join(ROOT, 'fuzz/torch_digests.py'), accepted], { encoding: 'utf8' }),
    );
    let compared = 0;
    let comparedDeflated = 0;
    for (const [file, digests] of Object.entries(ours)) {
      if (theirs[file]?.error) continue; // torch refused what we read: counted by npm run fuzz, not wrong data
      compared++;
      if (fromDeflated.has(file)) comparedDeflated++;
      expect({ file, digests }).toEqual({ file, digests: theirs[file] });
    }
    expect(compared).toBeGreaterThan(10);
    expect(comparedDeflated).toBeGreaterThan(2); // mutants of deflated zips read through the inflate path, checked too
  });
});
