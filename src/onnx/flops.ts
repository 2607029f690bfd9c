/** Multiply-accumulate count of a TSN/TSM graph per clip, from its ArchSpec (convolutions and the head). */
import type { ArchSpec, ConvBn } from '../arch/spec.js';

export function countMacs(spec: ArchSpec): number {
  let macs = 0;
  let h = spec.inputSize;
  const conv = (c: ConvBn, size: number): number => {
    const out = Math.floor((size + 2 * c.padding - c.kernel) / c.stride) + 1;
    macs += out * out * c.outChannels * (c.inChannels / c.groups) * c.kernel * c.kernel;
    return out;
  };
  const b = spec.backbone;
  h = conv(b.stem, h);
  if (b.family === 'resnet') {
    h = Math.floor((h + 2 - 3) / 2) + 1; // max pool
    for (const block of b.blocks) {
      let y = h;
      for (const c of block.convs) y = conv(c, y);
      if (block.downsample) conv(block.downsample, h);
      h = y;
    }
  } else {
    for (const block of b.blocks) for (const c of block.convs) h = conv(c, h);
    h = conv(b.last, h);
  }
  macs += spec.head.inFeatures * spec.head.classes;
  return macs * spec.segments;
}
