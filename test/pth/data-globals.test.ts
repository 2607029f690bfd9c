import { describe, expect, it } from 'vitest';
import { TsmError } from '../../src/errors.js';
import { readCheckpointFile } from '../../src/pth/read.js';
import { unpickle } from '../../src/pth/unpickle.js';
import { ensureMmaVariants, MMA_INSTALL, mmaPath, mmaRequirementsMet } from '../helpers/mma-reference.js';
import { requireTool } from '../helpers/requirements.js';

/**
 * numpy data and --allow-global classes outside the state dict (src/pth/data-globals.ts), on the MMAction2 reference
 * files (tools/reference/mmaction2: 0.x meta with a numpy best_score, a 1.x work-dir file with mmengine's
 * HistoryBuffer) and on hand-written pickles.
 */
const HISTORY_BUFFER = 'mmengine.logging.history_buffer.HistoryBuffer';
const ok = requireTool('MMAction2 references (torch, OpenCV, opencv-doc)', mmaRequirementsMet(), MMA_INSTALL);
const variants = ok ? ensureMmaVariants() : {};

function thrown(fn: () => unknown): TsmError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TsmError) return err;
    throw err;
  }
  throw new Error('expected a TsmError');
}

/** A protocol-2 pickle from opcodes, with GLOBAL lines spelled out. */
function pickle(...parts: Array<number | string>): Uint8Array {
  const bytes: number[] = [0x80, 2];
  for (const p of parts) {
    if (typeof p === 'number') bytes.push(p);
    else for (const c of Buffer.from(p, 'latin1')) bytes.push(c);
  }
  bytes.push(0x2e);
  return Uint8Array.from(bytes);
}
const GLOBAL = (module: string, name: string) => `c${module}\n${name}\n`;
const EMPTY_TUPLE = 0x29;
const NEWOBJ = 0x81;
const EMPTY_DICT = 0x7d;
const BUILD = 0x62;

describe.runIf(ok)('numpy data outside the weights (0.x meta.hook_msgs.best_score is a numpy float64)', () => {
  for (const name of ['tsm_r50_nl_embedded_gaussian_0x', 'tsm_r50_block_jester_0x', 'tsn_r50_0x']) {
    it(`${name}: read, its meta.config text beside the weights`, () => {
      const v = variants[name];
      const c = readCheckpointFile(mmaPath(v));
      expect(c.format).toBe(v.format);
      expect(c.stateDict.size).toBeGreaterThan(300);
      expect(typeof c.meta?.config).toBe('string');
      expect(String(c.meta?.config)).toContain('model = dict(');
    });
  }
});

describe.runIf(ok)('--allow-global: other data classes outside the weights (a 1.x work-dir epoch file)', () => {
  it('refused without it: exit-4 family, the message names the global and the flag', () => {
    const err = thrown(() => readCheckpointFile(mmaPath(variants.tsm_mbv2_epoch)));
    expect(err.code).toBe('E_UNSAFE_GLOBAL');
    expect(err.family).toBe('unsafe');
    expect(err.message).toContain(`'${HISTORY_BUFFER}'`);
    expect(err.message).toContain(`--allow-global ${HISTORY_BUFFER}`);
  });
  it('read with it: the weights and the meta.cfg text, the message hub left as an other entry', () => {
    const c = readCheckpointFile(mmaPath(variants.tsm_mbv2_epoch), { allowGlobals: [HISTORY_BUFFER] });
    expect(c.stateDict.size).toBe(314);
    expect(c.otherEntries).toContain('message_hub');
    expect(String(c.meta?.cfg)).toContain('MobileNetV2TSM');
  });
});

describe('the pickle rules around data globals', () => {
  it('NEWOBJ stays refused without --allow-global', () => {
    const bytes = pickle(GLOBAL('x.y', 'Data'), EMPTY_TUPLE, NEWOBJ);
    expect(thrown(() => unpickle(bytes, { source: 'p' })).code).toBe('E_UNSAFE_GLOBAL');
    const allowedClass = pickle(GLOBAL('collections', 'OrderedDict'), EMPTY_TUPLE, NEWOBJ);
    expect(thrown(() => unpickle(allowedClass, { source: 'p' })).code).toBe('E_UNSAFE_OPCODE');
  });
  it('with --allow-global, NEWOBJ builds only the named class, as a record of its state; nothing else', () => {
    const named = pickle(GLOBAL('x.y', 'Data'), EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, BUILD);
    const value = unpickle(named, { source: 'p', allowGlobals: ['x.y.Data'] }).value as Record<string, unknown>;
    expect(value.kind).toBe('allowed-object');
    expect(value.global).toBe('x.y.Data');
    expect(value.state).toBeInstanceOf(Map);
    const other = pickle(GLOBAL('collections', 'OrderedDict'), EMPTY_TUPLE, NEWOBJ);
    const err = thrown(() => unpickle(other, { source: 'p', allowGlobals: ['x.y.Data'] }));
    expect(err.code).toBe('E_UNSAFE_OPCODE');
    expect(err.message).toContain('NEWOBJ');
    // a call of anything else stays unsafe, flag or not
    const system = pickle(GLOBAL('os', 'system'), EMPTY_TUPLE, 0x52);
    expect(thrown(() => unpickle(system, { source: 'p', allowGlobals: ['x.y.Data'] })).code).toBe('E_UNSAFE_GLOBAL');
  });
  it('a numpy scalar reads as its number; _codecs.encode only as latin1', () => {
    // numpy.core.multiarray.scalar(numpy.dtype('f8', False, True), b'\x00\x00\x00\x00\x00\x00\xf8\x3f') = 1.5
    const scalar = pickle(
      GLOBAL('numpy.core.multiarray', 'scalar'),
      GLOBAL('numpy', 'dtype'),
      'X\x02\x00\x00\x00f8',
      0x89,
      0x88,
      0x87,
      0x52,
      GLOBAL('_codecs', 'encode'),
      'X\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc3\xb8?',
      'X\x06\x00\x00\x00latin1',
      0x86,
      0x52,
      0x86,
      0x52,
    );
    expect(unpickle(scalar, { source: 'p' }).value).toBe(1.5);
    const utf8 = pickle(GLOBAL('_codecs', 'encode'), 'X\x01\x00\x00\x00a', 'X\x05\x00\x00\x00utf-8', 0x86, 0x52);
    expect(thrown(() => unpickle(utf8, { source: 'p' })).message).toContain('latin1');
  });
});
