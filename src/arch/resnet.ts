/**
 * torchvision ResNet-18/34/50/101/152 (BasicBlock / Bottleneck, stride on the 3×3 conv) as TSN/TSM uses it, from
 * weights to graph. Shift wrappers are read from the canonical keys: `layerX.i.conv1.net.weight` (blockres: the
 * residual branch shifted) or `layerX.i.net.conv1.weight` (block: the whole block); temporal pooling and non-local
 * blocks are the blocks/ modules'.
 */
import { TsmError } from '../errors.js';
import {
  type ConvBn,
  type ResNetBackbone,
  type ResNetBlock,
  type ResNetShift,
  type ShiftPlace,
  STEM_MAX_POOL,
} from '../model/spec.js';
import { type Feature, type GraphContext, outputSize, windowAttributes } from '../onnx/graph.js';
import {
  attentionMacs,
  checkNonLocalPlaces,
  expectNonLocalWrapper,
  hasNonLocal,
  nonLocalBlock,
  readNonLocal,
  refuseNonLocalPrecision,
} from './blocks/non-local.js';
import {
  hasTemporalPool,
  POOLED_STAGE,
  pooledStagePrefix,
  refuseTemporalPoolPrecision,
  temporalPool,
  temporalPoolBlock,
} from './blocks/temporal-pool.js';
import { shiftFeature } from './blocks/temporal-shift.js';
import { refuseNonLocalWithTemporalPool } from './features.js';
import { type ArchitectureModule, type BackboneReading, convMacs } from './module.js';
import { canSplitShift, resnetSplitBackbone } from './resnet-split.js';
import { childIndices, expectBatchNorm, hasPrefix, type StateDict, shapeOf } from './tensors.js';

const DEPTHS: ReadonlyArray<{ depth: number; type: 'basic' | 'bottleneck'; blocks: readonly number[] }> = [
  { depth: 18, type: 'basic', blocks: [2, 2, 2, 2] },
  { depth: 34, type: 'basic', blocks: [3, 4, 6, 3] },
  { depth: 50, type: 'bottleneck', blocks: [3, 4, 6, 3] },
  { depth: 101, type: 'bottleneck', blocks: [3, 4, 23, 3] },
  { depth: 152, type: 'bottleneck', blocks: [3, 8, 36, 3] },
];

function convBn(sd: StateDict, weight: string, bn: string, inChannels: number, stride: number): ConvBn {
  const [out, inPerGroup, k] = shapeOf(sd, weight);
  if (inPerGroup !== inChannels) {
    const key = sd.modelName(weight);
    throw new TsmError(
      'unsupported',
      'E_SHAPE_MISMATCH',
      `'${key}' expects ${inPerGroup} input channels but the previous layer gives ${inChannels}`,
      {
        details: { key, expected: inChannels, found: inPerGroup },
      },
    );
  }
  expectBatchNorm(sd, bn, out);
  return { weight, bn, inChannels, outChannels: out, kernel: k, stride, padding: (k - 1) >> 1, groups: 1 };
}

