import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { compareWithReference, verifyModel } from '../../src/verify/verify.js';
import { runCli } from '../helpers/cli.js';
import { ensureVariants, PYTHON, ROOT, VARIANTS_DIR } from '../helpers/reference.js';
import { fileTempDir } from '../helpers/tmp.js';

/**
 * Flow models on flow frames (docs/upstream-tsm-family.md §3, §5): a generated set in the three upstream layouts,
 * scored by tsm verify
 * and by a PyTorch + Pillow reference evaluation written from the facts (tools/reference/eval_tsm.py), clip by clip.
 * The set has clips shorter than T + new_length − 1 (stacked indices clamp), colour-encoded flow JPEGs (Pillow's
 * RGB → L) and, for Something-V1, list counts that the loader halves.
 */
const variants = ensureVariants();
const out = fileTempDir('tsm-flow-');
execFileSync(PYTHON, [join(ROOT, 'tools/reference/make_flow_set.py'), out], { stdio: 'ignore' });
const checkpoint = join(VARIANTS_DIR, variants.flow_mbv2.file);
const model = convertCheckpoint({ input: checkpoint, output: join(out, 'flow.onnx'), overrides: { size: 112 } }).output;

const LAYOUTS = [
  { set: 'ucf', dataset: 'ucf101', framesDir: 'images', template: 'flow_{}_{:05d}.jpg', storage: 'pair' },
  {
    set: 'sthv1',
    dataset: 'something',
    framesDir: '20bn-something-something-v1-flow',
    template: '{:06d}-{}_{:05d}.jpg',
    storage: 'padded-pair',
  },
  {
    set: 'sthv2',
    dataset: 'somethingv2',
    framesDir: '20bn-something-something-v2-flow',
    template: '{:06d}.jpg',
    storage: 'packed',
  },
] as const;

function reference(layout: (typeof LAYOUTS)[number], crops: number, extra: string[] = []): string {
  const path = join(out, `ref-${layout.set}-${crops}${extra.join('')}.json`);
  execFileSync(
    PYTHON,
    [
      join(ROOT, 'tools/reference/eval_tsm.py'),
      checkpoint,
      join(out, layout.set),
      path,
      '--frames-dir',
      layout.framesDir,
      '--template',
      layout.template,
      '--list',
      'val_videofolder_flow.txt',
      '--size',
      '112',
      '--crops',
      String(crops),
      ...extra,
    ],
    { stdio: 'ignore' },
  );
  return path;
}

