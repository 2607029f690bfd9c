/**
 * Classes a horizontal flip turns into each other. TSM's 10-crop protocol (GroupOverSample) scores mirrored views,
 * which on a dataset with direction classes turns Swiping Left into Swiping Right; read with a flip label map (as
 * MMAction2's Flip transform does), a mirrored view's score for "Left" is the model's score for "Right". The pairs
 * follow from the category names: the words Left/Right and Clockwise/Counterclockwise swapped.
 */
const MIRRORED_WORDS: ReadonlyArray<readonly [string, string]> = [
  ['left', 'right'],
  ['clockwise', 'counterclockwise'],
  ['anticlockwise', 'clockwise'],
];

function mirrorName(label: string): string {
  return label.replace(/[A-Za-z]+/g, (word) => {
    const lower = word.toLowerCase();
    for (const [a, b] of MIRRORED_WORDS) {
      const other = lower === a ? b : lower === b ? a : undefined;
      if (other === undefined) continue;
      // keep the word's capitalisation
      if (word === word.toUpperCase()) return other.toUpperCase();
      if (word[0] === word[0].toUpperCase()) return other[0].toUpperCase() + other.slice(1);
      return other;
    }
    return word;
  });
}

/** Pairs [i, j] (i < j) of classes whose names are each other's mirror image. */
export function flipLabelPairs(labels: readonly string[]): Array<[number, number]> {
  const index = new Map(labels.map((l, i) => [l, i]));
  const pairs: Array<[number, number]> = [];
  labels.forEach((label, i) => {
    const j = index.get(mirrorName(label));
    if (j !== undefined && j > i) pairs.push([i, j]);
  });
  return pairs;
}

/** The class permutation a flipped view's scores are read through: read[k] = scores[permutation[k]]. */
export function flipPermutation(classes: number, pairs: ReadonlyArray<readonly [number, number]>): Int32Array {
  const perm = Int32Array.from({ length: classes }, (_, k) => k);
  for (const [i, j] of pairs) {
    perm[i] = j;
    perm[j] = i;
  }
  return perm;
}
