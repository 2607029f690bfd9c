import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeChunksAtomically } from '../../src/onnx/write.js';
import { testTempDir } from '../helpers/tmp.js';

describe('writeChunksAtomically', () => {
  it('writes the chunks in order under the final name and leaves nothing else', () => {
    const dir = testTempDir('tsm-write-');
    const big = Uint8Array.from({ length: 5_000_000 }, (_, i) => i % 251);
    writeChunksAtomically(join(dir, 'sub/model.onnx'), [Uint8Array.of(1, 2), big.subarray(10), Uint8Array.of()]);
    const out = readFileSync(join(dir, 'sub/model.onnx'));
    expect(out.byteLength).toBe(2 + big.byteLength - 10);
    expect([out[0], out[1], out[2], out[out.byteLength - 1]]).toEqual([1, 2, 10 % 251, (big.byteLength - 1) % 251]);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['model.onnx']);
  });

  it('a failure is E_WRITE naming the file, and the temp file is gone', () => {
    const dir = testTempDir('tsm-write-');
    mkdirSync(join(dir, 'taken.onnx')); // a folder where the file should go: the rename fails
    expect(() => writeChunksAtomically(join(dir, 'taken.onnx'), [Uint8Array.of(1)])).toThrow(
      expect.objectContaining({ code: 'E_WRITE', details: { file: join(dir, 'taken.onnx') } }),
    );
    expect(readdirSync(dir)).toEqual(['taken.onnx']);
    writeFileSync(join(dir, 'plain'), 'x');
    expect(() => writeChunksAtomically(join(dir, 'plain/model.onnx'), [Uint8Array.of(1)])).toThrow(
      expect.objectContaining({ code: 'E_WRITE' }),
    );
  });
});
