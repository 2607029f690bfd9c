/**
 * One clip of a video-folder dataset → the model's input views (sampled clips × crops, each [T, 3, S, S]), the TSM
 * test protocol's sampling and transforms. Plain data in and out, so it runs the same in a worker thread.
 */

import { type DatasetConfig, type FlowLayoutConfig, framePath } from '../data/dataset.js';
import { TsmError } from '../errors.js';
import { type DecodedVideo, decodeVideo } from '../video/ffmpeg.js';
import { flowFramePaths, loadFlowFrame, writeNormalizedFlowCrop } from './flow.js';
import type { MmActionClipSpec } from './mmaction2-geometry.js';
import { type SamplingMode, sampleClips, stackedIndices } from './sampling.js';
import {
  type CropCount,
  type CropSource,
  cropBoxes,
  type DecodedFrame,
  loadCropSource,
  type ResizeMethod,
  scaleDecodedSource,
  writeNormalizedCrop,
} from './transforms.js';

export interface ClipJob {
  readonly root: string;
  readonly config: DatasetConfig;
  readonly id: string;
  readonly frames: number;
  readonly segments: number;
  readonly size: number;
  readonly scale: number;
  readonly crops: CropCount;
  readonly sampling: SamplingMode;
  readonly resize: ResizeMethod;
  /** the clip is this video file (decoded by ffmpeg; its own frame count replaces the list's) */
  readonly video?: { readonly path: string; readonly ffmpeg?: string };
  /** a Flow model's input: `newLength` stacked (x, y) flow frames a segment, read from this layout */
  readonly flow?: { readonly layout: FlowLayoutConfig; readonly newLength: number };
  /** MMAction2's test pipeline instead of TSM's (src/frames/mmaction2-clip.ts); `size` is then the crop */
  readonly mmaction2?: MmActionClipSpec;
}

export interface MissingFrame {
  readonly clip: string;
  readonly frame: number;
  readonly path: string;
}

export interface ClipViews {
  /** viewsPerClip × T × C × S × S floats (C = 3, or 2·newLength for flow), or null when the clip cannot be read */
  readonly views: Float32Array | null;
  readonly missing: readonly MissingFrame[];
  readonly reason?: string;
}

export function viewsPerClip(job: Pick<ClipJob, 'segments' | 'sampling' | 'crops'>): number {
  return sampleClips(Math.max(job.segments, 1), job.segments, job.sampling).length * job.crops;
}

/** Channels of one segment's input. */
export function segmentChannels(job: Pick<ClipJob, 'flow'>): number {
  return job.flow ? 2 * job.flow.newLength : 3;
}

/** A job's video decoded (none for a frame folder), or why it could not be: such a clip is unreadable, but a missing
 * ffmpeg stays an error, as no clip could be read. */
export async function decodeJobVideo(job: ClipJob): Promise<{ decoded?: DecodedVideo } | { reason: string }> {
  if (!job.video) return {};
  try {
    return { decoded: await decodeVideo(job.video.path, { ffmpeg: job.video.ffmpeg }) };
  } catch (err) {
    if ((err as TsmError).code === 'E_NO_FFMPEG') throw err;
    return { reason: (err as Error).message };
  }
}

/** Loads one clip's views into `into` (viewsPerClip × T × C × S × S floats; a new array when not given). */
export async function loadClipViews(job: ClipJob, into?: Float32Array): Promise<ClipViews> {
  const { segments: T, size: S, flow } = job;
  const newLength = flow?.newLength ?? 1;
  const request = { scale: job.scale, resize: job.resize, cropSize: S, crops: job.crops };
  const video = await decodeJobVideo(job);
  if ('reason' in video) return { views: null, missing: [], reason: video.reason };
  const decoded = video.decoded;
  const numFrames = decoded ? decoded.frames.length : job.frames;
  // per sampled clip, per segment: the frame indices it reads (one for RGB, newLength stacked for flow)
  const groups = sampleClips(numFrames, T, job.sampling, newLength).map((starts) =>
    starts.map((p) => stackedIndices(p, newLength, numFrames)),
  );
  const wanted = [...new Set(groups.flat(2))];
  const pathOf = (index: number) => {
    if (job.video) return `${job.video.path}#${index}`;
    return flow
      ? flowFramePaths(job.root, flow.layout, job.id, index).join(' + ')
      : framePath(job.root, job.config, job.id, index);
  };
  const loadOne = async (index: number): Promise<CropSource | undefined> => {
    try {
      if (decoded) return scaleDecodedSource(decoded.frames[index - 1], decoded.width, decoded.height, request);
      if (flow) return await loadFlowFrame(flowFramePaths(job.root, flow.layout, job.id, index), request);
      return await loadCropSource(pathOf(index), request);
    } catch {
      return undefined;
    }
  };
  const loaded = await Promise.all(wanted.map(loadOne));
  const missing: MissingFrame[] = [];
  const frames = new Map<number, CropSource>();
  let fallback: CropSource | undefined;
  for (let i = 0; i < wanted.length; i++) {
    let f = loaded[i];
    if (!f) {
      // As TSM's loader does: an unreadable frame is replaced by frame 1, and reported.
      missing.push({ clip: job.id, frame: wanted[i], path: pathOf(wanted[i]) });
      fallback ??= wanted[i] === 1 ? undefined : await loadOne(1);
      f = fallback;
      if (!f) return { views: null, missing, reason: `frame ${wanted[i]} and frame 1 unreadable` };
    }
    frames.set(wanted[i], f);
  }
  const first = frames.values().next().value as CropSource;
  for (const [index, frame] of frames) {
    if (frame.fullWidth !== first.fullWidth || frame.fullHeight !== first.fullHeight) {
      throw new TsmError(
        'input',
        'E_FRAME_SIZE',
        `clip ${job.id}: frame ${index} is ${frame.fullWidth}×${frame.fullHeight} after scaling, others ` +
          `${first.fullWidth}×${first.fullHeight}`,
      );
    }
  }
  const boxes = cropBoxes(first.fullWidth, first.fullHeight, S, job.crops);
  const plane = S * S;
  const frameSize = segmentChannels(job) * plane;
  const clipSize = T * frameSize;
  const views = into ?? new Float32Array(viewsPerClip(job) * clipSize);
  if (views.length !== viewsPerClip(job) * clipSize)
    throw new TsmError(
      'bug',
      'E_VIEWS_SIZE',
      `clip ${job.id}: a buffer of ${views.length} floats for ${viewsPerClip(job) * clipSize}`,
    );
  let v = 0;
  for (const group of groups) {
    for (const box of boxes) {
      group.forEach((stack, t) => {
        const at = v * clipSize + t * frameSize;
        stack.forEach((index, k) => {
          const frame = frames.get(index) as CropSource;
          if (flow)
            writeNormalizedFlowCrop(frame as DecodedFrame, box, views, at + 2 * k * plane, at + (2 * k + 1) * plane);
          else writeNormalizedCrop(frame, box, views, at);
        });
      });
      v++;
    }
  }
  return { views, missing };
}
