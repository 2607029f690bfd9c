/**
 * A blockres TSM ResNet whose block inputs travel as two tensors: `s`, the 2·fold channels the next block's shift
 * moves, and `r`, the rest. The shift then touches only `s`, and no op ever slices or concatenates the whole
 * feature map. On x86, onnxruntime runs convolutions in its blocked NCHWc layout and must reorder every tensor a
 * non-NCHWc op (Slice, Pad, Reshape) reads or writes; splitting the convolutions by channel (same FLOPs, the sum
 * fused into the second Conv) shrinks the reordered and copied data to a quarter (div 8).
 *
 *   conv1(shift(x)) = W[:, :k]·shift(x_s) + W[:, k:]·x_r        (a 1×1 or 3×3 conv is linear in its input channels)
 *   last conv, downsample: their output rows split at the next block's k, the residual added per part
 *
 * float32 graphs only: int8 runs NHWC, where the shift costs Transposes instead, and fp16 graphs are for runtimes
 * without this blocked layout (GPU, WebGPU, ARM), where the split would only add nodes.
 */
import { type ConvBn, type ResNetBackbone, STEM_MAX_POOL } from '../model/spec.js';
import { type FoldedConv, foldConvBn } from '../onnx/fold.js';
import { type Feature, type GraphContext, outputSize, windowAttributes } from '../onnx/graph.js';
import { temporalPoolBlock } from './blocks/temporal-pool.js';
import { addTemporalShift } from './blocks/temporal-shift.js';

/** A feature map as its first `k` channels and the rest. */
interface SplitFeature {
  readonly s: string;
  readonly r: string;
  readonly k: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

/**
 * Whether this backbone can be built split: float32 (the blocked layout is onnxruntime's x86 float32 one), offline,
 * every block shifted in its residual branch and nothing else, with channels to split on both sides.
 */
export function canSplitShift(ctx: GraphContext, b: ResNetBackbone): boolean {
  return (
    ctx.precision.mode === 'float' &&
    ctx.spec.kind === 'tsm' &&
    temporalPoolBlock(b) === undefined &&
    b.blocks.every(
      (block) =>
        block.shift === 'residual' &&
        !block.nonLocal &&
        block.convs.length >= 2 &&
        splitPoint(ctx, block.convs[0].inChannels) > 0 &&
        splitPoint(ctx, block.convs[block.convs.length - 1].outChannels) > 0,
    )
  );
}

const splitPoint = (ctx: GraphContext, channels: number) => 2 * Math.floor(channels / ctx.spec.shift.div);

export function resnetSplitBackbone(ctx: GraphContext, f: Feature, b: ResNetBackbone): Feature {
  const k0 = splitPoint(ctx, b.stem.outChannels);
  const stem = splitConv(ctx, [f.x], [f.c], b.stem, k0, f);
  const relu = (x: string) => ctx.g.op('Relu', [x]);
  const pool = (x: string) => ctx.g.op('MaxPool', [relu(x)], windowAttributes(STEM_MAX_POOL));
  let x: SplitFeature = {
    s: pool(stem.s),
    r: pool(stem.r),
    k: k0,
    c: b.stem.outChannels,
    h: outputSize(stem.h, STEM_MAX_POOL),
    w: outputSize(stem.w, STEM_MAX_POOL),
  };
  for (const block of b.blocks) {
    const name = ctx.label(block.name);
    const shifted = addTemporalShift(
      ctx,
      { x: x.s, channels: x.k, height: x.h, width: x.w, segments: ctx.segmentsNow, div: 2 },
      `${name}.shift`,
    );
    const s = ctx.declareFrames(shifted, x.k, x.h, x.w);
    // ResNet blocks have 2 (basic) or 3 (bottleneck) convolutions: the first reads the split input, the last writes one
    const first = block.convs[0];
    const last = block.convs[block.convs.length - 1];
    let y = joinConv(ctx, [s, x.r], [x.k, x.c - x.k], first, x);
    y = { ...y, x: relu(y.x) };
    for (const c of block.convs.slice(1, -1)) y = ctx.conv(y, c, 'relu');
    const kOut = splitPoint(ctx, last.outChannels);
    const out = splitConv(ctx, [y.x], [y.c], last, kOut, y);
    const identity = block.downsample ? splitConv(ctx, [x.s, x.r], [x.k, x.c - x.k], block.downsample, kOut, x) : x;
    x = {
      s: relu(ctx.g.op('Add', [out.s, identity.s])),
      r: relu(ctx.g.op('Add', [out.r, identity.r])),
      k: kOut,
      c: out.c,
      h: out.h,
      w: out.w,
    };
  }
  return { x: ctx.g.op('Concat', [x.s, x.r], { axis: 1 }, 'layer_out'), c: x.c, h: x.h, w: x.w };
}

/** Conv over inputs that together make its input channels (in order): one Conv each, summed, bias once. */
function joinConv(
  ctx: GraphContext,
  inputs: readonly string[],
  widths: readonly number[],
  c: ConvBn,
  f: Pick<Feature, 'h' | 'w'>,
): Feature {
  const folded = foldConvBn(ctx.sd, c);
  return { x: sumOfConvs(ctx, inputs, widths, c, folded, 0, c.outChannels, ''), c: c.outChannels, ...outSize(c, f) };
}

/** Conv whose output rows are split at k: two sums of per-input Convs. */
function splitConv(
  ctx: GraphContext,
  inputs: readonly string[],
  widths: readonly number[],
  c: ConvBn,
  k: number,
  f: Pick<Feature, 'h' | 'w'>,
): SplitFeature {
  const folded = foldConvBn(ctx.sd, c);
  const s = sumOfConvs(ctx, inputs, widths, c, folded, 0, k, '.s');
  const r = sumOfConvs(ctx, inputs, widths, c, folded, k, c.outChannels, '.r');
  return { s, r, k, c: c.outChannels, ...outSize(c, f) };
}

function outSize(c: ConvBn, f: Pick<Feature, 'h' | 'w'>): { h: number; w: number } {
  return { h: outputSize(f.h, c), w: outputSize(f.w, c) };
}

/** Σ_i Conv(inputs[i], W[o0:o1, in-range i]) + b[o0:o1]: the bias on the last Conv, each sum fused by the runtime. */
function sumOfConvs(
  ctx: GraphContext,
  inputs: readonly string[],
  widths: readonly number[],
  c: ConvBn,
  folded: FoldedConv,
  o0: number,
  o1: number,
  suffix: string,
): string {
  const base = `${ctx.label(c.weight)}${suffix}`;
  const [, inAll, kh, kw] = folded.dims;
  const taps = kh * kw;
  let sum: string | undefined;
  let from = 0;
  inputs.forEach((input, i) => {
    const width = widths[i];
    const w = new Float32Array((o1 - o0) * width * taps);
    for (let o = o0; o < o1; o++)
      w.set(
        folded.weight.subarray((o * inAll + from) * taps, (o * inAll + from + width) * taps),
        (o - o0) * width * taps,
      );
    const last = i === inputs.length - 1;
    const args = [input, ctx.weight(`${base}.in${i}.weight`, [o1 - o0, width, kh, kw], w)];
    if (last) args.push(ctx.constant(`${base}.bias`, [o1 - o0], folded.bias.slice(o0, o1)));
    const y = ctx.g.op('Conv', args, { ...windowAttributes(c), group: c.groups }, `${base}.in${i}`);
    sum = sum ? ctx.g.op('Add', [sum, y]) : y;
    from += width;
  });
  return sum as string;
}
