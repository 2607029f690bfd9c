import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TsmError } from '../../src/errors.js';
import { readCheckpoint, readCheckpointFile } from '../../src/pth/read.js';
import { isContiguous, tensorBytes, toFloat32 } from '../../src/pth/tensor.js';

const PTH = join(__dirname, '../../fixtures/pth');
const HOSTILE = join(__dirname, '../../fixtures/hostile');

interface ManifestTensor {
  dtype: string;
  shape: number[];
  sha256: string;
}
interface ManifestFile {
  format: string;
  metadata: Record<string, unknown>;
  tensors: Record<string, ManifestTensor>;
}
const manifest: Record<string, ManifestFile> = JSON.parse(readFileSync(join(PTH, 'manifest.json'), 'utf8'));

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('readCheckpoint matches torch.load bit for bit', () => {
  for (const [file, expected] of Object.entries(manifest)) {
    it(file, () => {
      const ckpt = readCheckpointFile(join(PTH, file));
      expect(ckpt.format).toBe(expected.format);
      expect([...ckpt.stateDict.keys()]).toEqual(Object.keys(expected.tensors));
      for (const [name, want] of Object.entries(expected.tensors)) {
        const t = ckpt.stateDict.get(name)!;
        expect({ name, dtype: t.dtype, shape: [...t.shape] }).toEqual({ name, dtype: want.dtype, shape: want.shape });
        const digest = createHash('sha256').update(tensorBytes(t)).digest('hex');
        expect({ name, digest }).toEqual({ name, digest: want.sha256 });
      }
      for (const [k, v] of Object.entries(expected.metadata)) expect(ckpt.metadata[k]).toEqual(v);
    });
  }

  it('reads the big-endian zip as little-endian values', () => {
    expect(readCheckpointFile(join(PTH, 'dtypes_bigendian.pth')).byteOrder).toBe('big');
  });

  it(
    "keeps names as stored (module. included: prefixes are the key layout's business), finds state_dict and names " +
      'the other entries',
    () => {
      const ckpt = readCheckpointFile(join(PTH, 'train_checkpoint_legacy.pth.tar'));
      expect(ckpt.stateDictKey).toBe('state_dict');
      expect(ckpt.stateDict.has('module.new_fc.weight')).toBe(true);
      expect(ckpt.stateDict.has('new_fc.weight')).toBe(false);
      expect(ckpt.metadata).toMatchObject({ epoch: 25, arch: 'resnet50', best_prec1: 91.5 });
      expect(ckpt.otherEntries).toEqual(['optimizer']);
      expect(ckpt.sysInfo).toMatchObject({ little_endian: true, protocol_version: 1001 });
      expect(ckpt.protocol).toBe(2);
    },
  );

  it('shares one storage between views and materialises strided ones', () => {
    const ckpt = readCheckpointFile(join(PTH, 'dtypes_legacy.pth'));
    const whole = ckpt.stateDict.get('shared_whole')!;
    const transposed = ckpt.stateDict.get('shared_transposed')!;
    const offset = ckpt.stateDict.get('shared_offset')!;
    expect(transposed.storage.bytes.buffer).toBe(whole.storage.bytes.buffer);
    expect(transposed.storage.bytes.byteOffset).toBe(whole.storage.bytes.byteOffset);
    expect(isContiguous(transposed)).toBe(false);
    expect(offset.offset).toBe(10);
    // shared = arange(48): transposed[i][j] = whole[j][i] = j*8+i
    const t = toFloat32(transposed);
    expect(t[1 * 6 + 2]).toBe(2 * 8 + 1);
    expect([...toFloat32(offset).slice(0, 3)]).toEqual([10, 11, 12]);
  });

  it('widens fp16 and bf16 to the same values as float32 of the same source', () => {
    const ckpt = readCheckpointFile(join(PTH, 'dtypes_zip.pth'));
    const f32 = toFloat32(ckpt.stateDict.get('t_float32')!);
    const f16 = toFloat32(ckpt.stateDict.get('t_float16')!);
    const bf16 = toFloat32(ckpt.stateDict.get('t_bfloat16')!);
    for (let i = 0; i < f32.length; i++) {
      expect(Math.abs(f16[i] - f32[i])).toBeLessThanOrEqual(Math.abs(f32[i]) * 2 ** -10);
      expect(Math.abs(bf16[i] - f32[i])).toBeLessThanOrEqual(Math.abs(f32[i]) * 2 ** -7);
    }
    expect([...toFloat32(ckpt.stateDict.get('big_int64')!)]).toEqual([Math.fround(2 ** 40 + 3), -(2 ** 35)]);
  });

  it('returns contiguous zip tensors as views into the file bytes (no copy)', () => {
    const bytes = readFileSync(join(PTH, 'dtypes_zip.pth'));
    const ckpt = readCheckpoint(bytes, { source: 'dtypes_zip.pth' });
    const view = tensorBytes(ckpt.stateDict.get('t_float32')!);
    expect(view.buffer).toBe(bytes.buffer);
  });
});

describe('hostile pickles are refused by name and never run', () => {
  const hostile: Record<string, { global: string }> = JSON.parse(readFileSync(join(HOSTILE, 'hostile.json'), 'utf8'));
  for (const [file, { global }] of Object.entries(hostile)) {
    it(file, () => {
      const err = thrown(() => readCheckpointFile(join(HOSTILE, file)));
      expect(err).toBeInstanceOf(TsmError);
      expect((err as TsmError).code).toBe('E_UNSAFE_GLOBAL');
      expect((err as TsmError).details.global).toBe(global);
      expect((err as TsmError).message).toContain(global);
      expect((err as TsmError).details.offset).toBeGreaterThan(0);
      // that the payload never runs is proved in payloads.test.ts, with fresh markers Python is seen to write
    });
  }
});

describe('broken input gives typed errors', () => {
  it('names a missing file', () => {
    const err = thrown(() => readCheckpointFile('/nonexistent/x.pth')) as TsmError;
    expect(err.code).toBe('E_NOT_FOUND');
  });

  it('rejects a file that is not a checkpoint', () => {
    const err = thrown(() =>
      readCheckpoint(new TextEncoder().encode('hello, I am a text file\n'), { source: 'notes.txt' }),
    ) as TsmError;
    expect(err.code).toBe('E_NOT_CHECKPOINT');
    expect(err.message).toContain('notes.txt');
  });

  for (const file of readdirSync(PTH).filter((f) => !f.endsWith('.json'))) {
    it(`every truncation of ${file} is a typed input error`, () => {
      const bytes = readFileSync(join(PTH, file));
      const codes = new Set<string>();
      for (let cut = 0; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 300))) {
        const err = thrown(() => readCheckpoint(bytes.subarray(0, cut), { source: file }));
        expect(err, `cut at ${cut}`).toBeInstanceOf(TsmError);
        expect((err as TsmError).kind, `cut at ${cut}: ${(err as Error).message}`).toBe('user');
        codes.add((err as TsmError).code);
        // every byte offset an error names lies inside what was read (a record that should start where the file ends
        // may name that end)
        const offset = (err as TsmError).details.offset;
        if (typeof offset === 'number')
          expect(offset, `cut at ${cut}: ${(err as Error).message}`).toBeLessThanOrEqual(cut);
        for (const m of (err as Error).message.matchAll(/at byte (\d+)/g))
          expect(Number(m[1]), `cut at ${cut}: ${(err as Error).message}`).toBeLessThan(Math.max(1, cut));
      }
      expect(codes.has('E_TRUNCATED') || codes.has('E_NOT_CHECKPOINT')).toBe(true);
    });
  }
});
