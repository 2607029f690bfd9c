/**
 * A restricted unpickler for torch checkpoints on top of pickleparser.
 *
 * Nothing a pickle names is ever executed: every GLOBAL resolves to a function of the allowlist (allowlist.ts: the
 * names `torch.load(weights_only=True)` accepts for plain weights); any other name is refused with its
 * `module.name` and the byte offset of the opcode. Opcodes that build arbitrary objects (INST, OBJ, NEWOBJ, EXT…)
 * are refused before pickleparser acts on them (vetting-reader.ts).
 */
import pickleparser from 'pickleparser';
import { TsmError } from '../errors.js';
import { makeResolvers, type PickleOptions, type StorageRef, type TensorRef } from './allowlist.js';
import { ALLOWED_OPCODES, NEWOBJ, VettingReader } from './vetting-reader.js';

const { Parser } = pickleparser;

export type { PickleOptions, StorageRef, TensorRef };

export interface UnpickleResult {
  readonly value: unknown;
  readonly protocol: number | undefined;
  readonly start: number;
  readonly end: number;
}

export interface UnpickleOptions {
  /** file name used in error messages */
  source: string;
  /** start offset of the pickle inside `bytes` */
  start?: number;
  allowGlobals?: readonly string[];
}

/** A reader over one buffer that can parse several consecutive pickles (the legacy format's stream). */
export class PickleStream {
  private readonly reader: VettingReader;
  private readonly parser: InstanceType<typeof Parser>;
  private protocol: number | undefined;

  constructor(
    readonly bytes: Uint8Array,
    readonly source: string,
    start = 0,
    options: PickleOptions = {},
  ) {
    // NEWOBJ builds objects: let through only when the user allowed globals, and then it can construct only those
    // (every other global resolves to an arrow function or a frozen marker, which cannot be constructed)
    this.reader = new VettingReader(bytes, source, { newObj: (options.allowGlobals?.length ?? 0) > 0 });
    if (start) this.reader.seek(start);
    const { nameResolver, persistentResolver } = makeResolvers(this.reader, options);
    this.parser = new Parser({
      nameResolver,
      persistentResolver,
      unpicklingTypeOfDictionary: 'Map',
      unpicklingTypeOfSet: 'array',
    });
  }

  get position(): number {
    return this.reader.position;
  }

  seek(position: number): void {
    this.reader.seek(position);
  }

  /** Parses the next pickle; maps every failure to a typed error carrying the opcode offset. */
  next(): UnpickleResult {
    const start = this.reader.position;
    if (start >= this.bytes.length) {
      throw new TsmError(
        'input',
        'E_TRUNCATED',
        `${this.source}: truncated: the file ends after ${start} bytes, where another pickle was expected`,
        {
          details: { file: this.source, offset: start },
        },
      );
    }
    if (this.bytes[start] === 0x80) this.protocol = this.bytes[start + 1];
    let value: unknown;
    try {
      value = this.parser.read(this.reader);
    } catch (err) {
      throw this.explain(err);
    }
    if (value === undefined) {
      throw new TsmError(
        'input',
        'E_CORRUPT',
        `${this.source}: pickle at byte ${start} ends (STOP) with nothing on its stack`,
        { details: { file: this.source, offset: this.reader.opcodeOffset } },
      );
    }
    return { value, protocol: this.protocol, start, end: this.reader.position };
  }

  private explain(err: unknown): TsmError {
    if (err instanceof TsmError) return err;
    const message = err instanceof Error ? err.message : String(err);
    const offset = this.reader.opcodeOffset;
    const details = { file: this.source, offset };
    if (/end of file|more bytes|end of line/i.test(message)) {
      // The reader has already moved past the end when it notices; report where the file ends and which opcode
      // wanted more, both offsets inside the file.
      const size = this.reader.length;
      const more = /Expected (\d+) more bytes?/.exec(message)?.[1];
      return new TsmError(
        'input',
        'E_TRUNCATED',
        `${this.source}: truncated: the pickle opcode at byte ${offset} needs ${more ?? 'more'} byte(s) past the end ` +
          `of the data (${size} bytes)`,
        {
          details: { ...details, size, missingBytes: more ? Number(more) : undefined },
          cause: err,
        },
      );
    }
    const op = ALLOWED_OPCODES.get(this.reader.opcode) ?? `0x${this.reader.opcode.toString(16)}`;
    if (this.reader.opcode === NEWOBJ && err instanceof TypeError) {
      return new TsmError(
        'unsafe',
        'E_UNSAFE_OPCODE',
        `${this.source}: pickle opcode NEWOBJ at byte ${offset} constructs something --allow-global did not name`,
        { details: { ...details, opcode: 'NEWOBJ' }, cause: err },
      );
    }
    return new TsmError(
      'input',
      'E_CORRUPT',
      `${this.source}: malformed pickle at byte ${offset} (opcode ${op}): ${message}`,
      { details, cause: err },
    );
  }
}

/** Parses one pickle from `bytes` (a zip's data.pkl). */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): UnpickleResult {
  return new PickleStream(bytes, options.source, options.start ?? 0, options).next();
}
