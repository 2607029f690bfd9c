/**
 * The seam between verify logic and the native runtime: a Runner takes a batch of clips [n, T, C, S, S] and returns
 * logits [n, classes]. The onnxruntime-node implementation lives here; tests can pass any other.
 */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { TsmError } from '../errors.js';
import { readInputBytes } from '../io.js';

export interface ModelInfo {
  readonly inputName: string;
  /** T and S from the graph input (`video` [N, T, 3, S, S] or `image` [N, 3, S, S] ⇒ T = 1) */
  readonly segments: number;
  readonly size: number;
  /** channels a segment: 3 (RGB) or 10 (Flow: 5 stacked x/y pairs) */
  readonly channels: number;
  readonly classes: number;
  readonly frameInput: boolean;
  readonly metadata: Record<string, string>;
  readonly labels?: string[];
}

export interface Runner {
  readonly info: ModelInfo;
  run(batch: Float32Array, clips: number): Promise<Float32Array>;
  close(): Promise<void>;
}

function dimValue(d: { dimValue?: unknown } | undefined): number | undefined {
  const v = d?.dimValue;
  if (v === undefined || v === null) return undefined;
  const n = Number(v);
  return n > 0 ? n : undefined;
}

/** Reads input/output shapes and tsm.* metadata from ONNX bytes. */
export function readModelInfo(bytes: Uint8Array, source: string): ModelInfo {
  let model: ReturnType<typeof onnxProto.onnx.ModelProto.decode>;
  try {
    model = onnxProto.onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new TsmError('input', 'E_NOT_ONNX', `${source}: not an ONNX model (${(err as Error).message})`, {
      details: { file: source },
    });
  }
  const graph = model.graph;
  const initializers = new Set((graph?.initializer ?? []).map((i) => i.name));
  const input = graph?.input?.find((i) => !initializers.has(i.name));
  const output = graph?.output?.[0];
  const inDims = input?.type?.tensorType?.shape?.dim ?? [];
  const outDims = output?.type?.tensorType?.shape?.dim ?? [];
  const metadata = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const frameInput = inDims.length === 4;
  const segments = frameInput ? 1 : dimValue(inDims[1] as never);
  const size = dimValue(inDims[inDims.length - 1] as never);
  const channels = dimValue(inDims[inDims.length - 3] as never);
  const classes = dimValue(outDims[1] as never);
  if (
    !input?.name ||
    (inDims.length !== 5 && inDims.length !== 4) ||
    !segments ||
    !size ||
    !classes ||
    (channels !== 3 && channels !== 10)
  ) {
    throw new TsmError(
      'unsupported',
      'E_MODEL_SHAPE',
      `${source}: expected an input [N, T, C, S, S] (or [N, C, S, S]) with C = 3 (RGB) or 10 (Flow), static T and S, ` +
        `and an output [N, classes]`,
      {
        details: { file: source, input: input?.name, rank: inDims.length },
      },
    );
  }
  let labels: string[] | undefined;
  try {
    labels = metadata['tsm.labels'] ? JSON.parse(metadata['tsm.labels']) : undefined;
  } catch {
    labels = undefined;
  }
  return { inputName: input.name, segments, size, channels, classes, frameInput, metadata, labels };
}

export interface OrtRunnerOptions {
  readonly threads?: number;
  /** every output of each run (not of a warm-up run), e.g. to observe activations for calibration */
  readonly onOutputs?: (outputs: Readonly<Record<string, ort.Tensor>>) => void;
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
