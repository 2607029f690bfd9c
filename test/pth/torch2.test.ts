import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildTsnGraph } from '../../src/arch/graph.js';
import { detectArch } from '../../src/arch/registry.js';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { TsmError } from '../../src/errors.js';
import { readCheckpoint, readCheckpointFile } from '../../src/pth/read.js';
import { float8E4M3FnToFloat, halfToFloat, type Tensor, tensorBytes } from '../../src/pth/tensor.js';
import { runCli } from '../helpers/cli.js';
import { ensureVariants, maxAbsDiff, PYTHON, ROOT, readF32, VARIANTS_DIR } from '../helpers/reference.js';
import { fileTempDir } from '../helpers/tmp.js';

/**
 * Files written by PyTorch 2.11 (fixtures/torch2, see fixtures/README.md) and safetensors: every tensor as torch
 * wrote it, conversions with the same initializer bytes whatever the container, refusals by name.
 */
const T2 = join(ROOT, 'fixtures/torch2');
const out = fileTempDir('tsm-torch2-');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function readNpy(path: string): { shape: number[]; data: Float32Array } {
  const b = readFileSync(path);
  const headerLength = b.readUInt16LE(8);
  const header = b.subarray(10, 10 + headerLength).toString('latin1');
  expect(header).toContain("'descr': '<f4'");
  const shape = /'shape': \(([^)]*)\)/
    .exec(header)![1]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const data = b.subarray(10 + headerLength);
  return { shape, data: new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
}

async function logitsOf(onnx: string | Uint8Array, input: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnx as string);
  const r = await session.run({ video: new ort.Tensor('float32', input, shape) });
  await session.release();
  return r.logits.data as Float32Array;
}

function initializers(path: string): Array<[string, string]> {
  const m = onnxProto.onnx.ModelProto.decode(readFileSync(path));
  return m.graph!.initializer!.map((t) => [t.name!, sha(t.rawData!)]);
}

