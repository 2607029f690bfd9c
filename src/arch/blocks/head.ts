/**
 * The classifier and TSN's consensus: where the head's weights are (TSN's `new_fc` when it was trained with dropout,
 * else the backbone's own `fc` / `classifier`), then global average pool, the linear head on every frame and the
 * mean over the segments the last stage saw (T, or T/2 after temporal pooling). Image and online models have no
 * consensus.
 */
import { TsmError } from '../../errors.js';
import type { HeadSpec } from '../../model/spec.js';
import type { Feature, GraphContext } from '../../onnx/graph.js';
import { toFloat32 } from '../../pth/tensor.js';
import { type StateDict, shapeOf } from '../tensors.js';

/** Canonical head names, in the order they are looked for (an ImageNet MobileNetV2 has `classifier.1`). */
export const HEAD_NAMES: readonly string[] = Object.freeze(['new_fc', 'classifier', 'classifier.1', 'fc']);

/** The head the weights have, checked against the backbone's features and `--num-classes`. */
export function findHead(sd: StateDict, featureChannels: number, numClasses?: number): HeadSpec {
  for (const name of HEAD_NAMES) {
    const weight = `${name}.weight`;
    if (!sd.has(weight)) continue;
    const [classes, inFeatures] = shapeOf(sd, weight);
    const named = sd.modelName(weight);
    if (inFeatures !== featureChannels) {
      throw new TsmError(
        'unsupported',
        'E_SHAPE_MISMATCH',
        `head '${named}' takes ${inFeatures} features but the backbone gives ${featureChannels}`,
        {
          details: { key: named, expected: featureChannels, found: inFeatures },
        },
      );
    }
    if (numClasses !== undefined && numClasses !== classes) {
      throw new TsmError(
        'usage',
        'E_CLASSES_MISMATCH',
        `--num-classes ${numClasses} but head '${named}' has ${classes} outputs`,
        { details: { key: named } },
      );
    }
    const bias = sd.has(`${name}.bias`) ? `${name}.bias` : undefined;
    return { weight, bias, inFeatures, classes };
  }
  const looked = HEAD_NAMES.map((h) => `${h}.weight`);
  throw new TsmError(
    'unsupported',
    'E_NO_HEAD',
    `no classifier found; looked for ${looked.join(', ')} (in the ${sd.facts.layout} key layout's canonical names)`,
    { details: { expected: looked } },
  );
}

/** The head's multiply-accumulates: a Gemm per frame the last stage sees. */
export function headMacs(head: HeadSpec, frames: number): number {
  return frames * head.inFeatures * head.classes;
}

/** Returns the edge of the logits, named `logitsName`. */
export function headAndConsensus(ctx: GraphContext, f: Feature, logitsName: string): string {
  const { g, spec } = ctx;
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [f.x], {}, 'avgpool')], { axis: 1 }, 'features');
  const head = ctx.sd.take(spec.head.weight);
  const weight = ctx.weight('head.weight', [...head.shape], toFloat32(head));
  const bias = ctx.constant(
    'head.bias',
    [spec.head.classes],
    spec.head.bias ? toFloat32(ctx.sd.take(spec.head.bias)) : new Float32Array(spec.head.classes),
  );
  const perFrame = g.op('Gemm', [pooled, weight, bias], { transB: 1 }, 'head');
  if (spec.kind === 'image' || spec.kind === 'online')
    return g.node('Identity', [perFrame], {}, { outputNames: [logitsName] })[0];
  const perSegment = g.op(
    'Reshape',
    [perFrame, g.int64s('segments_shape', [-1, ctx.segmentsNow, spec.head.classes])],
    {},
    'per_segment',
  );
  return g.node('ReduceMean', [perSegment], { axes: [1], keepdims: 0 }, { outputNames: [logitsName] })[0];
}
