/**
 * The TSM test transforms (ops/transforms.py as test_models.py composes them): GroupScale (short side → scale,
 * Pillow-exact bilinear, or sharp's when asked), then 1 centre crop, 3 full-res crops (left/right/centre), or 10 crops
 * (4 corners + centre, each also flipped); ImageNet normalisation into a CHW float32 slab. Resize and normalisation
 * run in the WebAssembly SIMD kernels (kernels.ts) where they load, in JavaScript otherwise, with the same result.
 */
import sharp from 'sharp';
import { IMAGENET_MEAN, IMAGENET_STD } from '../model/preprocessing.js';
import { type DecodedPixels, decodeFrame } from './decode.js';
import { preprocessKernels } from './kernels.js';
import { fixedTaps, resizeBilinearLikePillow } from './resample.js';

export type CropCount = 1 | 3 | 10;

export interface CropBox {
  readonly left: number;
  readonly top: number;
  readonly size: number;
  readonly flip: boolean;
}

/** torchvision Resize(int) size rule: the short side becomes `scale`, the long side int(scale · long / short). */
export function scaledSize(width: number, height: number, scale: number): { width: number; height: number } {
  return width < height
    ? { width: scale, height: Math.floor((scale * height) / width) }
    : { width: Math.floor((scale * width) / height), height: scale };
}

/** Python's round(): halves to even (torchvision CenterCrop uses it). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function cropBoxes(width: number, height: number, crop: number, crops: CropCount): CropBox[] {
  if (crops === 1) {
    return [
      { left: roundHalfEven((width - crop) / 2), top: roundHalfEven((height - crop) / 2), size: crop, flip: false },
    ];
  }
  const w = Math.floor((width - crop) / 4);
  const h = Math.floor((height - crop) / 4);
  if (crops === 3) {
    // GroupFullResSample: left, right, centre at mid height
    return [
      [0, 2 * h],
      [4 * w, 2 * h],
      [2 * w, 2 * h],
    ].map(([left, top]) => ({ left, top, size: crop, flip: false }));
  }
  // GroupOverSample: fill_fix_offset(False) = 4 corners + centre, each normal then flipped
  const offsets = [
    [0, 0],
    [4 * w, 0],
    [0, 4 * h],
    [4 * w, 4 * h],
    [2 * w, 2 * h],
  ];
  return offsets.flatMap(([left, top]) => [
    { left, top, size: crop, flip: false },
    { left, top, size: crop, flip: true },
  ]);
}

/** A scaled frame, or the window of it that the crops need: `data` covers [offsetX, +width) × [offsetY, +height). */
export interface DecodedFrame {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly offsetX: number;
  readonly offsetY: number;
  /** size of the whole scaled frame, which the crop boxes refer to */
  readonly fullWidth: number;
  readonly fullHeight: number;
  /** bytes a pixel of `data`: 3 (RGB) or 4 (RGB and a junk byte, as the SIMD kernels write it) */
  readonly channels: 3 | 4;
}

/** The bounding box of the crops, in scaled-frame coordinates. */
function cropWindow(boxes: readonly CropBox[]): { left: number; top: number; width: number; height: number } {
  const left = Math.min(...boxes.map((b) => b.left));
  const top = Math.min(...boxes.map((b) => b.top));
  const right = Math.max(...boxes.map((b) => b.left + b.size));
  const bottom = Math.max(...boxes.map((b) => b.top + b.size));
  return { left, top, width: right - left, height: bottom - top };
}

/**
 * How frames are scaled: `pillow` reproduces Pillow's BILINEAR exactly (what TSM's Python code feeds its models);
 * `sharp` uses libvips' linear kernel (faster, up to ±5 levels apart on upscaled Jester frames).
 */
export type ResizeMethod = 'pillow' | 'sharp';

export interface FrameRequest {
  readonly scale: number;
  readonly resize?: ResizeMethod;
  /** with these, only the part of the scaled frame the crops cover is computed */
  readonly cropSize?: number;
  readonly crops?: CropCount;
}

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

/** Pillow-exact scaling of decoded RGB pixels, computing only the window the requested crops cover. */
export function scaleDecodedFrame(
  rgb: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  request: Omit<FrameRequest, 'resize'>,
  channels: 3 | 4 = 3,
): DecodedFrame {
  const size = scaledSize(width, height, request.scale);
  const window =
    request.cropSize && request.crops && request.cropSize <= Math.min(size.width, size.height)
      ? cropWindow(cropBoxes(size.width, size.height, request.cropSize, request.crops))
      : { left: 0, top: 0, width: size.width, height: size.height };
  const at = {
    width: window.width,
    height: window.height,
    offsetX: window.left,
    offsetY: window.top,
    fullWidth: size.width,
    fullHeight: size.height,
  };
  const kernels = preprocessKernels();
  if (kernels) {
    const data = kernels.resizeWindow(
      rgb,
      width,
      channels,
      fixedTaps(width, size.width),
      fixedTaps(height, size.height),
      window,
    );
    return { data, ...at, channels: 4 };
  }
  return {
    data: resizeBilinearLikePillow(rgb, width, height, size.width, size.height, window, channels),
    ...at,
    channels: 3,
  };
}

