import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseShard } from '../../src/verify/shard-choice.js';
import { readPart } from '../../src/verify/shards.js';
import { killAtPoint, ROOT, runCli } from '../helpers/cli.js';
import { requireTool } from '../helpers/requirements.js';
import { type SlurmCluster, slurmInstalled, startSlurm } from '../helpers/slurm.js';
import { fileTempDir, testTempDir } from '../helpers/tmp.js';

/**
 * Sharded verify: parts of 1, 2, 3 and 7 shards merge to the report of one unsharded run, byte for byte where the
 * content is the same; parts of other runs, duplicated and missing shards are refused by name; a killed shard leaves
 * no part and its re-run completes the set; `--shard auto` takes the count from TSM_SHARD_COUNT or a full 0..N-1
 * array only; and a real Slurm cluster runs the shipped sbatch script: a full array, then one task resubmitted.
 */
const MODEL = 'zoo/tsm-mobilenetv2-jester-mini/1.0.0/model.onnx';
const MINI = 'fixtures/jester-mini';
const dir = fileTempDir('tsm-shards-');
const REPORT_FILES = ['confusion.csv', 'confusion.png', 'per_class.csv', 'predictions.csv'];
// what legitimately differs between runs: timings, and where the report went
const TIMING = ['seconds', 'clipsPerSecond', 'timing', 'inferenceSeconds', 'parts', 'report', 'predictionsFile'];
const withoutTiming = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !TIMING.includes(k)));

