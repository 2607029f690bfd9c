/**
 * `average_clips` over a clip's views as MMAction2's heads do it (MMACTION2-FACTS §5): TSMHead scores every view,
 * then 'prob' averages the views' softmaxes and 'score' their raw scores; TSNHead averages the features of all views
 * before its (linear) fc, so it has one score row, the views' mean logits, and 'prob' is that row's softmax.
 */
import { softmax } from '../../inference/scores.js';
import type { MmActionHeadKind } from '../../model/mmaction2-protocol.js';

/** The clip's scores from its `views` rows of `K` logits. */
export function averageViews(
  logits: Float32Array,
  views: number,
  K: number,
  averaging: 'prob' | 'score',
  head: MmActionHeadKind = 'TSMHead',
): number[] {
  const rows = Array.from({ length: views }, (_, v) => logits.subarray(v * K, (v + 1) * K));
  const mean = (of: ArrayLike<number>[]) =>
    Array.from({ length: K }, (_, k) => of.reduce((s, r) => s + r[k], 0) / views);
  if (averaging === 'score') return mean(rows);
  return head === 'TSNHead' ? softmax(mean(rows)) : mean(rows.map(softmax));
}
