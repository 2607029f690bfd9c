/**
 * An embedded-Gaussian non-local block (TSM-FACTS-2 §1) on the frame tensor [N·T, C, H, W]. The 1×1×1 Conv3d's act
 * on each position alone, so they are 1×1 Convs on the frames; the (1, 2, 2) max-pool of φ and g is a 2×2 MaxPool on
 * the frames (time is not pooled). Attention runs per clip on positions flattened (t, h, w) row-major:
 * θ [N, L, Ci] · φ [N, Ci, M] → softmax over M (no 1/√d) → · g [N, M, Ci] → [N, L, Ci] → frames → W (BN3d folded) + x.
 * Plain ONNX ops only: Conv, MaxPool, Reshape, Transpose, MatMul, Softmax, Add.
 */
import type { NonLocalSpec } from '../../model/spec.js';
import type { Feature, GraphContext } from '../graph.js';

export function nonLocalBlock(ctx: GraphContext, f: Feature, nl: NonLocalSpec): Feature {
  const { g } = ctx;
  const T = ctx.segmentsNow;
  const Ci = nl.interChannels;
  const name = ctx.label(nl.name);
  const shape = (label: string, dims: number[]) => g.int64s(`${name}.${label}_shape`, dims);
  const pool = (x: Feature, label: string): Feature => ({
    x: g.op('MaxPool', [x.x], { kernel_shape: [2, 2], strides: [2, 2] }, `${name}.${label}.pool`),
    c: x.c, h: Math.floor(x.h / 2), w: Math.floor(x.w / 2),
  });
  /** [N·T, Ci, h, w] → [N, T, Ci, h·w] → (perm) → [N, a, b] */
  const perClip = (x: Feature, label: string, perm: number[], dims: number[]) => {
    const grouped = g.op('Reshape', [x.x, shape(`${label}_ntc`, [-1, T, Ci, x.h * x.w])], {}, `${name}.${label}.ntc`);
    const moved = g.op('Transpose', [grouped], { perm }, `${name}.${label}.perm`);
    return g.op('Reshape', [moved, shape(label, dims)], {}, `${name}.${label}.clip`);
  };
  const theta = ctx.conv(f, nl.theta, 'none');
  const phi = pool(ctx.conv(f, nl.phi, 'none'), 'phi');
  const gx = pool(ctx.conv(f, nl.g, 'none'), 'g');
  const L = T * f.h * f.w;
  const M = T * phi.h * phi.w;
  const queries = perClip(theta, 'theta', [0, 1, 3, 2], [-1, L, Ci]); // [N, L, Ci]
  const keys = perClip(phi, 'phi', [0, 2, 1, 3], [-1, Ci, M]); // [N, Ci, M]
  const values = perClip(gx, 'g', [0, 1, 3, 2], [-1, M, Ci]); // [N, M, Ci]
  const affinity = g.op('MatMul', [queries, keys], {}, `${name}.affinity`);
  // axis 2 is the last axis: the same softmax in opset 11's flattened form and in 13's per-axis form
  const weights = g.op('Softmax', [affinity], { axis: 2 }, `${name}.softmax`);
  const attended = g.op('MatMul', [weights, values], {}, `${name}.attended`); // [N, L, Ci]
  const perFrame = g.op('Reshape', [attended, shape('y_nthwc', [-1, T, f.h * f.w, Ci])], {}, `${name}.y.nthwc`);
  const channelsFirst = g.op('Transpose', [perFrame], { perm: [0, 1, 3, 2] }, `${name}.y.perm`);
  const y = ctx.declareFrames(g.op('Reshape', [channelsFirst, shape('y', [-1, Ci, f.h, f.w])], {}, `${name}.y`), Ci, f.h, f.w);
  const z = ctx.conv({ x: y, c: Ci, h: f.h, w: f.w }, nl.w, 'none');
  return { ...f, x: g.op('Add', [z.x, f.x], {}, `${name}.out`) };
}
