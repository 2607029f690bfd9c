/** Checkpoint → plain summary for `tsm inspect` (and its --json payload). */
import { DTYPES, type DType } from './dtypes.js';
import type { Checkpoint, CheckpointFormat, MetadataValue } from './read.js';
import { numelOf } from './tensor.js';

export interface TensorSummary {
  /** as the file stores it */
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface CheckpointSummary {
  readonly file: string;
  readonly format: CheckpointFormat;
  readonly protocol?: number;
  readonly byteOrder: 'little' | 'big';
  readonly sysInfo?: Record<string, MetadataValue>;
  readonly metadata: Record<string, MetadataValue>;
  readonly stateDictKey: string;
  readonly otherEntries: readonly string[];
  readonly tensorCount: number;
  readonly parameterCount: number;
  /** Names of buffers left out of parameterCount (BN running stats, num_batches_tracked). */
  readonly parameterCountExcludes: readonly string[];
  readonly tensorBytes: number;
  readonly dtypes: Partial<Record<DType, number>>;
  readonly tensors: readonly TensorSummary[];
}

const NON_PARAMETER_SUFFIXES = ['.running_mean', '.running_var', '.num_batches_tracked'];

export function isBufferName(name: string): boolean {
  return (
    NON_PARAMETER_SUFFIXES.some((s) => name.endsWith(s)) || NON_PARAMETER_SUFFIXES.some((s) => name === s.slice(1))
  );
}

export function summarizeCheckpoint(ckpt: Checkpoint): CheckpointSummary {
  const dtypes: Partial<Record<DType, number>> = {};
  const tensors: TensorSummary[] = [];
  let parameterCount = 0;
  let tensorBytes = 0;
  const excluded = new Set<string>();
  for (const [name, t] of ckpt.stateDict) {
    dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
    const n = numelOf(t.shape);
    tensorBytes += n * DTYPES[t.dtype].itemSize;
    if (DTYPES[t.dtype].floating && !isBufferName(name)) parameterCount += n;
    else if (isBufferName(name)) excluded.add(name.slice(name.lastIndexOf('.') + 1));
    tensors.push({ name, dtype: t.dtype, shape: [...t.shape] });
  }
  return {
    file: ckpt.file,
    format: ckpt.format,
    protocol: ckpt.protocol,
    byteOrder: ckpt.byteOrder,
    sysInfo: ckpt.sysInfo,
    metadata: ckpt.metadata,
    stateDictKey: ckpt.stateDictKey,
    otherEntries: ckpt.otherEntries,
    tensorCount: tensors.length,
    parameterCount,
    parameterCountExcludes: [...excluded].sort(),
    tensorBytes,
    dtypes,
    tensors,
  };
}
