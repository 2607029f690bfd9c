import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { findModels, loadZoo, parseZoo, resolveModel, schemaErrors, validateZooFile } from '../../src/zoo/index.js';
import { nextVersion } from '../../src/zoo/publish.js';
import type { Zoo, ZooEntry } from '../../src/zoo/types.js';
import { ROOT, runCli, runCliAsync } from '../helpers/cli.js';
import { ensureVariants, VARIANTS_DIR } from '../helpers/reference.js';
import { fileTempDir, testTempDir } from '../helpers/tmp.js';

const variants = ensureVariants();

function entry(overrides: Partial<ZooEntry> = {}): ZooEntry {
  const base = loadZoo(join(ROOT, 'zoo.json')).models[0];
  return { ...base, ...overrides };
}

describe('zoo.json and its schema', () => {
  it('the repository zoo.json is valid and its local artifacts match their checksums', () => {
    const r = validateZooFile(join(ROOT, 'zoo.json'));
    expect(r.issues).toEqual([]);
    expect(r.models).toBeGreaterThanOrEqual(15);
  });

  it('values built with the TypeScript types validate against the schema; broken ones name the path', () => {
    const zoo: Zoo = { schemaVersion: 1, models: [entry()] };
    expect(schemaErrors(zoo)).toEqual([]);
    expect(schemaErrors({ ...zoo, models: [{ ...entry(), version: '1.0' }] })[0]).toMatch(/^\/models\/0\/version/);
    expect(schemaErrors({ ...zoo, models: [{ ...entry(), task: 'dancing' }] })[0]).toMatch(/\/models\/0\/task/);
    expect(schemaErrors({ schemaVersion: 2, models: [] })[0]).toMatch(/schemaVersion/);
  });

  it('duplicate versions are refused', () => {
    const text = JSON.stringify({ schemaVersion: 1, models: [entry(), entry()] });
    expect(() => parseZoo(text)).toThrow(expect.objectContaining({ code: 'E_ZOO_DUPLICATE' }));
  });

  it('resolves by id and semver range, newest first', () => {
    const zoo: Zoo = {
      schemaVersion: 1,
      models: ['1.0.0', '1.2.0', '2.0.0'].map((version) => entry({ id: 'm', version })),
    };
    expect(resolveModel(zoo, { id: 'm', published: false }).version).toBe('2.0.0');
    expect(resolveModel(zoo, { id: 'm', version: '^1.0.0', published: false }).version).toBe('1.2.0');
    expect(findModels(zoo, { id: 'm', published: false }).map((m) => m.version)).toEqual(['2.0.0', '1.2.0', '1.0.0']);
    expect(() => resolveModel(zoo, { id: 'nope' })).toThrow(expect.objectContaining({ code: 'E_ZOO_NO_MATCH' }));
    expect(nextVersion(['1.2.0', '1.10.1', '0.9.0'], 'patch')).toBe('1.10.2');
    expect(nextVersion([], 'minor')).toBe('1.0.0');
  });

  it('filters by what a model computes in (an entry without the record computes in float32)', () => {
    const published = loadZoo(join(ROOT, 'zoo.json')).models.find((m) => m.status === 'published')!;
    const model = (id: string, top1: number, computeDtype?: 'float32' | 'int8'): ZooEntry => ({
      ...published,
      id,
      artifacts: [{ ...published.artifacts[0], computeDtype }],
      verification: { ...published.verification!, top1 },
    });
    const zoo: Zoo = {
      schemaVersion: 1,
      models: [model('q', 0.9, 'int8'), model('f', 0.5, 'float32'), model('old', 0.4)],
    };
    expect(resolveModel(zoo, {}).id).toBe('q'); // best top-1
    expect(resolveModel(zoo, { computeDtypes: ['float32'] }).id).toBe('f');
    expect(findModels(zoo, { computeDtypes: ['float32'] }).map((m) => m.id)).toEqual(['f', 'old']);
    expect(() => resolveModel(zoo, { id: 'q', computeDtypes: ['float32'] })).toThrow(
      expect.objectContaining({ code: 'E_ZOO_NO_MATCH' }),
    );
  });
});