/**
 * A decoded frame whose scaling waits for its one crop: scaling just the crop and normalising it are then a single
 * kernel call (resizeNormalizeCrop), with no scaled byte image in between. Only made where the kernels load.
 */
export interface DeferredFrame {
  readonly deferred: DecodedPixels;
  readonly scale: number;
  /** size of the whole scaled frame, which the crop boxes refer to */
  readonly fullWidth: number;
  readonly fullHeight: number;
}

/** A frame ready for writeNormalizedCrop: scaled (the crops' window of it), or decoded with its scaling deferred. */
export type CropSource = DecodedFrame | DeferredFrame;

const defers = (request: FrameRequest) =>
  request.crops === 1 &&
  request.cropSize !== undefined &&
  request.cropSize % 4 === 0 &&
  (request.resize ?? 'pillow') === 'pillow' &&
  preprocessKernels() !== undefined;

/** loadScaledFrame, except that a one-crop request (Pillow scaling, kernels loaded) leaves the scaling to the crop. */
export async function loadCropSource(path: string, request: FrameRequest): Promise<CropSource> {
  if (!defers(request)) return loadScaledFrame(path, request);
  return deferScaling(await decodeFrame(path), request.scale);
}

/** scaleDecodedFrame, except that a one-crop request (kernels loaded) leaves the scaling to the crop. */
export function scaleDecodedSource(
  rgb: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  request: Omit<FrameRequest, 'resize'>,
  channels: 3 | 4 = 3,
): CropSource {
  if (!defers(request)) return scaleDecodedFrame(rgb, width, height, request, channels);
  return deferScaling({ data: rgb, width, height, channels }, request.scale);
}

function deferScaling(pixels: DecodedPixels, scale: number): DeferredFrame {
  const size = scaledSize(pixels.width, pixels.height, scale);
  return { deferred: pixels, scale, fullWidth: size.width, fullHeight: size.height };
}

/**
 * v ↦ ((v / 255) − mean) / std for the 256 byte values, in float32 step by step as torch computes
 * ToTorchFormatTensor (`img.float().div(255)`) then GroupNormalize (`sub_(m).div_(s)`): the inputs equal the
 * reference's bit for bit (a float64 formula rounded once differs in the last bit for most values). The JavaScript
 * loop and the SIMD kernel both look values up in these tables.
 */
export function torchNormalizeTable(mean: number, std: number): Float32Array {
  const f = Math.fround;
  return Float32Array.from({ length: 256 }, (_, v) => f(f(f(v / 255) - f(mean)) / f(std)));
}

const NORMALIZED = [0, 1, 2].map((c) => torchNormalizeTable(IMAGENET_MEAN[c], IMAGENET_STD[c]));
/** the same three tables end to end, as resizeNormalizeCrop reads them */
const NORMALIZED_PLANES = Float32Array.from(NORMALIZED.flatMap((t) => Array.from(t)));

/** Writes one crop of an RGB frame, normalised, as C×S×S floats at `out[offset…]`. */
export function writeNormalizedCrop(source: CropSource, box: CropBox, out: Float32Array, offset: number): void {
  const { size } = box;
  const kernels = preprocessKernels();
  let frame: DecodedFrame;
  if ('deferred' in source) {
    const { data, width, height, channels } = source.deferred;
    const { fullWidth, fullHeight } = source;
    const inside = box.left >= 0 && box.top >= 0 && box.left + size <= fullWidth && box.top + size <= fullHeight;
    if (kernels && size % 4 === 0 && inside) {
      const window = { left: box.left, top: box.top, width: size, height: size };
      kernels.resizeNormalizeCrop(
        data,
        width,
        channels,
        fixedTaps(width, fullWidth),
        fixedTaps(height, fullHeight),
        window,
        box.flip,
        NORMALIZED_PLANES,
        out,
        offset,
      );
      return;
    }
    frame = scaleDecodedFrame(data, width, height, { scale: source.scale, cropSize: size, crops: 1 }, channels);
  } else {
    frame = source;
  }
  if (kernels && frame.channels === 4 && size % 4 === 0) {
    kernels.normalizeCrop(
      frame.data as Uint8Array,
      frame.width,
      box.left - frame.offsetX,
      box.top - frame.offsetY,
      size,
      box.flip,
      IMAGENET_MEAN,
      IMAGENET_STD,
      out,
      offset,
    );
    return;
  }
  const plane = size * size;
  const data = frame.data;
  const step = frame.channels;
  const [r, g, b] = NORMALIZED;
  // one pass over the interleaved pixels, writing the three planes side by side
  for (let y = 0; y < size; y++) {
    let p = ((box.top - frame.offsetY + y) * frame.width + box.left - frame.offsetX) * step;
    const row = offset + y * size;
    for (let x = 0; x < size; x++, p += step) {
      const d = row + (box.flip ? size - 1 - x : x);
      out[d] = r[data[p]];
      out[d + plane] = g[data[p + 1]];
      out[d + 2 * plane] = b[data[p + 2]];
    }
  }
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
