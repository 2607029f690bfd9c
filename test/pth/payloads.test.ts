import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TsmError } from '../../src/errors.js';
import { readCheckpointFile } from '../../src/pth/read.js';
import { PYTHON, ROOT } from '../helpers/reference.js';

/**
 * The hostile pickles' payloads never run in tsm, shown against a witness: the generators write the payloads afresh
 * with markers in a new, empty folder; Python is seen to run every live payload (its marker appears); then tsm reads
 * the same files and the folder stays empty.
 */
const dir = mkdtempSync(join(tmpdir(), 'tsm-payloads-'));
const markers = join(dir, 'markers');
mkdirSync(markers);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = { ...process.env, TSM_HOSTILE_MARKERS: markers };
execFileSync(PYTHON, [join(ROOT, 'tools/make_hostile_fixtures.py'), join(dir, 'fixtures')], {
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
execFileSync(PYTHON, [join(ROOT, 'tools/make_hostile_corpus.py'), join(dir, 'corpus')], {
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const fixtures = JSON.parse(readFileSync(join(dir, 'fixtures/hostile.json'), 'utf8')) as Record<
  string,
  { marker: string }
>;
const corpus = JSON.parse(readFileSync(join(dir, 'corpus/corpus.json'), 'utf8')) as Record<
  string,
  { marker?: string; live: boolean }
>;
const live: Array<{ file: string; marker: string }> = [
  ...Object.entries(fixtures).map(([f, e]) => ({ file: join(dir, 'fixtures', f), marker: e.marker })),
  ...Object.entries(corpus)
    .filter(([, e]) => e.live)
    .map(([f, e]) => ({ file: join(dir, 'corpus', f), marker: e.marker! })),
];

// Python's own loader on each file; prints which markers appeared (subprocess payloads get a moment to finish).
const WITNESS = `
import json, os, sys, time, torch
items = json.loads(sys.argv[1])
for it in items:
    try:
        torch.load(it["file"])
    except Exception:
        pass
time.sleep(0.5)
print(json.dumps({it["file"]: os.path.exists(it["marker"]) for it in items}))
`;

describe('hostile payloads, against a witness', () => {
  it('every marker the payloads write lies in the fresh folder, which starts empty', () => {
    expect(live.length).toBeGreaterThanOrEqual(10);
    for (const l of live) expect(l.marker.startsWith(`${markers}/`), l.marker).toBe(true);
    expect(readdirSync(markers)).toEqual([]);
  });

  it('Python runs every live payload: each marker appears', () => {
    const seen = JSON.parse(
      execFileSync(PYTHON, ['-c', WITNESS, JSON.stringify(live)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    for (const l of live) expect(seen[l.file], `${l.file} did not run under torch.load`).toBe(true);
    expect(readdirSync(markers).length).toBe(new Set(live.map((l) => l.marker)).size);
    for (const f of readdirSync(markers)) rmSync(join(markers, f));
  });

  it('tsm refuses every one of them as unsafe and no marker appears', async () => {
    for (const l of live) {
      let error: unknown;
      try {
        readCheckpointFile(l.file);
      } catch (err) {
        error = err;
      }
      expect(error, l.file).toBeInstanceOf(TsmError);
      expect((error as TsmError).family, l.file).toBe('unsafe');
    }
    await new Promise((r) => setTimeout(r, 500)); // as long as Python's subprocesses were given
    expect(readdirSync(markers)).toEqual([]);
  });
});
