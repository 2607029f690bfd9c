/**
 * The state every block of a TSN graph shares: the builder, the state dict being consumed, and the precision
 * mechanism (float, fp16, calibrate, int8) that every block goes through, so a new block kind gets all four by using
 * `conv`, `activation` and `moveData`. Blocks are functions of (GraphContext, Feature) in src/onnx/blocks and
 * src/onnx/backbones.
 */
import { TsmError } from '../errors.js';
import type { ArchSpec, ConvBn } from '../model/spec.js';
import { type Tensor, toFloat16Bits } from '../pth/tensor.js';
import { GraphBuilder } from './builder.js';
import { type FoldedConv, foldConvBn } from './fold.js';
import { type OpsetForms, opsetForms, SUPPORTED_OPSETS } from './opset.js';
import {
  type ActivationQuant,
  type ActivationRange,
  activationQuant,
  quantizeBias,
  quantizeWeightsPerChannel,
} from './qdq.js';
import { TrackedStateDict } from './tracked.js';

/**
 * How activations are represented. The calibration graph and the int8 graph are built by the same code in the same
 * order, so activation point i of one is activation point i of the other.
 */
export type GraphPrecision =
  | { readonly mode: 'float' }
  /** weights and activations in fp16 (float32 in, float32 out: a Cast at each end) */
  | { readonly mode: 'fp16' }
  | { readonly mode: 'calibrate' }
  | { readonly mode: 'int8'; readonly ranges: readonly ActivationRange[] };

/** A shift buffer of an online model: fed back from `output` to `input` on the next frame, zeros at the start. */
export interface ShiftBuffer {
  readonly input: string;
  readonly output: string;
  readonly shape: readonly number[];
  readonly block: string;
}

/** A feature map flowing through the graph: its edge name and static C, H, W (frames stacked on the first axis). */
export interface Feature {
  readonly x: string;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  /** the tensor's channel count when zero channels pad it beyond `c` (see GraphContext.conv's `padTo`) */
  readonly padded?: number;
}

/** A square window's output size: convolutions and pools alike (floor division, as torch computes it). */
export function outputSize(
  n: number,
  op: { readonly kernel: number; readonly stride: number; readonly padding: number },
): number {
  return Math.floor((n + 2 * op.padding - op.kernel) / op.stride) + 1;
}

/** A square window (conv or pool) as ONNX attributes. */
export function windowAttributes(op: { readonly kernel: number; readonly stride: number; readonly padding: number }): {
  kernel_shape: number[];
  pads: number[];
  strides: number[];
} {
  return {
    kernel_shape: [op.kernel, op.kernel],
    pads: [op.padding, op.padding, op.padding, op.padding],
    strides: [op.stride, op.stride],
  };
}

/** A feature's channel count as a tensor: `c`, or more when zero channels pad it. */
export const tensorChannels = (f: Feature): number => f.padded ?? f.c;

/** An int8 activation: the uint8 tensor behind a DequantizeLinear output, and its parameters as initializers. */
interface QuantizedEdge extends ActivationQuant {
  readonly q: string;
  readonly scaleName: string;
  readonly zeroPointName: string;
}

/** How the spec's names appear in the graph and in messages (arch/tensors.ts StateDict provides both). */
export interface GraphNames {
  /** in node names: the model's name without its wrapper */
  readonly node: (name: string) => string;
  /** in messages and metadata: the model's own name */
  readonly model: (name: string) => string;
}

export interface GraphContextOptions {
  /** store weights as fp16 (+ Cast) while computing in fp32 */
  readonly fp16Weights?: boolean;
  readonly precision?: GraphPrecision;
  /** the opset the graph is written in (default SUPPORTED_OPSETS.default) */
  readonly opset?: number;
  /** how the spec's names appear in the graph (arch/tensors.ts StateDict provides them) */
  readonly names?: GraphNames;
}

/** The symbolic name of the frame axis, N·T, inside the graph. */
export const FRAMES_DIM = 'frames';

export class GraphContext {
  readonly g = new GraphBuilder();
  readonly sd: TrackedStateDict;
  readonly buffers: ShiftBuffer[] = [];
  readonly calibrationOutputs: string[] = [];
  /** segments the current stage sees: T, or T/2 after temporal pooling */
  segmentsNow: number;
  /** the name of the frame axis (N·T; another after temporal pooling halves it) */
  framesDim = FRAMES_DIM;

  /**
   * Edges that already carry a quantisation: DequantizeLinear outputs in int8 mode (with their uint8 source), the
   * observed tensors in calibrate mode (value undefined). Data movement (shift, max-pool) keeps its input's.
   */
  private readonly quantized = new Map<string, QuantizedEdge | undefined>();

  /** the node forms of the graph's opset (Clip, Pad) */
  readonly ops: OpsetForms;
  readonly precision: GraphPrecision;
  /** how the spec's names appear in the graph and in messages */
  readonly names: GraphNames;
  private readonly fp16Weights: boolean;

