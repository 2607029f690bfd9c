/**
 * Frame files → the TSM test transforms (pixels.ts, browser-safe, holds the transforms themselves): decoding with
 * libjpeg-turbo (WebAssembly) or sharp, and sharp's own resize when asked.
 */
import sharp from 'sharp';
import { decodeFrame } from './decode.js';
import {
  type CropSource,
  cropBoxes,
  type DecodedFrame,
  deferScaling,
  defersScaling,
  type FrameRequest,
  type ResizeMethod,
  scaleDecodedFrame,
  scaledSize,
  writeNormalizedCrop,
} from './pixels.js';

export * from './pixels.js';

/** Decodes a JPEG (or any image sharp reads) and scales its short side to `scale` (bilinear). */
export async function loadScaledFrame(path: string, request: FrameRequest): Promise<DecodedFrame> {
  if (request.resize === 'sharp') {
    const image = sharp(path, { failOn: 'error' }).removeAlpha().toColourspace('srgb');
    const meta = await image.metadata();
    const size = scaledSize(meta.width ?? 0, meta.height ?? 0, request.scale);
    const { data, info } = await image
      .resize(size.width, size.height, { kernel: 'linear', fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      data,
      width: info.width,
      height: info.height,
      offsetX: 0,
      offsetY: 0,
      fullWidth: info.width,
      fullHeight: info.height,
      channels: 3,
    };
  }
  const pixels = await decodeFrame(path);
  return scaleDecodedFrame(pixels.data, pixels.width, pixels.height, request, pixels.channels);
}

/** loadScaledFrame, except that a one-crop request (Pillow scaling, kernels loaded) leaves the scaling to the crop. */
export async function loadCropSource(path: string, request: FrameRequest): Promise<CropSource> {
  if (!defersScaling(request)) return loadScaledFrame(path, request);
  return deferScaling(await decodeFrame(path), request.scale);
}

export interface ClipPreprocessing {
  readonly segments: number;
  readonly scaleShortSide: number;
  readonly cropSize: number;
  readonly resize?: ResizeMethod;
}

/**
 * One clip as a model input [1, T, 3, S, S]: picks T frames from `framePaths` (in time order) with the uniform
 * test sampling, scales, centre-crops and normalises them. For apps that classify their own frames.
 */
export async function clipTensor(framePaths: readonly string[], p: ClipPreprocessing): Promise<Float32Array> {
  const tick = framePaths.length / p.segments;
  const picks = Array.from({ length: p.segments }, (_, x) => framePaths[Math.floor(tick / 2 + tick * x)]);
  const frames = await Promise.all(
    picks.map((f) => loadCropSource(f, { scale: p.scaleShortSide, resize: p.resize, cropSize: p.cropSize, crops: 1 })),
  );
  const size = 3 * p.cropSize * p.cropSize;
  const out = new Float32Array(p.segments * size);
  for (const [t, f] of frames.entries()) {
    writeNormalizedCrop(f, cropBoxes(f.fullWidth, f.fullHeight, p.cropSize, 1)[0], out, t * size);
  }
  return out;
}
