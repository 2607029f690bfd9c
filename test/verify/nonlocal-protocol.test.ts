import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { verifyModel } from '../../src/verify/verify.js';
import { ensureVariants, PYTHON, ROOT, VARIANTS_DIR } from '../helpers/reference.js';
import { fileTempDir } from '../helpers/tmp.js';

/**
 * The non-local model's test protocol end to end (dense sampling: 10 clips × 3 full-res crops = 30 views a video) on
 * the mini Jester set, against the PyTorch reference evaluation. The NL-R50 here is calibrated on that set's frames
 * (a non-local block tempered on noise meets attention logits on real frames where PyTorch's own float32 run is 0.05
 * from its float64 run) and runs at 64 px so PyTorch's 30 views a video stay affordable.
 */
const variants = ensureVariants();
const out = fileTempDir('tsm-nl-protocol-');
const MINI = join(ROOT, 'fixtures/jester-mini');

describe('non-local TSM with the dense, 3-crop full-res protocol', () => {
  it('verify matches PyTorch on every view-averaged score (≤ 1e-4), 30 views a clip', async () => {
    const v = variants.nl_r50_jester64;
    const checkpoint = join(VARIANTS_DIR, v.file);
    const ref = join(out, 'ref.json');
    execFileSync(
      PYTHON,
      [
        join(ROOT, 'tools/reference/eval_tsm.py'),
        checkpoint,
        MINI,
        ref,
        '--frames-dir',
        '20bn-jester-v1',
        '--template',
        '{:05d}.jpg',
        '--list',
        'val_videofolder.txt',
        '--size',
        '64',
        '--crops',
        '3',
        '--dense',
        '--full-res',
        '--max-num',
        '2',
      ],
      { stdio: 'ignore' },
    );
    const model = convertCheckpoint({ input: checkpoint, output: join(out, 'nl.onnx'), overrides: { size: 64 } });
    expect(model.arch.nonLocal).toBe(true);
    const r = await verifyModel({
      model: model.output,
      dataset: 'jester',
      root: MINI,
      sampling: 'dense',
      crops: 3,
      fullRes: true,
      maxNum: 2,
      reference: ref,
    });
    expect(r.protocol).toMatchObject({
      sampling: 'dense',
      crops: 3,
      viewsPerClip: 30,
      scaleShortSide: 64,
      cropSize: 64,
    });
    expect(r.parity!.clips).toBe(2);
    expect(r.parity!.samePrediction).toBe(2);
    expect(r.parity!.maxAbsScoreDelta).toBeLessThanOrEqual(1e-4);
  });
});
