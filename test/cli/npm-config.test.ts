import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/**
 * The project's npm configuration: no npm call warns about it, and no dependency's install script runs on any npm
 * (npm 10 would run onnxruntime-node's, which downloads CUDA libraries from outside the npm registry).
 */
describe('npm configuration', () => {
  it('npm reads .npmrc without an "Unknown project config" warning', () => {
    const r = spawnSync('npm', ['config', 'get', 'ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Unknown (project|user|env) config/);
    expect(r.stdout.trim()).toBe('true');
  });
});
