/**
 * Verify at dataset scale: a run split into shards (clip k of the list goes to shard k mod N), each written as a part
 * file with its per-clip scores and what it was run on (model and list sha256, the protocol asked for); `merge`
 * refuses parts that do not belong together and otherwise rebuilds exactly the result of one unsharded run.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TsmError } from '../errors.js';
import { readInputBytes, readInputText } from '../io.js';
import { writeFileAtomically } from '../onnx/write.js';
import { computeMetrics } from './metrics.js';
import type { Shard } from './shard-choice.js';
import type { ClipPrediction, VerifyResult } from './types.js';

export const PART_KIND = 'tsm-verify-part';

export type { Shard };

/** What makes two parts parts of one run. */
export interface RunIdentity {
  readonly model: { readonly path: string; readonly sha256: string };
  readonly list: { readonly path: string; readonly sha256: string };
  readonly categories: { readonly path: string; readonly sha256: string };
  /** the verify options that decide what is computed (dataset, crops, sampling, …), as asked */
  readonly request: Readonly<Record<string, unknown>>;
}

export interface VerifyPart extends RunIdentity {
  readonly kind: typeof PART_KIND;
  readonly version: 1;
  readonly shard: Shard;
  readonly result: VerifyResult;
}

export const sha256File = (path: string, what: string) =>
  createHash('sha256').update(readInputBytes(path, what)).digest('hex');

export function writePart(path: string, part: VerifyPart): void {
  writeFileAtomically(path, `${JSON.stringify(part)}\n`);
}

/** A part file, checked to be one; anything else is named. */
export function readPart(path: string): VerifyPart {
  let value: VerifyPart;
  try {
    value = JSON.parse(readInputText(path, 'verify part'));
  } catch (err) {
    if (err instanceof TsmError) throw err;
    throw new TsmError('input', 'E_BAD_PART', `${path}: not a verify part (not JSON: ${(err as Error).message})`, {
      details: { file: path },
    });
  }
  const ok =
    value &&
    value.kind === PART_KIND &&
    value.version === 1 &&
    value.shard &&
    Number.isInteger(value.shard.index) &&
    Number.isInteger(value.shard.count) &&
    typeof value.model?.sha256 === 'string' &&
    typeof value.list?.sha256 === 'string' &&
    value.result &&
    Array.isArray(value.result.predictions) &&
    Array.isArray(value.result.labels);
  if (!ok)
    throw new TsmError(
      'input',
      'E_BAD_PART',
      `${path}: not a verify part (no ${PART_KIND} record of version 1 with shard, model, list and result)`,
      { details: { file: path } },
    );
  return value;
}

/**
 * The parts the paths name, each file read once: a file given by name must be a part; in a folder, every *.json that
 * is one (other JSON files are passed over).
 */
export function loadParts(paths: readonly string[]): Array<{ readonly file: string; readonly part: VerifyPart }> {
  const out: Array<{ file: string; part: VerifyPart }> = [];
  for (const p of paths) {
    let dir = false;
    try {
      dir = statSync(p).isDirectory();
    } catch {
      throw new TsmError('input', 'E_NOT_FOUND', `${p}: not found`, { details: { file: p } });
    }
    if (!dir) {
      out.push({ file: p, part: readPart(p) });
      continue;
    }
    for (const f of readdirSync(p)
      .filter((name) => name.endsWith('.json'))
      .sort()) {
      try {
        out.push({ file: join(p, f), part: readPart(join(p, f)) });
      } catch (err) {
        if ((err as TsmError).code !== 'E_BAD_PART') throw err;
      }
    }
  }
  return out;
}

const identityKey = (p: RunIdentity) => JSON.stringify([p.model.sha256, p.list.sha256, p.categories.sha256, p.request]);

/** What identifies a run: the sha256 of its model, list and categories, and the request as given. */
export function runIdentity(run: {
  model: string;
  list: string;
  categories: string;
  request: Readonly<Record<string, unknown>>;
}): RunIdentity {
  return {
    model: { path: run.model, sha256: sha256File(run.model, 'model') },
    list: { path: run.list, sha256: sha256File(run.list, 'clip list') },
    categories: { path: run.categories, sha256: sha256File(run.categories, 'category list') },
    request: run.request,
  };
}

/** The part at `path` when it already holds this shard of this run (a re-run skips it); anything else is redone. */
export function partHolding(path: string, identity: RunIdentity, shard: Shard): VerifyPart | undefined {
  if (!existsSync(path)) return undefined;
  let existing: VerifyPart;
  try {
    existing = readPart(path);
  } catch {
    return undefined; // not a part (or a broken one): computed again and replaced
  }
  return samePart(existing, identity, shard) ? existing : undefined;
}

/** Whether an existing part already holds this shard of this run (a re-run skips it). */
export function samePart(part: VerifyPart, identity: RunIdentity, shard: Shard): boolean {
  return (
    identityKey(part) === identityKey(identity) && part.shard.index === shard.index && part.shard.count === shard.count
  );
}

