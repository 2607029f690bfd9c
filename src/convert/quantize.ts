/**
 * Static int8 conversion: the checkpoint is exported once with every activation point as an extra output, that graph
 * runs over calibration clips of a video-folder dataset (the verify pipeline: same sampling, scaling and crops as
 * evaluation) to record each activation's min/max, and the checkpoint is exported again in QDQ form with those ranges.
 */
import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import type { ClipRecord } from '../data/dataset.js';
import { TsmError } from '../errors.js';
import type { ClipJob } from '../frames/clip.js';
import { mainThreadLoader } from '../frames/clip-loader.js';
import { readClipSet } from '../frames/clip-set.js';
import { runBatches } from '../inference/batches.js';
import { createOrtRunner } from '../inference/runner.js';
import { topK } from '../inference/scores.js';
import { scaleShortSideOf } from '../model/preprocessing.js';
import { FLOW_CHANNELS } from '../model/spec.js';
import { type ActivationRange, RangeObserver } from '../onnx/qdq.js';
import { writeFileAtomically } from '../onnx/write.js';
import { calibrateOnlineActivations } from '../stream/calibrate.js';
import {
  type ConvertOptions,
  type ConvertResult,
  defaultOutputPath,
  type ExportedModel,
  exportOnnxModel,
} from './convert.js';

