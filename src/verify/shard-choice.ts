/**
 * Which shard of a run this process scores: `--shard I/N`, or `auto` from the scheduler's environment (a Slurm job
 * array, a Kubernetes Indexed Job), the count never taken from a partial array.
 */
import { TsmError } from '../errors.js';

export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** The Slurm array variables `--shard auto` reads, named in full when it refuses an array. */
const SLURM_ARRAY_VARS = [
  'SLURM_ARRAY_TASK_ID',
  'SLURM_ARRAY_TASK_MIN',
  'SLURM_ARRAY_TASK_MAX',
  'SLURM_ARRAY_TASK_COUNT',
] as const;

/**
 * `--shard I/N`, or `auto` from the scheduler's environment: the index is SLURM_ARRAY_TASK_ID (a Slurm job array) or
 * JOB_COMPLETION_INDEX (a Kubernetes Indexed Job), the count TSM_SHARD_COUNT. Without TSM_SHARD_COUNT a Slurm array
 * states the count only when it is exactly 0..N-1: a resubmitted task (`sbatch --array=3`) is an array of one, and
 * taking its size would score every clip as shard 0/1, so any other array is refused.
 */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  if (text === 'auto') return autoShard(env);
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m)
    throw new TsmError('usage', 'E_SHARD', `--shard '${text}' is not I/N (0 ≤ I < N) or auto`, {
      details: { flag: '--shard', value: text },
    });
  return checkShard(Number(m[1]), Number(m[2]), '--shard');
}

function autoShard(env: NodeJS.ProcessEnv): Shard {
  const count = env.TSM_SHARD_COUNT;
  const index =
    env.SLURM_ARRAY_TASK_ID !== undefined
      ? 'SLURM_ARRAY_TASK_ID'
      : env.JOB_COMPLETION_INDEX !== undefined
        ? 'JOB_COMPLETION_INDEX'
        : undefined;
  if (!index) {
    throw new TsmError(
      'usage',
      'E_SHARD',
      '--shard auto found neither a Slurm job array (SLURM_ARRAY_TASK_ID) nor a Kubernetes Indexed ' +
        'Job (JOB_COMPLETION_INDEX)',
      { hint: 'outside an engine, give --shard I/N' },
    );
  }
  if (count !== undefined)
    return checkShard(
      wholeNumber(env, index),
      wholeNumber(env, 'TSM_SHARD_COUNT'),
      `${index}=${env[index]} of TSM_SHARD_COUNT=${count}`,
    );
  if (index === 'JOB_COMPLETION_INDEX') {
    throw new TsmError(
      'usage',
      'E_SHARD',
      "--shard auto in a Kubernetes Indexed Job needs TSM_SHARD_COUNT (the Job's completions) in the environment",
    );
  }
  const seen = Object.fromEntries(SLURM_ARRAY_VARS.map((v) => [v, env[v] ?? null]));
  const [, min, max, size] = SLURM_ARRAY_VARS.map((v) => {
    const text = env[v];
    return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
  });
  if (min !== 0 || size === undefined || max !== size - 1) {
    const listed = SLURM_ARRAY_VARS.map((v) => `${v}=${env[v] ?? '(unset)'}`).join(', ');
    throw new TsmError(
      'usage',
      'E_SHARD',
      `--shard auto: the Slurm array seen (${listed}) is not 0..N-1, so it does not say how many shards the run has ` +
        `(a resubmitted task, sbatch --array=I, is an array of one)`,
      {
        hint:
          'set TSM_SHARD_COUNT=N (deploy/slurm/verify.sbatch records N in the parts folder on the first ' +
          'run), or give --shard I/N',
        details: { env: seen },
      },
    );
  }
  return checkShard(
    wholeNumber(env, 'SLURM_ARRAY_TASK_ID'),
    size,
    `SLURM_ARRAY_TASK_ID=${env.SLURM_ARRAY_TASK_ID} of the array 0..${max}`,
  );
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string): number {
  const text = env[name] ?? '';
  if (!/^\d+$/.test(text))
    throw new TsmError('usage', 'E_SHARD', `--shard auto: ${name} is '${text}', not a whole number`, {
      details: { variable: name, value: text },
    });
  return Number(text);
}

function checkShard(index: number, count: number, from: string): Shard {
  if (!Number.isInteger(index) || !Number.isInteger(count) || count < 1 || index < 0 || index >= count) {
    throw new TsmError('usage', 'E_SHARD', `${from} gives shard ${index} of ${count}: expected 0 ≤ index < count`, {
      details: { index, count },
    });
  }
  return { index, count };
}