describe('verify on flow frames, against a PyTorch reference evaluation', () => {
  // the centre crop on all three layouts; the 10-crop protocol (mirrored crops, x inverted) below, on the pair layout
  const CASES = [
    [0, 1],
    [1, 1],
    [2, 1],
  ] as const;
  for (const [which, crops] of CASES) {
    const layout = LAYOUTS[which];
    it(`${layout.dataset} (${layout.template}), ${crops} crop(s): every clip's scores within 1e-4`, async () => {
      const r = await verifyModel({
        model,
        dataset: layout.dataset,
        root: join(out, layout.set),
        crops,
        reference: reference(layout, crops),
      });
      expect(r.clips).toBe(4);
      expect(r.parity!.clips).toBe(4);
      expect(r.parity!.samePrediction).toBe(4);
      expect(r.parity!.maxAbsScoreDelta).toBeLessThanOrEqual(1e-4);
      expect(r.missingFrames.count).toBe(0);
      expect(r.protocol.flow).toEqual({
        template: layout.template,
        framesDir: layout.framesDir,
        storage: layout.storage,
        newLength: 5,
      });
      expect(r.protocol.viewsPerClip).toBe(crops);
    });
  }

  it(
    'flow_{}_{:05d}.jpg with 10 crops: within 1e-4 of the reference, and > 1e-2 from one that does not ' +
      'invert x in mirrored crops',
    async () => {
      const layout = LAYOUTS[0];
      const r = await verifyModel({
        model,
        dataset: layout.dataset,
        root: join(out, layout.set),
        crops: 10,
        reference: reference(layout, 10),
      });
      expect(r.protocol.viewsPerClip).toBe(10);
      expect(r.parity!.clips).toBe(4);
      expect(r.parity!.samePrediction).toBe(4);
      expect(r.parity!.maxAbsScoreDelta).toBeLessThanOrEqual(1e-4);
      const withoutInversion = compareWithReference(reference(layout, 10, ['--no-invert']), r.predictions);
      expect(withoutInversion.clips).toBe(4);
      expect(withoutInversion.maxAbsScoreDelta).toBeGreaterThan(1e-2);
    },
  );

  it('predict and verify --videos, which read RGB frames and videos, refuse a Flow model by name', () => {
    const r = runCli(['predict', model, join(ROOT, 'fixtures/jester-mini/20bn-jester-v1/100001'), '--json']);
    expect(r.status).toBe(2);
    expect(r.json().error).toMatchObject({ code: 'E_FLOW_INPUT', channels: 10 });
    const videos = runCli(['verify', model, '--dataset', 'ucf101', '--root', join(out, 'ucf'), '--videos', '--json']);
    expect(videos.status).toBe(2);
    expect(videos.json().error.code).toBe('E_FLOW_VIDEOS');
  });

  it('a dataset without an upstream flow layout needs --template; an undocumented default is a warning', () => {
    const none = runCli(['verify', model, '--dataset', 'jester', '--root', join(out, 'ucf'), '--json']);
    expect(none.status).toBe(2);
    expect(none.json().error).toMatchObject({ code: 'E_NO_FLOW_LAYOUT', dataset: 'jester' });
    const given = runCli([
      'verify',
      model,
      '--dataset',
      'jester',
      '--root',
      join(out, 'ucf'),
      '--template',
      'flow_{}_{:05d}.jpg',
      '--list',
      join(out, 'ucf/val_videofolder_flow.txt'),
      '--json',
    ]);
    // jester's frames folder is not where this set keeps its flow: nothing is read, and the message says where it
    // looked
    expect(given.status).toBe(3);
    expect(given.json().error.message).toContain(join(out, 'ucf', '20bn-jester-v1/<id>/flow_x_00001.jpg'));
    const kinetics = runCli(['verify', model, '--dataset', 'kinetics', '--root', join(out, 'ucf'), '--json']);
    expect(kinetics.status).toBe(0);
    expect(kinetics.json().warnings[0]).toMatch(
      /upstream documents no kinetics flow layout; reading images\/<id>\/flow_x_00001\.jpg/,
    );
  });
});

/**
 * Lossy exports of a Flow model judged against PyTorch's float32 logits, on 24 clips that share nothing with the 16 it
 * was calibrated on (tools/make_flow_clips.py: every clip's drift, wave orientation, wavelength, speed, amplitude and
 * noise drawn from the set's own seed). The model is flow_mbv2 fitted to the calibration clips (tools/fit_to_clips.py:
 * BatchNorm statistics measured on them, the head reading the 8 directions in which their pooled features differ
 * most, logits' spread 4): as generated, on noise-calibrated BN, it gives the same class on 21 of 24 such clips, and
 * agreeing with PyTorch then proves nothing. The scored clips are those of a held-out split: the same kind of motion,
 * other clips.
 */
