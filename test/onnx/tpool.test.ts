import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ensureVariants, VARIANTS_DIR } from '../helpers/reference.js';
import { testTempDir } from '../helpers/tmp.js';

/**
 * Temporal pooling (`_tpool`): PyTorch parity for T = 8 and 16 is in parity.test.ts (the r50_tpool variants, with the
 * time-reversed clip); here what the converter says about it and what it refuses.
 */
const variants = ensureVariants();

describe('temporal pooling', () => {
  it('is detected from the keys, shown by inspect, and recorded in the arch', () => {
    const v = variants.r50_tpool;
    const r = runCli(['inspect', join(VARIANTS_DIR, v.file), '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json().arch).toMatchObject({ name: 'TSM-resnet50', segments: 8, temporalPool: true, shiftedBlocks: 16 });
    const text = runCli(['inspect', join(VARIANTS_DIR, v.file)]);
    expect(text.stdout).toMatch(
      new RegExp(
        '^detected {4}TSM-resnet50, 8 segments, shift blockres 1\\/8 on 16 blocks, temporal pooling \\(layers 2–4' +
          ' on 4 segments\\), 27 classes$',
        'm',
      ),
    );
  });

  it('refuses an odd segment count, int8 and fp16 compute, by name', () => {
    const out = testTempDir('tsm-tpool-');
    const file = join(VARIANTS_DIR, variants.r50_tpool.file);
    const odd = runCli(['convert', file, '--segments', '7', '-o', join(out, 'odd.onnx'), '--json']);
    expect(odd.status).toBe(2);
    expect(odd.json().error).toMatchObject({ code: 'E_TPOOL_SEGMENTS', segments: 7 });
    const int8 = runCli([
      'convert',
      file,
      '--int8',
      '--calibration',
      'fixtures/jester-mini',
      '-o',
      join(out, 'q.onnx'),
      '--json',
    ]);
    expect(int8.status).toBe(5);
    expect(int8.json().error.code).toBe('E_TPOOL_PRECISION');
    const fp16 = runCli(['convert', file, '--fp16-compute', '-o', join(out, 'h.onnx'), '--json']);
    expect(fp16.status).toBe(5);
    expect(fp16.json().error).toMatchObject({ code: 'E_TPOOL_PRECISION', mode: 'fp16' });
  });

  it('a _tpool file name on weights without temporal pooling is a warning, following the weights', () => {
    const out = testTempDir('tsm-tpool-');
    const plain = join(VARIANTS_DIR, variants.r50_block.file);
    const renamed = join(out, 'TSM_kinetics_RGB_resnet50_shift8_block_tpool_avg_segment8_e50.pth');
    require('node:fs').copyFileSync(plain, renamed);
    const r = runCli(['convert', renamed, '-o', join(out, 'x.onnx'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json().warnings).toContain(
      'file name says _tpool but the weights have no temporal pooling (layer2.net.*); following the weights',
    );
  });
});
