import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { exportOnnxModel } from '../../src/convert/convert.js';
import { TsmError } from '../../src/errors.js';
import { readCheckpoint } from '../../src/pth/read.js';
import { tensorBytes } from '../../src/pth/tensor.js';
import { readZipDirectory } from '../../src/pth/zip.js';
import { PYTHON, ROOT } from '../helpers/reference.js';
import { fileTempDir } from '../helpers/tmp.js';

/**
 * Checkpoints whose zip entries are deflated (re-zipped by a tool; torch.load reads them): made with Python's zipfile
 * from real torch.save files (tools/make_deflated.py), read by tsm through jszip's inflate to the same tensors, byte
 * for byte, as torch.load reads; broken or hostile deflate data is a typed input error.
 */
const TORCH2 = join(ROOT, 'fixtures/torch2/TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e1.pth');
const DEFLATED_FIXTURE = join(ROOT, 'fixtures/pth/dtypes_deflated.pth');
const dir = fileTempDir('tsm-deflate-');
// what torch.load reads from each file it wrote: {file: {name as in the file: sha256 of the tensor's bytes}}
const torchDigests: Record<string, Record<string, string>> = JSON.parse(
  execFileSync(PYTHON, [join(ROOT, 'tools/make_deflated.py'), dir, TORCH2], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }),
);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function digestsOf(bytes: Uint8Array, options = {}): Record<string, string> {
  const ckpt = readCheckpoint(bytes, { source: 'x.pth', ...options });
  return Object.fromEntries([...ckpt.stateDict].map(([name, t]) => [name, sha(tensorBytes(t))]));
}

function thrown(fn: () => unknown): TsmError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TsmError);
    return err as TsmError;
  }
  throw new Error('expected a throw');
}

/** Byte offset of the central-directory record of `name` (APPNOTE 4.3.12), to patch one field of it. */
function centralRecord(bytes: Uint8Array, name: string): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = bytes.length - 22;
  while (view.getUint32(eocd, true) !== 0x06054b50) eocd--;
  let p = view.getUint32(eocd + 16, true);
  for (let i = 0; i < view.getUint16(eocd + 10, true); i++) {
    const nameLength = view.getUint16(p + 28, true);
    if (Buffer.from(bytes.subarray(p + 46, p + 46 + nameLength)).toString() === name) return p;
    p += 46 + nameLength + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
  }
  throw new Error(`${name} not in the central directory`);
}

function patched(
  bytes: Uint8Array,
  name: string,
  field: 'flags' | 'method' | 'crc32' | 'size',
  value: number,
): Uint8Array {
  const out = Uint8Array.from(bytes);
  const at = centralRecord(out, name) + { flags: 8, method: 10, crc32: 16, size: 24 }[field];
  const view = new DataView(out.buffer);
  if (field === 'flags' || field === 'method') view.setUint16(at, value, true);
  else view.setUint32(at, value >>> 0, true);
  return out;
}

describe('deflated checkpoints read like torch.load reads them', () => {
  it('a torch 2.11 TSM checkpoint re-zipped with every entry deflated: every tensor as torch.load reads it', () => {
    const bytes = readFileSync(join(dir, 'rezipped.pth'));
    const entries = readZipDirectory(bytes, 'rezipped.pth');
    expect(entries.length).toBeGreaterThan(100);
    expect(entries.every((e) => e.method === 8)).toBe(true);
    const ours = digestsOf(bytes);
    expect(Object.keys(ours).length).toBeGreaterThan(100);
    expect(ours).toEqual(torchDigests['rezipped.pth']);
    // and the same as the stored original
    expect(ours).toEqual(digestsOf(readFileSync(TORCH2)));
  });

  it('converts to an ONNX model with the same initializers, byte for byte, as the stored original', () => {
    const initializers = (input: string) =>
      onnxProto.onnx.ModelProto.decode(exportOnnxModel({ input }).onnx).graph!.initializer!.map((t) => [
        t.name,
        sha(t.rawData!),
      ]);
    const deflated = initializers(join(dir, 'rezipped.pth'));
    expect(deflated.length).toBeGreaterThan(50);
    expect(deflated).toEqual(initializers(TORCH2));
  });

  it('16 MB of zeros deflated ~1000:1 is a real file: read in full by default, refused past --max-inflated', () => {
    const bytes = readFileSync(join(dir, 'zeros.pth'));
    const w = readZipDirectory(bytes, 'zeros.pth').find((e) => e.name.endsWith('data/0'))!;
    expect(w.size / w.compressedSize).toBeGreaterThan(900);
    expect(digestsOf(bytes)).toEqual(torchDigests['zeros.pth']);
    const err = thrown(() => readCheckpoint(bytes, { source: 'zeros.pth', maxInflatedBytes: 1 << 20 }));
    expect(err).toMatchObject({
      code: 'E_INFLATE_LIMIT',
      family: 'input',
      details: { entry: w.name, size: 16_000_000, limit: 1 << 20 },
    });
    expect(err.message).toMatch(
      /zeros\.pth: deflated entry '.*data\/0' declares 16000000 bytes, past the 1048576-byte limit/,
    );
  });

  it('a mixed archive (what would not shrink stored, as `zip` does): stored records stay views into the file', () => {
    const bytes = readFileSync(join(ROOT, 'fixtures/pth/train_checkpoint_deflated.pth.tar'));
    const methods = Object.fromEntries(
      readZipDirectory(bytes, 'x').map((e) => [e.name.split('/').slice(1).join('/'), e.method]),
    );
    expect(methods).toMatchObject({ 'data.pkl': 8, 'data/0': 0, 'data/6': 8, version: 0 });
    const ckpt = readCheckpoint(bytes);
    const byKey = (key: string) => [...ckpt.stateDict.values()].find((t) => t.storage.key === key)!;
    expect(tensorBytes(byKey('0')).buffer).toBe(bytes.buffer); // stored: no copy
    expect(tensorBytes(byKey('6')).buffer).not.toBe(bytes.buffer); // inflated
  });
});