export interface CalibrationOptions {
  /** a dataset in the layout `tsm verify` reads */
  readonly root: string;
  readonly dataset?: string;
  readonly list?: string;
  /** the first `clips` of the list (default 20); the Jester lists interleave classes, so this spans them */
  readonly clips?: number;
  readonly threads?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface QuantizeOptions extends ConvertOptions {
  readonly calibration: CalibrationOptions;
}

/** How an int8 model was made; also stored as the model's `tsm.quantization` metadata. */
export interface QuantizationSummary {
  readonly format: 'QDQ';
  readonly activations: 'uint8, asymmetric, per tensor';
  readonly weights: 'int8, symmetric, per output channel';
  readonly bias: 'int32 at input scale × weight scale';
  readonly calibration: {
    readonly method: 'minmax';
    readonly dataset: string;
    readonly root: string;
    readonly list: string;
    readonly clips: number;
    readonly activationPoints: number;
    /** top-1 of the float model on the calibration clips (online: of the logits summed over a clip's frames), as a
     * sanity figure */
    readonly floatTop1OnCalibrationClips: number;
    readonly seconds: number;
  };
}

export interface QuantizeResult extends ConvertResult {
  readonly quantization: QuantizationSummary;
}

export const DEFAULT_CALIBRATION_CLIPS = 20;

/**
 * Runs a calibration graph (logits first, then one output per activation point) over the calibration clips and
 * returns each point's observed range.
 */
export async function calibrateActivations(
  onnx: Uint8Array,
  points: readonly string[],
  options: CalibrationOptions,
): Promise<{ ranges: ActivationRange[]; clips: number; floatTop1: number; seconds: number }> {
  const started = performance.now();
  const clipsWanted = options.clips ?? DEFAULT_CALIBRATION_CLIPS;
  if (!Number.isInteger(clipsWanted) || clipsWanted < 1) {
    throw new TsmError('usage', 'E_BAD_FLAG', `--calibration-clips must be a positive integer, got ${clipsWanted}`);
  }
  const observer = new RangeObserver(points.length);
  const runner = await createOrtRunner(onnx, {
    threads: options.threads ?? 2,
    onOutputs: (out) => {
      for (const [i, name] of points.entries()) observer.observe(i, out[name].data as Float32Array);
    },
  });
  const loader = mainThreadLoader();
  try {
    const { info } = runner;
    const set = readClipSet(
      {
        model: '<calibration graph>',
        dataset: options.dataset ?? 'jester',
        root: options.root,
        list: options.list,
        maxNum: clipsWanted,
      },
      info.channels === FLOW_CHANNELS,
      [],
    );
    if (info.classes !== set.categories.length) {
      throw new TsmError(
        'usage',
        'E_CLASSES_MISMATCH',
        `the model has ${info.classes} classes but the calibration set's category list has ${set.categories.length}`,
        {
          details: { expected: set.categories.length, found: info.classes },
        },
      );
    }
    const scale = scaleShortSideOf(info.metadata, info.size, '<calibration graph>').scaleShortSide;
    const jobOf = (record: ClipRecord): ClipJob => ({
      root: options.root,
      config: set.config,
      id: record.id,
      frames: record.frames,
      segments: info.segments,
      size: info.size,
      scale,
      crops: 1,
      sampling: 'uniform',
      resize: 'pillow',
      ...(set.flow ? { flow: { layout: set.flow.layout, newLength: set.flow.newLength } } : {}),
    });
    let correct = 0;
    let scored = 0;
    // One clip per run keeps the observed activations (hundreds of MB for a ResNet-50 clip) bounded.
    await runBatches(set.clips, {
      runner,
      loader,
      batch: 1,
      viewsPerClip: 1,
      viewSize: info.segments * info.channels * info.size * info.size,
      jobOf,
      onClip: (record, logits) => {
        scored++;
        if (topK(logits, 1)[0] === record.label) correct++;
      },
      onBatch: (_, done) => options.onProgress?.(done, set.clips.length),
    });
    if (!scored) throw new TsmError('input', 'E_NO_CLIPS', `no calibration clip could be read under ${options.root}`);
    return {
      ranges: observer.ranges(),
      clips: scored,
      floatTop1: correct / scored,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await loader.close();
    await runner.close();
  }
}

/** Checkpoint → calibrated int8 ONNX bytes (nothing written). */
export async function exportInt8Model(
  options: Omit<QuantizeOptions, 'output'>,
): Promise<ExportedModel & { readonly quantization: QuantizationSummary }> {
  if (options.fp16Weights) throw new TsmError('usage', 'E_BAD_FLAG', '--fp16 and --int8 exclude each other');
  const calibrationGraph = exportOnnxModel({ ...options, precision: { mode: 'calibrate' } });
  const c = options.calibration;
  const clips = c.clips ?? DEFAULT_CALIBRATION_CLIPS;
  // an online export is calibrated the way it runs: frame by frame, with its shift buffers carried
  const calibrated = calibrationGraph.buffers
    ? await calibrateOnlineActivations(calibrationGraph.onnx, calibrationGraph.calibrationOutputs, { ...c, clips })
    : await calibrateActivations(calibrationGraph.onnx, calibrationGraph.calibrationOutputs, c);
  const dataset = c.dataset ?? 'jester';
  const quantization: QuantizationSummary = {
    format: 'QDQ',
    activations: 'uint8, asymmetric, per tensor',
    weights: 'int8, symmetric, per output channel',
    bias: 'int32 at input scale × weight scale',
    calibration: {
      method: 'minmax',
      dataset,
      root: basename(resolve(c.root)),
      list: c.list ? basename(c.list) : 'default',
      clips: calibrated.clips,
      activationPoints: calibrationGraph.calibrationOutputs.length,
      floatTop1OnCalibrationClips: calibrated.floatTop1,
      seconds: calibrated.seconds,
    },
  };
  const exported = exportOnnxModel({
    ...options,
    precision: { mode: 'int8', ranges: calibrated.ranges },
    extraMetadata: { 'tsm.quantization': JSON.stringify(quantization) },
  });
  return { ...exported, quantization };
}

/** `tsm convert --int8`: calibrate, export in QDQ form, write atomically. */
export async function quantizeCheckpoint(options: QuantizeOptions): Promise<QuantizeResult> {
  const { onnx, calibrationOutputs: _, ...exported } = await exportInt8Model(options);
  const output = options.output ?? defaultOutputPath(options.input).replace(/\.onnx$/, '.int8.onnx');
  writeFileAtomically(output, onnx);
  return { ...exported, output, sha256: createHash('sha256').update(onnx).digest('hex') };
}
