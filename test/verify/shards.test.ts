import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseShard } from '../../src/verify/shards.js';
import { requireTool } from '../helpers/requirements.js';
import { killAtPoint, ROOT, runCli } from '../helpers/cli.js';
import { slurmInstalled, startSlurm } from '../helpers/slurm.js';
import { fileTempDir, testTempDir } from '../helpers/tmp.js';

/**
 * Sharded verify: parts of 1, 2, 3 and 7 shards merge to the report of one unsharded run, byte for byte where the
 * content is the same; parts of other runs, duplicated and missing shards are refused by name; a killed shard leaves
 * no part and its re-run completes the set; and a real Slurm job array runs the shipped sbatch script.
 */
const MODEL = 'zoo/tsm-mobilenetv2-jester-mini/1.0.0/model.onnx';
const MINI = 'fixtures/jester-mini';
const dir = fileTempDir('tsm-shards-');
const REPORT_FILES = ['confusion.csv', 'confusion.png', 'per_class.csv', 'predictions.csv'];
// what legitimately differs between runs: timings, and where the report went
const TIMING = ['seconds', 'clipsPerSecond', 'timing', 'inferenceSeconds', 'parts', 'report', 'predictionsFile'];
const withoutTiming = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([k]) => !TIMING.includes(k)));

function runShards(count: number, out: string, extra: string[] = []): void {
  for (let i = 0; i < count; i++) {
    const r = runCli(['verify', MODEL, '--root', MINI, '--shard', `${i}/${count}`, '-o', join(out, `part-${i}.json`), '--json', ...extra]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ shard: { index: i, count }, skipped: false });
  }
}

let whole: Record<string, unknown>;
beforeAll(() => {
  const r = runCli(['verify', MODEL, '--root', MINI, '--report', join(dir, 'whole'), '--json']);
  expect(r.status, r.stderr).toBe(0);
  whole = r.json();
});

