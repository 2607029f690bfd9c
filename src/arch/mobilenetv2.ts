/**
 * MobileNetV2 in the tonylins layout used by TSM, from weights to graph: features[0] conv3×3 s2, features[1..17]
 * inverted residuals, features[18] conv1×1, then a linear classifier. Channels come from weight shapes (any width
 * multiplier); strides from the fixed (t, c, n, s) table. A shifted block has its first layer at
 * `features.N.conv.0.net.weight`: the official layout shifts the residual 8-module blocks, the embedded fork
 * (its key layout says so) every block.
 */
import { TsmError } from '../errors.js';
import type { ConvBn, MobileNetShiftLayout, MobileNetV2Backbone, MobileNetV2Block } from '../model/spec.js';
import type { Feature, GraphContext } from '../onnx/graph.js';
import { shiftFeature } from './blocks/temporal-shift.js';
import { type ArchitectureModule, type BackboneReading, convMacs } from './module.js';
import { childIndices, expectBatchNorm, type StateDict, shapeOf } from './tensors.js';

/** features index → stride of its depthwise conv, from (t,c,n,s) =
 * (1,16,1,1),(6,24,2,2),(6,32,3,2),(6,64,4,2),(6,96,3,1),(6,160,3,2),(6,320,1,1). */
const STRIDE_TWO_BLOCKS = new Set([2, 4, 7, 14]);
const BLOCK_COUNT = 17;

/**
 * Tensors narrower than 16 channels are padded with zeros to 16 (GraphContext.conv): at width ×0.5 the first
 * projections have 8 and 12 channels, which onnxruntime cannot keep in its blocked layout, and the next expansion then
 * runs in its slow NCHW-input kernel (features.2.conv.0 alone took a third of the bundled model's kernel time).
 */
const PAD_CHANNELS = 16;

function conv(sd: StateDict, weight: string, bn: string, inChannels: number, stride: number): ConvBn {
  const [out, inPerGroup, k] = shapeOf(sd, weight);
  const groups = inChannels / inPerGroup;
  if (!Number.isInteger(groups) || out % groups !== 0) {
    const key = sd.modelName(weight);
    throw new TsmError(
      'unsupported',
      'E_SHAPE_MISMATCH',
      `'${key}' [${shapeOf(sd, weight).join(', ')}] does not fit ${inChannels} input channels`,
      {
        details: { key, expected: inChannels, found: inPerGroup },
      },
    );
  }
  expectBatchNorm(sd, bn, out);
  return { weight, bn, inChannels, outChannels: out, kernel: k, stride, padding: (k - 1) >> 1, groups };
}

