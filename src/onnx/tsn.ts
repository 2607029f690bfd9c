/**
 * ArchSpec + state dict → ONNX graph of the whole TSN/TSM model: video [N, T, 3, S, S] → logits [N, classes],
 * the backbone on all N·T frames, BatchNorm folded into convs, ReLU6 as Clip, average consensus over T.
 */
import { TsmError } from '../errors.js';
import { toFloat16Bits, toFloat32, type Tensor } from '../pth/tensor.js';
import type { ArchSpec, ConvBn, MobileNetV2Backbone, ResNetBackbone } from '../arch/spec.js';
import { GraphBuilder } from './builder.js';
import { foldConvBn } from './fold.js';
import { addTemporalShift } from './shift.js';
import { TrackedStateDict } from './tracked.js';

export interface BuildOptions {
  readonly opset?: number;
  readonly softmax?: boolean;
  /** store conv and head weights as fp16 (half the file); a Cast makes them fp32 again, folded at session start */
  readonly fp16Weights?: boolean;
  readonly producerVersion: string;
  readonly metadata: Record<string, string>;
}

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
  readonly bytes: Uint8Array;
  readonly buffers: readonly ShiftBuffer[];
  readonly inputs: readonly IoSpec[];
  readonly outputs: readonly IoSpec[];
  readonly opHistogram: Record<string, number>;
  readonly weightBytes: number;
}