function runShards(count: number, out: string, extra: string[] = []): void {
  for (let i = 0; i < count; i++) {
    const r = runCli([
      'verify',
      MODEL,
      '--root',
      MINI,
      '--shard',
      `${i}/${count}`,
      '-o',
      join(out, `part-${i}.json`),
      '--json',
      ...extra,
    ]);
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
    for (const f of REPORT_FILES)
      expect(readFileSync(join(dir, `merged-${count}`, f)).equals(readFileSync(join(dir, 'whole', f))), f).toBe(true);
    const json = (p: string) => withoutTiming(JSON.parse(readFileSync(p, 'utf8')));
    expect(json(join(dir, `merged-${count}`, 'verify.json'))).toEqual(json(join(dir, 'whole', 'verify.json')));
  });

  it('refuses a corrupted part, a part of another run, a duplicated and a missing shard, naming them', () => {
    const parts = join(dir, 'parts-3');
    const bad = testTempDir('tsm-shards-bad-');
    for (const f of readdirSync(parts)) copyFileSync(join(parts, f), join(bad, f));
    // corrupted
    writeFileSync(join(bad, 'part-1.json'), readFileSync(join(parts, 'part-1.json'), 'utf8').slice(0, 200));
    const corrupted = runCli([
      'verify',
      'merge',
      join(bad, 'part-0.json'),
      join(bad, 'part-1.json'),
      join(bad, 'part-2.json'),
      '--json',
    ]);
    expect(corrupted.status).toBe(3);
    expect(corrupted.json().error).toMatchObject({ code: 'E_BAD_PART', file: join(bad, 'part-1.json') });
    // duplicated
    const dup = runCli([
      'verify',
      'merge',
      join(parts, 'part-0.json'),
      join(parts, 'part-1.json'),
      join(parts, 'part-1.json'),
      join(parts, 'part-2.json'),
      '--json',
    ]);
    expect(dup.json().error).toMatchObject({ code: 'E_DUPLICATE_PART', shard: 1 });
    // missing
    const missing = runCli(['verify', 'merge', join(parts, 'part-0.json'), join(parts, 'part-2.json'), '--json']);
    expect(missing.json().error).toMatchObject({ code: 'E_MISSING_PARTS', missing: [1], count: 3 });
    expect(missing.json().error.message).toBe('1 of 3 shard(s) missing: 1');
    // foreign: the same shard of another run (the first 12 clips only)
    const other = join(bad, 'other.json');
    expect(runCli(['verify', MODEL, '--root', MINI, '--max-num', '12', '--shard', '1/3', '-o', other]).status).toBe(0);
    const foreign = runCli([
      'verify',
      'merge',
      join(parts, 'part-0.json'),
      other,
      join(parts, 'part-2.json'),
      '--json',
    ]);
    expect(foreign.json().error).toMatchObject({ code: 'E_FOREIGN_PART', file: other });
    expect(foreign.json().error.message).toMatch(/protocol .*"maxNum":12.* vs .*"maxNum":null/);
  });

  it('status names the shards done and missing, and exits 3 until every shard is there', () => {
    const parts = testTempDir('tsm-shards-status-');
    for (const i of [0, 2, 3]) copyFileSync(join(dir, 'parts-7', `part-${i}.json`), join(parts, `part-${i}.json`));
    const missing = runCli(['verify', 'status', parts, '--json']);
    expect(missing.status, missing.stderr).toBe(3);
    const error = missing.json().error; // the whole of stdout is this one object
    expect(error).toMatchObject({
      code: 'E_SHARDS_MISSING',
      family: 'input',
      dir: parts,
      message: `${parts}: shards missing: ${MODEL} on ${MINI}/val_videofolder.txt: 4 of 7 (1, 4, 5, 6)`,
    });
    expect(error.runs).toEqual([
      expect.objectContaining({ model: MODEL, count: 7, done: [0, 2, 3], missing: [1, 4, 5, 6], complete: false }),
    ]);
    const human = runCli(['verify', 'status', parts]);
    expect(human.status).toBe(3);
    expect(human.stdout).toBe(`${MODEL} on ${MINI}/val_videofolder.txt: 3/7 shards done; missing 1, 4, 5, 6\n`);
    expect(human.stderr).toMatch(/^tsm: .*shards missing: .*4 of 7 \(1, 4, 5, 6\)\n {2}hint: /);

    for (const i of [1, 4, 5, 6]) copyFileSync(join(dir, 'parts-7', `part-${i}.json`), join(parts, `part-${i}.json`));
    const complete = runCli(['verify', 'status', parts, '--json']);
    expect(complete.status, complete.stdout).toBe(0);
    expect(complete.json().runs).toEqual([
      expect.objectContaining({ count: 7, done: [0, 1, 2, 3, 4, 5, 6], missing: [], complete: true }),
    ]);
    expect(runCli(['verify', 'status', parts]).stdout).toContain(
      '7/7 shards done — complete, ready for tsm verify merge',
    );

    const empty = runCli(['verify', 'status', testTempDir('tsm-empty-'), '--json']);
    expect([empty.status, empty.json().error.code]).toEqual([3, 'E_NO_PARTS']);
  });

  it(
    'a shard killed mid-run leaves no part file; its re-run completes the set, and a ' +
      'shard already done is skipped',
    async () => {
      const parts = testTempDir('tsm-shards-kill-');
      for (const i of [0, 2]) copyFileSync(join(dir, 'parts-3', `part-${i}.json`), join(parts, `part-${i}.json`));
      const out = join(parts, 'part-1.json');
      const { reached } = await killAtPoint(
        ['verify', MODEL, '--root', MINI, '--shard', '1/3', '-o', out],
        'verify:batch:2',
      );
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
    },
  );

  it('--shard auto reads a Slurm job array or a Kubernetes Indexed Job', () => {
    const array = (id: number, min: number, max: number, count: number, extra: Record<string, string> = {}) => ({
      SLURM_ARRAY_TASK_ID: String(id),
      SLURM_ARRAY_TASK_MIN: String(min),
      SLURM_ARRAY_TASK_MAX: String(max),
      SLURM_ARRAY_TASK_COUNT: String(count),
      ...extra,
    });
    // a full array 0..N-1 states the count
    expect(parseShard('auto', array(5, 0, 7, 8))).toEqual({ index: 5, count: 8 });
    // a resubmitted task (sbatch --array=3) is an array of one: it states no count, so it is refused, naming what it
    // saw
    const resubmitted = () => parseShard('auto', array(3, 3, 3, 1));
    expect(resubmitted).toThrow(
      '--shard auto: the Slurm array seen (SLURM_ARRAY_TASK_ID=3, SLURM_ARRAY_TASK_MIN=3, SLURM_ARRAY_TASK_MAX=3, ' +
        'SLURM_ARRAY_TASK_COUNT=1) is not 0..N-1',
    );
    expect(resubmitted).toThrow(
      expect.objectContaining({ code: 'E_SHARD', family: 'usage', hint: expect.stringMatching(/TSM_SHARD_COUNT/) }),
    );
    // the same for arrays with a gap, a step, an offset, or no count at all
    expect(() => parseShard('auto', array(2, 0, 5, 4))).toThrow(
      /SLURM_ARRAY_TASK_MAX=5, SLURM_ARRAY_TASK_COUNT=4\) is not 0\.\.N-1/,
    );
    expect(() => parseShard('auto', array(5, 1, 8, 8))).toThrow(/SLURM_ARRAY_TASK_MIN=1,.* is not 0\.\.N-1/);
    expect(() => parseShard('auto', { SLURM_ARRAY_TASK_ID: '0' })).toThrow(
      /SLURM_ARRAY_TASK_MIN=\(unset\), SLURM_ARRAY_TASK_MAX=\(unset\), SLURM_ARRAY_TASK_COUNT=\(unset\)/,
    );
    // with the count given, the task id is the shard, whatever the array looks like
    expect(parseShard('auto', array(3, 3, 3, 1, { TSM_SHARD_COUNT: '16' }))).toEqual({ index: 3, count: 16 });
    expect(parseShard('auto', array(0, 0, 0, 1, { TSM_SHARD_COUNT: '16' }))).toEqual({ index: 0, count: 16 });
    expect(() => parseShard('auto', array(16, 0, 16, 17, { TSM_SHARD_COUNT: '16' }))).toThrow(
      'SLURM_ARRAY_TASK_ID=16 of TSM_SHARD_COUNT=16 gives shard 16 of 16: expected 0 ≤ index < count',
    );
    expect(() => parseShard('auto', array(1, 1, 1, 1, { TSM_SHARD_COUNT: 'sixteen' }))).toThrow(
      "--shard auto: TSM_SHARD_COUNT is 'sixteen', not a whole number",
    );
    expect(parseShard('auto', { JOB_COMPLETION_INDEX: '3', TSM_SHARD_COUNT: '4' })).toEqual({ index: 3, count: 4 });
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '3' })).toThrow(/TSM_SHARD_COUNT/);
    expect(() => parseShard('auto', {})).toThrow(/neither a Slurm job array/);
    expect(() => parseShard('3/3')).toThrow(/0 ≤ index < count/);
    expect(() => parseShard('x')).toThrow(/not I\/N/);
  });
});

