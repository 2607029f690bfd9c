/**
 * A clip's score under the TSM test protocol: its views (sampled clips × crops, in cropBoxes' order) averaged as raw
 * logits (test_models.py), horizontally flipped views read through the flip label map when asked.
 */
import type { ClipRecord } from '../data/dataset.js';
import { type CropCount, cropBoxes } from '../frames/transforms.js';
import { topK } from '../inference/scores.js';
import { flipLabelPairs, flipPermutation } from './flip.js';

export interface ClipPrediction {
  readonly id: string;
  /** 1-based line of the list file: a clip's place in the list, whichever shard scored it */
  readonly line: number;
  readonly label: number;
  readonly prediction: number;
  readonly top5: readonly number[];
  readonly scores: readonly number[];
}

/** How views become a clip's scores: how many, and which are mirrored and read through which class permutation. */
export interface ViewScoring {
  readonly viewsPerClip: number;
  readonly classes: number;
  /** class pairs swapped for flipped views (--flip-labels with 10 crops), when any */
  readonly flipLabelMap?: ReadonlyArray<readonly [number, number]>;
  /** what the user should know (a flipping protocol on left/right classes without --flip-labels) */
  readonly warnings: readonly string[];
  readonly score: (record: ClipRecord, logits: Float32Array) => ClipPrediction;
}

export function viewScoring(
  categories: readonly string[],
  options: { crops: CropCount; viewsPerClip: number; flipLabels?: boolean; scale: number; cropSize: number },
): ViewScoring {
  const { crops, viewsPerClip } = options;
  const K = categories.length;
  const warnings: string[] = [];
  const mirrored = crops === 10 ? flipLabelPairs(categories) : [];
  const flipMap = options.flipLabels && mirrored.length ? mirrored : undefined;
  if (options.flipLabels && crops !== 10)
    warnings.push(`--flip-labels has no effect with --crops ${crops}: only the 10-crop protocol flips views`);
  if (mirrored.length && !options.flipLabels) {
    const [i, j] = mirrored[0];
    warnings.push(
      `--crops 10 scores horizontally flipped views, which turn ${categories[i]} into ${categories[j]} ` +
        `(${mirrored.length} such class pair(s) in this category list); pass --flip-labels to read flipped views ` +
        `with those classes swapped`,
    );
  }
  const perm = flipMap ? flipPermutation(K, flipMap) : undefined;
  // a clip's views are its sampled clips × the crops, in cropBoxes' order: which crops are mirrored, it says
  const flippedCrop = cropBoxes(options.scale, options.scale, options.cropSize, crops).map((box) => box.flip);
  const score = (record: ClipRecord, logits: Float32Array): ClipPrediction => {
    const scores = new Array<number>(K).fill(0);
    for (let v = 0; v < viewsPerClip; v++) {
      const row = v * K;
      const read = perm && flippedCrop[v % crops] ? perm : undefined;
      for (let k = 0; k < K; k++) scores[k] += logits[row + (read ? read[k] : k)] / viewsPerClip;
    }
    const top5 = topK(scores, Math.min(5, K));
    return { id: record.id, line: record.line, label: record.label, prediction: top5[0], top5, scores };
  };
  return { viewsPerClip, classes: K, ...(flipMap ? { flipLabelMap: flipMap } : {}), warnings, score };
}
