/** A state dict that remembers which tensors the graph used, so nothing is silently ignored. */
import { TsmError } from '../errors.js';
import { DTYPES } from '../pth/dtypes.js';
import type { Tensor } from '../pth/tensor.js';

export class TrackedStateDict {
  private readonly used = new Set<string>();
  /** `nameOf`: how messages name a key (the model's own name for it) */
  constructor(
    private readonly sd: ReadonlyMap<string, Tensor>,
    private readonly nameOf: (key: string) => string = (k) => k,
  ) {}

  take(key: string): Tensor {
    const t = this.sd.get(key);
    if (!t)
      throw new TsmError(
        'unsupported',
        'E_MISSING_TENSOR',
        `state dict has no '${this.nameOf(key)}', which the architecture needs`,
        { details: { key: this.nameOf(key) } },
      );
    if (!DTYPES[t.dtype].real) {
      throw new TsmError(
        'unsupported',
        'E_DTYPE_UNSUPPORTED',
        `tensor '${this.nameOf(key)}' is ${t.dtype}, which the graph cannot use (it needs real numbers)`,
        {
          details: { key: this.nameOf(key), dtype: t.dtype },
        },
      );
    }
    this.used.add(key);
    return t;
  }

  /** Marks a tensor as knowingly not needed (e.g. num_batches_tracked) if present. */
  skip(key: string): void {
    if (this.sd.has(key)) this.used.add(key);
  }

  unused(): string[] {
    return [...this.sd.keys()].filter((k) => !this.used.has(k)).map(this.nameOf);
  }

  /** Throws naming every tensor the graph did not consume. */
  assertAllUsed(): void {
    const left = this.unused();
    if (left.length) {
      throw new TsmError(
        'unsupported',
        'E_UNUSED_TENSORS',
        `${left.length} tensor(s) in the checkpoint have no place in the detected architecture: ` +
          `${left.slice(0, 12).join(', ')}${left.length > 12 ? ', …' : ''}`,
        {
          hint:
            'the checkpoint has layers tsm does not know (non-local blocks? a different ' +
            'head?); nothing was written',
          details: { keys: left },
        },
      );
    }
  }
}
