/**
 * The TSM test transforms on decoded pixels (ops/transforms.py as test_models.py composes them): GroupScale (short
 * side → scale, Pillow-exact bilinear), then 1 centre crop, 3 full-res crops (left/right/centre), or 10 crops (4
 * corners + centre, each also flipped); normalisation into a CHW float32 slab (ImageNet's unless told). Resize and
 * normalisation run in the WebAssembly SIMD kernels (kernels.ts) where they load, in JavaScript otherwise, with the
 * same result. Browser-safe (no `node:` module, no sharp): tsm/runtime runs these in browsers; transforms.ts adds
 * file decoding for Node.
 */
import { IMAGENET_MEAN, IMAGENET_STD } from '../model/preprocessing.js';
import { preprocessKernels } from './kernels.js';
import { fixedTaps, resizeBilinearLikePillow } from './resample.js';

/** 8-bit pixels as a decoder gives them. */
export interface DecodedPixels {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  /** bytes a pixel: 3 (RGB) or 4 (RGBA, alpha to be ignored) */
  readonly channels: 3 | 4;
}

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

/** Whether a request's scaling can wait for its one crop (Pillow scaling, a crop the kernels take, kernels loaded). */
export const defersScaling = (request: FrameRequest) =>
  request.crops === 1 &&
  request.cropSize !== undefined &&
  request.cropSize % 4 === 0 &&
  (request.resize ?? 'pillow') === 'pillow' &&
  preprocessKernels() !== undefined;

/** scaleDecodedFrame, except that a one-crop request (kernels loaded) leaves the scaling to the crop. */
export function scaleDecodedSource(
  rgb: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  request: Omit<FrameRequest, 'resize'>,
  channels: 3 | 4 = 3,
): CropSource {
  if (!defersScaling(request)) return scaleDecodedFrame(rgb, width, height, request, channels);
  return deferScaling({ data: rgb, width, height, channels }, request.scale);
}

export function deferScaling(pixels: DecodedPixels, scale: number): DeferredFrame {
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

/** How a crop's bytes become the model's floats: per-channel mean and std on pixels scaled to [0, 1]. */
export interface Normalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** the three tables end to end (channel after channel), as resizeNormalizeCrop and the JavaScript loop read them */
  readonly planes: Float32Array;
}

/**
 * A model's normalisation from its `tsm.preprocessing` (mean, std, input range). Range [0, 1] is torch's float32 steps
 * exactly (torchNormalizeTable); another range maps v to lo + v·(hi − lo)/255 first.
 */
export function normalizationFor(
  mean: readonly number[],
  std: readonly number[],
  inputRange: readonly [number, number] = [0, 1],
): Normalization {
  const [lo, hi] = inputRange;
  const f = Math.fround;
  const table = (c: number) =>
    lo === 0 && hi === 1
      ? torchNormalizeTable(mean[c], std[c])
      : Float32Array.from({ length: 256 }, (_, v) => f((lo + (v * (hi - lo)) / 255 - mean[c]) / std[c]));
  const planes = Float32Array.from([0, 1, 2].flatMap((c) => Array.from(table(c))));
  // the kernels' own normalize computes ((v / 255) − mean) / std: only for range [0, 1]
  return lo === 0 && hi === 1 ? { mean, std, planes } : { mean: [], std: [], planes };
}

export const IMAGENET_NORMALIZATION = normalizationFor(IMAGENET_MEAN, IMAGENET_STD);

/** Writes one crop of an RGB frame, normalised (ImageNet's unless told), as C×S×S floats at `out[offset…]`. */
export function writeNormalizedCrop(
  source: CropSource,
  box: CropBox,
  out: Float32Array,
  offset: number,
  norm: Normalization = IMAGENET_NORMALIZATION,
): void {
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
        norm.planes,
        out,
        offset,
      );
      return;
    }
    frame = scaleDecodedFrame(data, width, height, { scale: source.scale, cropSize: size, crops: 1 }, channels);
  } else {
    frame = source;
  }
  if (kernels && frame.channels === 4 && size % 4 === 0 && norm.mean.length === 3) {
    kernels.normalizeCrop(
      frame.data as Uint8Array,
      frame.width,
      box.left - frame.offsetX,
      box.top - frame.offsetY,
      size,
      box.flip,
      norm.mean,
      norm.std,
      out,
      offset,
    );
    return;
  }
  const plane = size * size;
  const data = frame.data;
  const step = frame.channels;
  const planes = norm.planes;
  // one pass over the interleaved pixels, writing the three planes side by side
  for (let y = 0; y < size; y++) {
    let p = ((box.top - frame.offsetY + y) * frame.width + box.left - frame.offsetX) * step;
    const row = offset + y * size;
    for (let x = 0; x < size; x++, p += step) {
      const d = row + (box.flip ? size - 1 - x : x);
      out[d] = planes[data[p]];
      out[d + plane] = planes[256 + data[p + 1]];
      out[d + 2 * plane] = planes[512 + data[p + 2]];
    }
  }
}
