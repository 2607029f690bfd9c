/**
 * The non-local block (docs/upstream-tsm-family.md §1): where its weights are, what it computes as a graph, what it
 * costs.
 * `make_non_local` wraps ResNet-50's layer2.{0,2} and layer3.{0,2,4} in NL3DWrapper, so a wrapped block's weights
 * move under `<block>.block.` and the non-local block's under `<block>.nl.`: `g.0`, `theta`, `phi.0` (1×1×1 Conv3d
 * C→C/2 with bias; `.0` because a max-pool follows), `W.0` (C/2→C) and `W.1` (BatchNorm3d). Only that layout is
 * described, so only that layout is built; anything else is refused by name.
 *
 * The graph, on the frame tensor [N·T, C, H, W]: the 1×1×1 Conv3d's act on each position alone, so they are 1×1
 * Convs on the frames; the (1, 2, 2) max-pool of φ and g is a 2×2 MaxPool on the frames (time is not pooled).
 * Attention runs per clip on positions flattened (t, h, w) row-major: θ [N, L, Ci] · φ [N, Ci, M] → softmax over M
 * (no 1/√d) → · g [N, M, Ci] → [N, L, Ci] → frames → W (BN3d folded) + x. Plain ONNX ops only: Conv, MaxPool,
 * Reshape, Transpose, MatMul, Softmax, Add.
 */
import { TsmError } from '../../errors.js';
import type { ConvBn, NonLocalMode, NonLocalSpec } from '../../model/spec.js';
import type { Feature, GraphContext, GraphPrecision } from '../../onnx/graph.js';
import { expectBatchNorm, expectShape, hasPrefix, type StateDict, shapeOf } from '../tensors.js';

/** Where upstream puts the blocks: stage index (1-based) → block indices. */
export const NON_LOCAL_PLACES: Readonly<Record<number, readonly number[]>> = Object.freeze({ 2: [0, 2], 3: [0, 2, 4] });
export const NON_LOCAL_DEPTH = 50;

const unsupported = (message: string, details: Record<string, unknown>) =>
  new TsmError('unsupported', 'E_UNSUPPORTED_FEATURE', message, {
    hint:
      'supported non-local layout: ResNet-50 with blocks after layer2.{0,2} and layer3.{0,2,4} ' +
      '(docs/upstream-tsm-family.md §1), embedded Gaussian, sub-sampled',
    details: { features: ['non-local'], ...details },
  });

/** Does the state dict wrap block `name` (e.g. `layer2.0`) for a non-local block? */
export function hasNonLocal(sd: StateDict, name: string): boolean {
  return hasPrefix(sd, `${name}.nl.`) || hasPrefix(sd, `${name}.block.`);
}

function pointwise(sd: StateDict, prefix: string, inChannels: number, outChannels: number, bn?: string): ConvBn {
  const weight = `${prefix}.weight`;
  expectShape(sd, weight, [outChannels, inChannels, 1, 1, 1]);
  // mmcv's ConvModule has no conv bias before its norm (conv_out); the MIT code's W.0 has one
  const bias = bn && !sd.has(`${prefix}.bias`) ? undefined : `${prefix}.bias`;
  if (bias) expectShape(sd, bias, [outChannels]);
  if (bn) expectBatchNorm(sd, bn, outChannels);
  return { weight, bias, bn, inChannels, outChannels, kernel: 1, stride: 1, padding: 0, groups: 1 };
}

/** Refuses non-local keys that are not TSM's NL3DWrapper layout, before the block's own convs are looked for. */
export function expectNonLocalWrapper(sd: StateDict, name: string): void {
  const keys = [...sd.keys()].filter((k) => k.startsWith(`${name}.`));
  const wrapped =
    keys.some((k) => k.startsWith(`${name}.block.`)) &&
    !keys.some((k) => !k.startsWith(`${name}.block.`) && !k.startsWith(`${name}.nl.`));
  if (!wrapped || !(sd.has(`${name}.nl.theta.weight`) || sd.has(`${name}.nl.g.0.weight`))) {
    const odd = sd.modelName(keys.find((k) => k.startsWith(`${name}.nl.`)) ?? keys[0]);
    const block = sd.modelName(name);
    throw unsupported(
      `non-local (key '${odd}') in a layout TSM's NL3DWrapper does not make: expected ${block}.block.* and ` +
        `${block}.nl.{g.0,theta,phi.0,W.0,W.1}.*`,
      { block, keys: keys.slice(0, 8).map((k) => sd.modelName(k)) },
    );
  }
}