const SBATCH_SCRIPT = join(ROOT, 'deploy/slurm/verify.sbatch');

describe('deploy/slurm/verify.sbatch: where the shard count comes from', () => {
  // The script run by bash with the variables Slurm sets, and a stand-in for tsm that prints what it was given, so
  // each way of stating (or not stating) the count is seen without a cluster; the real cluster runs follow below.
  const run = (parts: string, env: Record<string, string>) => {
    const stub = join(parts, '..', 'tsm-stub.sh');
    writeFileSync(stub, '#!/bin/sh\necho "TSM_SHARD_COUNT=${TSM_SHARD_COUNT:-(unset)} $*"\n', { mode: 0o755 });
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('SLURM_') && k !== 'TSM_SHARD_COUNT'),
    );
    const r = spawnSync('/bin/bash', [SBATCH_SCRIPT, 'model.onnx', 'data', parts, '--crops', '3'], {
      encoding: 'utf8',
      env: { ...clean, TSM: stub, ...env },
    });
    const record = join(parts, 'shard-count');
    return {
      status: r.status,
      stdout: r.stdout,
      stderr: r.stderr,
      record: existsSync(record) ? readFileSync(record, 'utf8') : undefined,
    };
  };
  const task = (id: number, min: number, max: number, count: number) => ({
    SLURM_JOB_ID: String(100 + id),
    SLURM_ARRAY_TASK_ID: String(id),
    SLURM_ARRAY_TASK_MIN: String(min),
    SLURM_ARRAY_TASK_MAX: String(max),
    SLURM_ARRAY_TASK_COUNT: String(count),
  });

  it(
    'a first full array records N; a resubmitted task takes N from the record, the shard ' + '0 of an array of one too',
    () => {
      const parts = join(testTempDir('tsm-sbatch-'), 'parts');
      const first = run(parts, task(5, 0, 15, 16));
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toBe(
        `TSM_SHARD_COUNT=16 verify model.onnx --root data --shard auto --threads 2 -o ` +
          `${parts}/part-00005.json --crops 3\n`,
      );
      expect(first.stderr).toContain('shard 5 of 16 (the count from the array 0-15)');
      expect(first.record).toBe('16\n');
      const again = run(parts, task(3, 3, 3, 1));
      expect(again.stdout).toBe(
        `TSM_SHARD_COUNT=16 verify model.onnx --root data --shard auto --threads 2 -o ` +
          `${parts}/part-00003.json --crops 3\n`,
      );
      expect(again.stderr).toContain(`shard 3 of 16 (the count from ${parts}/shard-count)`);
      // --array=0 looks like a full array of one: the record says otherwise
      expect(run(parts, task(0, 0, 0, 1)).stdout).toMatch(/^TSM_SHARD_COUNT=16 .* -o \S+\/part-00000\.json /);
      expect(readdirSync(parts)).toEqual(['shard-count']); // no temp file left
    },
  );

  it(
    'TSM_SHARD_COUNT states N (and is recorded); one that disagrees with the record, or a ' +
      'broken record, is refused',
    () => {
      const parts = join(testTempDir('tsm-sbatch-'), 'parts');
      const some = run(parts, { ...task(2, 0, 7, 8), TSM_SHARD_COUNT: '16' });
      expect(some.stdout).toMatch(/^TSM_SHARD_COUNT=16 .* -o \S+\/part-00002\.json /);
      expect(some.record).toBe('16\n');
      const other = run(parts, { ...task(2, 2, 2, 1), TSM_SHARD_COUNT: '8' });
      expect(other.status).toBe(2);
      expect(other.stdout).toBe(''); // tsm not started
      expect(other.stderr).toContain(
        `TSM_SHARD_COUNT=8, but ${parts}/shard-count says this run has 16 shards; a run with another count ` +
          `needs its own parts folder`,
      );
      writeFileSync(join(parts, 'shard-count'), 'sixteen\n');
      const broken = run(parts, task(2, 2, 2, 1));
      expect([broken.status, broken.stdout]).toEqual([2, '']);
      expect(broken.stderr).toContain(`${parts}/shard-count holds 'sixteen', not a shard count`);
    },
  );

  it(
    'a partial array with no count anywhere records nothing and leaves the refusal to tsm; ' +
      'outside an array it stops',
    () => {
      const parts = join(testTempDir('tsm-sbatch-'), 'parts');
      const partial = run(parts, task(3, 3, 3, 1));
      expect(partial.stdout).toMatch(/^TSM_SHARD_COUNT=\(unset\) verify .* --shard auto /);
      expect(partial.record).toBeUndefined();
      const outside = run(parts, {});
      expect([outside.status, outside.stdout]).toEqual([2, '']);
      expect(outside.stderr).toContain('not a task of a Slurm job array (no SLURM_ARRAY_TASK_ID)');
    },
  );
});