describe('sharded verify and merge', () => {
  it.each([1, 2, 3, 7])('%i shard(s) merge to the unsharded report, byte for byte', (count) => {
    const parts = join(dir, `parts-${count}`);
    runShards(count, parts);
    const r = runCli(['verify', 'merge', parts, '--report', join(dir, `merged-${count}`), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const merged = r.json();
    expect(merged.parts).toBe(count);
    expect(withoutTiming(merged)).toEqual(withoutTiming(whole));
    for (const f of REPORT_FILES) expect(readFileSync(join(dir, `merged-${count}`, f)).equals(readFileSync(join(dir, 'whole', f))), f).toBe(true);
    const json = (p: string) => withoutTiming(JSON.parse(readFileSync(p, 'utf8')));
    expect(json(join(dir, `merged-${count}`, 'verify.json'))).toEqual(json(join(dir, 'whole', 'verify.json')));
  });

  it('refuses a corrupted part, a part of another run, a duplicated and a missing shard, naming them', () => {
    const parts = join(dir, 'parts-3');
    const bad = testTempDir('tsm-shards-bad-');
    for (const f of readdirSync(parts)) copyFileSync(join(parts, f), join(bad, f));
    // corrupted
    writeFileSync(join(bad, 'part-1.json'), readFileSync(join(parts, 'part-1.json'), 'utf8').slice(0, 200));
    const corrupted = runCli(['verify', 'merge', join(bad, 'part-0.json'), join(bad, 'part-1.json'), join(bad, 'part-2.json'), '--json']);
    expect(corrupted.status).toBe(3);
    expect(corrupted.json().error).toMatchObject({ code: 'E_BAD_PART', file: join(bad, 'part-1.json') });
    // duplicated
    const dup = runCli(['verify', 'merge', join(parts, 'part-0.json'), join(parts, 'part-1.json'), join(parts, 'part-1.json'), join(parts, 'part-2.json'), '--json']);
    expect(dup.json().error).toMatchObject({ code: 'E_DUPLICATE_PART', shard: 1 });
    // missing
    const missing = runCli(['verify', 'merge', join(parts, 'part-0.json'), join(parts, 'part-2.json'), '--json']);
    expect(missing.json().error).toMatchObject({ code: 'E_MISSING_PARTS', missing: [1], count: 3 });
    expect(missing.json().error.message).toBe('1 of 3 shard(s) missing: 1');
    // foreign: the same shard of another run (the first 12 clips only)
    const other = join(bad, 'other.json');
    expect(runCli(['verify', MODEL, '--root', MINI, '--max-num', '12', '--shard', '1/3', '-o', other]).status).toBe(0);
    const foreign = runCli(['verify', 'merge', join(parts, 'part-0.json'), other, join(parts, 'part-2.json'), '--json']);
    expect(foreign.json().error).toMatchObject({ code: 'E_FOREIGN_PART', file: other });
    expect(foreign.json().error.message).toMatch(/protocol .*"maxNum":12.* vs .*"maxNum":null/);
  });

  it('status names the shards done and missing', () => {
    const parts = testTempDir('tsm-shards-status-');
    for (const i of [0, 2, 3]) copyFileSync(join(dir, 'parts-7', `part-${i}.json`), join(parts, `part-${i}.json`));
    const r = runCli(['verify', 'status', parts, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json().runs).toEqual([expect.objectContaining({ count: 7, done: [0, 2, 3], missing: [1, 4, 5, 6], complete: false })]);
    expect(runCli(['verify', 'status', testTempDir('tsm-empty-'), '--json']).json().error.code).toBe('E_NO_PARTS');
  });

  it('a shard killed mid-run leaves no part file; its re-run completes the set, and a shard already done is skipped', async () => {
    const parts = testTempDir('tsm-shards-kill-');
    for (const i of [0, 2]) copyFileSync(join(dir, 'parts-3', `part-${i}.json`), join(parts, `part-${i}.json`));
    const out = join(parts, 'part-1.json');
    const { reached } = await killAtPoint(['verify', MODEL, '--root', MINI, '--shard', '1/3', '-o', out], 'verify:batch:2');
    expect(reached).toBe(true);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(parts).sort()).toEqual(['part-0.json', 'part-2.json']); // no part, no temp file
    const again = runCli(['verify', MODEL, '--root', MINI, '--shard', '1/3', '-o', out, '--json']);
    expect(again.json()).toMatchObject({ skipped: false });
    const skip = runCli(['verify', MODEL, '--root', MINI, '--shard', '1/3', '-o', out, '--json']);
    expect(skip.json()).toMatchObject({ skipped: true });
    const merged = runCli(['verify', 'merge', parts, '--json']);
    expect(merged.status, merged.stderr).toBe(0);
    expect(withoutTiming(merged.json())).toEqual(withoutTiming(whole));
  });

  it('--shard auto reads a Slurm job array or a Kubernetes Indexed Job', () => {
    const array = (id: number, min: number, max: number, count: number, extra: Record<string, string> = {}) => ({
      SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_MIN: String(min), SLURM_ARRAY_TASK_MAX: String(max), SLURM_ARRAY_TASK_COUNT: String(count), ...extra,
    });
    // a full array 0..N-1 states the count
    expect(parseShard('auto', array(5, 0, 7, 8))).toEqual({ index: 5, count: 8 });
    // a resubmitted task (sbatch --array=3) is an array of one: it states no count, so it is refused, naming what it saw
    const resubmitted = () => parseShard('auto', array(3, 3, 3, 1));
    expect(resubmitted).toThrow('--shard auto: the Slurm array seen (SLURM_ARRAY_TASK_ID=3, SLURM_ARRAY_TASK_MIN=3, SLURM_ARRAY_TASK_MAX=3, SLURM_ARRAY_TASK_COUNT=1) is not 0..N-1');
    expect(resubmitted).toThrow(expect.objectContaining({ code: 'E_SHARD', family: 'usage', hint: expect.stringMatching(/TSM_SHARD_COUNT/) }));
    // the same for arrays with a gap, a step, an offset, or no count at all
    expect(() => parseShard('auto', array(2, 0, 5, 4))).toThrow(/SLURM_ARRAY_TASK_MAX=5, SLURM_ARRAY_TASK_COUNT=4\) is not 0\.\.N-1/);
    expect(() => parseShard('auto', array(5, 1, 8, 8))).toThrow(/SLURM_ARRAY_TASK_MIN=1,.* is not 0\.\.N-1/);
    expect(() => parseShard('auto', { SLURM_ARRAY_TASK_ID: '0' })).toThrow(/SLURM_ARRAY_TASK_MIN=\(unset\), SLURM_ARRAY_TASK_MAX=\(unset\), SLURM_ARRAY_TASK_COUNT=\(unset\)/);
    // with the count given, the task id is the shard, whatever the array looks like
    expect(parseShard('auto', array(3, 3, 3, 1, { TSM_SHARD_COUNT: '16' }))).toEqual({ index: 3, count: 16 });
    expect(parseShard('auto', array(0, 0, 0, 1, { TSM_SHARD_COUNT: '16' }))).toEqual({ index: 0, count: 16 });
    expect(() => parseShard('auto', array(16, 0, 16, 17, { TSM_SHARD_COUNT: '16' }))).toThrow('SLURM_ARRAY_TASK_ID=16 of TSM_SHARD_COUNT=16 gives shard 16 of 16: expected 0 ≤ index < count');
    expect(() => parseShard('auto', array(1, 1, 1, 1, { TSM_SHARD_COUNT: 'sixteen' }))).toThrow("--shard auto: TSM_SHARD_COUNT is 'sixteen', not a whole number");
    expect(parseShard('auto', { JOB_COMPLETION_INDEX: '3', TSM_SHARD_COUNT: '4' })).toEqual({ index: 3, count: 4 });
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '3' })).toThrow(/TSM_SHARD_COUNT/);
    expect(() => parseShard('auto', {})).toThrow(/neither a Slurm job array/);
    expect(() => parseShard('3/3')).toThrow(/0 ≤ index < count/);
    expect(() => parseShard('x')).toThrow(/not I\/N/);
  });
});

