/**
 * A model as an app uses it (browser-safe): its metadata read the way verify reads it, frames sampled, scaled,
 * cropped and normalised by the same code and WebAssembly kernels, and onnxruntime (the environment's: Node's or the
 * web's) running the clip or stepping the online model with its shift buffers carried.
 */
import { TsmError } from '../errors.js';
import {
  type CropSource,
  cropBoxes,
  type FrameRequest,
  type Normalization,
  normalizationFor,
  writeNormalizedCrop,
} from '../frames/pixels.js';
import { uniformIndices } from '../frames/sampling.js';
import { type ModelInfo, readModelInfo } from '../inference/model-info.js';
import { softmax, topK } from '../inference/scores.js';
import { IMAGENET_MEAN, IMAGENET_STD, scaleShortSideOf } from '../model/preprocessing.js';
import { parseStreamingProtocol, type StreamingProtocol, UNDECLARED_STREAMING } from '../model/streaming.js';
import type { FrameFeed } from '../stream/loop.js';
import { streamClip } from '../stream/loop.js';
import { ClipTracker } from '../stream/smoother.js';
import type { ZooEntry } from '../zoo/types.js';
import { type FrameSupply, feedOf } from './frames.js';
import { loadOrt, type OrtModule, type OrtPackage, type OrtSession, type OrtTensor } from './ort.js';
import { openStream } from './stream.js';
import type { Classification, Classifier, ClipInput, LoadOptions, Ranked } from './types.js';

/** What differs between Node and browsers: onnxruntime's package, and how frames are decoded and files opened. */
export interface RuntimeEnv extends FrameSupply {
  readonly ort: OrtPackage;
}

/** A model's bytes and where they came from. */
export interface ModelBytes {
  readonly bytes: Uint8Array;
  readonly name: string;
  readonly entry?: ZooEntry;
  readonly zoo?: string;
  readonly artifact?: string;
}

/** One online step's state: the shift buffers, fed back from each step's outputs. */
interface Buffer {
  readonly input: string;
  readonly output: string;
  readonly shape: readonly number[];
}

/** The model's mean, std and input range (its `tsm.preprocessing`; ImageNet's for a model that says nothing). */
function normalizationOf(info: ModelInfo, name: string): Normalization {
  const raw = info.metadata['tsm.preprocessing'];
  const p = raw ? (JSON.parse(raw) as { mean?: number[]; std?: number[]; inputRange?: [number, number] }) : {};
  if (info.channels !== 3) {
    throw new TsmError('usage', 'E_FLOW_INPUT', `${name} is a Flow model; tsm/runtime classifies RGB frames`, {
      details: { model: name, channels: info.channels },
    });
  }
  return normalizationFor(p.mean ?? IMAGENET_MEAN, p.std ?? IMAGENET_STD, p.inputRange ?? [0, 1]);
}

function sessionOptions(options: LoadOptions): Record<string, unknown> {
  return {
    graphOptimizationLevel: 'all',
    ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
    ...(options.executionProviders ? { executionProviders: [...options.executionProviders] } : {}),
    ...options.sessionOptions,
  };
}

export function ranked(logits: ArrayLike<number>, labels: readonly string[], k: number): Ranked[] {
  const p = softmax(logits);
  return topK(logits, Math.min(k, logits.length)).map((i) => ({
    label: labels[i] ?? `class_${i}`,
    index: i,
    score: p[i],
  }));
}

/** An online model's step function over a session, buffers zeroed by `reset`. */
export function onlineStepper(ort: OrtModule, session: OrtSession, info: ModelInfo, buffers: readonly Buffer[]) {
  let state = new Map<string, OrtTensor>();
  const reset = () => {
    state = new Map(
      buffers.map((b) => [
        b.input,
        new ort.Tensor('float32', new Float32Array(b.shape.reduce((a, c) => a * c, 1)), b.shape),
      ]),
    );
  };
  reset();
  const step = async (frame: Float32Array): Promise<Float32Array> => {
    const feeds: Record<string, OrtTensor> = {
      [info.inputName]: new ort.Tensor('float32', frame, [1, 3, info.size, info.size]),
    };
    for (const [name, t] of state) feeds[name] = t;
    const out = await session.run(feeds);
    for (const b of buffers) state.set(b.input, out[b.output]);
    return Float32Array.from(out.logits.data as Float32Array);
  };
  return { step, reset };
}