describe('torch 2.11 dtypes', () => {
  const expected: Record<string, { dtype: string; shape: number[]; sha256: string }> = JSON.parse(
    readFileSync(join(T2, 'dtypes.json'), 'utf8'),
  );

  it(
    'every tensor of dtypes.pth has the dtype, shape and bytes torch wrote (dtypes.json: sha256 of its ' +
      'contiguous little-endian bytes)',
    () => {
      const ckpt = readCheckpointFile(join(T2, 'dtypes.pth'));
      expect([...ckpt.stateDict.keys()].sort()).toEqual(Object.keys(expected).sort());
      for (const [name, e] of Object.entries(expected)) {
        const t = ckpt.stateDict.get(name)!;
        expect(t.dtype, name).toBe(e.dtype.replace(/^torch\./, ''));
        expect(t.shape, name).toEqual(e.shape);
        expect(sha(tensorBytes(t)), name).toBe(e.sha256);
      }
    },
  );

  it('inspect lists them; none is called unsafe', () => {
    const r = runCli(['inspect', join(T2, 'dtypes.pth'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json().dtypes).toMatchObject({
      uint16: 1,
      uint32: 1,
      uint64: 1,
      float8_e4m3fn: 1,
      float8_e5m2: 1,
      complex64: 1,
    });
  });

  it(
    'float8 decodes as the OCP FP8 formats define (e4m3fn: no infinities, max 448; e5m2: ' + 'the top byte of an fp16)',
    () => {
      expect([0x38, 0xb8, 0x7e, 0x01, 0x08, 0x00].map(float8E4M3FnToFloat)).toEqual([1, -1, 448, 2 ** -9, 2 ** -6, 0]);
      expect(float8E4M3FnToFloat(0x7f)).toBeNaN();
      expect(float8E4M3FnToFloat(0x78)).toBe(256); // exponent 15 is a number, not infinity
      expect([0x3c, 0x7b, 0x01].map((b) => halfToFloat(b << 8))).toEqual([1, 57344, 2 ** -16]);
      expect(halfToFloat(0x7c << 8)).toBe(Infinity);
    },
  );

  it('a tensor the graph cannot use is unsupported (exit 5) by name and dtype, never unsafe', () => {
    const v = ensureVariants().tsn_mbv2;
    const ckpt = readCheckpointFile(join(VARIANTS_DIR, v.file));
    const key = 'base_model.features.0.0.weight';
    const t = ckpt.stateDict.get(`module.${key}`)!;
    const complex: Tensor = {
      ...t,
      dtype: 'complex64',
      storage: { ...t.storage, dtype: 'complex64', bytes: new Uint8Array(t.storage.bytes.length * 2) },
    };
    const sd = new Map(ckpt.stateDict);
    sd.set(`module.${key}`, complex);
    const { spec, stateDict } = detectArch(sd, { fileName: v.file });
    let error: unknown;
    try {
      buildTsnGraph(spec, stateDict, { opset: 13, producerVersion: 't', metadata: {} });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TsmError);
    expect(error).toMatchObject({
      code: 'E_DTYPE_UNSUPPORTED',
      family: 'unsupported',
      exitCode: 5,
      details: { key, dtype: 'complex64' },
    });
  });
});

describe('safetensors', () => {
  it(
    'state_dict.safetensors holds the same tensors as the torch 2.11 checkpoint, byte for byte, and converts ' +
      'to the same initializers',
    async () => {
      const st = readCheckpointFile(join(T2, 'state_dict.safetensors'));
      const pth = readCheckpointFile(join(T2, 'TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e1.pth'));
      expect(st.format).toBe('safetensors');
      expect(new Set(st.stateDict.keys())).toEqual(new Set(pth.stateDict.keys()));
      for (const [k, t] of pth.stateDict) expect(sha(tensorBytes(st.stateDict.get(k)!)), k).toBe(sha(tensorBytes(t)));
      // zero-copy: a safetensors tensor is a view of the file's bytes
      const bytes = readFileSync(join(T2, 'state_dict.safetensors'));
      const viewed = readCheckpoint(bytes, { source: 'state_dict.safetensors' });
      expect(tensorBytes(viewed.stateDict.get('module.base_model.features.0.0.weight')!).buffer).toBe(bytes.buffer);

      const a = convertCheckpoint({
        input: join(T2, 'state_dict.safetensors'),
        output: join(out, 'st.onnx'),
        overrides: { segments: 8 },
      });
      const b = convertCheckpoint({
        input: join(T2, 'TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e1.pth'),
        output: join(out, 'pth.onnx'),
      });
      expect(a.arch).toEqual(b.arch);
      expect(initializers(a.output)).toEqual(initializers(b.output));
      // and torch 2.11's own logits for x.npy (this checkpoint, trained one epoch, barely reacts to its input — its
      // logits are ±0.15 — so the time-sensitive parity is the calibrated variant's below)
      const x = readNpy(join(T2, 'x.npy'));
      const y = readNpy(join(T2, 'y.npy'));
      expect(maxAbsDiff(await logitsOf(a.output, x.data, x.shape), y.data)).toBeLessThanOrEqual(1e-4);
    },
  );

  it(
    'a calibrated TSM checkpoint as safetensors (TSM file name, with or without module.) converts with PyTorch ' +
      'parity and its __metadata__ kept',
    async () => {
      const v = ensureVariants().mbv2_official;
      const src = join(VARIANTS_DIR, v.file);
      for (const strip of [false, true]) {
        const file = join(
          out,
          strip ? 'plain' : 'module',
          v.file
            .split('/')
            .pop()!
            .replace(/\.pth$/, '.safetensors'),
        );
        require('node:fs').mkdirSync(join(file, '..'), { recursive: true });
        execFileSync(
          PYTHON,
          [
            join(ROOT, 'tools/reference/to_safetensors.py'),
            src,
            file,
            ...(strip ? ['--strip-module'] : []),
            '--meta',
            'format=pt',
            'epoch=25',
          ],
          { stdio: 'ignore' },
        );
        const r = runCli(['convert', file, '-o', join(out, `mbv2-${strip}.onnx`), '--json']);
        expect(r.status, r.stderr).toBe(0);
        const res = r.json();
        expect(res.warnings).toEqual([]); // the file name supplies segments and shift, as for .pth
        expect(res.source.format).toBe('safetensors');
        const clip = readF32(join(VARIANTS_DIR, 'mbv2_official', 'input.f32'));
        const logits = await logitsOf(res.output, clip, v.inputShape);
        expect(maxAbsDiff(logits, readF32(join(VARIANTS_DIR, 'mbv2_official', 'logits.f32')))).toBeLessThanOrEqual(
          1e-4,
        );
        // playing the clip backwards moves PyTorch's logits: the check above sees time order
        expect(
          maxAbsDiff(
            readF32(join(VARIANTS_DIR, 'mbv2_official', 'reversed.f32')),
            readF32(join(VARIANTS_DIR, 'mbv2_official', 'logits.f32')),
          ),
        ).toBeGreaterThan(1e-2);
        expect(initializers(res.output)).toEqual(
          initializers(convertCheckpoint({ input: src, output: join(out, 'mbv2-pth.onnx') }).output),
        );
        const meta = Object.fromEntries(
          onnxProto.onnx.ModelProto.decode(readFileSync(res.output)).metadataProps!.map((p) => [p.key, p.value]),
        );
        expect(JSON.parse(meta['tsm.checkpoint_metadata']!)).toEqual({ format: 'pt', epoch: '25' });
      }
      const inspect = runCli([
        'inspect',
        join(
          out,
          'plain',
          v.file
            .split('/')
            .pop()!
            .replace(/\.pth$/, '.safetensors'),
        ),
        '--json',
      ]).json();
      expect(inspect).toMatchObject({ format: 'safetensors', metadata: { format: 'pt', epoch: '25' } });
    },
  );

  it('verify and zoo publish take a .safetensors checkpoint', () => {
    const v = ensureVariants().mbv2_width05;
    const file = join(
      out,
      v.file
        .split('/')
        .pop()!
        .replace(/\.pth$/, '.safetensors'),
    );
    execFileSync(PYTHON, [join(ROOT, 'tools/reference/to_safetensors.py'), join(VARIANTS_DIR, v.file), file], {
      stdio: 'ignore',
    });
    const verify = runCli(['verify', file, '--root', 'fixtures/jester-mini', '--max-num', '4', '--json']);
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.json().clips).toBe(4);
    const zoo = join(out, 'zoo.json');
    const pub = runCli(['zoo', 'publish', file, '--id', 'st', '--version', '1.0.0', '--zoo', zoo, '--json']);
    expect(pub.status, pub.stderr).toBe(0);
    expect(pub.json().entry.source).toMatchObject({ format: 'safetensors', fileName: file.split('/').pop() });
  });
});

describe('hostile and broken safetensors: typed errors, checked before anything is allocated', () => {
  const header = (obj: unknown, pad = 0) => {
    const text = Buffer.from(JSON.stringify(obj) + ' '.repeat(pad));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(text.length));
    return Buffer.concat([len, text]);
  };
  const withLength = (n: bigint, rest: Buffer) => {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(n);
    return Buffer.concat([len, rest]);
  };
  const t = (dtype: string, shape: number[], begin: number, end: number) => ({
    dtype,
    shape,
    data_offsets: [begin, end],
  });
  const cases: Array<[string, Buffer, string, string]> = [
    ['header length 2^63', withLength(2n ** 63n, Buffer.from('{"a":1}')), 'E_BAD_SAFETENSORS', 'exceeds'],
    [
      'a 100 MB header claimed in a 1 KB file',
      withLength(100n * 1024n * 1024n, Buffer.concat([Buffer.from('{'), Buffer.alloc(1000, 0x20)])),
      'E_TRUNCATED',
      'claims 104857600 bytes',
    ],
    ['header not JSON', withLength(6n, Buffer.from('{nope}')), 'E_BAD_SAFETENSORS', 'not JSON'],
    [
      'offsets past the end',
      Buffer.concat([header({ w: t('F32', [4], 0, 16) }), Buffer.alloc(8)]),
      'E_BAD_SAFETENSORS',
      'outside the 8-byte data buffer',
    ],
    [
      'overlapping tensors',
      Buffer.concat([header({ a: t('F32', [2], 0, 8), b: t('F32', [2], 4, 12) }), Buffer.alloc(12)]),
      'E_BAD_SAFETENSORS',
      'overlaps',
    ],
    [
      'a gap between tensors',
      Buffer.concat([header({ a: t('F32', [1], 0, 4), b: t('F32', [1], 8, 12) }), Buffer.alloc(12)]),
      'E_BAD_SAFETENSORS',
      'belong to no tensor',
    ],
    [
      'bytes after the last tensor',
      Buffer.concat([header({ a: t('F32', [1], 0, 4) }), Buffer.alloc(12)]),
      'E_BAD_SAFETENSORS',
      'end at byte 4',
    ],
    [
      'dtype, shape and size disagree',
      Buffer.concat([header({ a: t('F32', [3], 0, 8) }), Buffer.alloc(8)]),
      'E_BAD_SAFETENSORS',
      'needs 12 bytes but data_offsets span 8',
    ],
    [
      'a dtype tsm does not read',
      Buffer.concat([header({ a: t('F8_E8M0', [1], 0, 1) }), Buffer.alloc(1)]),
      'E_DTYPE_UNSUPPORTED',
      'F8_E8M0',
    ],
    [
      'negative and fractional shapes',
      Buffer.concat([header({ a: t('F32', [-1], 0, 4) }), Buffer.alloc(4)]),
      'E_BAD_SAFETENSORS',
      'shape',
    ],
    [
      'metadata that is not strings',
      Buffer.concat([header({ __metadata__: { a: 1 }, w: t('U8', [1], 0, 1) }), Buffer.alloc(1)]),
      'E_BAD_SAFETENSORS',
      '__metadata__.a',
    ],
    [
      'a header that is a JSON array',
      header([{ a: t('F32', [1], 0, 4) }]),
      'E_BAD_SAFETENSORS',
      'header is a JSON array, not an object',
    ],
    ['a header that is an empty JSON array', header([]), 'E_BAD_SAFETENSORS', 'header is a JSON array, not an object'],
    [
      'a shape of 2^40 elements over 8 bytes',
      Buffer.concat([header({ a: t('F32', [2 ** 20, 2 ** 20], 0, 8) }), Buffer.alloc(8)]),
      'E_BAD_SAFETENSORS',
      'needs',
    ],
  ];
  for (const [what, bytes, code, words] of cases) {
    it(what, () => {
      const path = join(out, 'hostile.safetensors');
      writeFileSync(path, bytes);
      const before = process.memoryUsage().rss;
      let error: unknown;
      try {
        readCheckpoint(bytes, { source: 'hostile.safetensors' });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(TsmError);
      expect((error as TsmError).code).toBe(code);
      expect((error as TsmError).message).toContain(words);
      expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    });
  }
});
