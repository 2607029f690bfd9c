import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { addTemporalShift } from '../../src/arch/blocks/temporal-shift.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { opsetForms } from '../../src/onnx/opset.js';

/** The shift exactly as docs/upstream-tsm.md §2 states it, element by element on [N, T, C, H·W]. */
function referenceShift(x: Float32Array, n: number, t: number, c: number, hw: number, div: number): Float32Array {
  const out = new Float32Array(x.length);
  const fold = Math.floor(c / div);
  const at = (i: number, j: number, k: number) => ((i * t + j) * c + k) * hw;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < t; j++)
      for (let k = 0; k < c; k++) {
        let src = j;
        if (k < fold) src = j + 1;
        else if (k < 2 * fold) src = j - 1;
        if (src < 0 || src >= t) continue; // zeros
        out.set(x.subarray(at(i, src, k), at(i, src, k) + hw), at(i, j, k));
      }
  return out;
}

async function onnxShift(
  x: Float32Array,
  n: number,
  t: number,
  c: number,
  h: number,
  w: number,
  div: number,
  opset = 13,
): Promise<{ y: Float32Array; ops: Record<string, number> }> {
  const g = new GraphBuilder();
  const input = g.input({ name: 'x', elemType: 'float', shape: ['NT', c, h, w] });
  const y = addTemporalShift(
    { g, ops: opsetForms(opset) },
    { x: input, channels: c, height: h, width: w, segments: t, div },
    's',
  );
  g.node('Identity', [y], {}, { outputNames: ['y'] });
  g.output({ name: 'y', elemType: 'float', shape: ['NT', c, h, w] });
  const session = await ort.InferenceSession.create(
    g.toModel({ opset, producerVersion: 'test', graphName: 'shift', metadata: {} }),
  );
  const result = await session.run({ x: new ort.Tensor('float32', x, [n * t, c, h, w]) });
  return { y: result.y.data as Float32Array, ops: g.opHistogram() };
}

describe('temporal shift subgraph', () => {
  it('moves 1/div of channels from t±1, zero-filled, for any N, T, C, H, W, div, in either Pad form', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 3 }),
          t: fc.integer({ min: 1, max: 6 }),
          c: fc.integer({ min: 1, max: 24 }),
          h: fc.integer({ min: 1, max: 3 }),
          w: fc.integer({ min: 1, max: 3 }),
          div: fc.integer({ min: 1, max: 9 }),
          // opset 10 writes Pad with attributes, 11+ with inputs (src/onnx/opset.ts)
          opset: fc.constantFrom(10, 13),
        }),
        async ({ n, t, c, h, w, div, opset }) => {
          const x = Float32Array.from({ length: n * t * c * h * w }, (_, i) => i + 1);
          const { y } = await onnxShift(x, n, t, c, h, w, div, opset);
          expect(Array.from(y)).toEqual(Array.from(referenceShift(x, n, t, c, h * w, div)));
        },
      ),
      { numRuns: 60, seed: 20261125 },
    );
  });

  it('uses only Reshape, Slice, Pad and Concat', async () => {
    const { ops } = await onnxShift(new Float32Array(2 * 8 * 4), 1, 2, 8, 2, 2, 4);
    expect(Object.keys(ops).sort()).toEqual(['Concat', 'Identity', 'Pad', 'Reshape', 'Slice']);
  });

  it('channel 0 at frame 0 holds frame 1 (future), channel fold holds zeros at frame 0 (past)', async () => {
    // T=2, C=8, div=8: fold 1. Frame values: frame j channel k = 10·j + k + 1.
    const x = Float32Array.from({ length: 16 }, (_, i) => 10 * Math.floor(i / 8) + (i % 8) + 1);
    const { y } = await onnxShift(x, 1, 2, 8, 1, 1, 8);
    expect(Array.from(y.subarray(0, 8))).toEqual([11, 0, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(y.subarray(8, 16))).toEqual([0, 2, 13, 14, 15, 16, 17, 18]);
  });
});
