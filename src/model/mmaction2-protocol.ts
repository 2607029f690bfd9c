/**
 * What MMAction2's test loop does to a video before and after the network (facts: MMACTION2-FACTS §5), as plain data.
 * `tsm convert` of an MMAction2 checkpoint writes it into the model's `tsm.mmaction2` metadata (from the file's config,
 * or the published defaults below where the config is silent or absent); `tsm verify --protocol mmaction2` reads it
 * back (flags override it). The exported graph is the same either way: only sampling, resizing, cropping, normalising
 * and the averaging of views differ from tsm's own protocol. Browser-safe: no `node:` imports.
 */

/** The ONNX metadata key that holds a model's MMAction2 test protocol as JSON. */
export const MMACTION2_PROTOCOL_KEY = 'tsm.mmaction2';

export type MmActionCropKind = 'center' | 'three' | 'ten';
export type MmActionAveraging = 'prob' | 'score' | 'none';

export interface MmActionTestProtocol {
  /** the release whose file this model came from */
  readonly release: '1.x' | '0.x';
  /** the config's name when the file or its config names it (e.g. `tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_…`) */
  readonly config?: string;
  /** SampleFrames in test mode: idx_i = ⌊N(i+½)/n⌋ + startIndex, out-of-range indices wrap */
  readonly sampling: {
    readonly clipLen: number;
    readonly frameInterval: number;
    readonly numClips: number;
    /** also the clip at ⌊iN/n⌋ (sthv2 configs) */
    readonly twiceSample: boolean;
  };
  /** the first frame's index: 0 for videos, 1 for frame folders (`img_00001.jpg`) unless the config says otherwise */
  readonly startIndex?: number;
  /** Resize: the short side to `shortSide` (scale (-1, S)), or a fixed (width, height); cv2 INTER_LINEAR, no
   * antialias */
  readonly resize: { readonly shortSide: number } | { readonly width: number; readonly height: number };
  /** Center/Three/TenCrop of `size`×`size` (Three/Ten in MMAction2's order, Ten each followed by its flip) */
  readonly crop: { readonly kind: MmActionCropKind; readonly size: number };
  /** on 0–255 values in RGB order */
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /** `average_clips`: softmax per view then mean ('prob'), mean of raw scores ('score'), or none */
  readonly averageClips: MmActionAveraging;
  /** TSNHead averages the features of every view before its fc, so its 'prob' is the softmax of the views' mean
   * logits; TSMHead scores each view (absent: TSMHead) */
  readonly head?: MmActionHeadKind;
}

export type MmActionHeadKind = 'TSMHead' | 'TSNHead';

/** The one-view protocol MMAction2's TSM configs share where a file carries no config: 8 segments, short side 256,
 * CenterCrop 224 (the 0.x Kinetics-400 protocol; 1.x's published R50 figures use TenCrop, set by the config),
 * 'prob'. */
export const MMACTION2_DEFAULT_PROTOCOL: MmActionTestProtocol = {
  release: '1.x',
  sampling: { clipLen: 1, frameInterval: 1, numClips: 8, twiceSample: false },
  resize: { shortSide: 256 },
  crop: { kind: 'center', size: 224 },
  mean: [123.675, 116.28, 103.53],
  std: [58.395, 57.12, 57.375],
  averageClips: 'prob',
};