describe('broken or hostile deflate data is a typed input error', () => {
  const bytes = readFileSync(DEFLATED_FIXTURE);
  const pkl = readZipDirectory(bytes, 'd').find((e) => e.name.endsWith('data.pkl'))!;

  it('a stream that inflates past the size it declares (a bomb that lies) is stopped there', () => {
    const err = thrown(() => readCheckpoint(patched(bytes, pkl.name, 'size', 100), { source: 'd.pth' }));
    expect(err).toMatchObject({ code: 'E_BAD_DEFLATE', family: 'input', details: { entry: pkl.name, size: 100 } });
    expect(err.message).toMatch(
      new RegExp(
        "d\\.pth: deflated entry 'dtypes_zip\\/data\\.pkl' \\(781 bytes at byte \\d+\\) inflates past the 100 b" +
          'ytes it declares',
      ),
    );
  });

  it('a declared size deflate cannot make of the data is refused before anything is allocated', () => {
    const err = thrown(() => readCheckpoint(patched(bytes, pkl.name, 'size', 0xfffffff0), { source: 'd.pth' }));
    expect(err).toMatchObject({ code: 'E_BAD_DEFLATE' });
    expect(err.message).toMatch(/declares 4294967280 bytes, more than deflate can make of it/);
  });

  it("a corrupt stream names zlib's reason; a short one says it ends early", () => {
    const corrupt = Uint8Array.from(bytes);
    corrupt[pkl.dataOffset] = 0xff; // block type 3 does not exist
    expect(thrown(() => readCheckpoint(corrupt, { source: 'd.pth' })).message).toMatch(
      /inflates to 0 bytes, not the 1564 it declares \(invalid block type\)/,
    );
    const longer = patched(bytes, pkl.name, 'size', pkl.size + 10);
    expect(thrown(() => readCheckpoint(longer, { source: 'd.pth' })).message).toMatch(
      /inflates to 1564 bytes, not the 1574 it declares/,
    );
  });

  it('inflated data is CRC-checked like stored data', () => {
    const err = thrown(() => readCheckpoint(patched(bytes, pkl.name, 'crc32', pkl.crc32 ^ 1), { source: 'd.pth' }));
    expect(err).toMatchObject({ code: 'E_CRC', family: 'input', details: { entry: pkl.name } });
  });

  it('other compression methods and encrypted entries are refused by name', () => {
    const bzip2 = thrown(() => readCheckpoint(patched(bytes, pkl.name, 'method', 12), { source: 'd.pth' }));
    expect(bzip2).toMatchObject({ code: 'E_ZIP_COMPRESSED', family: 'unsupported', details: { method: 12 } });
    expect(bzip2.message).toMatch(
      /entry 'dtypes_zip\/data\.pkl' is compressed with method 12; tsm reads stored \(0\) and deflated \(8\) entries/,
    );
    expect(thrown(() => readCheckpoint(patched(bytes, pkl.name, 'flags', 1), { source: 'd.pth' }))).toMatchObject({
      code: 'E_ZIP_ENCRYPTED',
      family: 'unsupported',
    });
  });
});
