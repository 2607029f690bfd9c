/**
 * The one place the test transform's scale size is computed: upstream's `test_models.py` scales the short side to
 * `scale_size = input_size * 256 // 224` (floor division) before the centre crop of `input_size`. `tsm convert` writes
 * that value into the model's `tsm.preprocessing`; every consumer (verify, predict, stream, the web demo) reads it back
 * from there through `scaleShortSideOf`, so what a zoo entry declares, what verify measures and what a browser feeds
 * are one number. Browser-safe: no `node:` imports (the zoo client re-exports it).
 */
import { TsmError } from '../errors.js';
import { type ArchSpec, FLOW_NEW_LENGTH } from './spec.js';

/** ImageNet normalisation used by every TSM model (inputs first scaled to [0, 1]). */
export const IMAGENET_MEAN = Object.freeze([0.485, 0.456, 0.406]);
export const IMAGENET_STD = Object.freeze([0.229, 0.224, 0.225]);

/** Flow input (TSM models.py for ResNet and MobileNetV2): mean 0.5, std = the mean of ImageNet's stds, on every
 * channel. */
export const FLOW_MEAN = 0.5;
export const FLOW_STD = (IMAGENET_STD[0] + IMAGENET_STD[1] + IMAGENET_STD[2]) / 3;

/**
 * How a model's input is made from frames: what `tsm convert` writes into the model's `tsm.preprocessing` and
 * every consumer reads back (verify, predict, stream, the zoo entry, the browser).
 */
export interface Preprocessing {
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** pixels are divided by 255 first */
  readonly inputRange: readonly [number, number];
  readonly scaleShortSide: number;
  readonly cropSize: number;
  /** RGB: 3 colour channels; flow-xy: per segment 5 grey (x, y) flow image pairs, x1 y1 … x5 y5
   * (docs/upstream-tsm-family.md §3) */
  readonly channelOrder: 'RGB' | 'flow-xy';
  readonly layout: 'NTCHW' | 'NCHW';
  readonly segments: number;
  readonly modality?: 'RGB' | 'Flow';
  /** Flow: consecutive flow frames stacked per segment */
  readonly newLength?: number;
}

/** The preprocessing of a model built from `spec`: the TSM test transform for its crop, ImageNet or Flow statistics. */
export function preprocessingFor(spec: ArchSpec): Preprocessing {
  const scaleShortSide = scaleSizeFor(spec.inputSize);
  const layout = spec.kind === 'image' || spec.kind === 'online' ? 'NCHW' : 'NTCHW';
  const shared = { inputRange: [0, 1] as [number, number], scaleShortSide, cropSize: spec.inputSize };
  if (spec.modality !== 'Flow') {
    return { mean: IMAGENET_MEAN, std: IMAGENET_STD, ...shared, channelOrder: 'RGB', layout, segments: spec.segments };
  }
  const channels = spec.inputChannels;
  return {
    mean: new Array(channels).fill(FLOW_MEAN),
    std: new Array(channels).fill(FLOW_STD),
    ...shared,
    channelOrder: 'flow-xy',
    layout,
    segments: spec.segments,
    modality: 'Flow',
    newLength: FLOW_NEW_LENGTH,
  };
}

/** `input_size * 256 // 224`: 224 → 256, 160 → 182, 256 → 292, 320 → 365. */
export function scaleSizeFor(cropSize: number): number {
  return Math.floor((cropSize * 256) / 224);
}

export interface ScaleChoice {
  /** the short side frames are scaled to before the centre crop */
  readonly scaleShortSide: number;
  /** `model`: the model's own preprocessing said; `rule`: it says nothing (a foreign ONNX), so scaleSizeFor */
  readonly from: 'model' | 'rule';
  /** set when the model's value is not upstream's for its crop (e.g. rounded, as older tsm versions wrote it) */
  readonly warning?: string;
}

/** What a model's `tsm.preprocessing` says about its scale, as parsed JSON (or a zoo entry's `preprocessing`). */
export interface DeclaredScale {
  readonly scaleShortSide?: unknown;
  readonly cropSize?: unknown;
}

/**
 * The scale a consumer uses for a model whose input crop is `cropSize`: the model's declared `scaleShortSide` wins
 * (it is what the model's zoo entry and a browser use, so verify measures what is deployed), with a warning when it
 * is not upstream's floor rule; without a declaration, the rule. A declaration that cannot be right (not an integer,
 * smaller than the crop, or for another crop size) is an input error naming the model, key and value.
 */
export function resolveScaleShortSide(
  declared: DeclaredScale | undefined,
  cropSize: number,
  model: string,
): ScaleChoice {
  const rule = scaleSizeFor(cropSize);
  if (declared?.scaleShortSide === undefined) return { scaleShortSide: rule, from: 'rule' };
  const bad = (message: string, value: unknown): never => {
    throw new TsmError('input', 'E_BAD_PREPROCESSING', `${model}: tsm.preprocessing ${message}`, {
      details: { model, key: 'tsm.preprocessing', value, cropSize },
    });
  };
  if (declared.cropSize !== undefined && declared.cropSize !== cropSize)
    bad(
      `is for a ${String(declared.cropSize)} crop but the model's input is ${cropSize}×${cropSize}`,
      declared.cropSize,
    );
  const scale = declared.scaleShortSide;
  if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < cropSize)
    bad(
      `scaleShortSide is ${JSON.stringify(scale)}; expected an integer ≥ the ${cropSize} crop (upstream: ${rule})`,
      scale,
    );
  const value = scale as number;
  if (value === rule) return { scaleShortSide: value, from: 'model' };
  const why = value === Math.round((cropSize * 256) / 224) ? ' (rounded, as older tsm versions wrote it)' : '';
  return {
    scaleShortSide: value,
    from: 'model',
    warning:
      `${model} declares scaleShortSide ${value} for its ${cropSize} crop${why}, but upstream's test ` +
      `transform scales to ${rule} (${cropSize}·256 // 224); scaling to ${value} as the model declares — convert it ` +
      `again for upstream's ${rule}`,
  };
}

/** resolveScaleShortSide over an ONNX model's metadata (`tsm.preprocessing`, JSON); a foreign model gets the rule. */
export function scaleShortSideOf(
  metadata: Readonly<Record<string, string>>,
  cropSize: number,
  model: string,
): ScaleChoice {
  const raw = metadata['tsm.preprocessing'];
  if (raw === undefined) return resolveScaleShortSide(undefined, cropSize, model);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new TsmError(
      'input',
      'E_BAD_PREPROCESSING',
      `${model}: tsm.preprocessing is not JSON (${(err as Error).message})`,
      { details: { model, key: 'tsm.preprocessing' } },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TsmError(
      'input',
      'E_BAD_PREPROCESSING',
      `${model}: tsm.preprocessing is ${Array.isArray(parsed) ? 'an array' : typeof parsed}, expected a JSON object`,
      { details: { model, key: 'tsm.preprocessing' } },
    );
  }
  return resolveScaleShortSide(parsed as DeclaredScale, cropSize, model);
}
