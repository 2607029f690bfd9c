/**
 * The online frame loop, once (predict, stream, verify's streamed protocol and int8 calibration of online models all
 * run it): every `stride`-th frame of a clip, scaled to the model's declared short side, centre-cropped and
 * normalised, stepped through an online model with its shift buffers carried. What a caller keeps of each frame's
 * logits (a tracker, a sum, timings) it takes in `onFrame`.
 */
import {
  type CropSource,
  cropBoxes,
  type FrameRequest,
  type Normalization,
  writeNormalizedCrop,
} from '../frames/pixels.js';
import type { OnlineModel } from '../inference/online.js';

/** A clip's frames: a frame source (video, animation, folder) or a dataset clip's frame files. */
export interface FrameFeed {
  readonly count: number;
  /** frame `index` (0-based), scaled as `request` says; rejects when it cannot be read */
  frame(index: number, request: FrameRequest): Promise<CropSource>;
}

export interface SteppedFrame {
  /** 0-based index of the source frame */
  readonly index: number;
  readonly logits: Float32Array;
  /** from the end of the previous frame: read, decode, scale, normalise, infer */
  readonly frameMs: number;
  readonly inferenceMs: number;
}

export interface LoopOptions {
  readonly stride: number;
  /** a frame that cannot be read: skipped (a stream has no "frame 1" to fall back to), or the clip fails */
  readonly unreadable: 'skip' | 'fail';
  /** the model's mean and std (default ImageNet's) */
  readonly normalization?: Normalization;
}

/** Streams one clip from the model's current state (reset it first for a new clip); counts frames fed and skipped. */
export async function streamClip(
  model: Pick<OnlineModel, 'size' | 'scale' | 'step'>,
  feed: FrameFeed,
  options: LoopOptions,
  onFrame: (frame: SteppedFrame) => void,
): Promise<{ fed: number; skipped: number }> {
  const S = model.size;
  const request: FrameRequest = { scale: model.scale.scaleShortSide, cropSize: S, crops: 1 };
  const input = new Float32Array(3 * S * S);
  let fed = 0;
  let skipped = 0;
  let t0 = performance.now();
  for (let index = 0; index < feed.count; index += options.stride) {
    let frame: CropSource;
    try {
      frame = await feed.frame(index, request);
    } catch (err) {
      if (options.unreadable === 'fail') throw err;
      skipped++;
      t0 = performance.now();
      continue;
    }
    writeNormalizedCrop(frame, cropBoxes(frame.fullWidth, frame.fullHeight, S, 1)[0], input, 0, options.normalization);
    const t1 = performance.now();
    const logits = Float32Array.from(await model.step(input));
    const t2 = performance.now();
    fed++;
    onFrame({ index, logits, frameMs: t2 - t0, inferenceMs: t2 - t1 });
    t0 = performance.now();
  }
  return { fed, skipped };
}
