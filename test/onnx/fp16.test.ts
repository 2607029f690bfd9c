import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert.js';
import { floatToHalf, halfToFloat } from '../../src/pth/tensor.js';
import { ensureVariants, maxAbsDiff, readF32, VARIANTS_DIR } from '../helpers/reference.js';

describe('fp16 conversion', () => {
  it('every finite half value survives half → float → half; ties round to even; overflow is Inf', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff)) continue; // NaN payloads
      expect(floatToHalf(halfToFloat(h))).toBe(h);
    }
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and the next half: to even (1)
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway, odd below: up
    expect(floatToHalf(70000)).toBe(0x7c00);
    expect(floatToHalf(-1e-9)).toBe(0x8000);
  });

  it('--fp16 halves the file and stays within 5e-2 of PyTorch (same top class)', async () => {
    const v = ensureVariants().mbv2_official;
    const dir = mkdtempSync(join(tmpdir(), 'tsm-fp16-'));
    const full = convertCheckpoint({ input: join(VARIANTS_DIR, v.file), output: join(dir, 'f32.onnx') });
    const half = convertCheckpoint({ input: join(VARIANTS_DIR, v.file), output: join(dir, 'f16.onnx'), fp16Weights: true });
    expect(half.bytes / full.bytes).toBeLessThan(0.55);
    const session = await ort.InferenceSession.create(readFileSync(half.output));
    const out = await session.run({ video: new ort.Tensor('float32', readF32(join(VARIANTS_DIR, 'mbv2_official/input.f32')), v.inputShape) });
    const ref = readF32(join(VARIANTS_DIR, 'mbv2_official/logits.f32'));
    const got = out.logits.data as Float32Array;
    expect(maxAbsDiff(got, ref)).toBeLessThan(5e-2);
    expect(got.indexOf(Math.max(...got))).toBe(ref.indexOf(Math.max(...ref)));
  });
});
