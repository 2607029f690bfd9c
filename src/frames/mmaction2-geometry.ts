/**
 * The arithmetic of MMAction2's test pipeline (facts: MMACTION2-FACTS §5), apart from pixels: which frames
 * SampleFrames takes in test mode, the size Resize gives a frame, where Center/Three/TenCrop cut and in which order,
 * and how the views of a clip are laid out ([crop][sampled clip][t], FormatShape's crop-major order).
 */
import { TsmError } from '../errors.js';
import type { MmActionCropKind, MmActionTestProtocol } from '../model/mmaction2-protocol.js';
import { rescaleSizeLikeMmcv } from './resize-cv2.js';
import type { CropBox } from './transforms.js';

export type MmActionSampling = MmActionTestProtocol['sampling'];
export type MmActionResize = MmActionTestProtocol['resize'];

/** What a clip job carries for the MMAction2 pipeline (the protocol less what only scoring needs). */
export interface MmActionClipSpec {
  readonly sampling: MmActionTestProtocol['sampling'];
  /** the index of a clip's first frame: 0 for videos, 1 for frame folders (files numbered from 1) */
  readonly startIndex: number;
  readonly resize: MmActionTestProtocol['resize'];
  readonly crop: MmActionTestProtocol['crop'];
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/**
 * SampleFrames._get_test_clips then _sample_clips in test mode: avg = (N − clip_len·interval + 1) / num_clips,
 * offsets int(i·avg + avg/2) in float64 as numpy computes them (the facts' ⌊N(i+½)/n⌋ for clip_len 1), twice_sample
 * appending int(i·avg); each offset followed by clip_len frames `interval` apart; out-of-range indices wrap mod N;
 * then + startIndex. Returned flat, clip-major, as MMAction2 stores `frame_inds`. Where the video is shorter than
 * one clip (clip_len > 1 only) every offset is 0, twice_sample's too (MMAction2 then drops them, which would change
 * the number of views a clip; tsm keeps it fixed).
 */
export function mmActionFrameIndices(total: number, sampling: MmActionSampling, startIndex: number): number[] {
  const { clipLen, frameInterval, numClips, twiceSample } = sampling;
  const span = clipLen * frameInterval;
  const avg = (total - span + 1) / numClips;
  const base = Array.from({ length: numClips }, (_, i) => i * avg);
  const offsets =
    total > span - 1
      ? [...base.map((b) => Math.trunc(b + avg / 2)), ...(twiceSample ? base.map((b) => Math.trunc(b)) : [])]
      : new Array<number>(numClips * (twiceSample ? 2 : 1)).fill(0);
  return offsets.flatMap((o) =>
    Array.from({ length: clipLen }, (_, j) => ((o + j * frameInterval) % total) + startIndex),
  );
}

/** Frames SampleFrames takes from a clip: num_clips × clip_len, twice that with twice_sample. */
export function mmActionFramesPerCrop(sampling: MmActionSampling): number {
  return sampling.numClips * sampling.clipLen * (sampling.twiceSample ? 2 : 1);
}

export function mmActionCropCount(kind: MmActionCropKind): 1 | 3 | 10 {
  return kind === 'center' ? 1 : kind === 'three' ? 3 : 10;
}

/**
 * Views a clip gives a model of T segments: each crop's frames, cut into consecutive groups of T (TSMHead's
 * view(-1, T)), so the frames a crop must be a multiple of T.
 */
export function mmActionViewsPerClip(sampling: MmActionSampling, kind: MmActionCropKind, segments: number): number {
  return (mmActionFramesPerCrop(sampling) / segments) * mmActionCropCount(kind);
}

/** Resize: `shortSide` as Resize(scale=(-1, S), keep_ratio=True) through mmcv.rescale_size, or a fixed size. */
export function mmActionResizedSize(width: number, height: number, resize: MmActionResize): [number, number] {
  if ('shortSide' in resize) {
    const size = rescaleSizeLikeMmcv(width, height, [-1, resize.shortSide]);
    return [size.width, size.height];
  }
  return [resize.width, resize.height];
}

/**
 * Crop boxes on a width×height (resized) frame in MMAction2's order: CenterCrop at ((w − c)//2, (h − c)//2);
 * ThreeCrop along the long side at 0, 2·step, step (left, right, middle; the crop spans the short side, as
 * MMAction2 asserts); TenCrop at UL, UR, LL, LR, centre with steps (w − c)//4, (h − c)//4, each followed by its
 * horizontal flip. A crop that does not fit the frame is an input error naming both sizes.
 */
export function mmActionCropBoxes(width: number, height: number, kind: MmActionCropKind, size: number): CropBox[] {
  if (size > width || size > height) {
    throw new TsmError(
      'input',
      'E_MMA_CROP',
      `MMAction2 ${kind} crop of ${size}×${size} does not fit the resized ${width}×${height} frame`,
      { hint: 'resize to a short side ≥ the crop (--short-side)', details: { width, height, crop: size, kind } },
    );
  }
  const box = (left: number, top: number, flip = false): CropBox => ({ left, top, size, flip });
  if (kind === 'center') return [box((width - size) >> 1, (height - size) >> 1)];
  if (kind === 'three') {
    if (size === height) {
      const step = (width - size) >> 1;
      return [box(0, 0), box(2 * step, 0), box(step, 0)];
    }
    if (size === width) {
      const step = (height - size) >> 1;
      return [box(0, 0), box(0, 2 * step), box(0, step)];
    }
    throw new TsmError(
      'usage',
      'E_MMA_CROP',
      `MMAction2's ThreeCrop of ${size} needs a frame side of ${size}, but frames are resized to ${width}×${height}`,
      {
        hint: `resize the short side to the crop (--short-side ${size}), as MMAction2's ThreeCrop configs do`,
        details: { width, height, crop: size, kind },
      },
    );
  }
  const ws = (width - size) >> 2;
  const hs = (height - size) >> 2;
  const corners: Array<[number, number]> = [
    [0, 0],
    [4 * ws, 0],
    [0, 4 * hs],
    [4 * ws, 4 * hs],
    [2 * ws, 2 * hs],
  ];
  return corners.flatMap(([x, y]) => [box(x, y), box(x, y, true)]);
}

/**
 * v ↦ (v − mean) / std for the 256 byte values in float32, as the data preprocessor computes it on a float32 tensor
 * (and numpy on float32 arrays): one table a channel.
 */
export function mmActionNormalizeTable(mean: number, std: number): Float32Array {
  const f = Math.fround;
  return Float32Array.from({ length: 256 }, (_, v) => f(f(v - f(mean)) / f(std)));
}
