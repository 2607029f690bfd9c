/**
 * torchvision ResNet-18/34/50/101/152 (BasicBlock / Bottleneck, stride on the 3×3 conv) with TSM shift wrappers
 * recognised from the keys: `layerX.i.conv1.net.weight` (blockres) or `layerX.i.net.conv1.weight` (block).
 */
import { TsmError } from '../errors.js';
import { checkNonLocalPlaces, expectNonLocalWrapper, hasNonLocal, readNonLocal } from './non-local.js';
import type { ConvBn, ResNetBackbone, ResNetBlock, ResNetShift } from '../model/spec.js';
import { childIndices, expectBatchNorm, shapeOf, type StateDict } from './tensors.js';

const DEPTHS: ReadonlyArray<{ depth: number; type: 'basic' | 'bottleneck'; blocks: readonly number[] }> = [
  { depth: 18, type: 'basic', blocks: [2, 2, 2, 2] },
  { depth: 34, type: 'basic', blocks: [3, 4, 6, 3] },
  { depth: 50, type: 'bottleneck', blocks: [3, 4, 6, 3] },
  { depth: 101, type: 'bottleneck', blocks: [3, 4, 23, 3] },
  { depth: 152, type: 'bottleneck', blocks: [3, 8, 36, 3] },
];

export function looksLikeResNet(sd: StateDict, prefix: string): boolean {
  return sd.has(`${prefix}conv1.weight`) && sd.has(`${prefix}bn1.weight`) && [...sd.keys()].some((k) => k.startsWith(`${prefix}layer1.`));
}

function convBn(sd: StateDict, weight: string, bn: string, inChannels: number, stride: number): ConvBn {
  const [out, inPerGroup, k] = shapeOf(sd, weight);
  if (inPerGroup !== inChannels) {
    throw new TsmError('unsupported', 'E_SHAPE_MISMATCH', `'${weight}' expects ${inPerGroup} input channels but the previous layer gives ${inChannels}`, {
      details: { key: weight, expected: inChannels, found: inPerGroup },
    });
  }
  expectBatchNorm(sd, bn, out);
  return { weight, bn, inChannels, outChannels: out, kernel: k, stride, padding: (k - 1) >> 1, groups: 1 };
}

/** `inputChannels`: 3 for RGB, 10 for Flow (conv1 sees 5 stacked x/y flow pairs). */
export function readResNet(sd: StateDict, prefix: string, inputChannels = 3): ResNetBackbone {
  const stem = convBn(sd, `${prefix}conv1.weight`, `${prefix}bn1`, inputChannels, 2);
  // temporal pooling wraps layer2: its blocks sit under `layer2.net.`
  const temporalPool = [...sd.keys()].some((k) => k.startsWith(`${prefix}layer2.net.0.`));
  const stagePrefix = (s: number) => (s === 2 && temporalPool ? `${prefix}layer2.net` : `${prefix}layer${s}`);
  const stageBlocks = [1, 2, 3, 4].map((s) => childIndices(sd, stagePrefix(s)).length);
  const bottleneck = [...sd.keys()].some((k) => k.startsWith(`${prefix}layer1.0.`) && k.includes('conv3'));
  const type = bottleneck ? 'bottleneck' : 'basic';
  const known = DEPTHS.find((d) => d.type === type && d.blocks.every((n, i) => n === stageBlocks[i]));
  if (!known) {
    throw new TsmError('unsupported', 'E_UNKNOWN_LAYOUT', `ResNet with ${type} blocks per stage [${stageBlocks.join(', ')}] is not a torchvision depth`, {
      hint: `known: ${DEPTHS.map((d) => `resnet${d.depth} ${d.type} [${d.blocks.join(',')}]`).join('; ')}`,
      details: { stageBlocks },
    });
  }
  const blocks: ResNetBlock[] = [];
  const nonLocalPlaces: Array<{ stage: number; index: number; name: string }> = [];
  let channels = stem.outChannels;
  for (let s = 1; s <= 4; s++) {
    for (let i = 0; i < stageBlocks[s - 1]; i++) {
      const name = `${stagePrefix(s)}.${i}`;
      // a non-local wrapper moves the block under `.block` (TSM-FACTS-2 §1)
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
      const downsample = sd.has(`${base}.downsample.0.weight`) ? convBn(sd, `${base}.downsample.0.weight`, `${base}.downsample.1`, channels, stride) : undefined;
      if (!downsample && (out !== channels || stride !== 1)) {
        throw new TsmError('unsupported', 'E_MISSING_TENSOR', `block '${name}' changes shape (${channels}→${out} channels, stride ${stride}) but has no downsample`, {
          details: { key: `${base}.downsample.0.weight` },
        });
      }
      blocks.push({ name, convs, downsample, shift, ...(nonLocal ? { nonLocal: readNonLocal(sd, name, out) } : {}) });
      channels = out;
    }
  }
  checkNonLocalPlaces(known.depth, nonLocalPlaces);
  return { family: 'resnet', depth: known.depth, blockType: type, stageBlocks, stem, blocks, featureChannels: channels, temporalPool };
}

/** A square window's output size: convolutions and pools alike (floor division, as torch computes it). */
export function outputSize(n: number, op: { readonly kernel: number; readonly stride: number; readonly padding: number }): number {
  return Math.floor((n + 2 * op.padding - op.kernel) / op.stride) + 1;
}

/** torchvision ResNet's max-pool after the stem. */
export const STEM_MAX_POOL = { kernel: 3, stride: 2, padding: 1 } as const;

/** The block temporal pooling runs in front of (layer2.0), where layers 2–4 start seeing T/2 frames. */
export function temporalPoolBlock(backbone: ResNetBackbone): string | undefined {
  return backbone.temporalPool ? backbone.blocks[backbone.stageBlocks[0]]?.name : undefined;
}

/** What TSM's make_temporal_shift does for `blockres`: every block, or every second one when layer3 has ≥ 23. */
export function expectedBlockresShift(backbone: ResNetBackbone, blockIndex: number): boolean {
  const everySecond = backbone.stageBlocks[2] >= 23;
  return !everySecond || blockIndex % 2 === 0;
}
