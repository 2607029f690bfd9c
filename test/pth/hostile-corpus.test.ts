import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TsmError } from '../../src/errors.js';
import { readCheckpoint } from '../../src/pth/read.js';

const DIR = join(__dirname, '../../fixtures/hostile/corpus');
interface CorpusEntry {
  route: string;
  expect: { code: string; global?: string; opcode?: string };
  marker?: string;
  live: boolean;
}
const corpus: Record<string, CorpusEntry> = JSON.parse(readFileSync(join(DIR, 'corpus.json'), 'utf8'));

describe(
  'hostile corpus (tools/make_hostile_corpus.py): every route refused by name, nothing runs, ' +
    'nothing big is allocated',
  () => {
    it('the corpus holds live code-execution payloads (Python runs them)', () => {
      expect(Object.values(corpus).filter((e) => e.live).length).toBeGreaterThanOrEqual(4);
    });
    for (const [file, entry] of Object.entries(corpus)) {
      it(`${file}: ${entry.route} → ${entry.expect.code}`, () => {
        const before = process.memoryUsage().rss;
        let error: unknown;
        try {
          readCheckpoint(readFileSync(join(DIR, file)), { source: file });
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(TsmError);
        const e = error as TsmError;
        expect(e.code).toBe(entry.expect.code);
        expect(e.kind).toBe('user');
        if (entry.expect.global) {
          expect(e.details.global).toBe(entry.expect.global);
          expect(e.message).toContain(entry.expect.global);
        }
        if (entry.expect.opcode) expect(e.details.opcode).toBe(entry.expect.opcode);
        // that live payloads never run is proved in payloads.test.ts, with fresh markers Python is seen to write
        // declared sizes up to 2^40 elements must not turn into allocations
        expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
      });
    }
  },
);
