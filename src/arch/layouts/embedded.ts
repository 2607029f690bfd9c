/**
 * The embedded_TSM fork (docs/upstream-tsm.md §2): its MobileNetV2 wraps the whole `conv` of every inverted-residual
 * block in the temporal shift, so a block's layers sit at `features.N.conv.net.M`. Otherwise the MIT code's names.
 * Canonical form: `features.N.conv.M`, with the shift marked where the MIT code marks it, on the block's first layer
 * (`features.N.conv.0.net.weight`): shifting the block's input is shifting that layer's input.
 */

import { type KeyLayout, modelKey } from './layout.js';
import { mitStateDict } from './mit.js';

const FORK_BLOCK = /^((?:base_model\.)?features\.\d+\.conv)\.net\.(\d+)\.(.+)$/;

export const EMBEDDED_LAYOUT: KeyLayout = {
  name: 'embedded',
  describes: 'the embedded_TSM fork: a MobileNetV2 whose every block is shifted as a whole (features.N.conv.net.M.*)',
  matches: (keys) => keys.some((k) => FORK_BLOCK.test(modelKey(k))),
  canonicalize: (stored) =>
    mitStateDict(
      stored,
      'embedded',
      (name) => {
        const m = /^(features\.\d+\.conv)\.net\.(\d+)\.(.+)$/.exec(name);
        if (!m) return name;
        const [, block, layer, rest] = m;
        return layer === '0' && rest === 'weight' ? `${block}.0.net.weight` : `${block}.${layer}.${rest}`;
      },
      { mobileNetShift: 'embedded' },
    ),
};
