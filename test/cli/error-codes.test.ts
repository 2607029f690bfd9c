import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/error-codes.js';
import { TsmError } from '../../src/errors.js';
import { ROOT } from '../helpers/cli.js';

/** Every source file's text, but the list's own. */
function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && f !== 'error-codes.ts')
    .map((f) => readFileSync(join(dir, f), 'utf8'));
}

describe('error codes', () => {
  it('are one typed union: a code that is not in the list does not compile', () => {
    // @ts-expect-error 'E_NO_SUCH_CODE' is not an ErrorCode (tsc, run by npm test, fails if this line compiles)
    const typo = new TsmError('usage', 'E_NO_SUCH_CODE', 'x');
    expect(typo.code).toBe('E_NO_SUCH_CODE');
  });

  it('the list is exactly the codes the sources raise: none missing, none left over, none twice', () => {
    const used = new Set(
      sources(join(ROOT, 'src'))
        .flatMap((text) => text.match(/'E_[A-Z0-9_]+'/g) ?? [])
        .map((c) => c.slice(1, -1)),
    );
    const listed = [...ERROR_CODES];
    expect(new Set(listed).size).toBe(listed.length);
    expect([...used].sort()).toEqual([...listed].sort());
  });
});
