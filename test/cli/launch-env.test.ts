import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs tool without type declarations
import { launchEnv } from '../../tools/launch-env.mjs';
import { ROOT } from '../helpers/cli.js';

/**
 * `tsm` started as an executable (bin/run.js through its shebang), or by `npm start`, runs with glibc's huge-page
 * malloc tunable, keeps
 * the user's own tunables after it (so theirs win), and the test runner and benchmarks compute the same environment.
 */
const BIN = join(ROOT, 'bin/run.js');
// NODE_OPTIONS --import runs before the CLI: it reports the environment the process was really started with
const REPORT_SCRIPT = 'process.stderr.write(`GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES}\\n`)';
const REPORT = `--import=data:text/javascript,${encodeURIComponent(REPORT_SCRIPT)}`;

function startedEnv(env: Record<string, string | undefined>, command: [string, ...string[]] = [BIN]): string {
  const [file, ...args] = command;
  const r = spawnSync(file, [...args, '--version'], {
    encoding: 'utf8',
    env: { ...env, NODE_OPTIONS: REPORT } as NodeJS.ProcessEnv,
  });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^tsm\/\d/);
  // the last report is tsm's own (a launcher in front of it reports its environment first)
  const line = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('GLIBC_TUNABLES='))
    .pop();
  expect(line, r.stderr).toBeDefined();
  return line!.slice('GLIBC_TUNABLES='.length);
}

describe('the environment tsm runs in', () => {
  const base = { PATH: process.env.PATH, HOME: process.env.HOME, ORT_DISABLE_TELEMETRY: '1' };

  it('the executable asks glibc for huge pages, and the runner computes the same value', () => {
    const value = startedEnv(base);
    expect(value).toMatch(/^glibc\.malloc\.hugetlb=1:?$/);
    expect(launchEnv(base).GLIBC_TUNABLES).toBe(value);
  });

  it('npm start (tools/tsm.mjs, for npm scripts that start node directly) runs tsm in the same environment', () => {
    expect(startedEnv(base, [process.execPath, join(ROOT, 'tools/tsm.mjs')])).toBe(startedEnv(base));
  });

  it("keeps the user's own tunables after tsm's, so a user's setting wins", () => {
    const value = startedEnv({ ...base, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0:glibc.malloc.arena_max=2' });
    expect(value).toBe('glibc.malloc.hugetlb=1:glibc.malloc.hugetlb=0:glibc.malloc.arena_max=2');
    expect(
      launchEnv({ ...base, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0:glibc.malloc.arena_max=2' }).GLIBC_TUNABLES,
    ).toBe(value);
  });
});
