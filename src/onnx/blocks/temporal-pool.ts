/**
 * TSM's temporal pooling in front of layer2 (TSM-FACTS-2 §2): max over time with kernel 3, stride 2, padding 1
 * (padding never wins, as max_pool3d's −inf), so T frames become T/2. As a 2-D MaxPool over [N, C, T, H·W].
 */
import { FRAMES_DIM, type Feature, type GraphContext } from '../graph.js';

export function temporalPool(ctx: GraphContext, f: Feature): Feature {
  const { g } = ctx;
  const T = ctx.segmentsNow;
  const hw = f.h * f.w;
  const grouped = g.op('Reshape', [f.x, g.int64s('tpool.in_shape', [-1, T, f.c, hw])], {}, 'tpool.grouped');
  const channelsFirst = g.op('Transpose', [grouped], { perm: [0, 2, 1, 3] }, 'tpool.nct');
  const pooled = g.op('MaxPool', [channelsFirst], { kernel_shape: [3, 1], strides: [2, 1], pads: [1, 0, 1, 0] }, 'tpool.max');
  const back = g.op('Transpose', [pooled], { perm: [0, 2, 1, 3] }, 'tpool.ntc');
  ctx.segmentsNow = T / 2;
  // the frame axis is now N·T/2: a new name, or onnxruntime would take the two for equal
  ctx.framesDim = `${FRAMES_DIM}_tpool`;
  const x = ctx.declareFrames(g.op('Reshape', [back, g.int64s('tpool.out_shape', [-1, f.c, f.h, f.w])], {}, 'tpool'), f.c, f.h, f.w);
  return { ...f, x };
}
