/**
 * One clip → the model's input views under MMAction2's test pipeline (facts: MMACTION2-FACTS §5): SampleFrames in
 * test mode, frames decoded to RGB (rawframes as cv2 reads JPEGs with channel_order 'rgb', videos through ffmpeg),
 * Resize with OpenCV's INTER_LINEAR on uint8 (resize-cv2.ts: byte for byte, no antialiasing), Center/Three/TenCrop,
 * (v − mean) / std on 0–255 RGB, the views crop-major ([crop][sampled clip][t]) as FormatShape lays them out. Plain
 * data in and out, so it runs the same in the loader's worker thread.
 */
import { framePath } from '../data/dataset.js';
import { TsmError } from '../errors.js';
import { type ClipJob, type ClipViews, decodeJobVideo, type MissingFrame } from './clip.js';
import { decodeFrame } from './decode.js';
import {
  type MmActionClipSpec,
  mmActionCropBoxes,
  mmActionFrameIndices,
  mmActionNormalizeTable,
  mmActionResizedSize,
  mmActionViewsPerClip,
} from './mmaction2-geometry.js';
import { resizeLinearLikeOpenCV } from './resize-cv2.js';
import type { CropBox } from './transforms.js';

/** A resized frame, or the part of it the crops cover: `data` is RGB over [left, +width) × [top, +height). */
interface CroppableFrame {
  readonly data: Uint8Array;
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly fullWidth: number;
  readonly fullHeight: number;
}

interface Pixels {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
}

/** Resized as MMAction2's Resize does, only the window the crops need computed (bit-identical to that window of the
 * whole frame). */
function resizeForCrops(pixels: Pixels, spec: MmActionClipSpec): CroppableFrame {
  const [fullWidth, fullHeight] = mmActionResizedSize(pixels.width, pixels.height, spec.resize);
  const boxes = mmActionCropBoxes(fullWidth, fullHeight, spec.crop.kind, spec.crop.size);
  const left = Math.min(...boxes.map((b) => b.left));
  const top = Math.min(...boxes.map((b) => b.top));
  const width = Math.max(...boxes.map((b) => b.left + b.size)) - left;
  const height = Math.max(...boxes.map((b) => b.top + b.size)) - top;
  const data = resizeLinearLikeOpenCV(
    pixels.data,
    pixels.width,
    pixels.height,
    pixels.channels,
    fullWidth,
    fullHeight,
    {
      window: { left, top, width, height },
      outputChannels: 3,
    },
  );
  return { data, left, top, width, fullWidth, fullHeight };
}

/** One crop, normalised, as 3 planes of S×S floats at out[offset…] (mirrored for a flipped box). */
function writeCrop(
  frame: CroppableFrame,
  box: CropBox,
  tables: readonly Float32Array[],
  out: Float32Array,
  offset: number,
): void {
  const { size } = box;
  const plane = size * size;
  const [r, g, b] = tables;
  for (let y = 0; y < size; y++) {
    let p = ((box.top - frame.top + y) * frame.width + box.left - frame.left) * 3;
    const row = offset + y * size;
    for (let x = 0; x < size; x++, p += 3) {
      const d = row + (box.flip ? size - 1 - x : x);
      out[d] = r[frame.data[p]];
      out[d + plane] = g[frame.data[p + 1]];
      out[d + 2 * plane] = b[frame.data[p + 2]];
    }
  }
}

/** Loads one clip's views (mmActionViewsPerClip × T × 3 × S × S floats) into `into`, or a new array. */
export async function loadMmActionViews(job: ClipJob, spec: MmActionClipSpec, into?: Float32Array): Promise<ClipViews> {
  const { segments: T, size: S } = job;
  const video = await decodeJobVideo(job);
  if ('reason' in video) return { views: null, missing: [], reason: video.reason };
  const decoded = video.decoded;
  const total = decoded ? decoded.frames.length : job.frames;
  const indices = mmActionFrameIndices(total, spec.sampling, spec.startIndex);
  const pathOf = (index: number) =>
    job.video ? `${job.video.path}#${index}` : framePath(job.root, job.config, job.id, index);
  const loadOne = async (index: number): Promise<CroppableFrame | undefined> => {
    let pixels: Pixels;
    if (decoded) {
      const data = decoded.frames[index];
      if (!data) return undefined;
      pixels = { data, width: decoded.width, height: decoded.height, channels: 3 };
    } else {
      try {
        pixels = await decodeFrame(pathOf(index));
      } catch {
        return undefined;
      }
    }
    return resizeForCrops(pixels, spec);
  };
  const wanted = [...new Set(indices)];
  const loaded = await Promise.all(wanted.map(loadOne));
  const missing: MissingFrame[] = [];
  const frames = new Map<number, CroppableFrame>();
  let fallback: CroppableFrame | undefined;
  for (let i = 0; i < wanted.length; i++) {
    let f = loaded[i];
    if (!f) {
      // as tsm's own protocol does: an unreadable frame is replaced by the clip's first, and reported
      missing.push({ clip: job.id, frame: wanted[i], path: pathOf(wanted[i]) });
      fallback ??= wanted[i] === spec.startIndex ? undefined : await loadOne(spec.startIndex);
      f = fallback;
      if (!f) return { views: null, missing, reason: `frame ${wanted[i]} and frame ${spec.startIndex} unreadable` };
    }
    frames.set(wanted[i], f);
  }
  const first = frames.get(indices[0]) as CroppableFrame;
  for (const [index, frame] of frames) {
    if (frame.fullWidth !== first.fullWidth || frame.fullHeight !== first.fullHeight) {
      throw new TsmError(
        'input',
        'E_FRAME_SIZE',
        `clip ${job.id}: frame ${index} is ${frame.fullWidth}×${frame.fullHeight} after resizing, others ` +
          `${first.fullWidth}×${first.fullHeight}`,
      );
    }
  }
  const boxes = mmActionCropBoxes(first.fullWidth, first.fullHeight, spec.crop.kind, S);
  const tables = [0, 1, 2].map((c) => mmActionNormalizeTable(spec.mean[c], spec.std[c]));
  const frameSize = 3 * S * S;
  const count = mmActionViewsPerClip(spec.sampling, spec.crop.kind, T) * T * frameSize;
  const views = into ?? new Float32Array(count);
  if (views.length !== count)
    throw new TsmError('bug', 'E_VIEWS_SIZE', `clip ${job.id}: a buffer of ${views.length} floats for ${count}`);
  // crop-major: every crop's frames in SampleFrames' order, cut into views of T consecutive frames
  let at = 0;
  for (const box of boxes) {
    for (const index of indices) {
      writeCrop(frames.get(index) as CroppableFrame, box, tables, views, at);
      at += frameSize;
    }
  }
  return { views, missing };
}
