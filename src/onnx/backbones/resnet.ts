/** torchvision ResNet on the frame tensor: stem, max-pool, blocks with their shifts, temporal pool and non-local. */
import { outputSize, STEM_MAX_POOL, temporalPoolBlock } from '../../arch/resnet.js';
import type { ResNetBackbone } from '../../model/spec.js';
import { windowAttributes, type Feature, type GraphContext } from '../graph.js';
import { nonLocalBlock } from '../blocks/non-local.js';
import { temporalPool } from '../blocks/temporal-pool.js';
import { shiftFeature } from '../blocks/temporal-shift.js';
import { canSplitShift, resnetSplitBackbone } from './resnet-split.js';

export function resnetBackbone(ctx: GraphContext, f: Feature, b: ResNetBackbone): Feature {
  // float blockres TSM: the shift on a quarter of the channels only (1.28× → ~1.05× of TSN's time, bench:shift)
  if (canSplitShift(ctx, b)) return resnetSplitBackbone(ctx, f, b);
  let x = ctx.conv(f, b.stem, 'relu');
  const pooled = ctx.moveData(x.x, 'maxpool', (input) => ctx.g.op('MaxPool', [input], windowAttributes(STEM_MAX_POOL), 'maxpool'));
  x = { x: pooled, c: x.c, h: outputSize(x.h, STEM_MAX_POOL), w: outputSize(x.w, STEM_MAX_POOL) };
  const pooledBefore = temporalPoolBlock(b);
  for (const block of b.blocks) {
    if (block.name === pooledBefore) x = temporalPool(ctx, x);
    const input = block.shift === 'block' ? shiftFeature(ctx, x, block.name) : x;
    let y = block.shift === 'residual' ? shiftFeature(ctx, input, block.name) : input;
    block.convs.forEach((c, i) => {
      y = ctx.conv(y, c, i < block.convs.length - 1 ? 'relu' : 'none');
    });
    const identity = block.downsample ? ctx.conv(input, block.downsample, 'none') : input;
    const sum = ctx.g.op('Add', [y.x, identity.x]);
    x = { ...y, x: ctx.activation(ctx.g.op('Relu', [sum])) };
    if (block.nonLocal) x = nonLocalBlock(ctx, x, block.nonLocal);
  }
  return x;
}
