/** The shapes of an MMAction2 config's TSM/TSN settings (mmaction2.ts reads them) and the names they may take. */

export interface Sourced<T> {
  readonly value: T;
  /** where in the config: `model.backbone.num_segments`, `test_dataloader.dataset.pipeline[1].num_clips` */
  readonly from: string;
}

export type MmActionRelease = '1.x' | '0.x';

export interface ConfigWarning {
  readonly code: 'W_CONFIG_UNKNOWN_TYPE' | 'W_CONFIG_UNKNOWN_VALUE' | 'W_CONFIG_MISMATCH' | 'W_CONFIG_RELEASE';
  readonly path: string;
  readonly message: string;
}

export const SHIFT_PLACES = ['blockres', 'block'] as const;
export const NON_LOCAL_MODES = ['embedded_gaussian', 'dot_product', 'gaussian', 'concatenation'] as const;
export const AVERAGE_CLIPS = ['prob', 'score'] as const;
export const KNOWN_RECOGNIZERS = ['Recognizer2D'] as const;
export const KNOWN_BACKBONES = ['ResNetTSM', 'ResNet', 'MobileNetV2TSM', 'MobileNetV2'] as const;
export const SAMPLERS = ['SampleFrames', 'DenseSampleFrames'] as const;
export const KNOWN_HEADS = ['TSMHead', 'TSNHead'] as const;
/** blocks per stage of MMAction2's ResNet (`resnet.py` arch_settings) */
export const RESNET_STAGE_BLOCKS: Readonly<Record<number, readonly number[]>> = Object.freeze({
  18: [2, 2, 2, 2],
  34: [3, 4, 6, 3],
  50: [3, 4, 6, 3],
  101: [3, 4, 23, 3],
  152: [3, 8, 36, 3],
});

export interface MmActionBackbone {
  readonly type?: Sourced<string>;
  readonly depth?: Sourced<number>;
  readonly numSegments?: Sourced<number>;
  readonly isShift?: Sourced<boolean>;
  readonly shiftDiv?: Sourced<number>;
  readonly shiftPlace?: Sourced<(typeof SHIFT_PLACES)[number]>;
  readonly temporalPool?: Sourced<boolean>;
  /** per stage, one flag a block: 1 where the block is followed by a non-local block */
  readonly nonLocal?: Sourced<readonly (readonly (0 | 1)[])[]>;
  readonly nonLocalCfg: {
    readonly mode?: Sourced<(typeof NON_LOCAL_MODES)[number]>;
    readonly useScale?: Sourced<boolean>;
    readonly subSample?: Sourced<boolean>;
  };
  readonly pretrained?: Sourced<string | null>;
  readonly pretrained2d?: Sourced<boolean>;
  readonly widenFactor?: Sourced<number>;
}

export interface MmActionHead {
  readonly type?: Sourced<string>;
  readonly numClasses?: Sourced<number>;
  readonly inChannels?: Sourced<number>;
  readonly isShift?: Sourced<boolean>;
  readonly numSegments?: Sourced<number>;
  readonly temporalPool?: Sourced<boolean>;
  readonly consensus?: Sourced<string>;
  readonly spatialType?: Sourced<string>;
  /** 'prob': softmax each view, then mean; 'score': mean of the raw scores; null: no averaging */
  readonly averageClips?: Sourced<(typeof AVERAGE_CLIPS)[number] | null>;
}

export interface MmActionNormalization {
  /** on 0–255 values, in the channel order the decoder gives (RGB for decord and for `channel_order='rgb'` frames) */
  readonly mean?: Sourced<readonly number[]>;
  readonly std?: Sourced<readonly number[]>;
  /** 0.x Normalize: swap RGB → BGR before normalising */
  readonly toBgr?: Sourced<boolean>;
  /** 1.x ActionDataPreprocessor: swap BGR → RGB before normalising */
  readonly toRgb?: Sourced<boolean>;
}

export interface MmActionSampling {
  readonly type: Sourced<(typeof SAMPLERS)[number]>;
  readonly clipLen?: Sourced<number>;
  readonly frameInterval?: Sourced<number>;
  readonly numClips?: Sourced<number>;
  readonly twiceSample?: Sourced<boolean>;
  readonly testMode?: Sourced<boolean>;
  readonly startIndex?: Sourced<number>;
  readonly outOfBoundOpt?: Sourced<string>;
  /** DenseSampleFrames */
  readonly sampleRange?: Sourced<number>;
  readonly numSamplePositions?: Sourced<number>;
}

export interface MmActionPipeline {
  readonly from: string;
  /** each step's type, in order */
  readonly steps: readonly string[];
  readonly decode?: Sourced<'video' | 'frames'>;
  /** the step that says so: DecordInit, OpenCVInit, PyAVInit or RawFrameDecode */
  readonly decoder?: Sourced<string>;
  readonly sampling?: MmActionSampling;
  readonly resize?: {
    /** (w, h); -1 keeps the aspect ratio (MMAction2 scales the short side to the other value) */
    readonly scale?: Sourced<readonly [number, number]>;
    readonly scaleFactor?: Sourced<number>;
    readonly keepRatio?: Sourced<boolean>;
    readonly interpolation?: Sourced<string>;
  };
  readonly crop?: {
    readonly kind: Sourced<'center' | 'three' | 'ten'>;
    readonly size?: Sourced<readonly [number, number]>;
  };
  readonly flip?: { readonly flipRatio?: Sourced<number> };
  readonly inputFormat?: Sourced<string>;
}

export interface MmActionDataset {
  readonly type?: Sourced<string>;
  readonly filenameTmpl?: Sourced<string>;
  readonly startIndex?: Sourced<number>;
  readonly modality?: Sourced<string>;
}

export interface MmActionSettings {
  readonly release?: Sourced<MmActionRelease>;
  readonly recognizer?: Sourced<string>;
  readonly backbone: MmActionBackbone;
  readonly head: MmActionHead;
  /** the model's segments: the backbone's num_segments, else the head's */
  readonly segments?: Sourced<number>;
  readonly normalization: MmActionNormalization;
  readonly testPipeline?: MmActionPipeline;
  readonly dataset: MmActionDataset;
  readonly warnings: readonly ConfigWarning[];
}

export interface MmActionSettingsOptions {
  /** names the config in errors, e.g. `model.pth meta.cfg` (default `config`) */
  readonly source?: string;
  /** the release the file says it is (a `meta.cfg` key is 1.x, `meta.config` 0.x); the config's own evidence is
   * checked against it */
  readonly release?: MmActionRelease;
}