/** Reads the non-local block of wrapped block `name`, whose output has `channels` channels. */
export function readNonLocal(sd: StateDict, name: string, channels: number): NonLocalSpec {
  const nl = `${name}.nl`;
  const named = sd.modelName(nl);
  if (sd.has(`${nl}.g.weight`) || sd.has(`${nl}.phi.weight`)) {
    throw unsupported(
      `non-local block '${named}' is not sub-sampled (g and phi without a max-pool); TSM's blocks always are`,
      { block: named },
    );
  }
  const inter = shapeOf(sd, `${nl}.g.0.weight`)[0];
  if (inter !== Math.max(1, Math.floor(channels / 2))) {
    throw unsupported(
      `non-local block '${named}' has ${inter} inner channels for ${channels}; TSM's use C/2 = ` +
        `${Math.floor(channels / 2)}`,
      { block: named, expected: channels >> 1, found: inter },
    );
  }
  const mode = nonLocalMode(sd, nl);
  const embedded = mode !== 'gaussian';
  return {
    name: nl,
    channels,
    interChannels: inter,
    ...(mode !== 'embedded_gaussian' ? { mode } : {}),
    ...(mode === 'embedded_gaussian' && sd.facts.nonLocal?.useScale ? { scale: true } : {}),
    ...(embedded ? { theta: pointwise(sd, `${nl}.theta`, channels, inter) } : {}),
    ...(embedded ? { phi: pointwise(sd, `${nl}.phi.0`, channels, inter) } : {}),
    g: pointwise(sd, `${nl}.g.0`, channels, inter),
    w: pointwise(sd, `${nl}.W.0`, inter, channels, `${nl}.W.1`),
    subSample: true,
  };
}

/** The pairwise function: gaussian where the weights have no θ (they cannot hide it), else what the facts say. */
function nonLocalMode(sd: StateDict, nl: string): NonLocalMode {
  const said = sd.facts.nonLocal;
  const hasTheta = sd.has(`${nl}.theta.weight`);
  if (!hasTheta) {
    if (said && said.mode !== 'gaussian') {
      throw unsupported(
        `non-local block '${sd.modelName(nl)}' has no theta/phi convs, so it is gaussian, but ${said.from} says ` +
          `mode '${said.mode}'`,
        { block: sd.modelName(nl), expected: said.mode, found: 'gaussian' },
      );
    }
    return 'gaussian';
  }
  if (said?.mode === 'gaussian') {
    throw unsupported(
      `non-local block '${sd.modelName(nl)}' has theta/phi convs, but ${said.from} says mode 'gaussian', ` +
        'which has none',
      { block: sd.modelName(nl), expected: 'gaussian' },
    );
  }
  return said?.mode ?? 'embedded_gaussian';
}

/** Refuses non-local blocks anywhere but upstream's five places, or on another depth than ResNet-50. */
export function checkNonLocalPlaces(
  depth: number,
  placed: ReadonlyArray<{ stage: number; index: number; name: string }>,
): void {
  if (!placed.length) return;
  const where = placed.map((p) => p.name).join(', ');
  if (depth !== NON_LOCAL_DEPTH)
    throw unsupported(`non-local blocks on a ResNet-${depth} (${where}); TSM builds them for ResNet-50 only`, {
      depth,
    });
  const expected = Object.entries(NON_LOCAL_PLACES).flatMap(([stage, indices]) =>
    indices.map((index) => `layer${stage}.${index}`),
  );
  const found = placed.map((p) => `layer${p.stage}.${p.index}`);
  if (expected.length !== found.length || expected.some((e, i) => e !== found[i])) {
    throw unsupported(`non-local blocks at ${found.join(', ')}; TSM places them at ${expected.join(', ')}`, {
      expected,
      found,
    });
  }
}

/** Non-local blocks are built in float32 only: their unscaled attention logits leave fp16's range. */
export function refuseNonLocalPrecision(precision: GraphPrecision): void {
  throw new TsmError(
    'unsupported',
    'E_NONLOCAL_PRECISION',
    `non-local blocks are exported in float32 only; ${precision.mode} is not built for them (their unscaled ` +
      `attention logits leave fp16's range, and int8 attention was not checked against PyTorch)`,
    {
      hint: 'export without --int8/--fp16-compute (--fp16 weight storage works)',
      details: { mode: precision.mode },
    },
  );
}

