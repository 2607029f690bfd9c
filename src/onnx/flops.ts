/**
 * Multiply-accumulate count of a TSN/TSM graph per clip, from its ArchSpec: convolutions, non-local attention (its
 * 1×1 convs and both MatMuls) and the head; layers after a temporal pool run on T/2 frames.
 */
import { outputSize, STEM_MAX_POOL, temporalPoolBlock } from '../arch/resnet.js';
import type { ArchSpec, ConvBn } from '../model/spec.js';

export function countMacs(spec: ArchSpec): number {
  let macs = 0;
  let frames = spec.segments;
  let h = spec.inputSize;
  const conv = (c: ConvBn, size: number): number => {
    const out = outputSize(size, c);
    macs += frames * out * out * c.outChannels * (c.inChannels / c.groups) * c.kernel * c.kernel;
    return out;
  };
  const b = spec.backbone;
  h = conv(b.stem, h);
  if (b.family === 'resnet') {
    h = outputSize(h, STEM_MAX_POOL);
    const pooledBefore = temporalPoolBlock(b);
    for (const block of b.blocks) {
      if (block.name === pooledBefore) frames /= 2;
      let y = h;
      for (const c of block.convs) y = conv(c, y);
      if (block.downsample) conv(block.downsample, h);
      h = y;
      const nl = block.nonLocal;
      if (nl) {
        for (const c of [nl.theta, nl.phi, nl.g, nl.w]) conv(c, h);
        const positions = frames * h * h;
        const pooled = frames * Math.floor(h / 2) ** 2;
        macs += 2 * positions * pooled * nl.interChannels;
      }
    }
  } else {
    for (const block of b.blocks) for (const c of block.convs) h = conv(c, h);
    h = conv(b.last, h);
  }
  macs += frames * spec.head.inFeatures * spec.head.classes;
  return macs;
}
