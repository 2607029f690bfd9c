/**
 * `tsm predict`: one clip (video, animation or frame folder) through one model (.onnx, a checkpoint converted in
 * memory, or a zoo id), sampled and preprocessed by the model's own protocol; the top classes with their scores.
 * A clip model gets the test protocol's uniform sampling and centre crop; an online model is streamed at its declared
 * stride and reports its last gesture.
 */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { exportOnnxModel } from '../convert/convert.js';
import { TsmError } from '../errors.js';
import { uniformIndices } from '../frames/sampling.js';
import { type FrameSource, openFrameSource } from '../frames/source.js';
import { cropBoxes, writeNormalizedCrop } from '../frames/transforms.js';
import { openOnlineModel } from '../inference/online.js';
import { createOrtRunner, loadModel } from '../inference/runner.js';
import { softmax, topK } from '../inference/scores.js';
import { scaleShortSideOf } from '../model/preprocessing.js';
import { type StreamingProtocol, UNDECLARED_STREAMING } from '../model/streaming.js';
import { streamClip } from '../stream/loop.js';
import { ClipTracker } from '../stream/smoother.js';
import { fetchModel } from '../zoo/cache.js';
import { locateZoo, type ZooLocation } from '../zoo/locate.js';

export interface PredictOptions {
  readonly model: string;
  readonly input: string;
  readonly top?: number;
  /** zoo index (path or URL) for a model given by id (default: zoo/locate.ts's choice) */
  readonly zoo?: string;
  readonly ffmpeg?: string;
  readonly threads?: number;
}

export interface Prediction {
  readonly index: number;
  readonly label: string;
  /** softmax probability over the classes */
  readonly score: number;
  readonly logit: number;
}

export interface PredictResult {
  readonly model: string;
  /** for a model given by id: the zoo it came from, and why that one */
  readonly zoo?: ZooLocation;
  readonly input: string;
  readonly source: FrameSource['kind'];
  readonly frames: number;
  /** the 1-based frames the model saw */
  readonly sampled: readonly number[];
  readonly protocol: {
    readonly kind: 'clip' | 'stream';
    readonly segments: number;
    readonly scaleShortSide: number;
    readonly cropSize: number;
    readonly streaming?: StreamingProtocol;
  };
  readonly top: readonly Prediction[];
  /** online models: the last gesture reported while streaming (undefined when none was) */
  readonly lastGesture?: string;
  /** e.g. a scale the model declares that is not upstream's */
  readonly warnings: readonly string[];
}

const CHECKPOINT = /\.(pth|pt|tar|safetensors)$/i;

/** The model as ONNX bytes, and what to call it. */
async function resolveModelBytes(
  model: string,
  zoo?: string,
): Promise<{ bytes: Uint8Array; name: string; zoo?: ZooLocation }> {
  if (existsSync(model)) {
    if (extname(model).toLowerCase() === '.onnx') return { bytes: loadModel(model).bytes, name: model };
    if (CHECKPOINT.test(model)) return { bytes: exportOnnxModel({ input: model }).onnx, name: model };
    throw new TsmError(
      'usage',
      'E_MODEL_KIND',
      `${model}: expected an .onnx model, a checkpoint (.pth, .pth.tar, .pt, .safetensors) or a zoo id`,
      { details: { file: model } },
    );
  }
  if (/[/\\]/.test(model) || CHECKPOINT.test(model) || /\.onnx$/i.test(model))
    throw new TsmError('input', 'E_NOT_FOUND', `${model}: model not found`, { details: { file: model } });
  const [id, range] = model.split('@');
  const where = locateZoo(zoo);
  const fetched = await fetchModel({ id, version: range, published: false }, { zoo: where.location });
  return { bytes: loadModel(fetched.path).bytes, name: `${fetched.entry.id}@${fetched.entry.version}`, zoo: where };
}

function ranked(logits: ArrayLike<number>, labels: readonly string[] | undefined, k: number): Prediction[] {
  const p = softmax(logits);
  return topK(logits, Math.min(k, logits.length)).map((i) => ({
    index: i,
    label: labels?.[i] ?? `class_${i}`,
    score: p[i],
    logit: logits[i],
  }));
}

export async function predict(options: PredictOptions): Promise<PredictResult> {
  const { bytes, name, zoo } = await resolveModelBytes(options.model, options.zoo);
  const info = loadModel(bytes).info;
  if (info.channels !== 3) {
    // a Flow model's input is optical flow (x/y image pairs), which no RGB frame or video gives
    throw new TsmError(
      'usage',
      'E_FLOW_INPUT',
      `${name} is a Flow model (${info.channels} channels a segment: stacked x/y optical-flow images); predict ` +
        `reads RGB frames and videos`,
      {
        hint:
          'score flow frames with tsm verify (--dataset ucf101 | something | somethingv2 | kinetics, or ' +
          '--template for your layout)',
        details: { model: name, channels: info.channels },
      },
    );
  }
  const source = await openFrameSource(options.input, { ffmpeg: options.ffmpeg });
  const S = info.size;
  const choice = scaleShortSideOf(info.metadata, S, name);
  const scale = choice.scaleShortSide;
  const warnings = choice.warning ? [choice.warning] : [];
  const request = { scale, cropSize: S, crops: 1 as const };
  const k = options.top ?? 5;
  const common = {
    model: name,
    ...(zoo ? { zoo } : {}),
    input: options.input,
    source: source.kind,
    frames: source.count,
    warnings,
  };
  if (info.metadata['tsm.online_buffers'])
    return { ...common, ...(await predictStreamed(bytes, source, k, options.threads)) };
  const T = info.segments;
  const sampled = uniformIndices(source.count, T);
  const frameSize = 3 * S * S;
  const clip = new Float32Array(T * frameSize);
  for (const [t, index] of sampled.entries()) {
    const frame = await source.frame(index - 1, request);
    writeNormalizedCrop(frame, cropBoxes(frame.fullWidth, frame.fullHeight, S, 1)[0], clip, t * frameSize);
  }
  const runner = await createOrtRunner(bytes, { threads: options.threads });
  try {
    const logits = await runner.run(clip, 1);
    return {
      ...common,
      sampled,
      protocol: { kind: 'clip', segments: T, scaleShortSide: scale, cropSize: S },
      top: ranked(logits, info.labels, k),
    };
  } finally {
    await runner.close();
  }
}

/** An online model streamed over the clip at its declared stride: the last window's scores, the last gesture. */
async function predictStreamed(
  bytes: Uint8Array,
  source: FrameSource,
  k: number,
  threads?: number,
): Promise<Pick<PredictResult, 'sampled' | 'protocol' | 'top' | 'lastGesture'>> {
  const model = await openOnlineModel(bytes, { threads });
  try {
    const protocol = model.streaming ?? UNDECLARED_STREAMING;
    const tracker = new ClipTracker(protocol);
    const sampled: number[] = [];
    await streamClip(model, source, { stride: protocol.stride, unreadable: 'fail' }, ({ index, logits }) => {
      tracker.push(logits);
      sampled.push(index + 1);
    });
    const last = tracker.last;
    return {
      sampled,
      protocol: {
        kind: 'stream',
        segments: 1,
        scaleShortSide: model.scale.scaleShortSide,
        cropSize: model.size,
        streaming: protocol,
      },
      top: ranked(tracker.windowMean(model.classes), model.labels, k),
      lastGesture: last >= 0 ? (model.labels?.[last] ?? `class_${last}`) : undefined,
    };
  } finally {
    await model.close();
  }
}