export function nonLocalBlock(ctx: GraphContext, f: Feature, nl: NonLocalSpec): Feature {
  const { g } = ctx;
  const T = ctx.segmentsNow;
  const Ci = nl.interChannels;
  const name = ctx.label(nl.name);
  const shape = (label: string, dims: number[]) => g.int64s(`${name}.${label}_shape`, dims);
  const pool = (x: Feature, label: string): Feature => ({
    x: g.op('MaxPool', [x.x], { kernel_shape: [2, 2], strides: [2, 2] }, `${name}.${label}.pool`),
    c: x.c,
    h: Math.floor(x.h / 2),
    w: Math.floor(x.w / 2),
  });
  /** [N·T, c, h, w] → [N, T, c, h·w] → (perm) → [N, a, b] */
  const perClip = (x: Feature, label: string, perm: number[], dims: number[]) => {
    const grouped = g.op('Reshape', [x.x, shape(`${label}_ntc`, [-1, T, x.c, x.h * x.w])], {}, `${name}.${label}.ntc`);
    const moved = g.op('Transpose', [grouped], { perm }, `${name}.${label}.perm`);
    return g.op('Reshape', [moved, shape(label, dims)], {}, `${name}.${label}.clip`);
  };
  // gaussian mode: queries and keys are the block's input itself (C channels), the keys max-pooled
  const theta = nl.theta ? ctx.conv(f, nl.theta, 'none') : f;
  const phi = pool(nl.phi ? ctx.conv(f, nl.phi, 'none') : f, 'phi');
  const gx = pool(ctx.conv(f, nl.g, 'none'), 'g');
  const L = T * f.h * f.w;
  const M = T * phi.h * phi.w;
  const queries = perClip(theta, 'theta', [0, 1, 3, 2], [-1, L, theta.c]); // [N, L, Ci]
  const keys = perClip(phi, 'phi', [0, 2, 1, 3], [-1, phi.c, M]); // [N, Ci, M]
  const values = perClip(gx, 'g', [0, 1, 3, 2], [-1, M, Ci]); // [N, M, Ci]
  const affinity = g.op('MatMul', [queries, keys], {}, `${name}.affinity`);
  const weights = pairwiseWeights(ctx, nl, affinity, M, name);
  const attended = g.op('MatMul', [weights, values], {}, `${name}.attended`); // [N, L, Ci]
  const perFrame = g.op('Reshape', [attended, shape('y_nthwc', [-1, T, f.h * f.w, Ci])], {}, `${name}.y.nthwc`);
  const channelsFirst = g.op('Transpose', [perFrame], { perm: [0, 1, 3, 2] }, `${name}.y.perm`);
  const y = ctx.declareFrames(
    g.op('Reshape', [channelsFirst, shape('y', [-1, Ci, f.h, f.w])], {}, `${name}.y`),
    Ci,
    f.h,
    f.w,
  );
  const z = ctx.conv({ x: y, c: Ci, h: f.h, w: f.w }, nl.w, 'none');
  return { ...f, x: g.op('Add', [z.x, f.x], {}, `${name}.out`) };
}

/** What weighs g: softmax over the keys (÷√Ci first with use_scale), or dot_product's ÷M without softmax. */
function pairwiseWeights(ctx: GraphContext, nl: NonLocalSpec, affinity: string, keys: number, name: string): string {
  const { g } = ctx;
  const times = (x: string, factor: number, label: string) =>
    g.op('Mul', [x, ctx.constant(`${name}.${label}`, [], new Float32Array([factor]))], {}, `${name}.${label}.mul`);
  if (nl.mode === 'dot_product') return times(affinity, 1 / keys, 'per_key');
  const logits = nl.scale ? times(affinity, 1 / Math.sqrt(nl.interChannels), 'scale') : affinity;
  // axis 2 is the last axis: the same softmax in opset 11's flattened form and in 13's per-axis form
  return g.op('Softmax', [logits], { axis: 2 }, `${name}.softmax`);
}

/** Multiply-accumulates of the attention (both MatMuls) on a stage of `frames` frames of h × h; its convs count as
 * convs. */
export function attentionMacs(nl: NonLocalSpec, frames: number, h: number): number {
  const positions = frames * h * h;
  const pooled = frames * Math.floor(h / 2) ** 2;
  const queryChannels = nl.theta ? nl.interChannels : nl.channels;
  return positions * pooled * (queryChannels + nl.interChannels);
}