describe('tsm zoo publish / validate', () => {
  const dir = fileTempDir('tsm-zoo-');
  const zooPath = join(dir, 'zoo.json');
  const ckpt = join(VARIANTS_DIR, variants.mbv2_width05.file);
  writeFileSync(zooPath, JSON.stringify({ schemaVersion: 1, models: [] }));

  it('publishes a verified version with ONNX, card and verify.json, and refuses to overwrite it', () => {
    const r = runCli([
      'zoo',
      'publish',
      ckpt,
      '--id',
      'mini-test',
      '--version',
      '1.0.0',
      '--dataset',
      'jester',
      '--root',
      'fixtures/jester-mini',
      '--dataset-label',
      'jester-mini',
      '--zoo',
      zooPath,
      '--json',
    ]);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const out = r.json();
    expect(out.entry).toMatchObject({
      id: 'mini-test',
      version: '1.0.0',
      status: 'published',
      task: 'gesture-recognition',
      dataset: 'jester-mini',
      verification: { clips: 80, protocol: { segments: 8, crops: 1 } },
    });
    expect(out.files.map((f: string) => f.split('/').pop())).toEqual(['model.onnx', 'card.md', 'verify.json']);
    const card = readFileSync(join(dir, 'zoo/mini-test/1.0.0/card.md'), 'utf8');
    expect(card).toContain('onnxruntime-node');
    expect(card).toContain('onnxruntime-web');
    expect(card).toContain(out.entry.artifacts[0].sha256);
    expect(card).toMatch(/16\. Swiping Left/);
    const again = runCli([
      'zoo',
      'publish',
      ckpt,
      '--id',
      'mini-test',
      '--version',
      '1.0.0',
      '--zoo',
      zooPath,
      '--json',
    ]);
    expect(again.status).toBe(7);
    expect(again.json().error.code).toBe('E_VERSION_EXISTS');
    const bumped = runCli(['zoo', 'publish', ckpt, '--id', 'mini-test', '--bump', 'minor', '--zoo', zooPath, '--json']);
    expect(bumped.json().entry.version).toBe('1.1.0');
    expect(runCli(['zoo', 'validate', '--zoo', zooPath, '--json']).json()).toMatchObject({
      models: 2,
      checkedArtifacts: 2,
      issues: [],
    });
    const list = runCli(['zoo', 'list', '--zoo', zooPath, '--json']).json();
    expect(list.models.map((m: { version: string }) => m.version)).toEqual(['1.0.0']); // 1.1.0 was not verified
  });

  it("names the dataset and split from what it was given, or from upstream main.py's run folder", () => {
    const own = testTempDir('tsm-zoo-named-');
    const zooPath = join(own, 'zoo.json');
    writeFileSync(zooPath, JSON.stringify({ schemaVersion: 1, models: [] }));
    // a checkpoint saved as main.py saves runs: the config (and its dataset) is in the folder's name
    const run = join(own, 'TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e25');
    mkdirSync(run);
    copyFileSync(ckpt, join(run, 'ckpt.best.pth.tar'));
    const folder = runCli([
      'zoo',
      'publish',
      join(run, 'ckpt.best.pth.tar'),
      '--id',
      'run-folder',
      '--version',
      '1.0.0',
      '--zoo',
      zooPath,
      '--json',
    ]);
    expect(folder.status, folder.stderr + folder.stdout).toBe(0);
    expect(folder.json().entry).toMatchObject({ dataset: 'jester', task: 'gesture-recognition' });
    const split = runCli([
      'zoo',
      'publish',
      ckpt,
      '--id',
      'split-test',
      '--version',
      '1.0.0',
      '--dataset',
      'jester',
      '--root',
      'fixtures/jester-mini',
      '--split',
      'val (mini, synthetic)',
      '--zoo',
      zooPath,
      '--json',
    ]);
    expect(split.status, split.stderr + split.stdout).toBe(0);
    expect(split.json().entry.verification).toMatchObject({ dataset: 'jester', split: 'val (mini, synthetic)' });
  });

  it(
    '--int8 publishes the calibrated int8 export, says so in the entry, and its recorded top-1 ' +
      'is what verify gets again',
    () => {
      const bundled = join(ROOT, 'fixtures/models/TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e14.pth');
      const r = runCli([
        'zoo',
        'publish',
        bundled,
        '--id',
        'mini-int8',
        '--version',
        '1.0.0',
        '--dataset',
        'jester',
        '--root',
        'fixtures/jester-mini',
        '--dataset-label',
        'jester-mini',
        '--int8',
        '--calibration',
        'fixtures/jester-mini',
        '--zoo',
        zooPath,
        '--json',
      ]);
      expect(r.status, r.stderr + r.stdout).toBe(0);
      const { entry: e } = r.json();
      expect(e.notes).toMatch(/^int8 \(QDQ.*calibrated \(minmax\) on 20 clips of jester-mini/);
      const model = join(dir, e.artifacts[0].url);
      const meta = onnxProto.onnx.ModelProto.decode(readFileSync(model)).metadataProps!.find(
        (p) => p.key === 'tsm.weights_dtype',
      );
      expect(meta?.value).toBe('int8');
      expect(e.artifacts[0].computeDtype).toBe('int8');
      const again = runCli(['verify', model, '--root', 'fixtures/jester-mini', '--json']).json();
      expect(again.top1).toBe(e.verification.top1);
      // and the repository's own int8 entry still verifies to what it records
      const shipped = resolveModel(loadZoo(join(ROOT, 'zoo.json')), { id: 'tsm-mobilenetv2-jester-mini-int8' });
      const shippedRun = runCli([
        'verify',
        join(ROOT, shipped.artifacts[0].url!),
        '--root',
        'fixtures/jester-mini',
        '--json',
      ]).json();
      // (made on another machine: int8 kernels differ between CPUs, e.g. VNNI or not, so one clip may flip)
      expect(Math.abs(shippedRun.top1 - shipped.verification!.top1) * shippedRun.clips).toBeLessThanOrEqual(1);
      expect(
        runCli([
          'zoo',
          'publish',
          bundled,
          '--id',
          'x',
          '--version',
          '1.0.0',
          '--int8',
          '--zoo',
          zooPath,
          '--json',
        ]).json().error.code,
      ).toBe('E_BAD_FLAG');
    },
  );

  it('validate catches a tampered artifact', () => {
    const copy = testTempDir('tsm-zoo-tamper-');
    const z = loadZoo(zooPath);
    const m = z.models[0];
    writeFileSync(join(copy, 'zoo.json'), JSON.stringify({ ...z, models: [m] }));
    const { mkdirSync } = require('node:fs');
    mkdirSync(join(copy, 'zoo/mini-test/1.0.0'), { recursive: true });
    copyFileSync(join(dir, m.artifacts[0].url!), join(copy, m.artifacts[0].url!));
    copyFileSync(join(dir, m.card!), join(copy, m.card!));
    writeFileSync(join(copy, m.artifacts[0].url!), 'tampered', { flag: 'a' });
    const r = runCli(['zoo', 'validate', '--zoo', join(copy, 'zoo.json'), '--json']);
    expect(r.status).toBe(3);
    expect(r.json().error.message).toMatch(/sha256/);
  });

  it('validate catches an entry that misstates what its model computes in', () => {
    const copy = testTempDir('tsm-zoo-dtype-');
    const z = loadZoo(zooPath);
    const m = z.models[0];
    expect(m.artifacts[0].computeDtype).toBe('float32');
    writeFileSync(
      join(copy, 'zoo.json'),
      JSON.stringify({ ...z, models: [{ ...m, artifacts: [{ ...m.artifacts[0], computeDtype: 'int8' }] }] }),
    );
    require('node:fs').mkdirSync(join(copy, 'zoo/mini-test/1.0.0'), { recursive: true });
    copyFileSync(join(dir, m.artifacts[0].url!), join(copy, m.artifacts[0].url!));
    copyFileSync(join(dir, m.card!), join(copy, m.card!));
    const r = runCli(['zoo', 'validate', '--zoo', join(copy, 'zoo.json'), '--json']);
    expect(r.status).toBe(3);
    expect(r.json().error.message).toMatch(/computes in float32, zoo.json says int8/);
  });

  it('two concurrent publishes both land in zoo.json', async () => {
    const [a, b] = await Promise.all([
      runCliAsync(['zoo', 'publish', ckpt, '--id', 'race', '--version', '1.0.0', '--zoo', zooPath, '--json']),
      runCliAsync(['zoo', 'publish', ckpt, '--id', 'race', '--version', '2.0.0', '--zoo', zooPath, '--json']),
    ]);
    expect([a.status, b.status]).toEqual([0, 0]);
    expect(
      loadZoo(zooPath)
        .models.filter((m) => m.id === 'race')
        .map((m) => m.version)
        .sort(),
    ).toEqual(['1.0.0', '2.0.0']);
  });
});
