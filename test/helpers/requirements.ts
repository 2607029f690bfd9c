import { describe, it } from 'vitest';

/**
 * Tests that need a program the machine may lack. Under CI (CI=true) a missing one is a failing test, so a green run
 * means the tests ran; elsewhere the tests are skipped with a printed reason and the command that installs it.
 * Returns whether the requirement is met, for describe.runIf.
 */
export function requireTool(what: string, available: boolean, install: string): boolean {
  if (available) return true;
  const reason = `${what} is not installed (install: ${install})`;
  if (process.env.CI === 'true') {
    describe(`requirement: ${what}`, () => {
      it(`is installed (CI=true makes a missing ${what} a failure)`, () => {
        throw new Error(reason);
      });
    });
  } else {
    process.stderr.write(`\n[skipped] tests that need ${reason}\n`);
    describe.skip(`needs ${what}: ${reason}`, () => it('skipped', () => undefined));
  }
  return false;
}
