/**
 * ArchSpec + state dict → ONNX graph of the whole TSN/TSM model: video [N, T, 3, S, S] → logits [N, classes],
 * the backbone on all N·T frames, BatchNorm folded into convs, ReLU6 as Clip, average consensus over T.
 */
import { TsmError } from '../errors.js';
import { toFloat16Bits, toFloat32, type Tensor } from '../pth/tensor.js';
import type { ArchSpec, ConvBn, MobileNetV2Backbone, ResNetBackbone } from '../arch/spec.js';
import { GraphBuilder, type SerializedModel } from './builder.js';
import { foldConvBn } from './fold.js';
import { activationQuant, quantizeBias, quantizeWeightsPerChannel, type ActivationQuant, type ActivationRange } from './qdq.js';
import { addTemporalShift } from './shift.js';
import { TrackedStateDict } from './tracked.js';

export interface BuildOptions {
  readonly opset?: number;
  readonly softmax?: boolean;
  /** store conv and head weights as fp16 (half the file); a Cast makes them fp32 again, folded at session start */
  readonly fp16Weights?: boolean;
  readonly producerVersion: string;
  readonly metadata: Record<string, string>;
  /** float (default); `calibrate`: every activation to quantise becomes an extra output; `int8`: QDQ with these ranges */
  readonly precision?: GraphPrecision;
}

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

export interface IoSpec {
  readonly name: string;
  readonly shape: ReadonlyArray<number | string>;
}

/** A shift buffer of an online model: fed back from `output` to `input` on the next frame, zeros at the start. */
export interface ShiftBuffer {
  readonly input: string;
  readonly output: string;
  readonly shape: readonly number[];
  readonly block: string;
}

export interface BuiltGraph {
  /** the ONNX model as chunks (initializer data not copied); GraphBuilder.toModel-style concatenation gives the bytes */
  readonly model: SerializedModel;
  readonly buffers: readonly ShiftBuffer[];
  readonly inputs: readonly IoSpec[];
  readonly outputs: readonly IoSpec[];
  readonly opHistogram: Record<string, number>;
  readonly weightBytes: number;
  /** calibrate mode: the extra outputs, in activation-point order */
  readonly calibrationOutputs: readonly string[];
}

/** The symbolic name of the frame axis, N·T, inside the graph. */
const FRAMES_DIM = 'frames';

export const SUPPORTED_OPSETS = Object.freeze({ min: 11, max: 17, default: 13 });

/** An int8 activation: the uint8 tensor behind a DequantizeLinear output, and its parameters as initializers. */
interface QuantizedEdge extends ActivationQuant {
  readonly q: string;
  readonly scaleName: string;
  readonly zeroPointName: string;
}

/** A feature map flowing through the graph: its edge name and static C, H, W. */
interface Feature {
  readonly x: string;
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

class TsnGraph {
  readonly g = new GraphBuilder();
  readonly sd: TrackedStateDict;
  constructor(readonly spec: ArchSpec, stateDict: ReadonlyMap<string, Tensor>, private readonly fp16Weights = false, readonly precision: GraphPrecision = { mode: 'float' }) {
    this.sd = new TrackedStateDict(stateDict);
  }

  /**
   * Edges that already carry a quantisation: DequantizeLinear outputs in int8 mode (with their uint8 source), the
   * observed tensors in calibrate mode (value undefined). Data movement (shift, max-pool) keeps its input's.
   */
  private readonly quantized = new Map<string, QuantizedEdge | undefined>();
  readonly calibrationOutputs: string[] = [];