export const SUPPORTED_OPSETS = Object.freeze({ min: 11, max: 17, default: 13 });

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
  constructor(readonly spec: ArchSpec, stateDict: ReadonlyMap<string, Tensor>, private readonly fp16Weights = false) {
    this.sd = new TrackedStateDict(stateDict);
  }

  /** A weight initializer, fp32 or (with fp16Weights) fp16 + Cast. */
  weight(name: string, dims: readonly number[], values: Float32Array): string {
    if (!this.fp16Weights) return this.g.initializer(name, 'float', dims, values);
    const half = this.g.initializer(`${name}_fp16`, 'float16', dims, toFloat16Bits(values));
    return this.g.op('Cast', [half], { to: 1 }, name);
  }

  conv(f: Feature, c: ConvBn, act: 'relu' | 'relu6' | 'none'): Feature {
    const folded = foldConvBn(this.sd, c);
    const base = c.weight.replace(/\.weight$/, '').replace(/^base_model\./, '');
    const w = this.weight(`${base}.weight`, folded.dims, folded.weight);
    const b = this.g.initializer(`${base}.bias`, 'float', [c.outChannels], folded.bias);
    let y = this.g.op('Conv', [f.x, w, b], {
      kernel_shape: [c.kernel, c.kernel],
      pads: [c.padding, c.padding, c.padding, c.padding],
      strides: [c.stride, c.stride],
      group: c.groups,
    }, base);
    if (act === 'relu') y = this.g.op('Relu', [y]);
    if (act === 'relu6') y = this.relu6(y);
    const out = (n: number) => Math.floor((n + 2 * c.padding - c.kernel) / c.stride) + 1;
    return { x: y, c: c.outChannels, h: out(f.h), w: out(f.w) };
  }

  private clipBounds?: [string, string];
  relu6(x: string): string {
    this.clipBounds ??= [
      this.g.initializer('relu6_min', 'float', [], Float32Array.of(0)),
      this.g.initializer('relu6_max', 'float', [], Float32Array.of(6)),
    ];
    return this.g.op('Clip', [x, ...this.clipBounds]);
  }

  readonly buffers: ShiftBuffer[] = [];

  shift(f: Feature, name: string): Feature {
    if (this.spec.kind === 'online') return this.onlineShift(f, name);
    const x = addTemporalShift(this.g, { x: f.x, channels: f.c, height: f.h, width: f.w, segments: this.spec.segments, div: this.spec.shift.div }, `${name.replace(/^base_model\./, '')}.shift`);
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

  resnet(f: Feature, b: ResNetBackbone): Feature {
    let x = this.conv(f, b.stem, 'relu');
    const pooled = this.g.op('MaxPool', [x.x], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }, 'maxpool');
    x = { x: pooled, c: x.c, h: Math.floor((x.h + 2 - 3) / 2) + 1, w: Math.floor((x.w + 2 - 3) / 2) + 1 };
    for (const block of b.blocks) {
      const input = block.shift === 'block' ? this.shift(x, block.name) : x;
      let y = block.shift === 'residual' ? this.shift(input, block.name) : input;
      block.convs.forEach((c, i) => {
        y = this.conv(y, c, i < block.convs.length - 1 ? 'relu' : 'none');
      });
      const identity = block.downsample ? this.conv(input, block.downsample, 'none') : input;
      const sum = this.g.op('Add', [y.x, identity.x]);
      x = { ...y, x: this.g.op('Relu', [sum]) };
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
      x = block.residual ? { ...y, x: this.g.op('Add', [x.x, y.x]) } : y;
    }
    return this.conv(x, b.last, 'relu6');
  }

  build(options: BuildOptions): BuiltGraph {
    const { spec, g } = this;
    const S = spec.inputSize;
    const T = spec.segments;
    const online = spec.kind === 'online';
    const image = spec.kind === 'image' || online;
    const inputName = online ? 'frame' : image ? 'image' : 'video';
    const inputShape = image ? ['N', 3, S, S] : ['N', T, 3, S, S];
    const input = g.input({ name: inputName, elemType: 'float', shape: inputShape });
    const frames = image ? input : g.op('Reshape', [input, g.int64s('frames_shape', [-1, 3, S, S])], {}, 'frames');
    let f: Feature = { x: frames, c: 3, h: S, w: S };
    f = spec.backbone.family === 'resnet' ? this.resnet(f, spec.backbone) : this.mobilenet(f, spec.backbone);
    if (f.h < 1 || f.w < 1) throw new TsmError('usage', 'E_BAD_FLAG', `input size ${S} is too small for ${spec.name}`);
    const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [f.x], {}, 'avgpool')], { axis: 1 }, 'features');
    const head = this.sd.take(spec.head.weight);
    const weight = this.weight('head.weight', [...head.shape], toFloat32(head));
    const bias = g.initializer('head.bias', 'float', [spec.head.classes], spec.head.bias ? toFloat32(this.sd.take(spec.head.bias)) : new Float32Array(spec.head.classes));
    const perFrame = g.op('Gemm', [pooled, weight, bias], { transB: 1 }, 'head');
    const K = spec.head.classes;
    let logits: string;
    if (image) {
      logits = g.op('Identity', [perFrame], {}, 'logits');
    } else {
      const perSegment = g.op('Reshape', [perFrame, g.int64s('segments_shape', [-1, T, K])], {}, 'per_segment');
      logits = g.node('ReduceMean', [perSegment], { axes: [1], keepdims: 0 }, { outputNames: ['logits'] })[0];
    }
    const outputs: IoSpec[] = [{ name: 'logits', shape: ['N', K] }, ...this.buffers.map((b) => ({ name: b.output, shape: ['N', ...b.shape.slice(1)] }))];
    g.output({ name: logits, elemType: 'float', shape: ['N', K] });
    for (const b of this.buffers) g.output({ name: b.output, elemType: 'float', shape: ['N', ...b.shape.slice(1)] });
    if (options.softmax) {
      g.node('Softmax', [logits], { axis: 1 }, { outputNames: ['probabilities'] });
      g.output({ name: 'probabilities', elemType: 'float', shape: ['N', K] });
      outputs.push({ name: 'probabilities', shape: ['N', K] });
    }
    this.sd.assertAllUsed();
    const opset = options.opset ?? SUPPORTED_OPSETS.default;
    const metadata = online ? { ...options.metadata, 'tsm.online_buffers': JSON.stringify(this.buffers) } : options.metadata;
    const bytes = g.toModel({ opset, producerVersion: options.producerVersion, graphName: spec.name, metadata, docString: `${spec.name} exported by tsm` });
    return {
      bytes,
      buffers: this.buffers,
      inputs: [{ name: inputName, shape: inputShape }, ...this.buffers.map((b) => ({ name: b.input, shape: ['N', ...b.shape.slice(1)] }))],
      outputs,
      opHistogram: g.opHistogram(),
      weightBytes: g.weightBytes(),
    };
  }
}

export function buildTsnGraph(spec: ArchSpec, stateDict: ReadonlyMap<string, Tensor>, options: BuildOptions): BuiltGraph {
  const opset = options.opset ?? SUPPORTED_OPSETS.default;
  if (!Number.isInteger(opset) || opset < SUPPORTED_OPSETS.min || opset > SUPPORTED_OPSETS.max) {
    throw new TsmError('usage', 'E_BAD_FLAG', `--opset ${opset} is not supported; use ${SUPPORTED_OPSETS.min}–${SUPPORTED_OPSETS.max}`, { details: { expected: SUPPORTED_OPSETS, found: opset } });
  }
  return new TsnGraph(spec, stateDict, options.fp16Weights).build(options);
}
