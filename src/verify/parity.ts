/** Parity with a PyTorch reference evaluation (tools/reference/eval_*.py): the same prediction, scores within a bound.
 * */
import { TsmError } from '../errors.js';
import { readInputText } from '../io.js';
import type { ClipPrediction } from './scoring.js';

export interface Parity {
  readonly reference: string;
  readonly clips: number;
  readonly samePrediction: number;
  readonly samePredictionFraction: number;
  readonly maxAbsScoreDelta: number;
  readonly referenceTop1: number;
  readonly referenceTop5: number;
  readonly differingClips: readonly string[];
}

interface ReferenceFile {
  clips: Array<{ id: string; label: number; prediction: number; scores: number[] }>;
  top1: number;
  top5: number;
}

export function compareWithReference(path: string, predictions: readonly ClipPrediction[]): Parity {
  const text = readInputText(path, 'reference outputs');
  let ref: ReferenceFile;
  try {
    ref = JSON.parse(text);
  } catch (err) {
    throw new TsmError('input', 'E_REFERENCE', `${path}: cannot read reference outputs (${(err as Error).message})`, {
      details: { file: path },
    });
  }
  const byId = new Map(ref.clips.map((c) => [c.id, c]));
  let same = 0;
  let compared = 0;
  let maxDelta = 0;
  const differing: string[] = [];
  for (const p of predictions) {
    const r = byId.get(p.id);
    if (!r) continue;
    compared++;
    if (r.prediction === p.prediction) same++;
    else differing.push(p.id);
    for (let k = 0; k < p.scores.length; k++) maxDelta = Math.max(maxDelta, Math.abs(p.scores[k] - r.scores[k]));
  }
  return {
    reference: path,
    clips: compared,
    samePrediction: same,
    samePredictionFraction: compared ? same / compared : 0,
    maxAbsScoreDelta: maxDelta,
    referenceTop1: ref.top1,
    referenceTop5: ref.top5,
    differingClips: differing,
  };
}
