/**
 * Running an online (streaming) TSM export: one frame per step, the shift buffers fed back from each step's
 * outputs to the next step's inputs (zeros before the first frame), as TSM's online demo does.
 */
import type * as Ort from 'onnxruntime-node';
import { TsmError } from '../errors.js';
import { type ScaleChoice, scaleShortSideOf } from '../model/preprocessing.js';
import { parseStreamingProtocol, type StreamingProtocol } from '../model/streaming.js';
import { onnxruntimeNode } from './ort-node.js';
import { loadModel, type OrtRunnerOptions } from './runner.js';

interface BufferSpec {
  readonly input: string;
  readonly output: string;
  readonly shape: readonly number[];
}

export interface OnlineModel {
  readonly size: number;
  readonly classes: number;
  readonly labels?: readonly string[];
  readonly buffers: readonly BufferSpec[];
  /** how the model is to be fed (`tsm.streaming`), when the export says */
  readonly streaming?: StreamingProtocol;
  /** the short side frames are scaled to before the centre crop: the model's `tsm.preprocessing`, else the rule */
  readonly scale: ScaleChoice;
  /** logits of the next frame ([3, S, S] normalised floats); carries the shift buffers */
  step(frame: Float32Array): Promise<Float32Array>;
  reset(): void;
  close(): Promise<void>;
}

export const DEFAULT_STREAM_THREADS = 1;

/** Opens an online export (a path, or ONNX bytes) for frame-by-frame stepping. */
export async function openOnlineModel(
  model: string | Uint8Array,
  options: OrtRunnerOptions = {},
): Promise<OnlineModel> {
  const { bytes, info, source: path } = loadModel(model);
  const raw = info.metadata['tsm.online_buffers'];
  if (!raw) {
    throw new TsmError('usage', 'E_NOT_ONLINE', `${path} is not an online model (no tsm.online_buffers metadata)`, {
      hint: 'convert the checkpoint with `tsm convert --online`',
    });
  }
  const buffers: BufferSpec[] = JSON.parse(raw);
  const scale = scaleShortSideOf(info.metadata, info.size, path);
  // One intra-op thread by default: a second one lowers the median (1.9 vs 2.6 ms for MobileNetV2 ×0.5 at 224) but,
  // spinning between frames on 2 cores, it competes with frame decoding and V8's GC and doubles the p99 (7 vs 3.2 ms).
  const ort = await onnxruntimeNode();
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: options.threads ?? DEFAULT_STREAM_THREADS,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  let state = new Map<string, Ort.Tensor>();
  const reset = () => {
    state = new Map(
      buffers.map((b) => [
        b.input,
        new ort.Tensor('float32', new Float32Array(b.shape.reduce((a, c) => a * c, 1)), [...b.shape]),
      ]),
    );
  };
  reset();
  // One warm-up run: onnxruntime allocates and plans on its first call, which would otherwise be the p99.
  await session.run({
    [info.inputName]: new ort.Tensor('float32', new Float32Array(3 * info.size * info.size), [
      1,
      3,
      info.size,
      info.size,
    ]),
    ...Object.fromEntries(state),
  });
  return {
    size: info.size,
    classes: info.classes,
    labels: info.labels,
    buffers,
    streaming: parseStreamingProtocol(info.metadata['tsm.streaming']),
    scale,
    async step(frame) {
      const feeds: Record<string, Ort.Tensor> = {
        [info.inputName]: new ort.Tensor('float32', frame, [1, 3, info.size, info.size]),
      };
      for (const [name, t] of state) feeds[name] = t;
      const out = await session.run(feeds);
      options.onOutputs?.(out);
      for (const b of buffers) state.set(b.input, out[b.output] as Ort.Tensor);
      return out.logits.data as Float32Array;
    },
    reset,
    close: () => session.release(),
  };
}
