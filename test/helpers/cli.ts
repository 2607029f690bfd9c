import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '../..');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  json: () => any;
}

/**
 * Runs the built CLI (`bin/run.js`) the way a user would: in this process's environment plus `env`, or in exactly
 * `exactEnv`.
 */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; exactEnv?: Record<string, string> } = {},
): CliRun {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    env: options.exactEnv ?? { ...process.env, ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}

/** Like runCli but without blocking the event loop (needed when the test itself serves HTTP). */
export function runCliAsync(args: string[], options: { cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { cwd: options.cwd ?? ROOT });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr, json: () => JSON.parse(stdout) }));
  });
}

/**
 * Runs the CLI with TSM_TEST_PAUSE=<point> (src/test-points.ts) and SIGKILLs it the moment it announces that it
 * stands at that point, so the kill lands exactly there; `group` kills its children too (e.g. ffmpeg workers).
 * Resolves whether the point was reached.
 */
export function killAtPoint(
  args: string[],
  point: string,
  options: { group?: boolean } = {},
): Promise<{ reached: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin/run.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, TSM_TEST_PAUSE: point },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: options.group,
    });
    let stderr = '';
    let reached = false;
    const kill = () => (options.group ? process.kill(-(p.pid as number), 'SIGKILL') : p.kill('SIGKILL'));
    const timer = setTimeout(kill, 60_000);
    p.stderr.on('data', (d) => {
      stderr += d;
      if (!reached && stderr.includes(`tsm-test-pause: ${point}\n`)) {
        reached = true;
        kill();
      }
    });
    p.on('exit', () => {
      clearTimeout(timer);
      resolve({ reached, stderr });
    });
  });
}
