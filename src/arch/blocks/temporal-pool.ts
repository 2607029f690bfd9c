/**
 * TSM's temporal pooling in front of layer2 (docs/upstream-tsm-family.md §2): max over time with kernel 3, stride 2,
 * padding 1 (padding never wins, as max_pool3d's −inf), so T frames become T/2. Its mark in the weights: layer2's
 * blocks move under `layer2.net.` (TemporalPool wraps the stage). In the graph, a 2-D MaxPool over [N, C, T, H·W].
 */
import { TsmError } from '../../errors.js';
import type { ResNetBackbone } from '../../model/spec.js';
import { type Feature, FRAMES_DIM, type GraphContext, type GraphPrecision } from '../../onnx/graph.js';
import { hasPrefix, type StateDict } from '../tensors.js';

/** The stage TemporalPool wraps, and where its blocks then sit. */
export const POOLED_STAGE = 2;
export const pooledStagePrefix = (stage: string) => `${stage}.net`;

/** Whether the weights show temporal pooling: layer2's blocks under `layer2.net.`. */
export function hasTemporalPool(sd: StateDict): boolean {
  return hasPrefix(sd, `${pooledStagePrefix(`layer${POOLED_STAGE}`)}.0.`);
}

/** The block temporal pooling runs in front of (layer2.0), where layers 2–4 start seeing T/2 frames. */
export function temporalPoolBlock(backbone: ResNetBackbone): string | undefined {
  return backbone.temporalPool ? backbone.blocks[backbone.stageBlocks[0]]?.name : undefined;
}

/** Temporal pooling is built in float32 only: its max over time was not checked quantised or in fp16 against PyTorch.
 * */
export function refuseTemporalPoolPrecision(precision: GraphPrecision): void {
  throw new TsmError(
    'unsupported',
    'E_TPOOL_PRECISION',
    `temporal pooling is exported in float32 only; ${precision.mode} is not built for it yet`,
    {
      hint: 'export without --int8/--fp16-compute (--fp16 weight storage works)',
      details: { mode: precision.mode },
    },
  );
}

export function temporalPool(ctx: GraphContext, f: Feature): Feature {
  const { g } = ctx;
  const T = ctx.segmentsNow;
  const hw = f.h * f.w;
  const grouped = g.op('Reshape', [f.x, g.int64s('tpool.in_shape', [-1, T, f.c, hw])], {}, 'tpool.grouped');
  const channelsFirst = g.op('Transpose', [grouped], { perm: [0, 2, 1, 3] }, 'tpool.nct');
  const pooled = g.op(
    'MaxPool',
    [channelsFirst],
    { kernel_shape: [3, 1], strides: [2, 1], pads: [1, 0, 1, 0] },
    'tpool.max',
  );
  const back = g.op('Transpose', [pooled], { perm: [0, 2, 1, 3] }, 'tpool.ntc');
  ctx.segmentsNow = T / 2;
  // the frame axis is now N·T/2: a new name, or onnxruntime would take the two for equal
  ctx.framesDim = `${FRAMES_DIM}_tpool`;
  const x = ctx.declareFrames(
    g.op('Reshape', [back, g.int64s('tpool.out_shape', [-1, f.c, f.h, f.w])], {}, 'tpool'),
    f.c,
    f.h,
    f.w,
  );
  return { ...f, x };
}
