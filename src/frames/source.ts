/**
 * One clip from whatever the user has: a video file (decoded by ffmpeg into memory), an animated GIF/WebP (sharp), or a
 * folder of frames (name order). Frames come out scaled as the test protocol scales them (Pillow-exact bilinear).
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { type DatasetConfig, framePath } from '../data/dataset.js';
import { TsmError } from '../errors.js';
import { decodeVideo } from '../video/ffmpeg.js';
import { type DecodedFrame, type FrameRequest, loadScaledFrame, scaleDecodedFrame } from './transforms.js';

export interface FrameSource {
  readonly kind: 'video' | 'animation' | 'frames';
  readonly count: number;
  /** frames per second of a video (0 when unknown or not a video) */
  readonly fps: number;
  /** frame `index` (0-based), scaled as `request` says */
  frame(index: number, request: FrameRequest): Promise<DecodedFrame>;
}

const IMAGE = /\.(jpe?g|png|webp|bmp|tiff?)$/i;
const ANIMATION = /\.(gif|webp)$/i;

export async function openFrameSource(input: string, options: { ffmpeg?: string } = {}): Promise<FrameSource> {
  let isDir: boolean;
  try {
    isDir = statSync(input).isDirectory();
  } catch {
    throw new TsmError(
      'input',
      'E_NOT_FOUND',
      `${input}: not found (a video file, an animated GIF/WebP, or a folder of frames)`,
      { details: { file: input } },
    );
  }
  if (isDir) {
    const files = readdirSync(input)
      .filter((f) => IMAGE.test(f))
      .sort();
    if (!files.length)
      throw new TsmError('input', 'E_NO_FRAMES', `${input}: no image files (.jpg, .png, …) in the folder`, {
        details: { file: input },
      });
    return {
      kind: 'frames',
      count: files.length,
      fps: 0,
      frame: (i, request) => loadScaledFrame(join(input, files[i]), request),
    };
  }
  if (ANIMATION.test(extname(input))) {
    const pages = (await sharp(input).metadata()).pages ?? 1;
    if (pages > 1 || /\.gif$/i.test(input)) {
      return {
        kind: 'animation',
        count: pages,
        fps: 0,
        frame: async (i, request) => {
          const { data, info } = await sharp(input, { page: i })
            .removeAlpha()
            .toColourspace('srgb')
            .raw()
            .toBuffer({ resolveWithObject: true });
          return scaleDecodedFrame(data, info.width, info.height, request);
        },
      };
    }
  }
  const video = await decodeVideo(input, options);
  return {
    kind: 'video',
    count: video.frames.length,
    fps: video.fps,
    frame: async (i, request) => scaleDecodedFrame(video.frames[i], video.width, video.height, request),
  };
}

/** A dataset clip's frames (files 1…count named by the dataset's template) as a frame source. */
export function datasetClipFrames(root: string, config: DatasetConfig, id: string, count: number): FrameSource {
  return {
    kind: 'frames',
    count,
    fps: 0,
    frame: (i, request) => loadScaledFrame(framePath(root, config, id, i + 1), request),
  };
}
