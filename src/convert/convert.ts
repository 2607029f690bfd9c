/** The convert pipeline: file → Checkpoint → ArchSpec → ONNX bytes → file, each stage a plain function. */
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { buildTsnGraph, type GraphPrecision, type IoSpec, type ShiftBuffer, SUPPORTED_OPSETS } from '../arch/graph.js';
import { type ArchOverrides, detectArch } from '../arch/registry.js';
import { summarizeArch } from '../arch/summary.js';
import { JESTER_LABELS } from '../data/jester.js';
import { TsmError } from '../errors.js';
import { readInputBytes, readInputText } from '../io.js';
import { MMACTION2_PROTOCOL_KEY, type MmActionTestProtocol } from '../model/mmaction2-protocol.js';
import { type Preprocessing, preprocessingFor } from '../model/preprocessing.js';
import type { ArchSpec, ArchSpecSummary, ComputeDtype } from '../model/spec.js';
import { JESTER_STREAMING, type StreamingProtocol } from '../model/streaming.js';
import { concatModel, type SerializedModel } from '../onnx/builder.js';
import { writeChunksAtomically } from '../onnx/write.js';
import { DTYPES } from '../pth/dtypes.js';
import { readCheckpoint } from '../pth/read.js';
import { numelOf, type Tensor } from '../pth/tensor.js';
import { TSM_VERSION } from '../version.js';

export interface ConvertOptions {
  readonly input: string;
  readonly output?: string;
  readonly overrides?: ArchOverrides;
  readonly labelsFile?: string;
  readonly opset?: number;
  readonly softmax?: boolean;
  readonly fp16Weights?: boolean;
  /** weights and activations in fp16 (float32 in and out); for runtimes with fp16 kernels (GPU, WebGPU, ARM) */
  readonly fp16Compute?: boolean;
  /** online exports: how the model is to be fed (default: Jester's, src/model/streaming.ts) */
  readonly streaming?: Partial<StreamingProtocol>;
  /** pickle globals read as data outside the weights (`--allow-global`, torch's add_safe_globals) */
  readonly allowGlobals?: readonly string[];
}

/** What exportOnnxModel takes beyond ConvertOptions: the activation precision (int8 goes through quantizeCheckpoint).
 * */
export interface ExportOptions extends Omit<ConvertOptions, 'output'> {
  readonly precision?: GraphPrecision;
  /** extra `tsm.*` metadata entries (e.g. how an int8 model was calibrated) */
  readonly extraMetadata?: Record<string, string>;
}

export interface ConvertResult {
  readonly output: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly arch: ArchSpecSummary;
  readonly inputs: readonly IoSpec[];
  readonly outputs: readonly IoSpec[];
  readonly opset: number;
  readonly opHistogram: Record<string, number>;
  readonly weightBytes: number;
  readonly checkpointFloatBytes: number;
  /** online models: the shift buffers to carry from one frame to the next */
  readonly buffers?: readonly ShiftBuffer[];
  /** online models: how to feed them (also in the model's `tsm.streaming` metadata) */
  readonly streaming?: StreamingProtocol;
  readonly labels: readonly string[];
  readonly preprocessing: Preprocessing;
  /** what the graph computes in (its `tsm.compute_dtype`) */
  readonly computeDtype: ComputeDtype;
  readonly warnings: readonly string[];
  /** `folder`: the run folder whose name gave the config (the file's own name carries none) */
  readonly source: {
    readonly file: string;
    readonly sha256: string;
    readonly format: string;
    readonly folder?: string;
  };
  /** the TSM name the config (segments, shift fold, …) was read from, and whether it is the file's or its folder's */
  readonly configName?: { readonly from: 'file' | 'folder'; readonly name: string };
  /** MMAction2 files: where their settings came from and the test protocol written as `tsm.mmaction2` */
  readonly mmaction2?: { readonly said: string; readonly protocol: MmActionTestProtocol };
}

export type { ArchSpecSummary, ComputeDtype, Preprocessing };

/** Bytes of the floating-point weights: what the ONNX file size is held against. */
function floatBytes(stateDict: ReadonlyMap<string, Tensor>): number {
  let bytes = 0;
  for (const t of stateDict.values())
    if (DTYPES[t.dtype].floating) bytes += numelOf(t.shape) * DTYPES[t.dtype].itemSize;
  return bytes;
}

export function readLabels(path: string, classes: number): string[] {
  const labels = readInputText(path, 'labels file')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (labels.length !== classes) {
    throw new TsmError(
      'usage',
      'E_LABELS_MISMATCH',
      `${path} has ${labels.length} labels but the model has ${classes} classes`,
      { details: { file: path, expected: classes, found: labels.length } },
    );
  }
  return labels;
}

/** Labels known from the name (Jester's), else `class_i` with a warning: no checkpoint format carries labels. */
function defaultLabels(
  spec: ArchSpec,
  dataset: string | undefined,
  input: string,
): { labels: string[]; warning?: string } {
  // TSM names carry the dataset; the online demo's file (mobilenetv2_jester_online.pth.tar) only mentions it
  const jester = dataset === 'jester' || (!dataset && /jester/i.test(basename(input)));
  if (jester && spec.head.classes === JESTER_LABELS.length) return { labels: [...JESTER_LABELS] };
  const n = spec.head.classes;
  return {
    labels: Array.from({ length: n }, (_, i) => `class_${i}`),
    warning:
      `no labels in the checkpoint or known for its name: classes are named class_0 … class_${n - 1}; pass ` +
      `--labels category.txt (one label a line) to name them`,
  };
}