const haveSlurm = requireTool('Slurm (slurm-wlm, munge)', slurmInstalled(), 'apt-get install -y slurm-wlm munge');

describe.runIf(haveSlurm)('on a real Slurm cluster (one node on this machine)', () => {
  it('sbatch --array=0-3 --wait deploy/slurm/verify.sbatch, then merge: the unsharded result', () => {
    const work = testTempDir('tsm-slurm-');
    const cluster = startSlurm(join(work, 'cluster'));
    try {
      const parts = join(work, 'parts');
      const r = require('node:child_process').spawnSync('/usr/bin/sbatch', ['--array=0-3', '--wait', `--output=${join(work, 'task-%a.out')}`, join(ROOT, 'deploy/slurm/verify.sbatch'), join(ROOT, MODEL), join(ROOT, MINI), parts], {
        cwd: ROOT, encoding: 'utf8', timeout: 300_000, env: { ...process.env, ...cluster.env, TSM: `${process.execPath} ${join(ROOT, 'bin/run.js')}` },
      });
      const logs = readdirSync(work).filter((f) => f.startsWith('task-')).map((f) => `${f}:\n${readFileSync(join(work, f), 'utf8')}`).join('\n');
      expect(r.status, `${r.stdout}\n${r.stderr}\n${logs}`).toBe(0);
      expect(readdirSync(parts).sort()).toEqual(['part-00000.json', 'part-00001.json', 'part-00002.json', 'part-00003.json']);
      const merged = runCli(['verify', 'merge', parts, '--json']);
      expect(merged.status, merged.stderr).toBe(0);
      expect(merged.json().parts).toBe(4);
      expect(withoutTiming(merged.json())).toEqual(withoutTiming({ ...whole, model: join(ROOT, MODEL), root: join(ROOT, MINI) }));
    } finally {
      cluster.stop();
    }
  });
});
