/**
 * MMAction2's recognizers (1.x and 0.x; shared/MMACTION2-FACTS.md §2, docs/upstream-mmaction2.md): the backbone under
 * `backbone.`, the head's linear layer at `cls_head.fc_cls`, and mmcv's ConvModule naming (`conv` + `bn` children)
 * where torchvision says `convN` / `bnN` and `downsample.0/1`. Canonical form: the MIT code's names.
 *
 * - ResNet(TSM): `conv1.conv/.bn` → `conv1` / `bn1`; `layerX.Y.convN.conv/.bn` → `convN` / `bnN`; the blockres shift
 *   wraps `convN.conv` (`conv1.conv.net.weight` → `conv1.net.weight`); `block` shift (`layerX.Y.net.*`), temporal
 *   pooling (`layer2.net.Y.*`) and NL3DWrapper's `.block` keep their place; `non_local_block.{g.0,theta,phi.0}.conv`
 *   → `nl.{g.0,theta,phi.0}`, `conv_out.conv` (no bias) → `nl.W.0`, `conv_out.bn` → `nl.W.1`.
 * - MobileNetV2TSM: `conv1` → `features.0`, `layerI.J` → `features.N` (N counted over the stages), `conv.K.conv/.bn`
 *   → `conv.3K` / `conv.3K+1` (the MIT block's Sequential positions, ReLU6 between), the shift at
 *   `conv.0.net.conv` → `conv.0.net`, `conv2` → `features.18`.
 * - TSMHead / TSNHead: `fc_cls` → `new_fc`.
 */
import type { Tensor } from '../../pth/tensor.js';
import type { StateDict } from '../tensors.js';
import { type KeyLayout, modelKey, renamed } from './layout.js';

const BACKBONE = 'backbone.';
const HEAD = 'cls_head.';
/** blocks per MobileNetV2 stage (layer1..7), from its [t, c, n, s] settings (mobilenet_v2.py) */
const MOBILENET_STAGE_BLOCKS = [1, 2, 3, 4, 3, 3, 1];

/** A ConvModule's child (`…conv.weight`, `…conv.net.weight`, `…bn.running_mean`) renamed by `named(kind)`. */
function convModule(rest: string, named: (kind: 'conv' | 'bn') => string): string | undefined {
  const m = /^(conv|bn)\.(net\.)?([a-z_]+)$/.exec(rest);
  if (!m) return undefined;
  const [, kind, net, param] = m;
  return `${named(kind as 'conv' | 'bn')}${kind === 'conv' && net ? '.net' : ''}.${param}`;
}

const NON_LOCAL_PARTS: Readonly<Record<string, string>> = Object.freeze({
  'g.0.conv': 'g.0',
  'g.conv': 'g',
  'theta.conv': 'theta',
  'phi.0.conv': 'phi.0',
  'phi.conv': 'phi',
  'conv_out.conv': 'W.0',
  'conv_out.bn': 'W.1',
});

function renameResNet(name: string): string {
  if (name.startsWith('conv1.')) return convModule(name.slice(6), (k) => (k === 'conv' ? 'conv1' : 'bn1')) ?? name;
  const nl = /^(.+)\.non_local_block\.((?:g|theta|phi|conv_out)(?:\.0)?\.(?:conv|bn))\.([a-z_]+)$/.exec(name);
  if (nl) return `${nl[1]}.nl.${NON_LOCAL_PARTS[nl[2]] ?? nl[2]}.${nl[3]}`;
  const down = /^(.+\.downsample)\.(conv|bn)\.([a-z_]+)$/.exec(name);
  if (down) return `${down[1]}.${down[2] === 'conv' ? 0 : 1}.${down[3]}`;
  const conv = /^(layer\d\..+\.)conv(\d)\.(.+)$/.exec(name);
  if (conv) return convModule(conv[3], (k) => `${conv[1]}${k}${conv[2]}`) ?? name;
  return name;
}

/** MobileNetV2TSM's `layerI.J` as the MIT code's `features.N`. */
function mobileNetBlock(stage: number, block: number): number {
  return 1 + MOBILENET_STAGE_BLOCKS.slice(0, stage - 1).reduce((a, b) => a + b, 0) + block;
}

function renameMobileNet(name: string): string {
  if (name.startsWith('conv1.')) return convModule(name.slice(6), (k) => `features.0.${k === 'conv' ? 0 : 1}`) ?? name;
  if (name.startsWith('conv2.')) return convModule(name.slice(6), (k) => `features.18.${k === 'conv' ? 0 : 1}`) ?? name;
  const m = /^layer(\d)\.(\d+)\.conv\.(\d)\.(.+)$/.exec(name);
  if (!m) return name;
  const base = `features.${mobileNetBlock(Number(m[1]), Number(m[2]))}.conv`;
  const k = 3 * Number(m[3]);
  // the shift wraps the whole ConvModule: `conv.0.net.conv.weight`, `conv.0.net.bn.*`
  const part = /^(net\.)?(conv|bn)\.([a-z_]+)$/.exec(m[4]);
  if (!part) return name;
  const [, net, kind, param] = part;
  return kind === 'conv' ? `${base}.${k}${net ? '.net' : ''}.${param}` : `${base}.${k + 1}.${param}`;
}

/** Whether MMAction2 keys hold a MobileNetV2TSM (its seventh stage, or conv2, has no ResNet counterpart). */
function isMobileNet(keys: readonly string[]): boolean {
  return keys.some((k) => k.startsWith(`${BACKBONE}layer7.`) || k.startsWith(`${BACKBONE}conv2.conv.`));
}

export function mmactionStateDict(stored: ReadonlyMap<string, Tensor>): StateDict {
  const keys = [...stored.keys()].map(modelKey);
  const backbone = isMobileNet(keys) ? renameMobileNet : renameResNet;
  return renamed(
    stored,
    (model) => {
      if (model.startsWith(HEAD)) return model.replace(/^cls_head\.fc_cls\./, 'new_fc.');
      return model.startsWith(BACKBONE) ? backbone(model.slice(BACKBONE.length)) : model;
    },
    // canonical prefixes (layer1.0, features.3) named as the file names them, for messages
    (prefix) => `${BACKBONE}${prefix}`,
    { layout: 'mmaction2', wrapped: true, wrapper: BACKBONE },
  );
}

export const MMACTION2_LAYOUT: KeyLayout = {
  name: 'mmaction2',
  describes:
    'MMAction2 1.x/0.x recognizers: backbone.* with mmcv ConvModule names (conv1.conv, layerX.Y.conv1.bn) and the ' +
    'head at cls_head.fc_cls',
  matches: (keys) =>
    keys.some((k) => modelKey(k).startsWith(`${HEAD}fc_cls.`)) &&
    keys.some((k) => /^backbone\.(?:conv1\.conv|layer1\.0\.conv)/.test(modelKey(k))),
  canonicalize: mmactionStateDict,
};
