/**
 * What a tsm ONNX model says about itself: its input and output shapes and its `tsm.*` metadata. Browser-safe (the
 * protobuf decoder only, no onnxruntime), so tsm/runtime reads a model the way verify does in both environments.
 */
import onnxProto from 'onnx-proto';
import { TsmError } from '../errors.js';

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