/** `inputChannels`: 3 for RGB, 10 for Flow (conv1 sees 5 stacked x/y flow pairs). */
function readBackbone(sd: StateDict, inputChannels: number): ResNetBackbone {
  const stem = convBn(sd, 'conv1.weight', 'bn1', inputChannels, 2);
  const temporalPool = hasTemporalPool(sd);
  const stagePrefix = (s: number) =>
    s === POOLED_STAGE && temporalPool ? pooledStagePrefix(`layer${s}`) : `layer${s}`;
  const stageBlocks = [1, 2, 3, 4].map((s) => childIndices(sd, stagePrefix(s)).length);
  const bottleneck = [...sd.keys()].some((k) => k.startsWith('layer1.0.') && k.includes('conv3'));
  const type = bottleneck ? 'bottleneck' : 'basic';
  const known = DEPTHS.find((d) => d.type === type && d.blocks.every((n, i) => n === stageBlocks[i]));
  if (!known) {
    throw new TsmError(
      'unsupported',
      'E_UNKNOWN_LAYOUT',
      `ResNet with ${type} blocks per stage [${stageBlocks.join(', ')}] is not a torchvision depth`,
      {
        hint: `known: ${DEPTHS.map((d) => `resnet${d.depth} ${d.type} [${d.blocks.join(',')}]`).join('; ')}`,
        details: { stageBlocks },
      },
    );
  }
  const blocks: ResNetBlock[] = [];
  const nonLocalPlaces: Array<{ stage: number; index: number; name: string }> = [];
  let channels = stem.outChannels;
  for (let s = 1; s <= 4; s++) {
    for (let i = 0; i < stageBlocks[s - 1]; i++) {
      const name = `${stagePrefix(s)}.${i}`;
      // a non-local wrapper moves the block under `.block` (docs/upstream-tsm-family.md §1)
      const nonLocal = hasNonLocal(sd, name);
      if (nonLocal) {
        expectNonLocalWrapper(sd, name);
        nonLocalPlaces.push({ stage: s, index: i, name });
      }
      const inner = nonLocal ? `${name}.block` : name;
      const wrapped = sd.has(`${inner}.net.conv1.weight`);
      const residual = sd.has(`${inner}.conv1.net.weight`);
      const shift: ResNetShift = wrapped ? 'block' : residual ? 'residual' : 'none';
      const base = wrapped ? `${inner}.net` : inner;
      const stride = s > 1 && i === 0 ? 2 : 1;
      const conv1Key = residual ? `${base}.conv1.net.weight` : `${base}.conv1.weight`;
      const convs: ConvBn[] = [];
      if (type === 'basic') {
        convs.push(convBn(sd, conv1Key, `${base}.bn1`, channels, stride));
        convs.push(convBn(sd, `${base}.conv2.weight`, `${base}.bn2`, convs[0].outChannels, 1));
      } else {
        convs.push(convBn(sd, conv1Key, `${base}.bn1`, channels, 1));
        convs.push(convBn(sd, `${base}.conv2.weight`, `${base}.bn2`, convs[0].outChannels, stride));
        convs.push(convBn(sd, `${base}.conv3.weight`, `${base}.bn3`, convs[1].outChannels, 1));
      }
      const out = convs[convs.length - 1].outChannels;
      const downsample = sd.has(`${base}.downsample.0.weight`)
        ? convBn(sd, `${base}.downsample.0.weight`, `${base}.downsample.1`, channels, stride)
        : undefined;
      if (!downsample && (out !== channels || stride !== 1)) {
        throw new TsmError(
          'unsupported',
          'E_MISSING_TENSOR',
          `block '${sd.modelName(name)}' changes shape (${channels}→${out} channels, stride ` +
            `${stride}) but has no downsample`,
          {
            details: { key: sd.modelName(`${base}.downsample.0.weight`) },
          },
        );
      }
      blocks.push({ name, convs, downsample, shift, ...(nonLocal ? { nonLocal: readNonLocal(sd, name, out) } : {}) });
      channels = out;
    }
  }
  checkNonLocalPlaces(known.depth, nonLocalPlaces);
  refuseNonLocalWithTemporalPool(nonLocalPlaces.length > 0, temporalPool);
  return {
    family: 'resnet',
    depth: known.depth,
    blockType: type,
    stageBlocks,
    stem,
    blocks,
    featureChannels: channels,
    temporalPool,
  };
}

/** What TSM's make_temporal_shift does for `blockres`: every block, or every second one when layer3 has ≥ 23. */
function expectedBlockresShift(backbone: ResNetBackbone, blockIndex: number): boolean {
  const everySecond = backbone.stageBlocks[2] >= 23;
  return !everySecond || blockIndex % 2 === 0;
}

function indexInStage(backbone: ResNetBackbone, flatIndex: number): number {
  let i = flatIndex;
  for (const n of backbone.stageBlocks) {
    if (i < n) return i;
    i -= n;
  }
  return i;
}

