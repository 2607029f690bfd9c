import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ensureVariants, VARIANTS_DIR } from '../helpers/reference.js';
import { testTempDir } from '../helpers/tmp.js';

/**
 * Non-local and Flow checkpoints: PyTorch parity is in parity.test.ts (nl_r50, nl_r50_fullres, flow_r50, flow_mbv2,
 * flow_nl_r50, with reversed clips); here what inspect shows and what convert refuses, by name.
 */
const variants = ensureVariants();

describe('non-local and Flow checkpoints', () => {
  it('inspect shows the detected features', () => {
    const r = runCli(['inspect', join(VARIANTS_DIR, variants.flow_nl_r50.file), '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json().arch).toMatchObject({ name: 'TSM-resnet50', nonLocal: true, modality: 'Flow' });
    const text = runCli(['inspect', join(VARIANTS_DIR, variants.nl_r50.file)]).stdout;
    expect(text).toMatch(
      new RegExp(
        '^detected {4}TSM-resnet50, 8 segments, shift blockres 1\\/8 on 16 blocks, non-local blocks after layer2' +
          '\\.\\{0,2\\} and layer3\\.\\{0,2,4\\}, 27 classes$',
        'm',
      ),
    );
  });

  it(
    'a Flow model records its input and preprocessing: [N, T, 10, S, S], mean 0.5 and ' + 'std 0.226 on every channel',
    () => {
      const dir = testTempDir('tsm-flow-');
      const r = runCli([
        'convert',
        join(VARIANTS_DIR, variants.flow_mbv2.file),
        '--size',
        '112',
        '-o',
        join(dir, 'f.onnx'),
        '--json',
      ]);
      expect(r.status, r.stderr).toBe(0);
      const res = r.json();
      expect(res.inputs[0]).toEqual({ name: 'video', shape: ['N', 8, 10, 112, 112] });
      expect(res.preprocessing).toMatchObject({
        modality: 'Flow',
        channelOrder: 'flow-xy',
        newLength: 5,
        mean: new Array(10).fill(0.5),
      });
      for (const s of res.preprocessing.std) expect(s).toBeCloseTo(0.226, 12);
    },
  );

  it('refuses int8 and fp16 compute for non-local blocks, naming them', () => {
    const dir = testTempDir('tsm-nl-');
    const file = join(VARIANTS_DIR, variants.flow_nl_r50.file);
    const fp16 = runCli(['convert', file, '--fp16-compute', '-o', join(dir, 'h.onnx'), '--json']);
    expect(fp16.status).toBe(5);
    expect(fp16.json().error).toMatchObject({ code: 'E_NONLOCAL_PRECISION', mode: 'fp16' });
  });

  it('a file name that contradicts the weights on the modality is refused; RGBDiff is refused by name', () => {
    const dir = testTempDir('tsm-modality-');
    const asRgb = join(dir, 'TSM_kinetics_RGB_mobilenetv2_shift8_blockres_avg_segment8_e25.pth');
    copyFileSync(join(VARIANTS_DIR, variants.flow_mbv2.file), asRgb);
    const r = runCli(['convert', asRgb, '-o', join(dir, 'x.onnx'), '--json']);
    expect(r.status).toBe(5);
    expect(r.json().error).toMatchObject({ code: 'E_MODALITY_CONFLICT', nameModality: 'RGB', found: 10 });
    const diff = join(dir, 'TSM_kinetics_RGBDiff_mobilenetv2_shift8_blockres_avg_segment8_e25.pth');
    copyFileSync(join(VARIANTS_DIR, variants.mbv2_width05.file), diff);
    const d = runCli(['convert', diff, '-o', join(dir, 'd.onnx'), '--json']);
    expect(d.status).toBe(5);
    expect(d.json().error).toMatchObject({ code: 'E_UNSUPPORTED_FEATURE', features: ['rgbdiff'] });
    expect(d.json().error.message).toContain('RGBDiff');
  });
});
