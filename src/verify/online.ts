/**
 * How an online model is verified: each clip of a verify-layout set is streamed frame by frame, at the model's
 * declared stride, through the model with its shift buffers carried and reset between clips, smoothed as `tsm stream`
 * smooths; the clip counts as right when the last gesture reported is its label. Top-5 reads the logits averaged over
 * the last window. The protocol (stride, window, stable frames, what counts) is recorded with the result.
 */
import { join } from 'node:path';
import type { ClipRecord, DatasetConfig } from '../data/dataset.js';
import { TsmError } from '../errors.js';
import { datasetClipFrames } from '../frames/source.js';
import { openOnlineModel } from '../inference/online.js';
import { topK } from '../inference/scores.js';
import { type StreamingProtocol, UNDECLARED_STREAMING } from '../model/streaming.js';
import { streamClip } from '../stream/loop.js';
import { ClipTracker } from '../stream/smoother.js';
import { computeMetrics } from './metrics.js';
import type { ClipPrediction } from './scoring.js';

/** A streamed clip: `prediction` is the last gesture reported (-1 for none), `scores` the logits of the last window. */
export interface StreamedClip extends ClipPrediction {
  readonly framesFed: number;
}

export interface StreamedVerifyOptions {
  /** the online model: a path, or its bytes when the caller has read them */
  readonly model: string | Uint8Array;
  readonly root: string;
  readonly config: DatasetConfig;
  /** the list file, for messages */
  readonly list: string;
  readonly categories: readonly string[];
  /** the clips to stream (the list already read and filtered by the caller) */
  readonly clips: readonly ClipRecord[];
  readonly threads?: number;
  /** overrides of the model's declared protocol */
  readonly streaming?: Partial<StreamingProtocol>;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface StreamedVerifyResult {
  readonly labels: readonly string[];
  readonly protocol: StreamingProtocol & { readonly declaredByModel: boolean };
  readonly size: number;
  readonly scale: number;
  /** e.g. a scale the model declares that is not upstream's */
  readonly warnings: readonly string[];
  readonly metrics: ReturnType<typeof computeMetrics>;
  readonly predictions: readonly StreamedClip[];
  readonly unreadableClips: ReadonlyArray<{ readonly clip: string; readonly line: number; readonly reason: string }>;
  readonly missingFrames: number;
  readonly inferenceSeconds: number;
  /** from the first clip to the last, the model already open and warmed up */
  readonly streamSeconds: number;
}

export async function verifyStreamed(options: StreamedVerifyOptions): Promise<StreamedVerifyResult> {
  const { categories, clips } = options;
  const model = await openOnlineModel(options.model, { threads: options.threads });
  try {
    if (model.classes !== categories.length) {
      throw new TsmError(
        'usage',
        'E_CLASSES_MISMATCH',
        `the model has ${model.classes} classes but the category list has ${categories.length}`,
        { details: { expected: categories.length, found: model.classes } },
      );
    }
    const protocol = {
      ...(model.streaming ?? UNDECLARED_STREAMING),
      ...options.streaming,
      declaredByModel: model.streaming !== undefined,
    };
    const scale = model.scale.scaleShortSide;
    const predictions: StreamedClip[] = [];
    const unreadable: Array<{ clip: string; line: number; reason: string }> = [];
    let missingFrames = 0;
    let inferenceMs = 0;
    const streamStart = performance.now();
    for (let c = 0; c < clips.length; c++) {
      const record = clips[c];
      model.reset();
      const tracker = new ClipTracker(protocol);
      const feed = datasetClipFrames(options.root, options.config, record.id, record.frames);
      const { fed, skipped } = await streamClip(
        model,
        feed,
        { stride: protocol.stride, unreadable: 'skip' },
        (frame) => {
          inferenceMs += frame.inferenceMs;
          tracker.push(frame.logits);
        },
      );
      missingFrames += skipped;
      if (!fed) {
        unreadable.push({
          clip: record.id,
          line: record.line,
          reason:
            `none of its ${record.frames} frames could be read under ` +
            `${join(options.root, options.config.framesDir, record.id)}`,
        });
      } else {
        const scores = tracker.windowMean(model.classes);
        predictions.push({
          id: record.id,
          line: record.line,
          label: record.label,
          prediction: tracker.last,
          top5: topK(scores, Math.min(5, scores.length)),
          scores,
          framesFed: fed,
        });
      }
      options.onProgress?.(c + 1, clips.length);
    }
    if (!predictions.length) {
      throw new TsmError(
        'input',
        'E_NO_CLIPS_READ',
        `none of the ${clips.length} clip(s) of ${options.list} could be read (first: ${unreadable[0]?.reason})`,
        { details: { list: options.list } },
      );
    }
    return {
      labels: categories,
      protocol,
      size: model.size,
      scale,
      warnings: model.scale.warning ? [model.scale.warning] : [],
      metrics: computeMetrics(categories, predictions),
      predictions,
      unreadableClips: unreadable,
      missingFrames,
      inferenceSeconds: inferenceMs / 1000,
      streamSeconds: (performance.now() - streamStart) / 1000,
    };
  } finally {
    await model.close();
  }
}