/** The result of the whole run, as one unsharded run computes it, from all N parts. */
export function mergeParts(
  parts: ReadonlyArray<{ readonly file: string; readonly part: VerifyPart }>,
): VerifyResult & { readonly parts: number } {
  if (!parts.length)
    throw new TsmError('input', 'E_NO_PARTS', 'no verify part files given (or none in the folders given)');
  const first = parts[0].part;
  for (const { file, part } of parts) {
    const differs = [
      part.model.sha256 !== first.model.sha256 &&
        `model ${part.model.path} (sha256 ${part.model.sha256.slice(0, 12)}…) vs ${first.model.path} ` +
          `(${first.model.sha256.slice(0, 12)}…)`,
      part.list.sha256 !== first.list.sha256 &&
        `list ${part.list.path} (sha256 ${part.list.sha256.slice(0, 12)}…) vs ${first.list.path} ` +
          `(${first.list.sha256.slice(0, 12)}…)`,
      part.categories.sha256 !== first.categories.sha256 && 'category list',
      JSON.stringify(part.request) !== JSON.stringify(first.request) &&
        `protocol ${JSON.stringify(part.request)} vs ${JSON.stringify(first.request)}`,
      part.shard.count !== first.shard.count && `${part.shard.count} shards vs ${first.shard.count}`,
    ].filter(Boolean);
    if (differs.length) {
      throw new TsmError(
        'input',
        'E_FOREIGN_PART',
        `${file} is not a part of the same run as ${parts[0].file}: ${differs.join('; ')}`,
        { details: { file, other: parts[0].file } },
      );
    }
  }
  const count = first.shard.count;
  const byIndex = new Map<number, string>();
  for (const { file, part } of parts) {
    const seen = byIndex.get(part.shard.index);
    if (seen)
      throw new TsmError(
        'input',
        'E_DUPLICATE_PART',
        `shard ${part.shard.index}/${count} is given twice: ${seen} and ${file}`,
        { details: { shard: part.shard.index, files: [seen, file] } },
      );
    byIndex.set(part.shard.index, file);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length) {
    throw new TsmError(
      'input',
      'E_MISSING_PARTS',
      `${missing.length} of ${count} shard(s) missing: ` +
        `${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', …' : ''}`,
      { hint: 're-run the verify job: shards already done are skipped', details: { missing, count } },
    );
  }
  const results = parts.map((p) => p.part.result);
  const byLine = (a: { line: number }, b: { line: number }) => a.line - b.line;
  const predictions: ClipPrediction[] = results.flatMap((r) => r.predictions).sort(byLine);
  const r0 = results[0];
  const metrics = computeMetrics(
    r0.labels,
    predictions.map((p) => ({ label: p.label, scores: p.scores, prediction: p.prediction })),
  );
  const lineOf = new Map(predictions.map((p) => [p.id, p.line]));
  const line = (clip: string) => lineOf.get(clip) ?? Number.MAX_SAFE_INTEGER;
  const missingFrames = results
    .flatMap((r) => r.missingFrames.first)
    .sort((a, b) => (a.clip === b.clip ? a.frame - b.frame : line(a.clip) - line(b.clip)));
  const seconds = results.reduce((a, r) => a + r.seconds, 0);
  const inferenceSeconds = results.reduce((a, r) => a + r.inferenceSeconds, 0);
  const setupSeconds = results.reduce((a, r) => a + r.timing.setupSeconds, 0);
  return {
    ...r0,
    ...metrics,
    seconds,
    clipsPerSecond: predictions.length / Math.max(1e-9, seconds - setupSeconds),
    timing: {
      setupSeconds,
      firstBatchSeconds: results.reduce((a, r) => a + r.timing.firstBatchSeconds, 0),
      overallClipsPerSecond: predictions.length / Math.max(1e-9, seconds),
      loaderThread: r0.timing.loaderThread,
    },
    inferenceSeconds,
    missingFrames: { count: results.reduce((a, r) => a + r.missingFrames.count, 0), first: missingFrames.slice(0, 50) },
    unreadableClips: results.flatMap((r) => r.unreadableClips).sort(byLine),
    badLines: r0.badLines,
    predictions,
    parity: undefined,
    parts: parts.length,
  };
}

export interface ShardStatus {
  readonly model: string;
  readonly list: string;
  readonly request: Readonly<Record<string, unknown>>;
  readonly count: number;
  readonly done: readonly number[];
  readonly missing: readonly number[];
  readonly complete: boolean;
}

/** Which shards of which runs a folder of parts holds. */
export function shardStatus(dir: string): ShardStatus[] {
  const parts = loadParts([dir]);
  if (!parts.length)
    throw new TsmError('input', 'E_NO_PARTS', `${dir}: no verify part files in it`, { details: { dir } });
  const groups = new Map<string, { part: VerifyPart; done: Set<number> }>();
  for (const { part } of parts) {
    const key = `${identityKey(part)}|${part.shard.count}`;
    const g = groups.get(key) ?? { part, done: new Set<number>() };
    g.done.add(part.shard.index);
    groups.set(key, g);
  }
  return [...groups.values()].map(({ part, done }) => {
    const all = Array.from({ length: part.shard.count }, (_, i) => i);
    const missing = all.filter((i) => !done.has(i));
    return {
      model: part.model.path,
      list: part.list.path,
      request: part.request,
      count: part.shard.count,
      done: all.filter((i) => done.has(i)),
      missing,
      complete: !missing.length,
    };
  });
}

/**
 * The refusal for a folder whose runs are not all complete (exit 3: a merge Job waits on it), with the status of
 * every run in it; undefined when each run has all its shards.
 */
export function missingShardsError(dir: string, runs: readonly ShardStatus[]): TsmError | undefined {
  const incomplete = runs.filter((r) => !r.complete);
  if (!incomplete.length) return undefined;
  const each = incomplete.map(
    (r) =>
      `${r.model} on ${r.list}: ${r.missing.length} of ${r.count} ` +
      `(${r.missing.slice(0, 30).join(', ')}${r.missing.length > 30 ? ', …' : ''})`,
  );
  return new TsmError('input', 'E_SHARDS_MISSING', `${dir}: shards missing: ${each.join('; ')}`, {
    hint: 're-run (or resubmit) the missing shards: shards already done are skipped',
    details: { dir, runs },
  });
}
