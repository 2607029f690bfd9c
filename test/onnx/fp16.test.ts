import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { floatToHalf, halfToFloat } from '../../src/pth/tensor.js';
import { ensureVariants, maxAbsDiff, readF32, VARIANTS_DIR } from '../helpers/reference.js';
import { testTempDir } from '../helpers/tmp.js';

describe('fp16 conversion', () => {
  it('every finite half value survives half → float → half; ties round to even; overflow is Inf', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && h & 0x3ff) continue; // NaN payloads
      expect(floatToHalf(halfToFloat(h))).toBe(h);
    }
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and the next half: to even (1)
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway, odd below: up
    expect(floatToHalf(70000)).toBe(0x7c00);
    expect(floatToHalf(-1e-9)).toBe(0x8000);
  });

  it('--fp16 halves the file and stays within 5e-2 of PyTorch (same top class)', async () => {
    const v = ensureVariants().mbv2_official;
    const dir = testTempDir('tsm-fp16-');
    const full = convertCheckpoint({ input: join(VARIANTS_DIR, v.file), output: join(dir, 'f32.onnx') });
    const half = convertCheckpoint({
      input: join(VARIANTS_DIR, v.file),
      output: join(dir, 'f16.onnx'),
      fp16Weights: true,
    });
    expect(half.bytes / full.bytes).toBeLessThan(0.55);
    const session = await ort.InferenceSession.create(readFileSync(half.output));
    const out = await session.run({
      video: new ort.Tensor('float32', readF32(join(VARIANTS_DIR, 'mbv2_official/input.f32')), v.inputShape),
    });
    const ref = readF32(join(VARIANTS_DIR, 'mbv2_official/logits.f32'));
    const got = out.logits.data as Float32Array;
    expect(maxAbsDiff(got, ref)).toBeLessThan(5e-2);
    expect(got.indexOf(Math.max(...got))).toBe(ref.indexOf(Math.max(...ref)));
  });

  // fp16 compute: every initializer and activation is fp16 between a Cast after the input and one before `logits`.
  // onnxruntime's x86 CPU provider runs it (casting around the kernels it lacks in fp16), which is enough to state
  // parity; its speed only pays on runtimes with fp16 kernels.
  it.each(['mbv2_official', 'r18', 'tsn_mbv2'])(
    '--fp16-compute %s: fp16 all through, logits within 5e-2 of PyTorch, same top class',
    async (id) => {
      const v = ensureVariants()[id];
      const dir = testTempDir('tsm-fp16c-');
      const r = convertCheckpoint({
        input: join(VARIANTS_DIR, v.file),
        output: join(dir, 'half.onnx'),
        fp16Compute: true,
        overrides: { size: v.size },
      });
      const model = onnxProto.onnx.ModelProto.decode(readFileSync(r.output));
      const floatInits = model.graph!.initializer!.filter((t) => t.dataType === 1).map((t) => t.name);
      expect(floatInits).toEqual([]);
      expect(model.graph!.node!.filter((n) => n.opType === 'Cast').map((n) => n.output![0])).toEqual([
        'frames',
        'logits',
      ]);
      const meta = Object.fromEntries(model.metadataProps!.map((p) => [p.key, p.value]));
      expect([meta['tsm.weights_dtype'], meta['tsm.compute_dtype']]).toEqual(['float16', 'float16']);
      const session = await ort.InferenceSession.create(readFileSync(r.output));
      const out = await session.run({
        video: new ort.Tensor('float32', readF32(join(VARIANTS_DIR, id, 'input.f32')), v.inputShape),
      });
      const ref = readF32(join(VARIANTS_DIR, id, 'logits.f32'));
      const got = out.logits.data as Float32Array;
      expect(out.logits.type).toBe('float32');
      const delta = maxAbsDiff(got, ref);
      console.log(`fp16 compute ${id}: max |Δlogit| ${delta.toExponential(2)}`);
      expect(delta).toBeLessThan(5e-2);
      expect(delta).toBeGreaterThan(1e-5); // it is not computing in fp32
      expect(got.indexOf(Math.max(...got))).toBe(ref.indexOf(Math.max(...ref)));
    },
  );
});
