import type { ArchSpecSummary } from '../convert/convert.js';

/**
 * The parts of the upstream family beyond a plain backbone, as convert's summary line and inspect's `detected` line
 * name them (the same words in both).
 */
export function archFeatureNames(a: ArchSpecSummary): string[] {
  return [
    ...(a.temporalPool ? [`temporal pooling (layers 2–4 on ${a.segments / 2} segments)`] : []),
    ...(a.nonLocal ? ['non-local blocks after layer2.{0,2} and layer3.{0,2,4}'] : []),
    ...(a.modality === 'Flow' ? ['Flow input (5 stacked x/y flow pairs = 10 channels a segment)'] : []),
  ];
}