/** Where the weights put shifts, against TSM's rule for `blockres`. */
function shifts(sd: StateDict, backbone: ResNetBackbone): BackboneReading<ResNetBackbone> {
  const modes = new Set(backbone.blocks.map((b) => b.shift).filter((s) => s !== 'none'));
  if (modes.size > 1)
    throw new TsmError('unsupported', 'E_UNKNOWN_LAYOUT', 'ResNet mixes block and blockres shift wrappers');
  const place: ShiftPlace = modes.has('block') ? 'block' : modes.has('residual') ? 'blockres' : 'none';
  const shiftedBlocks: string[] = [];
  const warnings: string[] = [];
  backbone.blocks.forEach((b, i) => {
    if (b.shift !== 'none') shiftedBlocks.push(sd.modelName(b.name));
    if (place === 'blockres' && (b.shift !== 'none') !== expectedBlockresShift(backbone, indexInStage(backbone, i))) {
      warnings.push(
        `block ${sd.modelName(b.name)} is ${b.shift === 'none' ? 'not ' : ''}shifted, unlike TSM's blockres ` +
          `rule; following the weights`,
      );
    }
  });
  return { backbone, place, shiftedBlocks, warnings };
}

function buildResNet(ctx: GraphContext, f: Feature, b: ResNetBackbone): Feature {
  // float blockres TSM: the shift on a quarter of the channels only (1.28× → ~1.05× of TSN's time, bench:shift)
  if (canSplitShift(ctx, b)) return resnetSplitBackbone(ctx, f, b);
  let x = ctx.conv(f, b.stem, 'relu');
  const pooled = ctx.moveData(x.x, 'maxpool', (input) =>
    ctx.g.op('MaxPool', [input], windowAttributes(STEM_MAX_POOL), 'maxpool'),
  );
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

function resnetMacs(b: ResNetBackbone, segments: number, inputSize: number): { macs: number; frames: number } {
  let macs = 0;
  let frames = segments;
  const conv = (c: ConvBn, size: number): number => {
    const r = convMacs(c, frames, size);
    macs += r.macs;
    return r.size;
  };
  let h = outputSize(conv(b.stem, inputSize), STEM_MAX_POOL);
  const pooledBefore = temporalPoolBlock(b);
  for (const block of b.blocks) {
    if (block.name === pooledBefore) frames /= 2;
    let y = h;
    for (const c of block.convs) y = conv(c, y);
    if (block.downsample) conv(block.downsample, h);
    h = y;
    const nl = block.nonLocal;
    if (nl) {
      for (const c of [nl.theta, nl.phi, nl.g, nl.w]) if (c) conv(c, h);
      macs += attentionMacs(nl, frames, h);
    }
  }
  return { macs, frames };
}

export const RESNET: ArchitectureModule<ResNetBackbone> = {
  family: 'resnet',
  title: 'ResNet',
  describes: 'a torchvision ResNet (conv1/bn1/layer1…)',
  known: DEPTHS.map((d) => `resnet${d.depth}`),
  inputConv: 'conv1.weight',
  detect: (sd) => sd.has('conv1.weight') && sd.has('bn1.weight') && hasPrefix(sd, 'layer1.'),
  read: (sd, inputChannels) => shifts(sd, readBackbone(sd, inputChannels)),
  name: (b) => `resnet${b.depth}`,
  summary: (b) => ({
    ...(b.temporalPool ? { temporalPool: true } : {}),
    ...(b.blocks.some((x) => x.nonLocal) ? { nonLocal: true } : {}),
  }),
  checkPrecision(b, precision) {
    if (precision.mode === 'float') return;
    if (b.temporalPool) refuseTemporalPoolPrecision(precision);
    if (b.blocks.some((x) => x.nonLocal)) refuseNonLocalPrecision(precision);
  },
  build: buildResNet,
  macs: (b, spec) => resnetMacs(b, spec.segments, spec.inputSize),
};
