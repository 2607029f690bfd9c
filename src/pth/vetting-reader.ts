/**
 * The opcode policy of tsm's unpickler: a BufferReader that knows where each opcode starts (so errors can name a byte
 * offset) and refuses every opcode outside the allowlist before pickleparser acts on it.
 */
import pickleparser from 'pickleparser';
import { TsmError } from '../errors.js';

const { BufferReader } = pickleparser;

/** pickle opcodes (Lib/pickle.py) tsm lets through; the table is the whole policy. */
export const ALLOWED_OPCODES: ReadonlyMap<number, string> = new Map([
  [0x80, 'PROTO'],
  [0x2e, 'STOP'],
  [0x95, 'FRAME'],
  [0x28, 'MARK'],
  [0x30, 'POP'],
  [0x31, 'POP_MARK'],
  [0x32, 'DUP'],
  [0x70, 'PUT'],
  [0x71, 'BINPUT'],
  [0x72, 'LONG_BINPUT'],
  [0x94, 'MEMOIZE'],
  [0x67, 'GET'],
  [0x68, 'BINGET'],
  [0x6a, 'LONG_BINGET'],
  [0x4e, 'NONE'],
  [0x88, 'NEWTRUE'],
  [0x89, 'NEWFALSE'],
  [0x49, 'INT'],
  [0x4c, 'LONG'],
  [0x46, 'FLOAT'],
  [0x56, 'UNICODE'],
  [0x4a, 'BININT'],
  [0x4b, 'BININT1'],
  [0x4d, 'BININT2'],
  [0x8a, 'LONG1'],
  [0x47, 'BINFLOAT'],
  [0x42, 'BINBYTES'],
  [0x43, 'SHORT_BINBYTES'],
  [0x54, 'BINSTRING'],
  [0x55, 'SHORT_BINSTRING'],
  [0x58, 'BINUNICODE'],
  [0x8c, 'SHORT_BINUNICODE'],
  [0x29, 'EMPTY_TUPLE'],
  [0x74, 'TUPLE'],
  [0x85, 'TUPLE1'],
  [0x86, 'TUPLE2'],
  [0x87, 'TUPLE3'],
  [0x5d, 'EMPTY_LIST'],
  [0x6c, 'LIST'],
  [0x61, 'APPEND'],
  [0x65, 'APPENDS'],
  [0x7d, 'EMPTY_DICT'],
  [0x73, 'SETITEM'],
  [0x75, 'SETITEMS'],
  [0x8f, 'EMPTY_SET'],
  [0x91, 'FROZENSET'],
  [0x90, 'ADDITEMS'],
  [0x63, 'GLOBAL'],
  [0x93, 'STACK_GLOBAL'],
  [0x51, 'BINPERSID'],
  [0x52, 'REDUCE'],
  [0x62, 'BUILD'],
]);

/** NEWOBJ (`cls.__new__(cls, *args)`): refused unless --allow-global named the classes it may build. */
export const NEWOBJ = 0x81;

/** Opcodes refused by name (everything else unknown is refused as "unknown opcode"). */
const REFUSED_OPCODES: ReadonlyMap<number, string> = new Map([
  [0x69, 'INST'],
  [0x6f, 'OBJ'],
  [0x81, 'NEWOBJ'],
  [0x92, 'NEWOBJ_EX'],
  [0x82, 'EXT1'],
  [0x83, 'EXT2'],
  [0x84, 'EXT4'],
  [0x50, 'PERSID'],
  [0x64, 'DICT'],
  [0x8b, 'LONG4'],
  [0x8e, 'BINBYTES8'],
  [0x8d, 'BINUNICODE8'],
  [0x96, 'BYTEARRAY8'],
  [0x97, 'NEXT_BUFFER'],
  [0x98, 'READONLY_BUFFER'],
  [0x53, 'STRING'],
]);

/** A BufferReader that knows where each opcode starts, so errors can name an offset and opcodes can be vetted. */
export class VettingReader extends BufferReader {
  opcodeOffset = 0;
  opcode = -1;
  private atOpcode = false;
  constructor(
    buffer: Uint8Array,
    readonly source: string,
    private readonly allow: { readonly newObj?: boolean } = {},
  ) {
    super(buffer);
  }
  override hasNext(): boolean {
    // NOTE: pickleparser 0.2.1 calls hasNext() right before reading each opcode; that is our hook.
    this.atOpcode = true;
    return super.hasNext();
  }
  override byte(): number {
    if (!this.atOpcode) return super.byte();
    this.atOpcode = false;
    this.opcodeOffset = this.position;
    const op = super.byte();
    this.opcode = op;
    if (!ALLOWED_OPCODES.has(op) && !(op === NEWOBJ && this.allow.newObj)) {
      const name = REFUSED_OPCODES.get(op);
      throw new TsmError(
        'unsafe',
        name ? 'E_UNSAFE_OPCODE' : 'E_BAD_OPCODE',
        name
          ? `${this.source}: pickle opcode ${name} at byte ${this.opcodeOffset} is not allowed in a checkpoint`
          : `${this.source}: unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${this.opcodeOffset}`,
        { details: { file: this.source, offset: this.opcodeOffset, opcode: name ?? op } },
      );
    }
    return op;
  }
  seek(position: number): void {
    this.skip(position - this.position);
  }
}
