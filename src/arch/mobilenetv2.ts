/**
 * MobileNetV2 in the tonylins layout used by TSM: features[0] conv3×3 s2, features[1..17] inverted residuals,
 * features[18] conv1×1, then a linear classifier. Channels come from weight shapes (any width multiplier); strides
 * from the fixed (t, c, n, s) table. Shift layouts: official `conv.0.net` on residual 8-module blocks, the embedded
 * fork's `conv.net.M` on every block, or none.
 */
import { TsmError } from '../errors.js';
import type { ConvBn, MobileNetShiftLayout, MobileNetV2Backbone, MobileNetV2Block } from '../model/spec.js';
import { childIndices, expectBatchNorm, shapeOf, type StateDict } from './tensors.js';

/** features index → stride of its depthwise conv, from (t,c,n,s) = (1,16,1,1),(6,24,2,2),(6,32,3,2),(6,64,4,2),(6,96,3,1),(6,160,3,2),(6,320,1,1). */
const STRIDE_TWO_BLOCKS = new Set([2, 4, 7, 14]);
const BLOCK_COUNT = 17;

export function looksLikeMobileNetV2(sd: StateDict, prefix: string): boolean {
  return sd.has(`${prefix}features.0.0.weight`) && (sd.has(`${prefix}features.1.conv.0.weight`) || sd.has(`${prefix}features.1.conv.net.0.weight`));
}

function conv(sd: StateDict, weight: string, bn: string, inChannels: number, stride: number): ConvBn {
  const [out, inPerGroup, k] = shapeOf(sd, weight);
  const groups = inChannels / inPerGroup;
  if (!Number.isInteger(groups) || out % groups !== 0) {
    throw new TsmError('unsupported', 'E_SHAPE_MISMATCH', `'${weight}' [${shapeOf(sd, weight).join(', ')}] does not fit ${inChannels} input channels`, {
      details: { key: weight, expected: inChannels, found: inPerGroup },
    });
  }
  expectBatchNorm(sd, bn, out);
  return { weight, bn, inChannels, outChannels: out, kernel: k, stride, padding: (k - 1) >> 1, groups };
}

export interface MobileNetV2Reading {
  readonly backbone: MobileNetV2Backbone;
  readonly layout: MobileNetShiftLayout | 'none';
}

/** `inputChannels`: 3 for RGB, 10 for Flow. */
export function readMobileNetV2(sd: StateDict, prefix: string, inputChannels = 3): MobileNetV2Reading {
  const f = `${prefix}features`;
  const indices = childIndices(sd, f);
  if (indices.length !== BLOCK_COUNT + 2 || indices[indices.length - 1] !== BLOCK_COUNT + 1) {
    throw new TsmError('unsupported', 'E_UNKNOWN_LAYOUT', `MobileNetV2 '${f}' has entries [${indices.join(', ')}], expected 0..18`, { details: { indices } });
  }
  const stem = conv(sd, `${f}.0.0.weight`, `${f}.0.1`, inputChannels, 2);
  let channels = stem.outChannels;
  const blocks: MobileNetV2Block[] = [];
  const layouts = new Set<MobileNetShiftLayout | 'none'>();
  for (let n = 1; n <= BLOCK_COUNT; n++) {
    const name = `${f}.${n}`;
    const embedded = sd.has(`${name}.conv.net.0.weight`);
    const official = sd.has(`${name}.conv.0.net.weight`);
    const base = embedded ? `${name}.conv.net` : `${name}.conv`;
    const key = (m: number) => (official && m === 0 ? `${base}.0.net.weight` : `${base}.${m}.weight`);
    const stride = STRIDE_TWO_BLOCKS.has(n) ? 2 : 1;
    const present = childIndices(sd, base);
    const modules = present.length ? present[present.length - 1] + 1 : 0; // ReLU6 modules hold no tensors
    const convs: ConvBn[] = [];
    if (modules === 5) {
      // t = 1: depthwise 3×3, BN, ReLU6, pointwise, BN
      convs.push(conv(sd, key(0), `${base}.1`, channels, stride));
      convs.push(conv(sd, key(3), `${base}.4`, convs[0].outChannels, 1));
    } else if (modules === 8) {
      convs.push(conv(sd, key(0), `${base}.1`, channels, 1));
      convs.push(conv(sd, key(3), `${base}.4`, convs[0].outChannels, stride));
      convs.push(conv(sd, key(6), `${base}.7`, convs[1].outChannels, 1));
    } else {
      throw new TsmError('unsupported', 'E_UNKNOWN_LAYOUT', `MobileNetV2 block '${name}' has ${modules} modules in its conv, expected 5 or 8`, { details: { key: base } });
    }
    const out = convs[convs.length - 1].outChannels;
    const residual = stride === 1 && out === channels;
    const shift = embedded || official;
    layouts.add(embedded ? 'embedded' : official ? 'official' : 'none');
    if (official && !(residual && modules === 8)) {
      throw new TsmError('unsupported', 'E_UNKNOWN_LAYOUT', `'${name}' is shifted at conv.0 but is not a residual 8-module block; no known TSM layout does that`, { details: { key: `${base}.0.net.weight` } });
    }
    blocks.push({ name, convs, residual, shift });
    channels = out;
  }
  const last = conv(sd, `${f}.18.0.weight`, `${f}.18.1`, channels, 1);
  const width = stem.outChannels / 32;
  const used = [...layouts].filter((l) => l !== 'none');
  if (used.length > 1) throw new TsmError('unsupported', 'E_UNKNOWN_LAYOUT', `MobileNetV2 mixes shift layouts: ${used.join(' and ')}`);
  const layout: MobileNetShiftLayout | 'none' = used[0] ?? 'none';
  if (layout === 'embedded' && blocks.some((b) => !b.shift)) {
    throw new TsmError('unsupported', 'E_UNKNOWN_LAYOUT', `embedded-fork MobileNetV2 should wrap all ${BLOCK_COUNT} blocks; unwrapped: ${blocks.filter((b) => !b.shift).map((b) => b.name).join(', ')}`);
  }
  return {
    backbone: { family: 'mobilenetv2', widthMultiplier: width, stem, blocks, last, featureChannels: last.outChannels },
    layout,
  };
}