  /** `stateDict`: the weights under the names the spec uses */
  constructor(
    readonly spec: ArchSpec,
    stateDict: ReadonlyMap<string, Tensor>,
    options: GraphContextOptions = {},
  ) {
    this.names = options.names ?? { node: (name) => name, model: (name) => name };
    this.sd = new TrackedStateDict(stateDict, this.names.model);
    this.fp16Weights = options.fp16Weights ?? false;
    this.precision = options.precision ?? { mode: 'float' };
    this.ops = opsetForms(options.opset ?? SUPPORTED_OPSETS.default);
    this.segmentsNow = spec.segments;
  }

  get half(): boolean {
    return this.precision.mode === 'fp16';
  }

  get floatingPoint(): boolean {
    return this.precision.mode === 'float' || this.precision.mode === 'fp16';
  }

  /** A node name for a tensor key or module prefix of the spec. */
  label(key: string): string {
    return this.names.node(key).replace(/\.weight$/, '');
  }

  /** An activation point: observed (calibrate), or QuantizeLinear → DequantizeLinear with its calibrated range (int8).
   * */
  activation(x: string): string {
    const { precision, g } = this;
    if (this.floatingPoint || this.quantized.has(x)) return x;
    const point = this.calibrationOutputs.length;
    this.calibrationOutputs.push(x);
    if (precision.mode === 'calibrate') {
      this.quantized.set(x, undefined);
      return x;
    }
    if (precision.mode !== 'int8')
      throw new TsmError('bug', 'E_CALIBRATION', `activation point in ${precision.mode} mode`);
    const range = precision.ranges[point];
    if (!range)
      throw new TsmError(
        'bug',
        'E_CALIBRATION',
        `no calibrated range for activation point ${point} (${precision.ranges.length} given)`,
      );
    const params = activationQuant(range);
    const scaleName = g.initializer(`act${point}_scale`, 'float', [], Float32Array.of(params.scale));
    const zeroPointName = g.initializer(`act${point}_zero_point`, 'uint8', [], Uint8Array.of(params.zeroPoint));
    const q = g.op('QuantizeLinear', [x, scaleName, zeroPointName], {}, `act${point}_q`);
    return this.dequantize({ ...params, q, scaleName, zeroPointName }, `act${point}`);
  }

  private dequantize(edge: QuantizedEdge, label: string): string {
    const d = this.g.op('DequantizeLinear', [edge.q, edge.scaleName, edge.zeroPointName], {}, `${label}_dq`);
    this.quantized.set(d, edge);
    return d;
  }

  /**
   * A data-movement op (reshape/slice/pad/concat, max-pool) applied to an activation: on the uint8 tensor in int8
   * mode, so the result keeps the input's quantisation; `padValue` is what stands for 0 there.
   */
  moveData(x: string, label: string, move: (input: string, padValue?: string) => string): string {
    if (this.floatingPoint) return move(x);
    const d = this.activation(x);
    const edge = this.quantized.get(d);
    if (!edge) {
      const y = move(d);
      this.quantized.set(y, undefined);
      return y;
    }
    return this.dequantize({ ...edge, q: move(edge.q, edge.zeroPointName) }, label);
  }

  /**
   * Names the frame axis (N·T) of an edge that comes out of a Reshape, which shape inference leaves unnamed. With
   * every frame tensor on the same symbolic axis, onnxruntime can prove the two inputs of a residual Add equal in
   * shape and fuse the Add (and the ReLU after it) into the NCHWc convolution before it.
   */
  declareFrames(x: string, c: number, h: number, w: number, elemType?: 'uint8' | 'float'): string {
    return this.g.declare({
      name: x,
      elemType: elemType ?? (this.half ? 'float16' : 'float'),
      shape: [this.framesDim, c, h, w],
    });
  }

  /** A floating-point constant in the graph's compute type. */
  constant(name: string, dims: readonly number[], values: Float32Array): string {
    return this.half
      ? this.g.initializer(name, 'float16', dims, toFloat16Bits(values))
      : this.g.initializer(name, 'float', dims, values);
  }

  /** A weight initializer: in the compute type, or (fp16Weights with fp32 compute) stored fp16 + Cast. */
  weight(name: string, dims: readonly number[], values: Float32Array): string {
    if (!this.fp16Weights || this.half) return this.constant(name, dims, values);
    const half = this.g.initializer(`${name}_fp16`, 'float16', dims, toFloat16Bits(values));
    return this.g.op('Cast', [half], { to: 1 }, name);
  }

