import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exportOnnxModel } from '../../src/convert.js';
import { optimizedOps } from '../helpers/ort.js';
import { ensureVariants, maxAbsDiff, readF32, VARIANTS_DIR } from '../helpers/reference.js';
import { join } from 'node:path';

const variants = ensureVariants();

// The temporal shift reshapes frames to [N, T, C, H·W] and back, and shape inference cannot tell that the result has
// the same N·T as the block's identity path. tsm names that axis in value_info; without it onnxruntime keeps every
// residual Add and its ReLU as separate passes over the tensor (1.04–1.1× slower on TSM-R50, bench:inference).
// Not for the `block` place: there the identity path is the shifted tensor itself, which onnxruntime holds in plain
// NCHW, so the Adds of blocks without a downsample stay separate (12 of 16 in ResNet-50).
describe('what onnxruntime makes of the exported graphs', () => {
  it.each(['r18', 'r50_blockres', 'tsn_r50', 'mbv2_official', 'mbv2_embedded'])('%s: every residual Add is fused into an NCHWc convolution', async (id) => {
    const v = variants[id];
    const exported = exportOnnxModel({ input: join(VARIANTS_DIR, v.file), overrides: { size: v.size } });
    const ops = await optimizedOps(exported.onnx);
    if (!ops['com.microsoft.nchwc:Conv']) return; // a CPU without the blocked layout (e.g. ARM): nothing to fuse into
    expect(exported.opHistogram.Add).toBeGreaterThan(0);
    expect(ops[':Add'] ?? 0).toBe(0);
    expect(ops[':Relu'] ?? 0).toBe(0);
    // the declared shapes change nothing in what is computed
    const session = await ort.InferenceSession.create(exported.onnx);
    const out = await session.run({ video: new ort.Tensor('float32', readF32(join(VARIANTS_DIR, id, 'input.f32')), v.inputShape) });
    await session.release();
    expect(maxAbsDiff(out.logits.data as Float32Array, readF32(join(VARIANTS_DIR, id, 'logits.f32')))).toBeLessThanOrEqual(1e-4);
  });
});
