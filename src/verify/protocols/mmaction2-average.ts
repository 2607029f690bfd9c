/**
 * `average_clips` over a clip's views as MMAction2's heads do it (MMACTION2-FACTS §5): TSMHead scores every view,
 * then 'prob' averages the views' softmaxes and 'score' their raw scores; TSNHead averages the features of all views
 * before its (linear) fc, so it has one score row, the views' mean logits, and 'prob' is that row's softmax.
 */
import type { MmActionHeadKind } from '../../model/mmaction2-protocol.js';

/** Softmax of one row, in float64 (torch's float32 softmax differs by ~1e-7), added into `out` times `weight`. */
function softmaxInto(row: ArrayLike<number>, out: number[], weight: number): void {
  let max = -Infinity;
  for (let k = 0; k < row.length; k++) max = Math.max(max, row[k]);
  let sum = 0;
  for (let k = 0; k < row.length; k++) sum += Math.exp(row[k] - max);
  for (let k = 0; k < row.length; k++) out[k] += (Math.exp(row[k] - max) / sum) * weight;
}

/** The clip's scores from its `views` rows of `K` logits. */
export function averageViews(
  logits: Float32Array,
  views: number,
  K: number,
  averaging: 'prob' | 'score',
  head: MmActionHeadKind = 'TSMHead',
): number[] {
  const scores = new Array<number>(K).fill(0);
  if (head === 'TSNHead' || averaging === 'score') {
    for (let v = 0; v < views; v++) for (let k = 0; k < K; k++) scores[k] += logits[v * K + k] / views;
    if (averaging === 'score') return scores;
    const mean = scores.slice();
    scores.fill(0);
    softmaxInto(mean, scores, 1);
    return scores;
  }
  for (let v = 0; v < views; v++) softmaxInto(logits.subarray(v * K, (v + 1) * K), scores, 1 / views);
  return scores;
}
