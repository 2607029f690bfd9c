import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { compareWithReference, verifyModel } from '../../src/verify/verify.js';
import { runCli } from '../helpers/cli.js';
import { ensureVariants, PYTHON, ROOT, VARIANTS_DIR } from '../helpers/reference.js';
import { fileTempDir } from '../helpers/tmp.js';

/**
 * Flow models on flow frames (TSM-FACTS-2 §3, §5): a generated set in the three upstream layouts, scored by tsm verify
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
  { set: 'sthv1', dataset: 'something', framesDir: '20bn-something-something-v1-flow', template: '{:06d}-{}_{:05d}.jpg', storage: 'padded-pair' },
  { set: 'sthv2', dataset: 'somethingv2', framesDir: '20bn-something-something-v2-flow', template: '{:06d}.jpg', storage: 'packed' },
] as const;

function reference(layout: (typeof LAYOUTS)[number], crops: number, extra: string[] = []): string {
  const path = join(out, `ref-${layout.set}-${crops}${extra.join('')}.json`);
  execFileSync(PYTHON, [join(ROOT, 'tools/reference/eval_tsm.py'), checkpoint, join(out, layout.set), path, '--frames-dir', layout.framesDir, '--template', layout.template,
    '--list', 'val_videofolder_flow.txt', '--size', '112', '--crops', String(crops), ...extra], { stdio: 'ignore' });
  return path;
}

describe('verify on flow frames, against a PyTorch reference evaluation', () => {
  // the centre crop on all three layouts; the 10-crop protocol (mirrored crops, x inverted) below, on the pair layout
  const CASES = [[0, 1], [1, 1], [2, 1]] as const;
  for (const [which, crops] of CASES) {
    const layout = LAYOUTS[which];
    {
      it(`${layout.dataset} (${layout.template}), ${crops} crop(s): every clip's scores within 1e-4`, async () => {
        const r = await verifyModel({ model, dataset: layout.dataset, root: join(out, layout.set), crops, reference: reference(layout, crops) });
        expect(r.clips).toBe(4);
        expect(r.parity!.clips).toBe(4);
        expect(r.parity!.samePrediction).toBe(4);
        expect(r.parity!.maxAbsScoreDelta).toBeLessThanOrEqual(1e-4);
        expect(r.missingFrames.count).toBe(0);
        expect(r.protocol.flow).toEqual({ template: layout.template, framesDir: layout.framesDir, storage: layout.storage, newLength: 5 });
        expect(r.protocol.viewsPerClip).toBe(crops);
      });
    }
  }

  it('flow_{}_{:05d}.jpg with 10 crops: within 1e-4 of the reference, and > 1e-2 from one that does not invert x in mirrored crops', async () => {
    const layout = LAYOUTS[0];
    const r = await verifyModel({ model, dataset: layout.dataset, root: join(out, layout.set), crops: 10, reference: reference(layout, 10) });
    expect(r.protocol.viewsPerClip).toBe(10);
    expect(r.parity!.clips).toBe(4);
    expect(r.parity!.samePrediction).toBe(4);
    expect(r.parity!.maxAbsScoreDelta).toBeLessThanOrEqual(1e-4);
    const withoutInversion = compareWithReference(reference(layout, 10, ['--no-invert']), r.predictions);
    expect(withoutInversion.clips).toBe(4);
    expect(withoutInversion.maxAbsScoreDelta).toBeGreaterThan(1e-2);
  });

  it('int8 (calibrated on the packed-layout clips) and fp16 compute keep every prediction of the float reference', async () => {
    const layout = LAYOUTS[0];
    const ref = reference(layout, 1);
    const int8 = runCli(['convert', checkpoint, '--size', '112', '--int8', '--calibration', join(out, 'sthv2'), '--calibration-dataset', 'somethingv2', '-o', join(out, 'q.onnx'), '--json']);
    expect(int8.status, int8.stderr).toBe(0);
    expect(int8.json().quantization.calibration).toMatchObject({ dataset: 'somethingv2', clips: 4 });
    const half = runCli(['convert', checkpoint, '--size', '112', '--fp16-compute', '-o', join(out, 'h.onnx'), '--json']);
    expect(half.status, half.stderr).toBe(0);
    const figures: Record<string, number> = {};
    for (const [name, file, bound] of [['int8', 'q.onnx', 0.5], ['fp16', 'h.onnx', 0.05]] as const) {
      const r = await verifyModel({ model: join(out, file), dataset: layout.dataset, root: join(out, layout.set), reference: ref });
      expect(r.parity!.samePrediction, name).toBe(4);
      expect(r.parity!.maxAbsScoreDelta, name).toBeLessThan(bound);
      figures[name] = r.parity!.maxAbsScoreDelta;
    }
    console.log('flow: max |Δscore| vs the float PyTorch reference', JSON.stringify(figures));
  });

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
    const given = runCli(['verify', model, '--dataset', 'jester', '--root', join(out, 'ucf'), '--template', 'flow_{}_{:05d}.jpg', '--list', join(out, 'ucf/val_videofolder_flow.txt'), '--json']);
    // jester's frames folder is not where this set keeps its flow: nothing is read, and the message says where it looked
    expect(given.status).toBe(3);
    expect(given.json().error.message).toContain(join(out, 'ucf', '20bn-jester-v1/<id>/flow_x_00001.jpg'));
    const kinetics = runCli(['verify', model, '--dataset', 'kinetics', '--root', join(out, 'ucf'), '--json']);
    expect(kinetics.status).toBe(0);
    expect(kinetics.json().warnings[0]).toMatch(/upstream documents no kinetics flow layout; reading images\/<id>\/flow_x_00001\.jpg/);
  });
});
