#!/usr/bin/env node
// `tsm` for npm scripts (`npm start`): npm starts node directly, not through bin/run.js's shebang, so this runs the CLI
// in the environment the shebang sets (tools/launch-env.mjs). Arguments go to tsm; its exit code is this one's.
import { spawnSync } from 'node:child_process';
import { BIN, launchEnv } from './launch-env.mjs';

const run = spawnSync(process.execPath, [BIN, ...process.argv.slice(2)], { stdio: 'inherit', env: launchEnv() });
if (run.signal) process.kill(process.pid, run.signal);
process.exit(run.status ?? 1);
