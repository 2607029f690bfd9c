/**
 * The graphs tsm exports, pinned: every architecture kind of the PyTorch reference variants (their key sets and file
 * names), with weights replaced by deterministic synthetic values so the bytes do not depend on the machine that
 * generated the references, exported with a spread of options and hashed. A refactor must leave every hash as it
 * was; a change that means to alter graphs updates graph-pins.json (TSM_UPDATE_PINS=1) and says why in its commit.
 * The hash covers the whole ModelProto except `tsm.version` and the producer version, so a release does not move it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { type ExportOptions, exportOnnxModel, readCheckpointFile, type Tensor } from '../../src/index.js';
import { ensureVariants, VARIANTS_DIR } from '../helpers/reference.js';
import { fileTempDir } from '../helpers/tmp.js';

const PINS = join(__dirname, 'graph-pins.json');
const update = process.env.TSM_UPDATE_PINS === '1';
const pinned: Record<string, string> = existsSync(PINS) ? JSON.parse(readFileSync(PINS, 'utf8')) : {};
const found: Record<string, string> = {};
const variants = ensureVariants();
const dir = fileTempDir('tsm-graph-pins-');

/** A deterministic value stream (mulberry32) seeded by a tensor's name. */
function stream(seed: string): () => number {
  let s = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The variant's checkpoint with synthetic weights, as a safetensors file under the same (TSM) name. */
function synthetic(id: string): string {
  const file = variants[id].file;
  const ckpt = readCheckpointFile(join(VARIANTS_DIR, file));
  const header: Record<string, unknown> = {};
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [stored, t] of ckpt.stateDict as ReadonlyMap<string, Tensor>) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    let bytes: Buffer;
    if (t.dtype === 'int64') {
      bytes = Buffer.alloc(8 * n);
    } else {
      const next = stream(stored);
      const positive = /running_var$/.test(stored);
      const values = Float32Array.from({ length: n }, () => (positive ? 0.5 + next() : (next() - 0.5) * 0.2));
      bytes = Buffer.from(values.buffer);
    }
    header[stored] = {
      dtype: t.dtype === 'int64' ? 'I64' : 'F32',
      shape: [...t.shape],
      data_offsets: [offset, offset + bytes.length],
    };
    parts.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const base = basename(file).replace(/\.(pth\.tar|pth|pt)$/, '');
  mkdirSync(join(dir, id));
  const target = join(dir, id, `${base}.safetensors`);
  writeFileSync(target, Buffer.concat([length, json, ...parts]));
  return target;
}

/** sha256 of the model without the version strings that a release changes. */
function graphHash(onnx: Uint8Array): string {
  const model = onnxProto.onnx.ModelProto.decode(onnx);
  model.producerVersion = '';
  model.metadataProps = model.metadataProps.filter((p) => p.key !== 'tsm.version');
  return createHash('sha256').update(onnxProto.onnx.ModelProto.encode(model).finish()).digest('hex');
}

type Case = readonly [label: string, options: Omit<ExportOptions, 'input'>];
const FLOAT: Case = ['float', {}];
const CASES: Readonly<Record<string, readonly Case[]>> = {
  r50_blockres: [
    FLOAT,
    ['fp16-compute', { fp16Compute: true }],
    ['opset11', { opset: 11 }],
    ['calibrate', { precision: { mode: 'calibrate' } }],
  ],
  r50_block: [FLOAT, ['fp16-weights', { fp16Weights: true }]],
  r18: [FLOAT, ['opset17', { opset: 17 }], ['softmax', { softmax: true }], ['size160', { overrides: { size: 160 } }]],
  r34_div4: [FLOAT],
  r101: [FLOAT],
  tsn_r50: [FLOAT, ['segments8', { overrides: { segments: 8 } }]],
  r18_t16: [FLOAT],
  mbv2_official: [
    FLOAT,
    ['fp16-weights', { fp16Weights: true }],
    ['fp16-compute', { fp16Compute: true }],
    ['opset11', { opset: 11 }],
    ['online', { overrides: { online: true } }],
    ['calibrate', { precision: { mode: 'calibrate' } }],
  ],
  mbv2_embedded: [FLOAT],
  mbv2_div4: [FLOAT],
  mbv2_width05: [FLOAT, ['online', { overrides: { online: true } }]],
  tsn_mbv2: [FLOAT],
  r50_tpool: [FLOAT],
  r50_tpool_t16: [FLOAT],
  nl_r50: [FLOAT],
  flow_r50: [FLOAT],
  flow_mbv2: [FLOAT],
  flow_nl_r50: [FLOAT],
  imagenet_mbv2: [FLOAT],
};

/** int8 needs activation ranges: synthetic ones, as many as the calibrate graph has points. */
function int8Case(id: string, input: string): Omit<ExportOptions, 'input'> {
  const points = exportOnnxModel({ input, precision: { mode: 'calibrate' }, overrides: { size: variants[id].size } })
    .calibrationOutputs.length;
  const ranges = Array.from({ length: points }, (_, i) => ({ min: -0.5 - (i % 7) * 0.1, max: 1 + (i % 5) * 0.25 }));
  return { precision: { mode: 'int8', ranges } };
}

afterAll(() => {
  if (update) writeFileSync(PINS, `${JSON.stringify(found, null, 1)}\n`);
});

describe('exported graphs are pinned (test/onnx/graph-pins.json)', () => {
  for (const [id, cases] of Object.entries(CASES)) {
    it(id, () => {
      const input = synthetic(id);
      const all: Case[] = [...cases];
      if (id === 'mbv2_width05' || id === 'r18') all.push(['int8', int8Case(id, input)]);
      for (const [label, options] of all) {
        const key = `${id}/${label}`;
        const overrides = { size: variants[id].size, ...options.overrides };
        found[key] = graphHash(exportOnnxModel({ ...options, input, overrides }).onnx);
        if (!update) expect(found[key], key).toBe(pinned[key]);
      }
    });
  }
});
