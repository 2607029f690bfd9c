/**
 * The classifier and TSN's consensus: global average pool, the linear head on every frame, then the mean over the
 * segments the last stage saw (T, or T/2 after temporal pooling). Image and online models have no consensus.
 */
import { toFloat32 } from '../../pth/tensor.js';
import type { Feature, GraphContext } from '../graph.js';

/** Returns the edge of the logits, named `logitsName`. */
export function headAndConsensus(ctx: GraphContext, f: Feature, logitsName: string): string {
  const { g, spec } = ctx;
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [f.x], {}, 'avgpool')], { axis: 1 }, 'features');
  const head = ctx.sd.take(spec.head.weight);
  const weight = ctx.weight('head.weight', [...head.shape], toFloat32(head));
  const bias = ctx.constant('head.bias', [spec.head.classes], spec.head.bias ? toFloat32(ctx.sd.take(spec.head.bias)) : new Float32Array(spec.head.classes));
  const perFrame = g.op('Gemm', [pooled, weight, bias], { transB: 1 }, 'head');
  if (spec.kind === 'image' || spec.kind === 'online') return g.node('Identity', [perFrame], {}, { outputNames: [logitsName] })[0];
  const perSegment = g.op('Reshape', [perFrame, g.int64s('segments_shape', [-1, ctx.segmentsNow, spec.head.classes])], {}, 'per_segment');
  return g.node('ReduceMean', [perSegment], { axes: [1], keepdims: 0 }, { outputNames: [logitsName] })[0];
}
