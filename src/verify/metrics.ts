/** Accuracy metrics as TSM's test_models.py reports them: top-1/top-5 over clips, per-class from the confusion matrix.
 * */
import { topK } from '../inference/scores.js';

export { topK };
export interface ClassAccuracy {
  readonly index: number;
  readonly label: string;
  readonly clips: number;
  readonly correct: number;
  readonly accuracy: number | null;
}

export interface Metrics {
  readonly clips: number;
  readonly top1: number;
  readonly top5: number;
  /** mean over classes that have clips (cls_acc = diag / row sum, as test_models.py) */
  readonly meanClassAccuracy: number;
  readonly perClass: readonly ClassAccuracy[];
  /** confusion[true][predicted] */
  readonly confusion: readonly (readonly number[])[];
}

/**
 * `prediction`, when given, is the class a protocol reports for the clip (a streamed clip: the last gesture reported,
 * -1 for none); otherwise the top score. top-5 always reads the scores.
 */
export function computeMetrics(
  labels: readonly string[],
  results: ReadonlyArray<{ label: number; scores: ArrayLike<number>; prediction?: number }>,
): Metrics {
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const perLabel = new Array<number>(k).fill(0);
  let top1 = 0;
  let top5 = 0;
  for (const r of results) {
    perLabel[r.label]++;
    const best = topK(r.scores, Math.min(5, k));
    const predicted = r.prediction ?? best[0];
    if (predicted >= 0) confusion[r.label][predicted]++;
    if (predicted === r.label) top1++;
    if (best.includes(r.label)) top5++;
  }
  const perClass = labels.map((label, index) => {
    const clips = perLabel[index]; // a clip with no reported class (-1) is in no confusion cell but counts here
    const correct = confusion[index][index];
    return { index, label, clips, correct, accuracy: clips ? correct / clips : null };
  });
  const present = perClass.filter((c) => c.accuracy !== null);
  const n = results.length;
  return {
    clips: n,
    top1: n ? top1 / n : 0,
    top5: n ? top5 / n : 0,
    meanClassAccuracy: present.length ? present.reduce((a, c) => a + (c.accuracy as number), 0) / present.length : 0,
    perClass,
    confusion,
  };
}
