// The environment `tsm` runs in when started as an executable: the variables its shebang (bin/run.js's first line,
// `#!/usr/bin/env -S NAME=value… node`) sets, with `${NAME}` expanded from the caller's environment as env -S does.
// The test runner and the benchmarks start node with this too, so they measure and test what a user's `tsm` runs.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '../bin/run.js');

/** NAME → value pairs of the shebang, as a parsed list (exported for the test that checks the shebang itself). */
export function shebangAssignments(bin = BIN) {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0];
  const m = /^#!\/usr\/bin\/env -S ((?:\S+=\S*\s+)*)node$/.exec(first);
  if (!m) throw new Error(`${bin}: first line '${first}' is not '#!/usr/bin/env -S NAME=value… node'`);
  return m[1]
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((a) => {
      const i = a.indexOf('=');
      return [a.slice(0, i), a.slice(i + 1)];
    });
}

/** Runs node with `args` in `env` and ends this process as it ended (its exit code, or its signal). */
export function runNodeAndExit(args, env) {
  const run = spawnSync(process.execPath, args, { stdio: 'inherit', env });
  if (run.signal) process.kill(process.pid, run.signal);
  process.exit(run.status ?? 1);
}

/** `base` (default: this process's environment) plus the shebang's variables. */
export function launchEnv(base = process.env) {
  const env = { ...base };
  for (const [name, value] of shebangAssignments()) env[name] = value.replace(/\$\{(\w+)\}/g, (_, v) => base[v] ?? '');
  return env;
}
