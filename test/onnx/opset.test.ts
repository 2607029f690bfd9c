/**
 * `--opset 10`: the forms of Clip and Pad that OpenCV's DNN importer reads (attributes), everything else as at the
 * default opset; the same numbers in onnxruntime, the same graph after its optimisations (Conv + Clip fused either
 * way), fp16-stored weights too; int8, which needs opset 13, refused by name before any work. Parity of opset 10 in
 * every runtime and architecture is test/onnx/runtime-matrix.test.ts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { convertCheckpoint, exportOnnxModel } from '../../src/convert/convert.js';
import { runCli } from '../helpers/cli.js';
import { optimizedOps } from '../helpers/ort.js';
import {
  ensureOnline,
  ensureVariants,
  maxAbsDiff,
  ONLINE_DIR,
  ROOT,
  readF32,
  VARIANTS_DIR,
} from '../helpers/reference.js';
import { fileTempDir } from '../helpers/tmp.js';

const variants = ensureVariants();
ensureOnline();
const dir = fileTempDir('tsm-opset-');
const BUNDLED = join(ROOT, 'fixtures/models/TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e14.pth');

type Node = {
  opType?: string | null;
  input?: string[] | null;
  attribute?: Array<{ name?: string | null; f?: number | null; ints?: unknown[] | null; s?: Uint8Array | null }> | null;
};
const decode = (bytes: Uint8Array) => onnxProto.onnx.ModelProto.decode(bytes);
const attrs = (n: Node) =>
  Object.fromEntries(
    (n.attribute ?? []).map((a) => [
      a.name,
      a.ints?.length ? a.ints.map(Number) : a.s?.length ? new TextDecoder().decode(a.s) : a.f,
    ]),
  );

function exportOf(id: string, opset: number, extra: { fp16Weights?: boolean; fp16Compute?: boolean } = {}) {
  const v = variants[id];
  return exportOnnxModel({ input: join(VARIANTS_DIR, v.file), opset, overrides: { size: v.size }, ...extra });
}

async function logitsOf(onnx: Uint8Array, id: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 2 });
  const out = await session.run({
    video: new ort.Tensor('float32', readF32(join(VARIANTS_DIR, id, 'input.f32')), variants[id].inputShape),
  });
  await session.release();
  return out.logits.data as Float32Array;
}

describe('--opset 10', () => {
  it('writes Clip and Pad with attributes and every other node as at opset 13, op for op', () => {
    const ten = decode(exportOf('mbv2_width05', 10).onnx);
    const thirteen = decode(exportOf('mbv2_width05', 13).onnx);
    expect(ten.opsetImport!.map((o) => Number(o.version))).toEqual([10]);
    const nodes10 = ten.graph!.node! as Node[];
    const nodes13 = thirteen.graph!.node! as Node[];
    expect(nodes10.map((n) => n.opType)).toEqual(nodes13.map((n) => n.opType));
    const clips = nodes10.filter((n) => n.opType === 'Clip');
    const pads = nodes10.filter((n) => n.opType === 'Pad');
    expect(clips.length).toBeGreaterThan(30);
    expect(pads.length).toBe(2 * 10); // future and past of the 10 shifted blocks
    for (const c of clips) {
      expect(c.input).toHaveLength(1);
      expect(attrs(c)).toEqual({ min: 0, max: 6 });
    }
    for (const p of pads) {
      expect(p.input).toHaveLength(1);
      expect(attrs(p)).toMatchObject({ mode: 'constant', value: 0 });
      expect(attrs(p).pads).toHaveLength(8);
    }
    // at 13 the same nodes take their bounds and pads as inputs
    expect(nodes13.filter((n) => n.opType === 'Clip').every((n) => n.input!.length === 3)).toBe(true);
    expect(nodes13.filter((n) => n.opType === 'Pad').every((n) => n.input!.length === 2)).toBe(true);
    // every other node is the same, inputs and attributes
    const others = (nodes: Node[]) =>
      nodes
        .filter((n) => n.opType !== 'Clip' && n.opType !== 'Pad')
        .map((n) => JSON.stringify([n.opType, n.input, attrs(n)]));
    expect(others(nodes10)).toEqual(others(nodes13));
  });

  it(
    'onnxruntime runs it as it runs opset 13: the same logits, and the same graph after its ' +
      'optimisations (Conv + Clip fused)',
    async () => {
      const ten = exportOf('mbv2_official', 10).onnx;
      const thirteen = exportOf('mbv2_official', 13).onnx;
      expect(
        maxAbsDiff(await logitsOf(ten, 'mbv2_official'), await logitsOf(thirteen, 'mbv2_official')),
      ).toBeLessThanOrEqual(1e-6);
      const [ops10, ops13] = [await optimizedOps(ten), await optimizedOps(thirteen)];
      expect(ops10).toEqual(ops13);
      expect(ops10[':Clip'] ?? 0).toBe(0); // no Clip survives on its own: each is fused into the convolution before it
    },
  );

  it(
    '--fp16 and --fp16-compute exports at opset 10 compute what their opset-13 exports ' +
      'compute, within 5e-2 of PyTorch',
    async () => {
      const ref = readF32(join(VARIANTS_DIR, 'mbv2_official', 'logits.f32'));
      for (const extra of [{ fp16Weights: true }, { fp16Compute: true }]) {
        const ten = exportOf('mbv2_official', 10, extra).onnx;
        const clip = decode(ten).graph!.node!.find((n) => n.opType === 'Clip')!;
        expect(clip.input).toHaveLength(1);
        const got = await logitsOf(ten, 'mbv2_official');
        expect(
          maxAbsDiff(got, await logitsOf(exportOf('mbv2_official', 13, extra).onnx, 'mbv2_official')),
          JSON.stringify(extra),
        ).toBeLessThanOrEqual(1e-5);
        expect(maxAbsDiff(got, ref), JSON.stringify(extra)).toBeLessThan(5e-2);
      }
    },
  );

  it('the online export at opset 10 keeps its shift buffers as inputs and outputs', () => {
    const r = convertCheckpoint({
      input: join(ONLINE_DIR, 'mobilenetv2_jester_online.pth.tar'),
      output: join(dir, 'online10.onnx'),
      opset: 10,
      overrides: { online: true },
    });
    expect(r.opset).toBe(10);
    const model = decode(readFileSync(r.output));
    expect(model.graph!.input!.map((i) => i.name)).toEqual(['frame', ...r.buffers!.map((b) => b.input)]);
    expect(model.graph!.output!.map((o) => o.name)).toEqual(['logits', ...r.buffers!.map((b) => b.output)]);
    expect(model.graph!.node!.filter((n) => n.opType === 'Clip').every((n) => n.input!.length === 1)).toBe(true);
  });

  it('convert and zoo publish take --opset 10 and record it; 9 and 18 are usage errors naming the range', () => {
    const v = variants.tsn_mbv2;
    const out = join(dir, 'cli10.onnx');
    const ok = runCli([
      'convert',
      join(VARIANTS_DIR, v.file),
      '--size',
      String(v.size),
      '--opset',
      '10',
      '-o',
      out,
      '--json',
    ]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.json().opset).toBe(10);
    expect(decode(readFileSync(out)).opsetImport!.map((o) => Number(o.version))).toEqual([10]);
    for (const bad of ['9', '18']) {
      const r = runCli(['convert', join(VARIANTS_DIR, v.file), '--opset', bad, '-o', join(dir, 'bad.onnx'), '--json']);
      expect(r.status).toBe(2);
      expect(r.json().error).toMatchObject({
        code: 'E_BAD_FLAG',
        flag: '--opset',
        found: Number(bad),
        expected: { min: 10, max: 17 },
      });
      expect(r.json().error.message).toMatch(/use 10–17/);
    }
    const zooPath = join(dir, 'zoo.json');
    writeFileSync(zooPath, JSON.stringify({ schemaVersion: 1, models: [] }));
    const published = runCli([
      'zoo',
      'publish',
      join(VARIANTS_DIR, v.file),
      '--id',
      'opset10',
      '--version',
      '1.0.0',
      '--opset',
      '10',
      '--zoo',
      zooPath,
      '--json',
    ]);
    expect(published.status, published.stderr + published.stdout).toBe(0);
    const artifact = published.json().entry.artifacts[0];
    expect(artifact.opset).toBe(10);
    expect(decode(readFileSync(join(dir, artifact.url))).opsetImport!.map((o) => Number(o.version))).toEqual([10]);
  });

  it(
    'int8 at opset 10 is refused by name (per-channel QDQ needs 13) before ' + 'calibrating, and nothing is written',
    () => {
      const output = join(dir, 'int8-10.onnx');
      // a calibration folder that does not exist: calibrating first would fail with E_NOT_FOUND instead
      const nowhere = join(dir, 'no-calibration-set');
      const convert = runCli([
        'convert',
        BUNDLED,
        '--int8',
        '--calibration',
        nowhere,
        '--opset',
        '10',
        '-o',
        output,
        '--json',
      ]);
      expect(convert.status).toBe(2);
      expect(convert.json().error).toMatchObject({
        code: 'E_BAD_FLAG',
        flag: '--opset',
        feature: 'int8',
        expected: '>= 13',
        found: 10,
      });
      expect(convert.json().error.message).toMatch(/^--int8 needs opset 13 or later \(.*axis.*\); got --opset 10$/);
      expect(existsSync(output)).toBe(false);
      const zooPath = join(dir, 'zoo-int8.json');
      writeFileSync(zooPath, JSON.stringify({ schemaVersion: 1, models: [] }));
      const publish = runCli([
        'zoo',
        'publish',
        BUNDLED,
        '--id',
        'int8-10',
        '--version',
        '1.0.0',
        '--int8',
        '--calibration',
        nowhere,
        '--opset',
        '10',
        '--zoo',
        zooPath,
        '--json',
      ]);
      expect(publish.status).toBe(2);
      expect(publish.json().error).toMatchObject({ code: 'E_BAD_FLAG', feature: 'int8' });
      expect(existsSync(join(dir, 'zoo', 'int8-10'))).toBe(false);
      expect(JSON.parse(readFileSync(zooPath, 'utf8')).models).toEqual([]);
      // the same calibration folder at opset 13 gets as far as calibrating
      const at13 = runCli(['convert', BUNDLED, '--int8', '--calibration', nowhere, '-o', output, '--json']);
      expect(at13.json().error.code).toBe('E_NOT_FOUND');
    },
  );
});
