/**
 * A checkpoint's weights under the canonical names the architecture modules read (src/arch/layouts turns a file's
 * key layout into them), with shape-checked access. Messages name a tensor as its model calls it (`modelName`:
 * the key of the model's own state_dict, a training wrapper's `module.` left out), so the user finds it in the file.
 */
import { TsmError } from '../errors.js';
import type { NonLocalMode } from '../model/spec.js';
import type { Tensor } from '../pth/tensor.js';

/** What a key layout hands on besides the renamed tensors. */
export interface LayoutFacts {
  /** the layout's name, as `inspect` shows it: `mit`, `embedded`, … */
  readonly layout: string;
  /** the model is a TSN/TSM (weights under a wrapper such as TSN's `base_model.`), not a bare backbone */
  readonly wrapped: boolean;
  /** that wrapper's prefix in the model's names, which graph node names leave out */
  readonly wrapper?: string;
  /** a MobileNetV2 shift layout the key names imply (the embedded fork wraps every block) */
  readonly mobileNetShift?: 'official' | 'embedded';
  /** what the weights cannot say about non-local blocks: their pairwise function (an MMAction2 config's
   * `non_local_cfg`, else its file name; default MIT's embedded Gaussian without scaling) */
  readonly nonLocal?: { readonly mode: NonLocalMode; readonly useScale: boolean; readonly from: string };
}

export class StateDict {
  /**
   * `tensors`: canonical name → tensor; `modelNames`: canonical name → the model's own name for it;
   * `modelPrefix`: the model's name for a canonical module prefix (a block such as `layer1.0`)
   */
  constructor(
    private readonly tensors: ReadonlyMap<string, Tensor>,
    private readonly modelNames: ReadonlyMap<string, string>,
    private readonly modelPrefix: (prefix: string) => string,
    readonly facts: LayoutFacts,
  ) {}

  /** A state dict already in canonical names (tests, tools): model names are the same. */
  static plain(
    tensors: ReadonlyMap<string, Tensor>,
    facts: LayoutFacts = { layout: 'canonical', wrapped: false },
  ): StateDict {
    return new StateDict(tensors, new Map(), (p) => p, facts);
  }

  /** The same tensors with more facts (settings read beside the weights, e.g. from a checkpoint's config). */
  withFacts(extra: Partial<LayoutFacts>): StateDict {
    return new StateDict(this.tensors, this.modelNames, this.modelPrefix, { ...this.facts, ...extra });
  }

  get size(): number {
    return this.tensors.size;
  }

  has(key: string): boolean {
    return this.tensors.has(key);
  }

  get(key: string): Tensor | undefined {
    return this.tensors.get(key);
  }

  keys(): IterableIterator<string> {
    return this.tensors.keys();
  }

  /** The tensors by canonical name, for the graph builder. */
  get map(): ReadonlyMap<string, Tensor> {
    return this.tensors;
  }

  /** The model's name of a canonical tensor key or module prefix, as messages and metadata give it. */
  readonly modelName = (name: string): string => this.modelNames.get(name) ?? this.modelPrefix(name);

  /** The name a tensor or module gets in the graph: the model's, without the wrapper. */
  readonly nodeName = (name: string): string => {
    const model = this.modelName(name);
    const { wrapper } = this.facts;
    return wrapper && model.startsWith(wrapper) ? model.slice(wrapper.length) : model;
  };
}

export function shapeOf(sd: StateDict, key: string): readonly number[] {
  const t = sd.get(key);
  if (!t)
    throw new TsmError('unsupported', 'E_MISSING_TENSOR', `state dict has no '${sd.modelName(key)}'`, {
      details: { key: sd.modelName(key) },
    });
  return t.shape;
}

export function expectShape(sd: StateDict, key: string, expected: readonly number[]): void {
  const found = shapeOf(sd, key);
  if (found.length !== expected.length || found.some((d, i) => d !== expected[i])) {
    const name = sd.modelName(key);
    throw new TsmError(
      'unsupported',
      'E_SHAPE_MISMATCH',
      `'${name}' has shape [${found.join(', ')}], expected [${expected.join(', ')}]`,
      {
        details: { key: name, expected, found },
      },
    );
  }
}

/** BatchNorm at `prefix` with `channels` channels: checks all four tensors. */
export function expectBatchNorm(sd: StateDict, prefix: string, channels: number): void {
  for (const part of ['weight', 'bias', 'running_mean', 'running_var'])
    expectShape(sd, `${prefix}.${part}`, [channels]);
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

/** Whether some key starts with `prefix`. */
export function hasPrefix(sd: StateDict, prefix: string): boolean {
  for (const key of sd.keys()) if (key.startsWith(prefix)) return true;
  return false;
}
