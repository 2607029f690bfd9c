/**
 * What an architecture module is: everything tsm knows of one backbone family, from weights to graph. Each family
 * is one file (resnet.ts, mobilenetv2.ts) exporting one of these; the registry (registry.ts) is the table of them,
 * and nothing outside a module asks which family a backbone is. Adding an architecture is adding a module.
 */
import type { ArchSpec, ArchSpecSummary, Backbone, MobileNetShiftLayout, ShiftPlace } from '../model/spec.js';
import { type Feature, type GraphContext, type GraphPrecision, outputSize } from '../onnx/graph.js';
import type { StateDict } from './tensors.js';

/** A backbone read from the weights, and where its temporal shifts sit. */
export interface BackboneReading<B extends Backbone = Backbone> {
  readonly backbone: B;
  readonly place: ShiftPlace;
  readonly layout?: MobileNetShiftLayout;
  /** the shifted blocks, as the model names them */
  readonly shiftedBlocks: readonly string[];
  /** what the weights do unlike upstream's rules (followed anyway) */
  readonly warnings: readonly string[];
}

export interface ArchitectureModule<B extends Backbone = Backbone> {
  readonly family: B['family'];
  /** how a person names the family: `ResNet` */
  readonly title: string;
  /** what its weights look like, for the message that lists what tsm can place: `a torchvision ResNet (conv1/…)` */
  readonly describes: string;
  /** the variants it builds, for messages that list what is known */
  readonly known: readonly string[];
  /** the first convolution's canonical key: its input channels say the modality (RGB 3, Flow 10) */
  readonly inputConv: string;
  /** whether a canonical state dict holds this family's backbone */
  detect(sd: StateDict): boolean;
  read(sd: StateDict, inputChannels: number): BackboneReading<B>;
  /** `resnet50`, `mobilenetv2`: what `--arch` and the TSM file name call it */
  name(b: B): string;
  /** the family's own fields of the arch summary (width, temporal pooling, non-local) */
  summary(b: B): Partial<ArchSpecSummary>;
  /**
   * The streaming form of this backbone (the online demo's: one frame a call, shift buffers carried), for weights
   * without shift wrappers too; absent for families that have none.
   */
  online?(reading: BackboneReading<B>, sd: StateDict): BackboneReading<B>;
  /** Refuses what this backbone's blocks cannot be built in at `precision` (by the error each raises). */
  checkPrecision(b: B, precision: GraphPrecision): void;
  /** the backbone on the frame tensor [N·T, C, S, S] */
  build(ctx: GraphContext, f: Feature, b: B): Feature;
  /** multiply-accumulates of one clip through the backbone, and how many frames its last stage sees */
  macs(b: B, spec: ArchSpec): { readonly macs: number; readonly frames: number };
}

/** MACs of one convolution over `frames` square inputs of side `size`; returns the output side too. */
export function convMacs(
  c: { inChannels: number; outChannels: number; groups: number; kernel: number; stride: number; padding: number },
  frames: number,
  size: number,
): { macs: number; size: number } {
  const out = outputSize(size, c);
  return { macs: frames * out * out * c.outChannels * (c.inChannels / c.groups) * c.kernel * c.kernel, size: out };
}
