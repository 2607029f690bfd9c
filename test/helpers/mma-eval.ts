/**
 * The Python reference evaluation under MMAction2's protocol (tools/reference/mma_eval/eval_mma.py, cv2 + Debian's
 * torch), run once per digest of what decides its output (its sources and those it imports, the checkpoint, the
 * list, every file the list names, the arguments) and cached in test/.generated/mma-eval/<digest>/. Videos made at
 * test time in a temp folder are keyed by their bytes, not their path.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED, PYTHON, ROOT } from './reference.js';

export const MMA_EVAL = join(ROOT, 'tools/reference/mma_eval/eval_mma.py');
const SOURCES = [
  MMA_EVAL,
  join(ROOT, 'tools/reference/mmaction2/mma_pipeline.py'),
  join(ROOT, 'tools/reference/eval_tsm.py'),
  join(ROOT, 'tools/reference/tsm_models.py'),
];
const CACHE = join(GENERATED, 'mma-eval');

export interface MmaEvalRequest {
  readonly checkpoint: string;
  readonly root: string;
  /** relative to root */
  readonly list: string;
  /** frame folders (`dir total_frames label` lines) or videos (`path label`) */
  readonly source: { readonly framesDir: string; readonly template: string } | 'videos';
  readonly size: number;
  readonly shortSide: number;
  readonly crop: 'center' | 'three' | 'ten';
  readonly numClips: number;
  readonly twice?: boolean;
  readonly startIndex?: number;
  readonly maxNum?: number;
}

export interface MmaEvalOutputs {
  /** reference files for verify's --reference, one a averaging */
  readonly prob: string;
  readonly score: string;
  /** the first clip's input views, float32 [views, T, 3, S, S] */
  readonly input: string;
}

function digestOf(r: MmaEvalRequest): string {
  const h = createHash('sha256');
  for (const f of SOURCES) h.update(readFileSync(f));
  h.update(readFileSync(r.checkpoint));
  const listText = readFileSync(join(r.root, r.list), 'utf8');
  h.update(listText);
  if (r.source === 'videos') {
    for (const line of listText.split('\n').filter((l) => l.trim()))
      h.update(readFileSync(join(r.root, line.trim().split(/\s+/)[0])));
  } else {
    h.update(r.root.startsWith(ROOT) ? r.root.slice(ROOT.length) : r.root); // fixture frames: fixed by the repository
  }
  const { checkpoint: _c, root: _r, ...args } = r;
  h.update(JSON.stringify(args));
  return h.digest('hex').slice(0, 24);
}

/** Runs (or reuses) the reference evaluation; returns its files. Takes seconds to a minute when it has to run. */
export function mmaEval(r: MmaEvalRequest): MmaEvalOutputs {
  const dir = join(CACHE, digestOf(r));
  const outputs = { prob: join(dir, 'prob.json'), score: join(dir, 'score.json'), input: join(dir, 'input.f32') };
  if (existsSync(outputs.prob) && existsSync(outputs.score) && existsSync(outputs.input)) return outputs;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const args = [MMA_EVAL, r.checkpoint, r.root, join(tmp, '{average}.json'), '--list', r.list];
    if (r.source === 'videos') args.push('--videos');
    else args.push('--frames-dir', r.source.framesDir, '--template', r.source.template);
    args.push('--size', String(r.size), '--short-side', String(r.shortSide), '--crop', r.crop);
    args.push('--num-clips', String(r.numClips), '--average', 'prob,score', '--dump-input', join(tmp, 'input.f32'));
    if (r.twice) args.push('--twice');
    if (r.startIndex !== undefined) args.push('--start-index', String(r.startIndex));
    if (r.maxNum) args.push('--max-num', String(r.maxNum));
    execFileSync(PYTHON, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return outputs;
}

/** A reference file's clips by id. */
export function referenceClips(path: string): Map<string, { prediction: number; scores: number[]; views: number }> {
  const ref = JSON.parse(readFileSync(path, 'utf8')) as {
    clips: Array<{ id: string; prediction: number; scores: number[]; views: number }>;
  };
  return new Map(ref.clips.map((c) => [c.id, c]));
}
