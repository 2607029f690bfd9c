import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { exportOnnxModel } from '../../src/convert/convert.js';
import { TsmError } from '../../src/errors.js';
import type { Runner } from '../../src/inference/runner.js';
import { predict } from '../../src/predict/predict.js';
import { streamFrames } from '../../src/stream/stream.js';
import { verifyModel } from '../../src/verify/verify.js';
import { ROOT } from '../helpers/reference.js';
import { fileTempDir } from '../helpers/tmp.js';

/**
 * The test transform's scale size at crop sizes other than 224: upstream's `scale_size = input_size * 256 // 224`
 * (floor) is what convert writes into `tsm.preprocessing`, and what every consumer (verify, verify of an online model,
 * predict, stream, the zoo) reads back from the model. A model converted by an older tsm carries a rounded value
 * (183 at 160): the model's value is used, with a warning naming upstream's; a model without `tsm.preprocessing`
 * (a foreign ONNX) gets upstream's rule.
 */
const UPSTREAM: Record<number, number> = { 160: 182, 224: 256, 256: 292, 320: 365 }; // test_models.py, by hand
const CKPT = join(ROOT, 'fixtures/models/TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e14.pth');
const ONLINE_CKPT = join(ROOT, 'fixtures/models/online/mobilenetv2_jester_online_mini.pth.tar');
const MINI = join(ROOT, 'fixtures/jester-mini');
const CLIP = join(MINI, '20bn-jester-v1/100001');
const dir = fileTempDir('tsm-scale-');

function metadataOf(onnx: Uint8Array): Record<string, string> {
  return Object.fromEntries(onnxProto.onnx.ModelProto.decode(onnx).metadataProps.map((p) => [p.key, p.value]));
}

/** The same model with its tsm.preprocessing's scaleShortSide set to `scale` (as an older tsm wrote it), or removed. */
function withScale(onnx: Uint8Array, scale: number | 'no preprocessing'): Uint8Array {
  const model = onnxProto.onnx.ModelProto.decode(onnx);
  const props = model.metadataProps.filter((p) => p.key !== 'tsm.preprocessing');
  if (scale !== 'no preprocessing') {
    const p = JSON.parse(model.metadataProps.find((m) => m.key === 'tsm.preprocessing')!.value!);
    props.push(
      onnxProto.onnx.StringStringEntryProto.create({
        key: 'tsm.preprocessing',
        value: JSON.stringify({ ...p, scaleShortSide: scale }),
      }),
    );
  }
  model.metadataProps = props;
  return onnxProto.onnx.ModelProto.encode(model).finish();
}