export function defaultOutputPath(input: string): string {
  return join(dirname(input), `${basename(input).replace(/\.(pth\.tar|pth|pt|tar|safetensors)$/i, '')}.onnx`);
}

/** Everything convert computes, before anything is written. */
export interface ExportedModel extends Omit<ConvertResult, 'output' | 'sha256'> {
  readonly onnx: Uint8Array;
  /** calibrate precision: the extra outputs, in activation-point order */
  readonly calibrationOutputs: readonly string[];
}

/** Checkpoint file → ONNX bytes and what was learnt on the way (no file written). */
export function exportOnnxModel(options: ExportOptions): ExportedModel {
  const { model, ...exported } = exportOnnxParts(options);
  return { ...exported, onnx: concatModel(model) };
}

/** The export with the model as chunks, which a writer streams without joining them. */
function exportOnnxParts(options: ExportOptions): Omit<ExportedModel, 'onnx'> & { readonly model: SerializedModel } {
  const fileBytes = readInputBytes(options.input, 'checkpoint');
  const ckpt = readCheckpoint(fileBytes, { source: options.input, allowGlobals: options.allowGlobals });
  const sourceSha = createHash('sha256').update(fileBytes).digest('hex');
  const detected = detectArch(ckpt.stateDict, {
    fileName: options.input,
    overrides: options.overrides,
    meta: ckpt.meta,
  });
  const { spec, fileName } = detected;
  const labelled = options.labelsFile
    ? { labels: readLabels(options.labelsFile, spec.head.classes) }
    : defaultLabels(spec, fileName?.dataset, options.input);
  const labels = labelled.labels;
  const warnings = [...detected.warnings, ...(labelled.warning ? [labelled.warning] : [])];
  const preprocessing = preprocessingFor(spec);
  const arch = summarizeArch(spec);
  const streaming = spec.kind === 'online' ? { ...JESTER_STREAMING, ...options.streaming } : undefined;
  const named = detected.named;
  const source = {
    file: basename(options.input),
    sha256: sourceSha,
    format: ckpt.format,
    ...(named?.from === 'folder' ? { folder: named.name } : {}),
  };
  const opset = options.opset ?? SUPPORTED_OPSETS.default;
  const precision = options.precision ?? (options.fp16Compute ? { mode: 'fp16' as const } : undefined);
  const computeDtype: ComputeDtype =
    precision?.mode === 'int8' ? 'int8' : precision?.mode === 'fp16' ? 'float16' : 'float32';
  const built = buildTsnGraph(spec, detected.stateDict, {
    opset,
    softmax: options.softmax,
    fp16Weights: options.fp16Weights,
    precision,
    producerVersion: TSM_VERSION,
    metadata: {
      'tsm.labels': JSON.stringify(labels),
      'tsm.preprocessing': JSON.stringify(preprocessing),
      'tsm.segments': String(spec.segments),
      'tsm.arch': JSON.stringify(arch),
      'tsm.shift': JSON.stringify({
        div: spec.shift.div,
        place: spec.shift.place,
        layout: spec.shift.layout ?? null,
        blocks: spec.shift.shiftedBlocks,
      }),
      'tsm.source': JSON.stringify(source),
      'tsm.version': TSM_VERSION,
      'tsm.checkpoint_metadata': JSON.stringify(ckpt.metadata),
      'tsm.weights_dtype':
        precision?.mode === 'int8' ? 'int8' : options.fp16Weights || precision?.mode === 'fp16' ? 'float16' : 'float32',
      'tsm.compute_dtype': computeDtype,
      ...(streaming ? { 'tsm.streaming': JSON.stringify(streaming) } : {}),
      ...(detected.mmaction2 ? { [MMACTION2_PROTOCOL_KEY]: JSON.stringify(detected.mmaction2.protocol) } : {}),
      ...options.extraMetadata,
    },
  });
  return {
    model: built.model,
    bytes: built.model.byteLength,
    arch,
    inputs: built.inputs,
    outputs: built.outputs,
    opset,
    opHistogram: built.opHistogram,
    weightBytes: built.weightBytes,
    buffers: built.buffers.length ? built.buffers : undefined,
    streaming,
    calibrationOutputs: built.calibrationOutputs,
    checkpointFloatBytes: floatBytes(ckpt.stateDict),
    labels,
    preprocessing,
    computeDtype,
    warnings,
    source,
    ...(named ? { configName: { from: named.from, name: named.name } } : {}),
    ...(detected.mmaction2 ? { mmaction2: detected.mmaction2 } : {}),
  };
}

/** `tsm convert`: export, then write atomically (temp name + rename). */
export function convertCheckpoint(options: ConvertOptions): ConvertResult {
  const { model, calibrationOutputs: _, ...exported } = exportOnnxParts(options);
  const output = options.output ?? defaultOutputPath(options.input);
  writeChunksAtomically(output, model.chunks, 'convert-write');
  const hash = createHash('sha256');
  for (const chunk of model.chunks) hash.update(chunk);
  return { ...exported, output, sha256: hash.digest('hex') };
}
