// Imported first by every benchmark: benchmarks measure tsm as its executable runs, so the script re-runs itself
// under bin/run.js's shebang environment (tools/launch-env.mjs) unless it already is there. Child processes inherit
// it. References that should run the way a user runs them (torch.load) get `userEnv()`, the caller's environment.
import { launchEnv, runNodeAndExit, shebangAssignments } from '../tools/launch-env.mjs';

// the benchmarks load onnxruntime-node in their own process: the same telemetry opt-out as bin/run.js
process.env.ORT_DISABLE_TELEMETRY ??= '1';
process.env.ORT_TELEMETRY_DISABLED ??= '1';

const MARK = 'TSM_BENCH_USER_VALUES';
if (process.env[MARK] === undefined) {
  const userValues = Object.fromEntries(shebangAssignments().map(([name]) => [name, process.env[name] ?? null]));
  runNodeAndExit([...process.execArgv, ...process.argv.slice(1)], {
    ...launchEnv(),
    [MARK]: JSON.stringify(userValues),
  });
}

/** The environment the benchmark was started with (the shebang's variables as the caller had them). */
export function userEnv() {
  const env = { ...process.env };
  delete env[MARK];
  for (const [name, value] of Object.entries(JSON.parse(process.env[MARK]))) {
    if (value === null) delete env[name];
    else env[name] = value;
  }
  return env;
}
