import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

/**
 * onnxruntime-node 1.30 initialises its telemetry in every process that creates a session: a device id and an event
 * database under $HOME/.cache, a mat-debug-<pid>.log and a .ses file in the temp folder, and uploads. It stays silent
 * when it sees a CI variable or its own unit-test marker, which is how this suite runs (tools/run-tests.mjs, .ci/run):
 * so this test takes those away, and looks for what a user's `tsm` run leaves behind.
 */
// the variables onnxruntime 1.30 reads as "a CI or a test harness" (strings of its library), and the opt-outs
const SILENCERS = [
  'CI',
  'TF_BUILD',
  'GITHUB_ACTIONS',
  'GITLAB_CI',
  'CIRCLECI',
  'TRAVIS',
  'JENKINS_URL',
  'CODEBUILD_BUILD_ID',
  'BUILDKITE',
  'TEAMCITY_VERSION',
  'APPVEYOR',
  'BITBUCKET_BUILD_NUMBER',
  'ORT_RUNNING_UNIT_TESTS',
  'ORT_DISABLE_TELEMETRY',
  'ORT_TELEMETRY_DISABLED',
];
const home = mkdtempSync(join(tmpdir(), 'tsm-telemetry-home-'));
const temp = mkdtempSync(join(tmpdir(), 'tsm-telemetry-tmp-'));
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(temp, { recursive: true, force: true });
});

describe('telemetry', () => {
  it(
    'a tsm run that creates an onnxruntime session, outside any CI, leaves no telemetry file ' +
      'in HOME or the temp folder',
    () => {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env))
        if (v !== undefined && !SILENCERS.includes(k) && k !== 'XDG_CACHE_HOME') env[k] = v;
      env.HOME = home;
      env.TMPDIR = temp;
      const model = join(
        ROOT,
        'fixtures/models',
        readdirSync(join(ROOT, 'fixtures/models')).find((f) => f.includes('_shift8_'))!,
      );
      const r = runCli(['verify', model, '--root', join(ROOT, 'fixtures/jester-mini'), '--max-num', '1', '--json'], {
        exactEnv: env,
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.json().clips).toBe(1); // a session was created and ran
      expect(readdirSync(home, { recursive: true }), 'HOME').toEqual([]);
      expect(readdirSync(temp, { recursive: true }), 'temp folder').toEqual([]);
    },
  );
});
