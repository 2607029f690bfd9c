/**
 * A key layout: how one training codebase names a model's tensors. Each layout recognises itself from the keys and
 * renames them to the canonical names the architecture modules read (the MIT code's names without its wrappers:
 * torchvision's ResNet and MobileNetV2 keys, `.net` where a temporal shift wraps a layer, `new_fc` for the TSN head).
 * Adding a layout is adding a file beside this one and a line in index.ts.
 */
import { TsmError } from '../../errors.js';
import type { Tensor } from '../../pth/tensor.js';
import { type LayoutFacts, StateDict } from '../tensors.js';

export interface KeyLayout {
  readonly name: string;
  /** one line: whose checkpoints these are and what marks them */
  readonly describes: string;
  /** whether a file's keys (as stored) are in this layout */
  matches(keys: readonly string[]): boolean;
  /** the tensors under canonical names */
  canonicalize(stored: ReadonlyMap<string, Tensor>): StateDict;
}

/** DataParallel's prefix: a training wrapper, not part of the model's names. */
export const DATA_PARALLEL = 'module.';

/** A stored key without DataParallel's `module.`: the model's own name for the tensor. */
export const modelKey = (key: string): string =>
  key.startsWith(DATA_PARALLEL) ? key.slice(DATA_PARALLEL.length) : key;

/**
 * A StateDict from stored tensors and a rename of model names (stored names without `module.`) to canonical ones;
 * two stored keys that land on one canonical name are refused, naming both.
 */
export function renamed(
  stored: ReadonlyMap<string, Tensor>,
  rename: (modelName: string) => string,
  modelPrefix: (prefix: string) => string,
  facts: LayoutFacts,
): StateDict {
  const tensors = new Map<string, Tensor>();
  const modelNames = new Map<string, string>();
  for (const [key, tensor] of stored) {
    const model = modelKey(key);
    const canonical = rename(model);
    const seen = modelNames.get(canonical);
    if (seen !== undefined) {
      throw new TsmError(
        'input',
        'E_DUPLICATE_KEY',
        `'${seen}' and '${model}' are the same tensor ('${canonical}') in the ${facts.layout} key layout`,
        {
          details: { keys: [seen, model], canonical, layout: facts.layout },
        },
      );
    }
    tensors.set(canonical, tensor);
    modelNames.set(canonical, model);
  }
  return new StateDict(tensors, modelNames, modelPrefix, facts);
}
