/** Shape-checked access to a state dict while an architecture is being recognised. */
import { TsmError } from '../errors.js';
import type { Tensor } from '../pth/tensor.js';

export type StateDict = ReadonlyMap<string, Tensor>;

export function shapeOf(sd: StateDict, key: string): readonly number[] {
  const t = sd.get(key);
  if (!t) throw new TsmError('unsupported', 'E_MISSING_TENSOR', `state dict has no '${key}'`, { details: { key } });
  return t.shape;
}

export function expectShape(sd: StateDict, key: string, expected: readonly number[]): void {
  const found = shapeOf(sd, key);
  if (found.length !== expected.length || found.some((d, i) => d !== expected[i])) {
    throw new TsmError('unsupported', 'E_SHAPE_MISMATCH', `'${key}' has shape [${found.join(', ')}], expected [${expected.join(', ')}]`, {
      details: { key, expected, found },
    });
  }
}

/** BatchNorm at `prefix` with `channels` channels: checks all four tensors. */
export function expectBatchNorm(sd: StateDict, prefix: string, channels: number): void {
  for (const part of ['weight', 'bias', 'running_mean', 'running_var']) expectShape(sd, `${prefix}.${part}`, [channels]);
}

/** Indices `i` for which some key starts with `${prefix}.${i}.`, sorted. */
export function childIndices(sd: StateDict, prefix: string): number[] {
  const found = new Set<number>();
  const head = `${prefix}.`;
  for (const key of sd.keys()) {
    if (!key.startsWith(head)) continue;
    const m = /^(\d+)\./.exec(key.slice(head.length));
    if (m) found.add(Number(m[1]));
  }
  return [...found].sort((a, b) => a - b);
}
