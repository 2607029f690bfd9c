import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { ensureVariants, maxAbsDiff, readF32, VARIANTS_DIR } from '../helpers/reference.js';
import { fileTempDir } from '../helpers/tmp.js';

const variants = ensureVariants();
const out = fileTempDir('tsm-parity-');
const TOLERANCE = 1e-4;
const figures: Record<string, number> = {};

async function run(model: string, input: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
  const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, shape) });
  await session.release();
  return result.logits.data as Float32Array;
}

function reverseFrames(clip: Float32Array, shape: number[]): Float32Array {
  const [n, t] = shape;
  const frame = clip.length / (n * t);
  const outClip = new Float32Array(clip.length);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < t; j++)
      outClip.set(clip.subarray((i * t + j) * frame, (i * t + j + 1) * frame), (i * t + (t - 1 - j)) * frame);
  return outClip;
}

describe(
  'converted models compute what PyTorch computes (max |Δlogit| ≤ 1e-4 on a clip ' + 'the converter never saw)',
  () => {
    for (const [id, v] of Object.entries(variants)) {
      it(`${id}: ${v.file}`, async () => {
        const input = join(VARIANTS_DIR, v.file);
        const result = convertCheckpoint({ input, output: join(out, `${id}.onnx`), overrides: { size: v.size } });
        const clip = readF32(join(VARIANTS_DIR, id, 'input.f32'));
        const logits = await run(result.output, clip, v.inputShape);
        const delta = maxAbsDiff(logits, readF32(join(VARIANTS_DIR, id, 'logits.f32')));
        figures[id] = delta;
        expect(delta).toBeLessThanOrEqual(TOLERANCE);

        // What the weights say must match what the generator built.
        expect(result.arch.segments).toBe(v.segments);
        if (v.shiftPlace) {
          expect(result.arch.kind).toBe('tsm');
          expect(result.arch.shiftDiv).toBe(v.shiftDiv);
          expect(result.arch.shiftPlace).toBe(v.shiftPlace);
          if (v.mobilenetLayout) expect(result.arch.shiftLayout).toBe(v.mobilenetLayout);
        } else {
          expect(result.arch.shiftPlace).toBe('none');
        }
        expect(result.opHistogram.ScatterND ?? 0).toBe(0);
        expect(Object.keys(result.opHistogram).some((op) => /Scatter|Where|Expand|Gather/.test(op))).toBe(false);
        expect(result.bytes).toBeLessThanOrEqual(1.02 * result.checkpointFloatBytes);

        if (v.arch !== 'imagenet_mobilenetv2') {
          // Shift direction: the same clip in reverse frame order, against PyTorch's logits for that order.
          const reversed = await run(result.output, reverseFrames(clip, v.inputShape), v.inputShape);
          expect(maxAbsDiff(reversed, readF32(join(VARIANTS_DIR, id, 'reversed.f32')))).toBeLessThanOrEqual(TOLERANCE);
          const change = maxAbsDiff(reversed, logits);
          if (v.shiftPlace)
            expect(change).toBeGreaterThan(0.05); // TSM sees time order
          else expect(change).toBeLessThan(1e-4); // TSN is order-invariant
        }

        // Flow and non-local are read from the weights (the generator's names say what it built)
        expect(result.arch.modality).toBe(v.file.includes('_Flow_') ? 'Flow' : undefined);
        expect(result.preprocessing.channelOrder).toBe(v.file.includes('_Flow_') ? 'flow-xy' : 'RGB');
        expect(result.arch.nonLocal).toBe(v.file.includes('_nl.') ? true : undefined);
        const withoutNonLocal = join(VARIANTS_DIR, id, 'without_nl.f32');
        if (existsSync(withoutNonLocal)) {
          // the non-local blocks matter: PyTorch's logits with them made the identity are far from ours
          expect(maxAbsDiff(logits, readF32(withoutNonLocal))).toBeGreaterThan(0.05);
        }
      });
    }

    afterAll(() => {
      console.log('parity max |Δlogit| per variant:', JSON.stringify(figures));
    });
  },
);
