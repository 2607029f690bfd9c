/** The key layouts tsm reads, most specific first: the first whose keys match renames them. */
import type { Tensor } from '../../pth/tensor.js';
import type { StateDict } from '../tensors.js';
import { EMBEDDED_LAYOUT } from './embedded.js';
import type { KeyLayout } from './layout.js';
import { MIT_LAYOUT } from './mit.js';
import { MMACTION2_LAYOUT } from './mmaction2.js';

export type { KeyLayout };

export const KEY_LAYOUTS: readonly KeyLayout[] = Object.freeze([MMACTION2_LAYOUT, EMBEDDED_LAYOUT, MIT_LAYOUT]);

/** The layout a file's keys are in: the first that claims them. */
export function keyLayoutOf(stored: ReadonlyMap<string, Tensor>): KeyLayout {
  const keys = [...stored.keys()];
  return KEY_LAYOUTS.find((l) => l.matches(keys)) ?? MIT_LAYOUT;
}

/** The stored tensors under canonical names, in their layout. */
export function canonicalize(stored: ReadonlyMap<string, Tensor>): StateDict {
  return keyLayoutOf(stored).canonicalize(stored);
}
