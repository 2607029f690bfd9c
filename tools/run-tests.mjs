#!/usr/bin/env node
// npm test: vitest with TMPDIR set to a fresh, empty folder, which must be empty again when the suite ends: every
// test removes the files and folders it creates, also when it fails. Arguments go to vitest.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchEnv } from './launch-env.mjs';

const scratch = mkdtempSync(join(tmpdir(), 'tsm-test-tmp-'));
const vitest = join(import.meta.dirname, '../node_modules/vitest/vitest.mjs');
// onnxruntime-node 1.30's telemetry writes a session file (.ses) and mat-debug-<pid>.log into the temp folder of every
// process that loads it, unless it detects a CI or its own unit-test harness (ORT_RUNNING_UNIT_TESTS): this is a test
// harness, so it says so, and the temp folder stays what the tests themselves leave.
// The tests run the CLI as `node bin/run.js`, so they get the shebang's environment from here.
const env = { ...launchEnv(), TMPDIR: scratch, ORT_RUNNING_UNIT_TESTS: '1' };
const run = spawnSync(process.execPath, [vitest, 'run', ...process.argv.slice(2)], { stdio: 'inherit', env });
const left = readdirSync(scratch, { recursive: true });
rmSync(scratch, { recursive: true, force: true });
if (left.length) {
  process.stderr.write(
    `\nthe tests left ${left.length} file(s)/folder(s) in their temp folder (each test must remove what it ` +
      `creates):\n${left
        .slice(0, 20)
        .map((f) => `  ${f}`)
        .join('\n')}\n`,
  );
  process.exit(1);
}
process.exit(run.status ?? 1);