const haveSlurm = requireTool('Slurm (slurm-wlm, munge)', slurmInstalled(), 'apt-get install -y slurm-wlm munge');

describe.runIf(haveSlurm)('on a real Slurm cluster (one node on this machine)', () => {
  let work: string;
  let cluster: SlurmCluster;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'tsm-slurm-'));
    cluster = startSlurm(join(work, 'cluster'));
  });
  afterAll(() => {
    cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  const unshardedHere = () => withoutTiming({ ...whole, model: join(ROOT, MODEL), root: join(ROOT, MINI) });

  /** `sbatch --array=ARRAY --wait` of the shipped script; its exit status, and what sbatch and the tasks printed. */
  function sbatch(
    array: string,
    parts: string,
    env: Record<string, string> = {},
  ): { status: number | null; output: string } {
    const logs = mkdtempSync(join(work, 'logs-'));
    const r = spawnSync(
      '/usr/bin/sbatch',
      [
        `--array=${array}`,
        '--wait',
        `--output=${join(logs, 'task-%a.out')}`,
        SBATCH_SCRIPT,
        join(ROOT, MODEL),
        join(ROOT, MINI),
        parts,
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 300_000,
        env: { ...process.env, ...cluster.env, TSM: `${process.execPath} ${join(ROOT, 'bin/run.js')}`, ...env },
      },
    );
    const tasks = readdirSync(logs)
      .sort()
      .map((f) => `${f}:\n${readFileSync(join(logs, f), 'utf8')}`)
      .join('\n');
    return { status: r.status, output: `${r.stdout}\n${r.stderr}\n${tasks}` };
  }
  const merge = (parts: string) => {
    const merged = runCli(['verify', 'merge', parts, '--json']);
    expect(merged.status, merged.stderr).toBe(0);
    return merged.json();
  };

  it('sbatch --array=0-3 --wait deploy/slurm/verify.sbatch, then merge: the unsharded ' +
    'result; the count is recorded', () => {
    const parts = join(work, 'parts'); // the next test redoes a shard of a copy of these
    const full = sbatch('0-3', parts);
    expect(full.status, full.output).toBe(0);
    expect(readdirSync(parts).sort()).toEqual([
      'part-00000.json',
      'part-00001.json',
      'part-00002.json',
      'part-00003.json',
      'shard-count',
    ]);
    expect(readFileSync(join(parts, 'shard-count'), 'utf8')).toBe('4\n');
    expect(merge(parts)).toMatchObject({ parts: 4 });
    expect(withoutTiming(merge(parts))).toEqual(unshardedHere());
  }, 300_000);

  it('a resubmitted task (sbatch --array=2, an array of one to Slurm) scores exactly shard 2 of 4; ' +
    '--array=0 is shard 0 of 4', () => {
    const parts = join(work, 'parts-resubmitted');
    cpSync(join(work, 'parts'), parts, { recursive: true });
    const before = Object.fromEntries(readdirSync(parts).map((f) => [f, readFileSync(join(parts, f))]));
    const lost = readPart(join(parts, 'part-00002.json'));
    rmSync(join(parts, 'part-00002.json'));
    const redo = sbatch('2', parts);
    expect(redo.status, redo.output).toBe(0);
    expect(redo.output).toContain(`shard 2 of 4 (the count from ${parts}/shard-count)`);
    const part = readPart(join(parts, 'part-00002.json'));
    expect(part.shard).toEqual({ index: 2, count: 4 });
    expect(part.result.clips).toBe(20); // clips 2, 6, …, 78 of the 80
    expect(part.result.predictions.map((p) => p.id)).toEqual(lost.result.predictions.map((p) => p.id));
    for (const f of ['part-00000.json', 'part-00001.json', 'part-00003.json', 'shard-count'])
      expect(readFileSync(join(parts, f)).equals(before[f]), f).toBe(true);
    expect(withoutTiming(merge(parts))).toEqual(unshardedHere());

    // --array=0 alone: shard 0 of 4 (already there, so skipped), not a run of one shard
    const zero = sbatch('0', parts);
    expect(zero.status, zero.output).toBe(0);
    expect(zero.output).toContain('shard 0/4 of this run is already there (20 clips); skipped');
    expect(readFileSync(join(parts, 'part-00000.json')).equals(before['part-00000.json'])).toBe(true);
  }, 300_000);

  it(
    'a resubmitted task with no recorded count is refused by tsm, naming the array variables ' +
      'Slurm set, and writes nothing',
    () => {
      const parts = join(work, 'parts-unrecorded');
      const r = sbatch('1', parts);
      expect(r.status, r.output).not.toBe(0);
      expect(r.output).toContain(
        '--shard auto: the Slurm array seen (SLURM_ARRAY_TASK_ID=1, SLURM_ARRAY_TASK_MIN=1, SLURM_ARRAY_TASK_MAX=1, ' +
          'SLURM_ARRAY_TASK_COUNT=1) is not 0..N-1',
      );
      expect(readdirSync(parts)).toEqual([]);
    },
  );
});