  /** An activation point: observed (calibrate), or QuantizeLinear → DequantizeLinear with its calibrated range (int8). */
  activation(x: string): string {
    const { precision, g } = this;
    if (precision.mode === 'float' || precision.mode === 'fp16' || this.quantized.has(x)) return x;
    const point = this.calibrationOutputs.length;
    this.calibrationOutputs.push(x);
    if (precision.mode === 'calibrate') {
      this.quantized.set(x, undefined);
      return x;
    }
    const range = precision.ranges[point];
    if (!range) throw new TsmError('bug', 'E_CALIBRATION', `no calibrated range for activation point ${point} (${precision.ranges.length} given)`);
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
  private moveData(x: string, label: string, move: (input: string, padValue?: string) => string): string {
    if (this.precision.mode === 'float' || this.precision.mode === 'fp16') return move(x);
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
  private declareFrames(x: string, c: number, h: number, w: number, elemType?: 'uint8' | 'float'): string {
    return this.g.declare({ name: x, elemType: elemType ?? (this.half ? 'float16' : 'float'), shape: [this.framesDim, c, h, w] });
  }

  private get half(): boolean {
    return this.precision.mode === 'fp16';
  }

  /** A floating-point constant in the graph's compute type. */
  constant(name: string, dims: readonly number[], values: Float32Array): string {
    return this.half ? this.g.initializer(name, 'float16', dims, toFloat16Bits(values)) : this.g.initializer(name, 'float', dims, values);
  }

  /** A weight initializer: in the compute type, or (fp16Weights with fp32 compute) stored fp16 + Cast. */
  weight(name: string, dims: readonly number[], values: Float32Array): string {
    if (!this.fp16Weights || this.half) return this.constant(name, dims, values);
    const half = this.g.initializer(`${name}_fp16`, 'float16', dims, toFloat16Bits(values));
    return this.g.op('Cast', [half], { to: 1 }, name);
  }

  conv(f: Feature, c: ConvBn, act: 'relu' | 'relu6' | 'none'): Feature {
    const folded = foldConvBn(this.sd, c);
    const base = c.weight.replace(/\.weight$/, '').replace(/^base_model\./, '');
    const x = this.activation(f.x);
    const input = this.quantized.get(x);
    let w: string;
    let b: string;
    if (this.precision.mode === 'int8' && input) {
      const q = quantizeWeightsPerChannel(folded.weight, c.outChannels);
      w = this.g.op('DequantizeLinear', [
        this.g.initializer(`${base}.weight_int8`, 'int8', folded.dims, q.values),
        this.g.initializer(`${base}.weight_scale`, 'float', [c.outChannels], q.scales),
        this.g.initializer(`${base}.weight_zero_point`, 'int8', [c.outChannels], new Int8Array(c.outChannels)),
      ], { axis: 0 }, `${base}.weight`);
      const qb = quantizeBias(folded.bias, input.scale, q.scales);
      b = this.g.op('DequantizeLinear', [
        this.g.initializer(`${base}.bias_int32`, 'int32', [c.outChannels], qb.values),
        this.g.initializer(`${base}.bias_scale`, 'float', [c.outChannels], qb.scales),
      ], { axis: 0 }, `${base}.bias`);
    } else {
      w = this.weight(`${base}.weight`, folded.dims, folded.weight);
      b = this.constant(`${base}.bias`, [c.outChannels], folded.bias);
    }
    let y = this.g.op('Conv', [x, w, b], {
      kernel_shape: [c.kernel, c.kernel],
      pads: [c.padding, c.padding, c.padding, c.padding],
      strides: [c.stride, c.stride],
      group: c.groups,
    }, base);
    if (act === 'relu') y = this.g.op('Relu', [y]);
    if (act === 'relu6') y = this.relu6(y);
    const out = (n: number) => Math.floor((n + 2 * c.padding - c.kernel) / c.stride) + 1;
    return { x: this.activation(y), c: c.outChannels, h: out(f.h), w: out(f.w) };
  }

  private clipBounds?: [string, string];
  relu6(x: string): string {
    this.clipBounds ??= [
      this.constant('relu6_min', [], Float32Array.of(0)),
      this.constant('relu6_max', [], Float32Array.of(6)),
    ];
    return this.g.op('Clip', [x, ...this.clipBounds]);
  }

  readonly buffers: ShiftBuffer[] = [];
  /** segments the current stage sees: T, or T/2 after temporal pooling */
  private segmentsNow = 0;
  /** the name of the frame axis (N·T; another after temporal pooling halves it) */
  private framesDim = FRAMES_DIM;

  shift(f: Feature, name: string): Feature {
    if (this.spec.kind === 'online') return this.onlineShift(f, name);
    const label = `${name.replace(/^base_model\./, '')}.shift`;
    const x = this.moveData(f.x, label, (input, padValue) =>
      this.declareFrames(addTemporalShift(this.g, { x: input, channels: f.c, height: f.h, width: f.w, segments: this.segmentsNow, div: this.spec.shift.div, padValue }, label), f.c, f.h, f.w, padValue ? 'uint8' : undefined));
    return { ...f, x };
  }

  /**
   * The online demo's one-directional shift: the first C/div channels of this block's input are replaced by the
   * previous frame's (a buffer input), and the current ones become the next frame's buffer (an output).
   */
  onlineShift(f: Feature, name: string): Feature {
    const fold = Math.floor(f.c / this.spec.shift.div);
    if (fold === 0) return f;
    const i = this.buffers.length;
    const shape = [1, fold, f.h, f.w];
    const input = this.g.input({ name: `shift_buffer_${i}`, elemType: 'float', shape: ['N', fold, f.h, f.w] });
    const output = `shift_buffer_${i}_out`;
    const base = name.replace(/^base_model\./, '');
    const slice = (from: number, to: number, label: string) =>
      this.g.op('Slice', [f.x, this.g.int64s(`${base}.${label}_starts`, [from]), this.g.int64s(`${base}.${label}_ends`, [to]), this.g.int64s(`${base}.${label}_axes`, [1])], {}, `${base}.${label}`);
    this.g.node('Identity', [slice(0, fold, 'buffer')], {}, { outputNames: [output] });
    const x = this.g.op('Concat', [input, slice(fold, f.c, 'kept')], { axis: 1 }, `${base}.online_shift`);
    this.buffers.push({ input, output, shape, block: name });
    return { ...f, x };
  }

  /**
   * TSM's temporal pooling in front of layer2: max over time with kernel 3, stride 2, padding 1 (padding never wins,
   * as max_pool3d's −inf), so T frames become T/2. As a 2-D MaxPool over [N, C, T, H·W].
   */
  temporalPool(f: Feature): Feature {
    const T = this.segmentsNow;
    const hw = f.h * f.w;
    const g = this.g;
    const grouped = g.op('Reshape', [f.x, g.int64s('tpool.in_shape', [-1, T, f.c, hw])], {}, 'tpool.grouped');
    const channelsFirst = g.op('Transpose', [grouped], { perm: [0, 2, 1, 3] }, 'tpool.nct');
    const pooled = g.op('MaxPool', [channelsFirst], { kernel_shape: [3, 1], strides: [2, 1], pads: [1, 0, 1, 0] }, 'tpool.max');
    const back = g.op('Transpose', [pooled], { perm: [0, 2, 1, 3] }, 'tpool.ntc');
    this.segmentsNow = T / 2;
    // the frame axis is now N·T/2: a new name, or onnxruntime would take the two for equal
    this.framesDim = `${FRAMES_DIM}_tpool`;
    const x = this.declareFrames(g.op('Reshape', [back, g.int64s('tpool.out_shape', [-1, f.c, f.h, f.w])], {}, 'tpool'), f.c, f.h, f.w);
    return { ...f, x };
  }

  resnet(f: Feature, b: ResNetBackbone): Feature {
    let x = this.conv(f, b.stem, 'relu');
    const pooled = this.moveData(x.x, 'maxpool', (input) => this.g.op('MaxPool', [input], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }, 'maxpool'));
    x = { x: pooled, c: x.c, h: Math.floor((x.h + 2 - 3) / 2) + 1, w: Math.floor((x.w + 2 - 3) / 2) + 1 };
    const firstOfLayer2 = b.blocks[b.stageBlocks[0]]?.name;
    for (const block of b.blocks) {
      if (b.temporalPool && block.name === firstOfLayer2) x = this.temporalPool(x);
      const input = block.shift === 'block' ? this.shift(x, block.name) : x;
      let y = block.shift === 'residual' ? this.shift(input, block.name) : input;
      block.convs.forEach((c, i) => {
        y = this.conv(y, c, i < block.convs.length - 1 ? 'relu' : 'none');
      });
      const identity = block.downsample ? this.conv(input, block.downsample, 'none') : input;
      const sum = this.g.op('Add', [y.x, identity.x]);
      x = { ...y, x: this.activation(this.g.op('Relu', [sum])) };
    }
    return x;
  }

  mobilenet(f: Feature, b: MobileNetV2Backbone): Feature {
    let x = this.conv(f, b.stem, 'relu6');
    for (const block of b.blocks) {
      let y = block.shift ? this.shift(x, block.name) : x;
      block.convs.forEach((c, i) => {
        y = this.conv(y, c, i < block.convs.length - 1 ? 'relu6' : 'none');
      });
      x = block.residual ? { ...y, x: this.activation(this.g.op('Add', [x.x, y.x])) } : y;
    }
    return this.conv(x, b.last, 'relu6');
  }

  build(options: BuildOptions): BuiltGraph {
    const { spec, g } = this;
    const S = spec.inputSize;
    const T = spec.segments;
    this.segmentsNow = T;
    if (spec.backbone.family === 'resnet' && spec.backbone.temporalPool && this.precision.mode !== 'float') {
      throw new TsmError('unsupported', 'E_TPOOL_PRECISION', `temporal pooling is exported in float32 only; ${this.precision.mode} is not built for it yet`, {
        hint: 'export without --int8/--fp16-compute (--fp16 weight storage works)', details: { mode: this.precision.mode },
      });
    }
    const online = spec.kind === 'online';
    const image = spec.kind === 'image' || online;
    const inputName = online ? 'frame' : image ? 'image' : 'video';
    const inputShape = image ? ['N', 3, S, S] : ['N', T, 3, S, S];
    const input = g.input({ name: inputName, elemType: 'float', shape: inputShape });
    const reshaped = image ? input : this.declareFrames(g.op('Reshape', [input, g.int64s('frames_shape', [-1, 3, S, S])], {}, this.half ? 'frames_fp32' : 'frames'), 3, S, S, 'float');
    const frames = this.half ? (image ? g.op('Cast', [reshaped], { to: 10 }, 'image_fp16') : this.declareFrames(g.op('Cast', [reshaped], { to: 10 }, 'frames'), 3, S, S)) : reshaped;
    let f: Feature = { x: frames, c: 3, h: S, w: S };
    f = spec.backbone.family === 'resnet' ? this.resnet(f, spec.backbone) : this.mobilenet(f, spec.backbone);
    if (f.h < 1 || f.w < 1) throw new TsmError('usage', 'E_BAD_FLAG', `input size ${S} is too small for ${spec.name}`);
    const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [f.x], {}, 'avgpool')], { axis: 1 }, 'features');
    const head = this.sd.take(spec.head.weight);
    const weight = this.weight('head.weight', [...head.shape], toFloat32(head));
    const bias = this.constant('head.bias', [spec.head.classes], spec.head.bias ? toFloat32(this.sd.take(spec.head.bias)) : new Float32Array(spec.head.classes));
    const perFrame = g.op('Gemm', [pooled, weight, bias], { transB: 1 }, 'head');
    const K = spec.head.classes;
    let logits: string;
    const logitsName = this.half ? 'logits_fp16' : 'logits';
    if (image) {
      logits = g.node('Identity', [perFrame], {}, { outputNames: [logitsName] })[0];
    } else {
      // consensus over the segments the last stage saw (T/2 with temporal pooling)
      const perSegment = g.op('Reshape', [perFrame, g.int64s('segments_shape', [-1, this.segmentsNow, K])], {}, 'per_segment');
      logits = g.node('ReduceMean', [perSegment], { axes: [1], keepdims: 0 }, { outputNames: [logitsName] })[0];
    }
    if (this.half) logits = g.node('Cast', [logits], { to: 1 }, { outputNames: ['logits'] })[0];
    const outputs: IoSpec[] = [{ name: 'logits', shape: ['N', K] }, ...this.buffers.map((b) => ({ name: b.output, shape: ['N', ...b.shape.slice(1)] }))];
    g.output({ name: logits, elemType: 'float', shape: ['N', K] });
    // calibrate mode: every activation point is an output too (frames of all clips, so the first dim is N·T)
    for (const x of this.precision.mode === 'calibrate' ? this.calibrationOutputs : []) g.output({ name: x, elemType: 'float', shape: ['NT', 'C', 'H', 'W'] });
    for (const b of this.buffers) g.output({ name: b.output, elemType: 'float', shape: ['N', ...b.shape.slice(1)] });
    if (options.softmax) {
      g.node('Softmax', [logits], { axis: 1 }, { outputNames: ['probabilities'] });
      g.output({ name: 'probabilities', elemType: 'float', shape: ['N', K] });
      outputs.push({ name: 'probabilities', shape: ['N', K] });
    }
    this.sd.assertAllUsed();
    const opset = options.opset ?? SUPPORTED_OPSETS.default;
    const metadata = online ? { ...options.metadata, 'tsm.online_buffers': JSON.stringify(this.buffers) } : options.metadata;
    const model = g.serialize({ opset, producerVersion: options.producerVersion, graphName: spec.name, metadata, docString: `${spec.name} exported by tsm` });
    return {
      model,
      buffers: this.buffers,
      inputs: [{ name: inputName, shape: inputShape }, ...this.buffers.map((b) => ({ name: b.input, shape: ['N', ...b.shape.slice(1)] }))],
      outputs,
      opHistogram: g.opHistogram(),
      weightBytes: g.weightBytes(),
      calibrationOutputs: this.precision.mode === 'calibrate' ? [...this.calibrationOutputs] : [],
    };
  }
}