function save(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const OLD_WARNING = new RegExp(
  "declares scaleShortSide 183 for its 160 crop \\(rounded, as older tsm versions wrote it\\), but upstream's " +
    'test transform scales to 182',
);

describe('convert writes upstream scale_size = input_size * 256 // 224', () => {
  for (const [size, scale] of Object.entries(UPSTREAM).map(([s, v]) => [Number(s), v])) {
    it(`--size ${size}: scaleShortSide ${scale} in the result and in tsm.preprocessing`, () => {
      const m = exportOnnxModel({ input: CKPT, overrides: { size } });
      expect(m.preprocessing).toMatchObject({ cropSize: size, scaleShortSide: scale });
      expect(JSON.parse(metadataOf(m.onnx)['tsm.preprocessing'])).toMatchObject({
        cropSize: size,
        scaleShortSide: scale,
      });
    });
  }
});

describe('verify reads the scale from the model', () => {
  /** A runner (the seam) with the given metadata that keeps what verify fed it. */
  function recordingRunner(metadata: Record<string, string>, fed: Float32Array[]): Runner {
    return {
      info: { inputName: 'video', segments: 8, size: 160, channels: 3, classes: 27, frameInput: false, metadata },
      async run(batch, clips) {
        fed.push(Float32Array.from(batch));
        return new Float32Array(clips * 27);
      },
      close: async () => undefined,
    };
  }
  const preprocessing = (scaleShortSide: number, cropSize = 160) => ({
    'tsm.preprocessing': JSON.stringify({ cropSize, scaleShortSide }),
  });
  const run = (metadata: Record<string, string>, fed: Float32Array[] = []) =>
    verifyModel({ model: 'm.onnx', dataset: 'jester', root: MINI, maxNum: 1, runner: recordingRunner(metadata, fed) });

  it(
    "a model's own upstream value is used without a warning; a foreign model without tsm.preprocessing gets the " +
      'rule',
    async () => {
      for (const metadata of [preprocessing(182), {}]) {
        const r = await run(metadata);
        expect(r.protocol.scaleShortSide).toBe(182);
        expect(r.warnings.filter((w) => /scaleShortSide/.test(w))).toEqual([]);
      }
    },
  );

  it(
    "an older tsm's rounded 183 at 160 is what the model declares: used, with a warning that names upstream's " + '182',
    async () => {
      const fed183: Float32Array[] = [];
      const fed182: Float32Array[] = [];
      const r = await run(preprocessing(183), fed183);
      await run(preprocessing(182), fed182);
      expect(r.protocol.scaleShortSide).toBe(183);
      expect(r.warnings).toEqual([expect.stringMatching(OLD_WARNING)]);
      // and the frames really were scaled differently
      expect(fed183[0].length).toBe(fed182[0].length);
      expect(fed183[0].some((v, i) => v !== fed182[0][i])).toBe(true);
    },
  );

  it('a declaration that cannot be right is an input error naming the model and value', async () => {
    for (const [metadata, message] of [
      [
        preprocessing(150),
        /m\.onnx: tsm\.preprocessing scaleShortSide is 150; expected an integer ≥ the 160 crop \(upstream: 182\)/,
      ],
      [preprocessing(182.5), /scaleShortSide is 182\.5/],
      [preprocessing(256, 224), /is for a 224 crop but the model's input is 160×160/],
      [{ 'tsm.preprocessing': '{not json' }, /tsm\.preprocessing is not JSON/],
    ] as const) {
      const err = await run(metadata).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TsmError);
      expect(err).toMatchObject({
        code: 'E_BAD_PREPROCESSING',
        family: 'input',
        message: expect.stringMatching(message),
      });
    }
  });
});

describe('predict, stream and verify of an online model read the scale from the model', () => {
  it(
    'predict (clip model): 182 from a 160 export, 183 with a warning from an old one, 182 ' +
      'without tsm.preprocessing',
    async () => {
      const exported = exportOnnxModel({ input: CKPT, overrides: { size: 160 } }).onnx;
      const now = await predict({ model: save('clip160.onnx', exported), input: CLIP });
      const old = await predict({ model: save('clip160-old.onnx', withScale(exported, 183)), input: CLIP });
      const foreign = await predict({
        model: save('clip160-foreign.onnx', withScale(exported, 'no preprocessing')),
        input: CLIP,
      });
      expect([now, old, foreign].map((r) => r.protocol.scaleShortSide)).toEqual([182, 183, 182]);
      expect(now.warnings).toEqual([]);
      expect(old.warnings).toEqual([expect.stringMatching(OLD_WARNING)]);
      expect(foreign.warnings).toEqual([]);
      expect(foreign.top).toEqual(now.top);
      expect(old.top[0].logit).not.toBe(now.top[0].logit); // 183 really was used
    },
  );

  it('predict and stream (online model), and verify of the online model: the same', async () => {
    const exported = exportOnnxModel({ input: ONLINE_CKPT, overrides: { online: true, size: 160 } }).onnx;
    const now = save('online160.onnx', exported);
    const old = save('online160-old.onnx', withScale(exported, 183));
    const p = await Promise.all([predict({ model: now, input: CLIP }), predict({ model: old, input: CLIP })]);
    expect(p.map((r) => [r.protocol.kind, r.protocol.scaleShortSide, r.warnings.length])).toEqual([
      ['stream', 182, 0],
      ['stream', 183, 1],
    ]);
    const s = [await streamFrames({ model: now, frames: CLIP }), await streamFrames({ model: old, frames: CLIP })];
    expect(s.map((r) => [r.scaleShortSide, r.cropSize])).toEqual([
      [182, 160],
      [183, 160],
    ]);
    expect(s[0].warnings).toEqual([]);
    expect(s[1].warnings).toEqual([expect.stringMatching(OLD_WARNING)]);
    const v = await verifyModel({ model: old, dataset: 'jester', root: MINI, maxNum: 1 });
    expect(v.protocol.scaleShortSide).toBe(183);
    expect(v.warnings).toEqual([expect.stringMatching(OLD_WARNING)]);
  });
});

describe('the published zoo', () => {
  const zoo = JSON.parse(readFileSync(join(ROOT, 'zoo.json'), 'utf8')) as {
    models: Array<{ id: string; preprocessing: { cropSize: number; scaleShortSide: number } }>;
  };
  it('every entry declares upstream scale_size for its crop', () => {
    expect(zoo.models.length).toBeGreaterThan(5);
    for (const e of zoo.models)
      expect({ id: e.id, scale: e.preprocessing.scaleShortSide }).toEqual({
        id: e.id,
        scale: Math.floor((e.preprocessing.cropSize * 256) / 224),
      });
  });

  it("every model file in zoo/ carries its entry's preprocessing", () => {
    const ids = readdirSync(join(ROOT, 'zoo'));
    expect(ids.length).toBeGreaterThan(3);
    for (const id of ids) {
      for (const version of readdirSync(join(ROOT, 'zoo', id))) {
        const meta = JSON.parse(
          metadataOf(readFileSync(join(ROOT, 'zoo', id, version, 'model.onnx')))['tsm.preprocessing'],
        );
        const entry = zoo.models.find((m) => m.id === id)!;
        expect({ id, scale: meta.scaleShortSide, crop: meta.cropSize }).toEqual({
          id,
          scale: entry.preprocessing.scaleShortSide,
          crop: entry.preprocessing.cropSize,
        });
        expect(meta.scaleShortSide).toBe(Math.floor((meta.cropSize * 256) / 224));
      }
    }
  });
});
