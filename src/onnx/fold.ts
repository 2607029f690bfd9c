/** Conv + BatchNorm(eval) folding: W' = W·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β, computed in float64. */

import type { ConvBn } from '../model/spec.js';
import { toFloat32 } from '../pth/tensor.js';
import type { TrackedStateDict } from './tracked.js';

/** torch.nn.BatchNorm2d's default eps; TSM never changes it. */
export const BN_EPS = 1e-5;

export interface FoldedConv {
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly dims: readonly number[];
}

export function foldConvBn(sd: TrackedStateDict, conv: ConvBn): FoldedConv {
  const w = sd.take(conv.weight);
  const weight = toFloat32(w);
  const out = conv.outChannels;
  const perChannel = weight.length / out;
  const bias = new Float32Array(out);
  const b0 = conv.bias ? toFloat32(sd.take(conv.bias)) : undefined;
  if (!conv.bn) {
    if (b0) bias.set(b0);
    return { weight, bias, dims: [...w.shape] };
  }
  const gamma = toFloat32(sd.take(`${conv.bn}.weight`));
  const beta = toFloat32(sd.take(`${conv.bn}.bias`));
  const mean = toFloat32(sd.take(`${conv.bn}.running_mean`));
  const variance = toFloat32(sd.take(`${conv.bn}.running_var`));
  sd.skip(`${conv.bn}.num_batches_tracked`);
  const folded = new Float32Array(weight.length);
  for (let o = 0; o < out; o++) {
    const scale = gamma[o] / Math.sqrt(variance[o] + BN_EPS);
    for (let i = o * perChannel, end = i + perChannel; i < end; i++) folded[i] = weight[i] * scale;
    bias[o] = ((b0 ? b0[o] : 0) - mean[o]) * scale + beta[o];
  }
  return { weight: folded, bias, dims: [...w.shape] };
}