/** `inputChannels`: 3 for RGB, 10 for Flow. */
function readMobileNetV2(sd: StateDict, inputChannels: number): BackboneReading<MobileNetV2Backbone> {
  const f = 'features';
  const indices = childIndices(sd, f);
  if (indices.length !== BLOCK_COUNT + 2 || indices[indices.length - 1] !== BLOCK_COUNT + 1) {
    throw new TsmError(
      'unsupported',
      'E_UNKNOWN_LAYOUT',
      `MobileNetV2 '${sd.modelName(f)}' has entries [${indices.join(', ')}], expected 0..18`,
      { details: { indices } },
    );
  }
  const everyBlock = sd.facts.mobileNetShift === 'embedded';
  const stem = conv(sd, `${f}.0.0.weight`, `${f}.0.1`, inputChannels, 2);
  let channels = stem.outChannels;
  const blocks: MobileNetV2Block[] = [];
  for (let n = 1; n <= BLOCK_COUNT; n++) {
    const name = `${f}.${n}`;
    const base = `${name}.conv`;
    const shift = sd.has(`${base}.0.net.weight`);
    const key = (m: number) => (shift && m === 0 ? `${base}.0.net.weight` : `${base}.${m}.weight`);
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
      throw new TsmError(
        'unsupported',
        'E_UNKNOWN_LAYOUT',
        `MobileNetV2 block '${sd.modelName(name)}' has ${modules} modules in its conv, expected 5 or 8`,
        { details: { key: sd.modelName(base) } },
      );
    }
    const out = convs[convs.length - 1].outChannels;
    const residual = stride === 1 && out === channels;
    if (shift && !everyBlock && !(residual && modules === 8)) {
      throw new TsmError(
        'unsupported',
        'E_UNKNOWN_LAYOUT',
        `'${sd.modelName(name)}' is shifted at conv.0 but is not a residual 8-module block; no ` +
          `known TSM layout does that`,
        { details: { key: sd.modelName(key(0)) } },
      );
    }
    blocks.push({ name, convs, residual, shift });
    channels = out;
  }
  const last = conv(sd, `${f}.18.0.weight`, `${f}.18.1`, channels, 1);
  const shifted = blocks.filter((b) => b.shift);
  if (everyBlock && shifted.length !== BLOCK_COUNT) {
    throw new TsmError(
      'unsupported',
      'E_UNKNOWN_LAYOUT',
      `embedded-fork MobileNetV2 should wrap all ${BLOCK_COUNT} blocks; unwrapped: ${blocks
        .filter((b) => !b.shift)
        .map((b) => sd.modelName(b.name))
        .join(', ')}`,
    );
  }
  const layout: MobileNetShiftLayout | undefined = shifted.length ? (everyBlock ? 'embedded' : 'official') : undefined;
  return {
    backbone: {
      family: 'mobilenetv2',
      widthMultiplier: stem.outChannels / 32,
      stem,
      blocks,
      last,
      featureChannels: last.outChannels,
    },
    place: shifted.length ? 'blockres' : 'none',
    layout,
    shiftedBlocks: shifted.map((b) => sd.modelName(b.name)),
    warnings: [],
  };
}

/** The online demo's model: its bare state dict has no wrappers, its shifts sit where the official layout puts them. */
function online(reading: BackboneReading<MobileNetV2Backbone>, sd: StateDict): BackboneReading<MobileNetV2Backbone> {
  if (reading.place !== 'none') return reading;
  const blocks = reading.backbone.blocks.map((b) => ({ ...b, shift: b.residual && b.convs.length === 3 }));
  return {
    backbone: { ...reading.backbone, blocks },
    place: 'blockres',
    layout: 'official',
    shiftedBlocks: blocks.filter((b) => b.shift).map((b) => sd.modelName(b.name)),
    warnings: ['no shift wrappers in the weights: shifting the 10 residual blocks as the online demo does'],
  };
}

function buildMobileNetV2(ctx: GraphContext, f: Feature, b: MobileNetV2Backbone): Feature {
  let x = ctx.conv(f, b.stem, 'relu6', PAD_CHANNELS);
  for (const block of b.blocks) {
    let y = block.shift ? shiftFeature(ctx, x, block.name) : x;
    block.convs.forEach((c, i) => {
      y = ctx.conv(y, c, i < block.convs.length - 1 ? 'relu6' : 'none', PAD_CHANNELS);
    });
    x = block.residual ? { ...y, x: ctx.activation(ctx.g.op('Add', [x.x, y.x])) } : y;
  }
  return ctx.conv(x, b.last, 'relu6');
}

export const MOBILENET_V2: ArchitectureModule<MobileNetV2Backbone> = {
  family: 'mobilenetv2',
  title: 'MobileNetV2',
  describes: 'a MobileNetV2 (features.0.0…)',
  known: ['mobilenetv2'],
  inputConv: 'features.0.0.weight',
  detect: (sd) =>
    sd.has('features.0.0.weight') && (sd.has('features.1.conv.0.weight') || sd.has('features.1.conv.0.net.weight')),
  read: readMobileNetV2,
  name: () => 'mobilenetv2',
  summary: (b) => ({ widthMultiplier: b.widthMultiplier }),
  online,
  checkPrecision: () => undefined,
  build: buildMobileNetV2,
  macs(b, spec) {
    let macs = 0;
    let h = spec.inputSize;
    for (const c of [b.stem, ...b.blocks.flatMap((x) => x.convs), b.last]) {
      const r = convMacs(c, spec.segments, h);
      macs += r.macs;
      h = r.size;
    }
    return { macs, frames: spec.segments };
  },
};
