/**
 * Multiply-accumulate count of a TSN/TSM graph per clip, from its ArchSpec: the backbone's (its module counts its
 * convolutions, non-local attention, a temporal pool's halving of the frames) and the head's.
 */
import type { ArchSpec } from '../model/spec.js';
import { headMacs } from './blocks/head.js';
import { moduleOf } from './registry.js';

export function countMacs(spec: ArchSpec): number {
  const { macs, frames } = moduleOf(spec.backbone).macs(spec.backbone, spec);
  return macs + headMacs(spec.head, frames);
}
