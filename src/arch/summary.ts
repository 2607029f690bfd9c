/** The arch spec as a person or a zoo entry sees it (a model's `tsm.arch`): names and counts, no per-layer detail. */
import type { ArchSpec, ArchSpecSummary } from '../model/spec.js';
import { moduleOf } from './registry.js';

export function summarizeArch(spec: ArchSpec): ArchSpecSummary {
  const module = moduleOf(spec.backbone);
  const own = module.summary(spec.backbone);
  return {
    name: spec.name,
    kind: spec.kind,
    backbone: module.name(spec.backbone),
    widthMultiplier: own.widthMultiplier,
    segments: spec.segments,
    shiftDiv: spec.shift.div,
    shiftPlace: spec.shift.place,
    shiftLayout: spec.shift.layout,
    shiftedBlocks: spec.shift.shiftedBlocks.length,
    numClasses: spec.head.classes,
    consensus: spec.consensus,
    inputSize: spec.inputSize,
    ...(own.temporalPool ? { temporalPool: true } : {}),
    ...(own.nonLocal ? { nonLocal: true } : {}),
    ...(spec.modality === 'Flow' ? { modality: 'Flow' as const } : {}),
  };
}