describe('int8 and fp16 compute of a Flow model, against PyTorch on clips they were not calibrated on', () => {
  const dir = join(out, 'lossy');
  const fitted = join(dir, 'fitted', basename(checkpoint));
  const refPath = join(dir, 'reference.json');
  const SCORED = 24;
  const SPREAD = 4;
  let ref: { clips: Array<{ id: string; prediction: number; scores: number[] }> };
  beforeAll(() => {
    mkdirSync(join(dir, 'fitted'), { recursive: true });
    const clips = (root: string, n: number, seed: number, layout: string) =>
      execFileSync(
        PYTHON,
        [
          join(ROOT, 'tools/make_flow_clips.py'),
          join(dir, root),
          '--clips',
          String(n),
          '--seed',
          String(seed),
          '--layout',
          layout,
        ],
        { stdio: 'ignore' },
      );
    clips('calibration', 16, 11, 'packed');
    clips('scored', SCORED, 21, 'pair');
    execFileSync(
      PYTHON,
      [
        join(ROOT, 'tools/fit_to_clips.py'),
        checkpoint,
        join(dir, 'calibration'),
        fitted,
        '--frames-dir',
        '20bn-something-something-v2-flow',
        '--template',
        '{:06d}.jpg',
        '--list',
        'val_videofolder_flow.txt',
        '--size',
        '112',
        '--spread',
        String(SPREAD),
      ],
      { stdio: 'ignore' },
    );
    execFileSync(
      PYTHON,
      [
        join(ROOT, 'tools/reference/eval_tsm.py'),
        fitted,
        join(dir, 'scored'),
        refPath,
        '--frames-dir',
        'images',
        '--template',
        'flow_{}_{:05d}.jpg',
        '--list',
        'val_videofolder_flow.txt',
        '--size',
        '112',
      ],
      { stdio: 'ignore' },
    );
    ref = JSON.parse(readFileSync(refPath, 'utf8'));
  });

  /** tsm verify of `model` on the scored clips, against the reference: top-1 agreement and |Δlogit| over all logits. */
  async function judge(model: string) {
    const r = await verifyModel({ model, dataset: 'ucf101', root: join(dir, 'scored'), reference: refPath });
    expect(r.parity!.clips).toBe(SCORED);
    const byId = new Map(ref.clips.map((c) => [c.id, c]));
    const deltas = r.predictions.flatMap((p) => p.scores.map((v, k) => Math.abs(v - byId.get(p.id)!.scores[k])));
    return {
      agreement: r.parity!.samePredictionFraction,
      max: Math.max(...deltas),
      mean: deltas.reduce((a, b) => a + b, 0) / deltas.length,
    };
  }

  it("the reference predicts varied classes on the scored clips, and tsm's float32 export matches it within " +
    '1e-4', async () => {
    expect(ref.clips).toHaveLength(SCORED);
    const counts = new Map<number, number>();
    for (const c of ref.clips) counts.set(c.prediction, (counts.get(c.prediction) ?? 0) + 1);
    // agreement can only mean something if answering one class for every clip would fall far short of the bound below
    expect(counts.size).toBeGreaterThanOrEqual(5);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(SCORED / 2);
    const float = convertCheckpoint({ input: fitted, output: join(dir, 'f.onnx'), overrides: { size: 112 } }).output;
    const f = await judge(float);
    expect(f.agreement).toBe(1);
    expect(f.max).toBeLessThanOrEqual(1e-4);
  }, 300_000);

  // Measured on three calibration/scored seed pairs (this one among them): int8 agreement 19–21 of 24, mean |Δlogit|
  // 0.40–0.49, max 2.9–3.6; fp16 compute 23–24 of 24, mean 0.013–0.018, max 0.09–0.11; for logits whose spread is 4.
  // The bounds leave two clips and ~35 % of slack. Calibrating on the first clip only (agreement 12 of 24, mean 2.0,
  // max 26) and per-tensor weight scales (max 5.3) fail here; both passed the 4-clip test this replaces.
  it("int8, calibrated on the 16 other clips: PyTorch's top-1 on ≥ 18 of 24 clips, mean |Δlogit| ≤ 0.65, max ≤ " +
    '5', async () => {
    const int8 = runCli([
      'convert',
      fitted,
      '--size',
      '112',
      '--int8',
      '--calibration',
      join(dir, 'calibration'),
      '--calibration-dataset',
      'somethingv2',
      '-o',
      join(dir, 'q.onnx'),
      '--json',
    ]);
    expect(int8.status, int8.stderr).toBe(0);
    expect(int8.json().quantization.calibration).toMatchObject({ dataset: 'somethingv2', clips: 16 });
    const q = await judge(join(dir, 'q.onnx'));
    console.log('flow int8 vs PyTorch float32 on 24 held-out clips', JSON.stringify(q));
    expect(q.agreement).toBeGreaterThanOrEqual(18 / SCORED);
    expect(q.mean).toBeLessThanOrEqual(0.65);
    expect(q.max).toBeLessThanOrEqual(5);
    expect(q.max).toBeGreaterThan(1e-3); // it is not the float model
  }, 300_000);

  it("fp16 compute: PyTorch's top-1 on ≥ 22 of 24 clips, mean |Δlogit| ≤ 0.025, max ≤ 0.15", async () => {
    const half = runCli(['convert', fitted, '--size', '112', '--fp16-compute', '-o', join(dir, 'h.onnx'), '--json']);
    expect(half.status, half.stderr).toBe(0);
    const h = await judge(join(dir, 'h.onnx'));
    console.log('flow fp16 compute vs PyTorch float32 on 24 clips', JSON.stringify(h));
    expect(h.agreement).toBeGreaterThanOrEqual(22 / SCORED);
    expect(h.mean).toBeLessThanOrEqual(0.025);
    expect(h.max).toBeLessThanOrEqual(0.15);
  }, 300_000);
});
