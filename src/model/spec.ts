/**
 * The architecture spec: everything the graph builder needs besides the tensors, as plain JSON-able data.
 * Every weight is named by its state-dict key, so the builder never re-derives names.
 */
export type Activation = 'relu' | 'relu6' | 'none';

/** A convolution (no bias in these nets unless `bias` is set) followed by an optional BatchNorm. */
export interface ConvBn {
  readonly weight: string;
  readonly bias?: string;
  /** BatchNorm key prefix (`…bn1`): weight, bias, running_mean, running_var */
  readonly bn?: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
  readonly groups: number;
}

/** Where a ResNet block's temporal shift sits: none, residual branch only (`blockres`), or the whole block (`block`).
 * */
export type ResNetShift = 'none' | 'residual' | 'block';

export interface ResNetBlock {
  readonly name: string;
  readonly convs: readonly ConvBn[];
  readonly downsample?: ConvBn;
  readonly shift: ResNetShift;
  /** a non-local block applied to this block's output (TSM's NL3DWrapper: the block sits under `.block`) */
  readonly nonLocal?: NonLocalSpec;
}

/**
 * An embedded-Gaussian non-local block (docs/upstream-tsm-family.md §1) on [N, C, T, H, W]: θ, φ, g are 1×1×1 convs
 * C→C/2 (φ and g max-pooled 1×2×2), softmax(θᵀφ) over the pooled positions weighs g, W (conv C/2→C + BatchNorm3d) maps
 * back, plus x. The 1×1×1 convs are written as ConvBn with kernel 1, applied frame by frame.
 */
/**
 * The pairwise function (mmcv NonLocal3d, docs/upstream-mmaction2.md §4): softmax(θᵀφ) (`embedded_gaussian`, the
 * MIT code's only one; divided by √(C/2) first when `scale`), θᵀφ / M over the M keys (`dot_product`), or softmax(xᵀx')
 * on the block's input itself, x' max-pooled (`gaussian`: no θ, φ convs).
 */
export type NonLocalMode = 'embedded_gaussian' | 'dot_product' | 'gaussian';

export interface NonLocalSpec {
  readonly name: string;
  readonly channels: number;
  readonly interChannels: number;
  /** absent: embedded_gaussian without scale (the MIT code's) */
  readonly mode?: NonLocalMode;
  /** embedded_gaussian: logits divided by √interChannels (mmcv's use_scale) */
  readonly scale?: boolean;
  /** absent in gaussian mode: queries and keys are the input itself */
  readonly theta?: ConvBn;
  readonly phi?: ConvBn;
  readonly g: ConvBn;
  /** W with its BatchNorm3d */
  readonly w: ConvBn;
  /** φ and g max-pooled 1×2×2 (upstream's default, sub_sample=True) */
  readonly subSample: boolean;
}

/** torchvision ResNet's max-pool after the stem (part of every ResNet backbone). */
export const STEM_MAX_POOL = Object.freeze({ kernel: 3, stride: 2, padding: 1 } as const);

export interface ResNetBackbone {
  readonly family: 'resnet';
  readonly depth: number;
  readonly blockType: 'basic' | 'bottleneck';
  readonly stageBlocks: readonly number[];
  readonly stem: ConvBn;
  readonly blocks: readonly ResNetBlock[];
  readonly featureChannels: number;
  /** TSM's temporal pooling (`_tpool`): max over time (3, stride 2) in front of layer2, so layers 2–4 see T/2 */
  readonly temporalPool: boolean;
}

export interface MobileNetV2Block {
  readonly name: string;
  readonly convs: readonly ConvBn[];
  readonly residual: boolean;
  /** the block's first conv sees the temporally shifted input (identity path never does) */
  readonly shift: boolean;
}

export interface MobileNetV2Backbone {
  readonly family: 'mobilenetv2';
  readonly widthMultiplier: number;
  readonly stem: ConvBn;
  readonly blocks: readonly MobileNetV2Block[];
  readonly last: ConvBn;
  readonly featureChannels: number;
}

export type Backbone = ResNetBackbone | MobileNetV2Backbone;

export type ShiftPlace = 'blockres' | 'block' | 'none';
/** MobileNetV2 shift layouts seen in released files (docs/upstream-tsm.md §2). */
export type MobileNetShiftLayout = 'official' | 'embedded';

export interface ShiftSpec {
  readonly div: number;
  readonly place: ShiftPlace;
  readonly layout?: MobileNetShiftLayout;
  readonly shiftedBlocks: readonly string[];
}

export interface HeadSpec {
  readonly weight: string;
  readonly bias?: string;
  readonly inFeatures: number;
  readonly classes: number;
}

/** RGB: 3 channels a frame; Flow: 5 stacked (x, y) flow image pairs, 10 channels a segment
 * (docs/upstream-tsm-family.md §3). */
export type Modality = 'RGB' | 'Flow';

/** Flow segments stack new_length = 5 (x, y) pairs: upstream's fixed choice for Flow (main.py, test_models.py). */
export const FLOW_NEW_LENGTH = 5;
export const FLOW_CHANNELS = 2 * FLOW_NEW_LENGTH;

export interface ArchSpec {
  /** e.g. `TSM-resnet50`, `TSN-mobilenetv2`, `mobilenetv2` for a one-frame classifier */
  readonly name: string;
  /** `online`: one frame in, shift buffers carried between calls (one-directional shift, TSM's online demo) */
  readonly kind: 'tsm' | 'tsn' | 'image' | 'online';
  readonly backbone: Backbone;
  readonly segments: number;
  readonly shift: ShiftSpec;
  readonly head: HeadSpec;
  readonly consensus: 'avg';
  readonly inputSize: number;
  readonly modality: Modality;
  /** channels of one segment's input: 3 (RGB) or 10 (Flow) */
  readonly inputChannels: number;
}

/** The arch spec without per-layer detail: what a person or a zoo entry wants to see (a model's `tsm.arch`). */
export interface ArchSpecSummary {
  readonly name: string;
  readonly kind: ArchSpec['kind'];
  readonly backbone: string;
  readonly widthMultiplier?: number;
  readonly segments: number;
  readonly shiftDiv: number;
  readonly shiftPlace: ShiftPlace;
  readonly shiftLayout?: string;
  readonly shiftedBlocks: number;
  readonly numClasses: number;
  readonly consensus: 'avg';
  readonly inputSize: number;
  readonly temporalPool?: boolean;
  readonly nonLocal?: boolean;
  /** absent for RGB */
  readonly modality?: 'Flow';
}

/** What an ONNX graph computes in (a model's `tsm.compute_dtype`): fp16 weights alone still compute in float32. */
export type ComputeDtype = 'float32' | 'float16' | 'int8';