/** A clip model's logits for one clip: the test protocol's uniform sampling and centre crop. */
async function runClip(
  ort: OrtModule,
  session: OrtSession,
  info: ModelInfo,
  feed: FrameFeed,
  request: FrameRequest,
  norm: Normalization,
): Promise<{ logits: Float32Array; sampled: number[] }> {
  const S = info.size;
  const T = info.segments;
  const sampled = uniformIndices(feed.count, T).map((i) => i - 1);
  const frameSize = 3 * S * S;
  const clip = new Float32Array(T * frameSize);
  for (const [t, index] of sampled.entries()) {
    const frame: CropSource = await feed.frame(index, request);
    writeNormalizedCrop(frame, cropBoxes(frame.fullWidth, frame.fullHeight, S, 1)[0], clip, t * frameSize, norm);
  }
  const dims = info.frameInput ? [1, 3, S, S] : [1, T, 3, S, S];
  const out = await session.run({ [info.inputName]: new ort.Tensor('float32', clip, dims) });
  const name = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];
  return { logits: Float32Array.from(out[name].data as Float32Array), sampled };
}

export async function createClassifier(env: RuntimeEnv, model: ModelBytes, options: LoadOptions): Promise<Classifier> {
  const info = readModelInfo(model.bytes, model.name);
  const norm = normalizationOf(info, model.name);
  const scale = scaleShortSideOf(info.metadata, info.size, model.name).scaleShortSide;
  const ort = await loadOrt(env.ort);
  const session = await ort.InferenceSession.create(model.bytes, sessionOptions(options));
  const labels = info.labels ?? model.entry?.labels ?? Array.from({ length: info.classes }, (_, k) => `class_${k}`);
  const rawBuffers = info.metadata['tsm.online_buffers'];
  const buffers: Buffer[] | undefined = rawBuffers ? JSON.parse(rawBuffers) : undefined;
  const protocol: StreamingProtocol = parseStreamingProtocol(info.metadata['tsm.streaming']) ?? UNDECLARED_STREAMING;
  const request: FrameRequest = { scale, cropSize: info.size, crops: 1 };
  const online = () => {
    if (!buffers)
      throw new TsmError('usage', 'E_NOT_ONLINE', `${model.name} is not an online model: stream() needs one`, {
        hint: 'pick an online model ({ query: { kind: "online" } }), or classify whole clips',
      });
    return onlineStepper(ort, session, info, buffers);
  };
  const classifyOnline = async (feed: FrameFeed, k: number): Promise<Classification> => {
    const stepper = online();
    const tracker = new ClipTracker(protocol);
    const sampled: number[] = [];
    const stepModel = { size: info.size, scale: { scaleShortSide: scale, from: 'model' as const }, step: stepper.step };
    await streamClip(stepModel, feed, { stride: protocol.stride, unreadable: 'fail', normalization: norm }, (f) => {
      tracker.push(f.logits);
      sampled.push(f.index);
    });
    const logits = Float32Array.from(tracker.windowMean(info.classes));
    const last = tracker.last >= 0 ? labels[tracker.last] : undefined;
    return { top: ranked(logits, labels, k), logits, sampled, ...(last ? { lastGesture: last } : {}) };
  };
  return {
    name: model.name,
    entry: model.entry,
    zoo: model.zoo,
    artifact: model.artifact,
    kind: buffers ? 'online' : 'clip',
    labels,
    segments: info.segments,
    scaleShortSide: scale,
    cropSize: info.size,
    async classify(input: ClipInput, o = {}) {
      const feed = await feedOf(env, input);
      const k = o.top ?? 5;
      if (buffers) return classifyOnline(feed, k);
      const { logits, sampled } = await runClip(ort, session, info, feed, request, norm);
      return { top: ranked(logits, labels, k), logits, sampled };
    },
    stream: () => openStream(env, online(), { request, norm, protocol, labels, size: info.size }),
    close: () => session.release(),
  };
}
