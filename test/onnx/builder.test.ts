import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/onnx/builder.js';

const { onnx } = onnxProto;

describe('GraphBuilder.serialize: hand-framed chunks', () => {
  it(
    'concatenate to a ModelProto that protobufjs and onnxruntime read back whole, with length ' +
      'varints of 1, 2 and 4 bytes',
    async () => {
      const g = new GraphBuilder();
      const x = g.input({ name: 'x', elemType: 'float', shape: ['N', 4] });
      // 1-, 2- and 4-byte varint lengths: 8 bytes, 400 bytes, 3 MB
      const small = g.initializer('small', 'float', [2], Float32Array.of(1, 2));
      const mid = g.initializer(
        'mid',
        'float',
        [100],
        Float32Array.from({ length: 100 }, (_, i) => i),
      );
      const big = g.initializer(
        'big',
        'float',
        [4, 196608],
        Float32Array.from({ length: 4 * 196608 }, (_, i) => Math.sin(i)),
      );
      const y = g.op('MatMul', [x, big]);
      g.node('ReduceSum', [y], { keepdims: 0 }, { outputNames: ['s'] });
      g.node('Identity', [y], {}, { outputNames: ['y'] });
      g.op('Add', [small, g.op('ReduceSum', [mid], { keepdims: 1 })]);
      g.output({ name: 's', elemType: 'float', shape: [] });
      g.output({ name: 'y', elemType: 'float', shape: ['N', 196608] });
      g.declare({ name: y, elemType: 'float', shape: ['N', 196608] });
      const options = { opset: 13, producerVersion: 't', graphName: 'g', metadata: { b: '2', a: '1' } };
      const { chunks, byteLength } = g.serialize(options);
      // the big tensor is passed through, not copied
      expect(chunks.some((c) => c.byteLength === 4 * 4 * 196608)).toBe(true);
      const bytes = g.toModel(options);
      expect(bytes.byteLength).toBe(byteLength);
      const ours = onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number, bytes: Array });
      expect(ours).toMatchObject({
        irVersion: 8,
        producerName: 'tsm',
        opsetImport: [{ domain: '', version: 13 }],
        graph: { name: 'g' },
      });
      expect(ours.graph.node.map((n: { opType: string }) => n.opType)).toEqual([
        'MatMul',
        'ReduceSum',
        'Identity',
        'ReduceSum',
        'Add',
      ]);
      expect(ours.graph.input.map((i: { name: string }) => i.name)).toEqual(['x']);
      expect(ours.graph.valueInfo.map((i: { name: string }) => i.name)).toEqual([y]);
      expect(ours.graph.initializer.map((i: { dims: number[] }) => i.dims)).toEqual([[2], [100], [4, 196608]]);
      expect(new Float32Array(Uint8Array.from(ours.graph.initializer[1].rawData).buffer)[99]).toBe(99);
      expect(
        ours.graph.initializer.map((i: { name: string; rawData: number[] }) => [i.name, i.rawData.length]),
      ).toEqual([
        ['small', 8],
        ['mid', 400],
        ['big', 3145728],
      ]);
      expect(ours.metadataProps.map((p: { key: string }) => p.key)).toEqual(['a', 'b']);
      // and onnxruntime runs it: every element of x·big uses all four rows of the 3 MB tensor as written
      const session = await ort.InferenceSession.create(bytes);
      const xs = Float32Array.of(0.5, -1.25, 2, 0.75);
      const out = await session.run({ x: new ort.Tensor('float32', xs, [1, 4]) });
      await session.release();
      const got = out.y.data as Float32Array;
      let worst = 0;
      let total = 0;
      for (let j = 0; j < 196608; j++) {
        let e = 0;
        for (let i = 0; i < 4; i++) e += xs[i] * Math.fround(Math.sin(i * 196608 + j));
        worst = Math.max(worst, Math.abs(got[j] - e));
        total += e;
      }
      expect(worst).toBeLessThan(1e-5); // four float32 products: rounding only
      // the sum of 196,608 float32 values, against the float64 sum of the same values
      expect(Math.abs((out.s.data as Float32Array)[0] - total)).toBeLessThan(1e-6 * 196608);
    },
  );
});