export function buildTsnGraph(spec: ArchSpec, stateDict: ReadonlyMap<string, Tensor>, options: BuildOptions): BuiltGraph {
  const opset = options.opset ?? SUPPORTED_OPSETS.default;
  if (!Number.isInteger(opset) || opset < SUPPORTED_OPSETS.min || opset > SUPPORTED_OPSETS.max) {
    throw new TsmError('usage', 'E_BAD_FLAG', `--opset ${opset} is not supported; use ${SUPPORTED_OPSETS.min}–${SUPPORTED_OPSETS.max}`, { details: { expected: SUPPORTED_OPSETS, found: opset } });
  }
  if (options.precision?.mode === 'fp16' && spec.kind === 'online') {
    throw new TsmError('unsupported', 'E_UNSUPPORTED', 'fp16 compute is not available for online (streaming) exports', { hint: 'use --fp16 alone (fp16 weights, fp32 compute)' });
  }
  if (options.precision && options.precision.mode !== 'float' && options.precision.mode !== 'fp16') {
    if (opset < 13) throw new TsmError('usage', 'E_BAD_FLAG', `int8 needs opset 13 or later (per-channel DequantizeLinear); got --opset ${opset}`, { details: { expected: '>= 13', found: opset } });
    if (options.fp16Weights) throw new TsmError('usage', 'E_BAD_FLAG', '--fp16 and --int8 exclude each other');
  }
  return new TsnGraph(spec, stateDict, options.fp16Weights, options.precision).build(options);
}
