/**
 * The MIT TSM code (mit-han-lab/temporal-shift-module) and what its checkpoints look like: a TSN whose backbone sits
 * under `base_model.` and whose head is `new_fc` (dropout > 0) or the backbone's own `fc` / `classifier`, saved from
 * DataParallel (`module.` in front of everything) or not; or a bare torchvision-style state dict (ImageNet weights,
 * the online demo's MobileNetV2). Canonical names are these without `module.` and `base_model.`.
 */
import type { Tensor } from '../../pth/tensor.js';
import type { StateDict } from '../tensors.js';
import { type KeyLayout, modelKey, renamed } from './layout.js';

/** TSN's wrapper around the backbone (ops/models.py `self.base_model`). */
export const TSN_WRAPPER = 'base_model.';

/** A state dict in the MIT code's names, under `mit` or another layout's name that only renames some keys first. */
export function mitStateDict(
  stored: ReadonlyMap<string, Tensor>,
  layout: string,
  rename: (canonical: string) => string = (k) => k,
  extra: Partial<StateDict['facts']> = {},
): StateDict {
  const wrapped = [...stored.keys()].some((k) => modelKey(k).startsWith(TSN_WRAPPER));
  const unwrap = (name: string) => (name.startsWith(TSN_WRAPPER) ? name.slice(TSN_WRAPPER.length) : name);
  return renamed(
    stored,
    (model) => rename(unwrap(model)),
    (prefix) => (wrapped ? `${TSN_WRAPPER}${prefix}` : prefix),
    { layout, wrapped, wrapper: TSN_WRAPPER, ...extra },
  );
}

export const MIT_LAYOUT: KeyLayout = {
  name: 'mit',
  describes:
    "the MIT TSM code: TSN's base_model.* and new_fc.*, with or without DataParallel's module., or a bare " +
    'torchvision ResNet / MobileNetV2 state dict',
  // the fallback: whatever no more specific layout claims is read as torchvision names, and the architecture
  // modules then say whether they can place it
  matches: () => true,
  canonicalize: (stored) => mitStateDict(stored, 'mit'),
};