  /**
   * Conv (BatchNorm folded in) + activation on every frame; 1×1×1 Conv3d weights become 1×1 Conv2d ones.
   * `padTo` (float32 graphs: the blocked layout is onnxruntime's x86 float32 one): an output narrower than it gets
   * zero channels up to it, and an input with such channels gets zero weights for them; a depthwise conv keeps its
   * groups equal to the padded width. The zeros stay exactly
   * zero through bias 0, ReLU(6), residual adds and shifts, so the logits do not change; what changes is that
   * onnxruntime keeps the tensor in its blocked NCHWc layout (16-channel blocks with AVX-512) instead of running the
   * next convolution in its slow NCHW-input kernel. (Padding wider tensors, 24 → 32, measured slower.)
   */
  conv(f: Feature, c: ConvBn, act: 'relu' | 'relu6' | 'none', padTo = 1): Feature {
    const real = foldConvBn(this.sd, c);
    const folded =
      this.precision.mode === 'float'
        ? padConv(real, c, tensorChannels(f), padTo)
        : { ...real, groups: c.groups, outWidth: c.outChannels };
    const outWidth = folded.outWidth;
    const dims = folded.dims.length === 5 ? folded.dims.slice(0, 4) : folded.dims;
    const base = this.label(c.weight);
    const x = this.activation(f.x);
    const input = this.quantized.get(x);
    let w: string;
    let b: string;
    if (this.precision.mode === 'int8' && input) {
      const q = quantizeWeightsPerChannel(folded.weight, c.outChannels);
      w = this.g.op(
        'DequantizeLinear',
        [
          this.g.initializer(`${base}.weight_int8`, 'int8', dims, q.values),
          this.g.initializer(`${base}.weight_scale`, 'float', [c.outChannels], q.scales),
          this.g.initializer(`${base}.weight_zero_point`, 'int8', [c.outChannels], new Int8Array(c.outChannels)),
        ],
        { axis: 0 },
        `${base}.weight`,
      );
      const qb = quantizeBias(folded.bias, input.scale, q.scales);
      b = this.g.op(
        'DequantizeLinear',
        [
          this.g.initializer(`${base}.bias_int32`, 'int32', [c.outChannels], qb.values),
          this.g.initializer(`${base}.bias_scale`, 'float', [c.outChannels], qb.scales),
        ],
        { axis: 0 },
        `${base}.bias`,
      );
    } else {
      w = this.weight(`${base}.weight`, dims, folded.weight);
      b = this.constant(`${base}.bias`, [outWidth], folded.bias);
    }
    let y = this.g.op('Conv', [x, w, b], { ...windowAttributes(c), group: folded.groups }, base);
    if (act === 'relu') y = this.g.op('Relu', [y]);
    if (act === 'relu6') y = this.relu6(y);
    return {
      x: this.activation(y),
      c: c.outChannels,
      h: outputSize(f.h, c),
      w: outputSize(f.w, c),
      ...(outWidth > c.outChannels ? { padded: outWidth } : {}),
    };
  }

  private relu6Inputs?: readonly [string, string];
  /** ReLU6 as Clip to [0, 6]; where the opset wants the bounds as inputs, one pair of constants serves every Clip. */
  relu6(x: string): string {
    return this.ops.clip(this.g, x, {
      min: 0,
      max: 6,
      inputs: () => {
        this.relu6Inputs ??= [
          this.constant('relu6_min', [], Float32Array.of(0)),
          this.constant('relu6_max', [], Float32Array.of(6)),
        ];
        return this.relu6Inputs;
      },
    });
  }
}

/**
 * A folded conv's weights for an input of `inWidth` channels (≥ its own; the extra ones zero) and an output narrower
 * than `padTo` padded with zero channels to it. A depthwise conv (groups = channels) pads input, output and groups
 * together.
 */
function padConv(
  folded: FoldedConv,
  c: ConvBn,
  inWidth: number,
  padTo: number,
): FoldedConv & { readonly groups: number; readonly outWidth: number } {
  const depthwise = c.groups > 1 && c.groups === c.inChannels && c.groups === c.outChannels;
  const outWidth = Math.max(depthwise ? inWidth : 0, c.outChannels, padTo);
  const groups = depthwise ? outWidth : c.groups;
  if (outWidth === c.outChannels && inWidth === c.inChannels) return { ...folded, groups, outWidth };
  if (c.groups > 1 && !depthwise)
    throw new TsmError('bug', 'E_PAD_CONV', `${c.weight}: cannot pad a grouped (not depthwise) convolution`);
  const [, perGroupIn, ...kernel] = folded.dims;
  const taps = kernel.reduce((a, b) => a * b, 1);
  const inPerGroup = depthwise ? 1 : inWidth;
  const weight = new Float32Array(outWidth * inPerGroup * taps);
  for (let o = 0; o < c.outChannels; o++)
    weight.set(folded.weight.subarray(o * perGroupIn * taps, (o + 1) * perGroupIn * taps), o * inPerGroup * taps);
  const bias = new Float32Array(outWidth);
  bias.set(folded.bias);
  return { weight, bias, dims: [outWidth, inPerGroup, ...kernel], groups, outWidth };
}
