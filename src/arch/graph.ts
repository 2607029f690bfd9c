/**
 * ArchSpec + state dict → ONNX graph of the whole TSN/TSM model: video [N, T, C, S, S] → logits [N, classes]
 * (C = 3 for RGB, 10 for Flow), the backbone on all N·T frames (its architecture module builds it), BatchNorm folded
 * into convs, average consensus over T. The precision modes are one mechanism in src/onnx/graph.ts.
 */
import { TsmError } from '../errors.js';
import type { ArchSpec } from '../model/spec.js';
import type { SerializedModel } from '../onnx/builder.js';
import { type Feature, GraphContext, type GraphPrecision, type ShiftBuffer } from '../onnx/graph.js';
import { checkOpset, requireOpsetFor, SUPPORTED_OPSETS } from '../onnx/opset.js';
import { headAndConsensus } from './blocks/head.js';
import { moduleOf } from './registry.js';
import type { StateDict } from './tensors.js';

export type { GraphPrecision, ShiftBuffer };
export { SUPPORTED_OPSETS };

export interface BuildOptions {
  /** SUPPORTED_OPSETS (src/onnx/opset.ts); default 13 (10 for OpenCV DNN: Clip and Pad with attributes) */
  readonly opset?: number;
  readonly softmax?: boolean;
  /** store conv and head weights as fp16 (half the file); a Cast makes them fp32 again, folded at session start */
  readonly fp16Weights?: boolean;
  readonly producerVersion: string;
  readonly metadata: Record<string, string>;
  /** float (default); `calibrate`: every activation to quantise becomes an extra output; `int8`: QDQ with these ranges
   * */
  readonly precision?: GraphPrecision;
}

export interface IoSpec {
  readonly name: string;
  readonly shape: ReadonlyArray<number | string>;
}

export interface BuiltGraph {
  /** the ONNX model as chunks (initializer data not copied); GraphBuilder.toModel-style concatenation gives the bytes
   * */
  readonly model: SerializedModel;
  readonly buffers: readonly ShiftBuffer[];
  readonly inputs: readonly IoSpec[];
  readonly outputs: readonly IoSpec[];
  readonly opHistogram: Record<string, number>;
  readonly weightBytes: number;
  /** calibrate mode: the extra outputs, in activation-point order */
  readonly calibrationOutputs: readonly string[];
}

function buildGraph(ctx: GraphContext, options: BuildOptions): BuiltGraph {
  const { spec, g } = ctx;
  const S = spec.inputSize;
  const T = spec.segments;
  const C = spec.inputChannels;
  const module = moduleOf(spec.backbone);
  module.checkPrecision(spec.backbone, ctx.precision);
  const online = spec.kind === 'online';
  const image = spec.kind === 'image' || online;
  const inputName = online ? 'frame' : image ? 'image' : 'video';
  const inputShape = image ? ['N', C, S, S] : ['N', T, C, S, S];
  const input = g.input({ name: inputName, elemType: 'float', shape: inputShape });
  const reshaped = image
    ? input
    : ctx.declareFrames(
        g.op('Reshape', [input, g.int64s('frames_shape', [-1, C, S, S])], {}, ctx.half ? 'frames_fp32' : 'frames'),
        C,
        S,
        S,
        'float',
      );
  const frames = ctx.half
    ? image
      ? g.op('Cast', [reshaped], { to: 10 }, 'image_fp16')
      : ctx.declareFrames(g.op('Cast', [reshaped], { to: 10 }, 'frames'), C, S, S)
    : reshaped;
  let f: Feature = { x: frames, c: C, h: S, w: S };
  f = module.build(ctx, f, spec.backbone);
  if (f.h < 1 || f.w < 1) throw new TsmError('usage', 'E_BAD_FLAG', `input size ${S} is too small for ${spec.name}`);
  const K = spec.head.classes;
  let logits = headAndConsensus(ctx, f, ctx.half ? 'logits_fp16' : 'logits');
  if (ctx.half) logits = g.node('Cast', [logits], { to: 1 }, { outputNames: ['logits'] })[0];
  const outputs: IoSpec[] = [
    { name: 'logits', shape: ['N', K] },
    ...ctx.buffers.map((b) => ({ name: b.output, shape: ['N', ...b.shape.slice(1)] })),
  ];
  g.output({ name: logits, elemType: 'float', shape: ['N', K] });
  // calibrate mode: every activation point is an output too (frames of all clips, so the first dim is N·T)
  const calibrating = ctx.precision.mode === 'calibrate';
  for (const x of calibrating ? ctx.calibrationOutputs : [])
    g.output({ name: x, elemType: 'float', shape: ['NT', 'C', 'H', 'W'] });
  for (const b of ctx.buffers) g.output({ name: b.output, elemType: 'float', shape: ['N', ...b.shape.slice(1)] });
  if (options.softmax) {
    g.node('Softmax', [logits], { axis: 1 }, { outputNames: ['probabilities'] });
    g.output({ name: 'probabilities', elemType: 'float', shape: ['N', K] });
    outputs.push({ name: 'probabilities', shape: ['N', K] });
  }
  ctx.sd.assertAllUsed();
  const { opset } = ctx.ops;
  const metadata = online
    ? { ...options.metadata, 'tsm.online_buffers': JSON.stringify(ctx.buffers) }
    : options.metadata;
  const model = g.serialize({
    opset,
    producerVersion: options.producerVersion,
    graphName: spec.name,
    metadata,
    docString: `${spec.name} exported by tsm`,
  });
  return {
    model,
    buffers: ctx.buffers,
    inputs: [
      { name: inputName, shape: inputShape },
      ...ctx.buffers.map((b) => ({ name: b.input, shape: ['N', ...b.shape.slice(1)] })),
    ],
    outputs,
    opHistogram: g.opHistogram(),
    weightBytes: g.weightBytes(),
    calibrationOutputs: calibrating ? [...ctx.calibrationOutputs] : [],
  };
}

export function buildTsnGraph(spec: ArchSpec, stateDict: StateDict, options: BuildOptions): BuiltGraph {
  const opset = options.opset ?? SUPPORTED_OPSETS.default;
  checkOpset(opset);
  if (options.precision?.mode === 'fp16' && spec.kind === 'online') {
    throw new TsmError('unsupported', 'E_UNSUPPORTED', 'fp16 compute is not available for online (streaming) exports', {
      hint: 'use --fp16 alone (fp16 weights, fp32 compute)',
    });
  }
  if (options.precision && options.precision.mode !== 'float' && options.precision.mode !== 'fp16') {
    requireOpsetFor('int8', opset);
    if (options.fp16Weights) throw new TsmError('usage', 'E_BAD_FLAG', '--fp16 and --int8 exclude each other');
  }
  const names = { node: stateDict.nodeName, model: stateDict.modelName };
  const { fp16Weights, precision } = options;
  return buildGraph(new GraphContext(spec, stateDict.map, { fp16Weights, precision, opset, names }), options);
}
