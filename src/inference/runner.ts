/**
 * The seam between verify logic and the native runtime: a Runner takes a batch of clips [n, T, C, S, S] and returns
 * logits [n, classes]. The onnxruntime-node implementation lives here; tests can pass any other.
 */
import type * as Ort from 'onnxruntime-node';
import { readInputBytes } from '../io.js';
import { type ModelInfo, readModelInfo } from './model-info.js';
import { onnxruntimeNode } from './ort-node.js';

export { type ModelInfo, readModelInfo };

export interface Runner {
  readonly info: ModelInfo;
  run(batch: Float32Array, clips: number): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface OrtRunnerOptions {
  readonly threads?: number;
  /** every output of each run (not of a warm-up run), e.g. to observe activations for calibration */
  readonly onOutputs?: (outputs: Readonly<Record<string, Ort.Tensor>>) => void;
  /** what readModelInfo found in these bytes, when the caller has it already (the protobuf is not decoded again) */
  readonly info?: ModelInfo;
  /** whether the runtime's threads spin waiting for work between runs (onnxruntime's default: yes) */
  readonly spinning?: boolean;
}

/** A model given as a path or as ONNX bytes: its bytes, and the name messages use for it. */
function modelSource(model: string | Uint8Array): { readonly bytes: Uint8Array; readonly source: string } {
  return typeof model === 'string'
    ? { bytes: readInputBytes(model, 'model'), source: model }
    : { bytes: model, source: '<model bytes>' };
}

/** A model given as a path or as ONNX bytes: its bytes and what readModelInfo finds in them. */
export function loadModel(model: string | Uint8Array): {
  readonly bytes: Uint8Array;
  readonly info: ModelInfo;
  readonly source: string;
} {
  const { bytes, source } = modelSource(model);
  return { bytes, info: readModelInfo(bytes, source), source };
}

/** onnxruntime's intra-op threads when the caller does not say. */
export const DEFAULT_THREADS = 2;

export async function createOrtRunner(model: string | Uint8Array, options: OrtRunnerOptions = {}): Promise<Runner> {
  const { bytes, source } = modelSource(model);
  const info = options.info ?? readModelInfo(bytes, source);
  const ort = await onnxruntimeNode();
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: options.threads ?? DEFAULT_THREADS,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    ...(options.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  });
  const outputName = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];
  return {
    info,
    async run(batch, clips) {
      const shape = info.frameInput
        ? [clips, info.channels, info.size, info.size]
        : [clips, info.segments, info.channels, info.size, info.size];
      const result = await session.run({ [info.inputName]: new ort.Tensor('float32', batch, shape) });
      options.onOutputs?.(result);
      return result[outputName].data as Float32Array;
    },
    close: () => session.release(),
  };
}
