/**
 * tsm/runtime against the CLI on the mini set: the same logits as `tsm predict` (which uses verify's sampling and
 * transforms) per clip, for a frames folder, decoded RGB, decoded RGBA and JPEG bytes; and stream() gives the
 * events `tsm stream` gives. In Node, the runtime is dist/runtime/node.js, as an app loads it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeJpeg } from '../../src/frames/decode.js';
import { predict } from '../../src/predict/predict.js';
import { loadOrt } from '../../src/runtime/ort.js';
import type { Classifier, RawFrame } from '../../src/runtime/types.js';
import { streamFrames } from '../../src/stream/stream.js';
import { ROOT } from '../helpers/cli.js';

const { loadClassifier } = (await import(
  join(ROOT, 'dist/runtime/node.js')
)) as typeof import('../../src/runtime/node.js');

const FRAMES = join(ROOT, 'fixtures/jester-mini/20bn-jester-v1');
const CLIPS = readFileSync(join(ROOT, 'fixtures/jester-mini/val_videofolder.txt'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => l.split(' ')[0])
  .slice(0, 4);
const jpegs = (clip: string) =>
  readdirSync(join(FRAMES, clip))
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => new Uint8Array(readFileSync(join(FRAMES, clip, f))));
const rgba = (bytes: Uint8Array): RawFrame => {
  const p = decodeJpeg(bytes);
  if (!p) throw new Error('not a JPEG');
  return { data: p.data, width: p.width, height: p.height };
};
const rgb = (frame: RawFrame): RawFrame => {
  const out = new Uint8Array(frame.width * frame.height * 3);
  for (let i = 0, j = 0; j < out.length; i += 4, j += 3) out.set(frame.data.subarray(i, i + 3), j);
  return { data: out, width: frame.width, height: frame.height };
};
const maxDelta = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  return Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])));
};

const opened: Classifier[] = [];
afterAll(async () => {
  for (const c of opened) await c.close();
});
const open = async (id: string) => {
  const c = await loadClassifier({ id, zoo: join(ROOT, 'zoo.json') });
  opened.push(c);
  return c;
};

describe('tsm/runtime equals the CLI', () => {
  for (const id of ['tsm-mobilenetv2-jester-mini', 'tsm-mobilenetv2-jester-online-mini']) {
    it(`${id}: logits equal tsm predict's per clip, for a folder, RGB, RGBA and JPEG bytes (≤ 1e-4)`, async () => {
      const clf = await open(id);
      for (const clip of CLIPS) {
        const reference = await predict({ model: id, input: join(FRAMES, clip), top: 27, zoo: join(ROOT, 'zoo.json') });
        const expected = new Float32Array(27);
        for (const p of reference.top) expected[p.index] = p.logit;
        const bytes = jpegs(clip);
        const inputs = {
          folder: join(FRAMES, clip),
          jpeg: bytes,
          rgba: bytes.map(rgba),
          rgb: bytes.map((b) => rgb(rgba(b))),
        };
        for (const [kind, input] of Object.entries(inputs)) {
          const r = await clf.classify(input, { top: 3 });
          expect(maxDelta(r.logits, expected), `${clip} ${kind}`).toBeLessThanOrEqual(1e-4);
          expect(r.top[0]).toMatchObject({ index: reference.top[0].index, label: reference.top[0].label });
          expect(r.top[0].score).toBeCloseTo(reference.top[0].score, 5);
          expect(r.sampled.map((i) => i + 1)).toEqual(reference.sampled);
          expect(r.lastGesture).toBe(reference.lastGesture);
        }
      }
    });
  }

  it("stream(): pushing a clip's frames one by one gives tsm stream's events", async () => {
    const id = 'tsm-mobilenetv2-jester-online-mini';
    const clf = await open(id);
    const model = join(ROOT, clf.entry?.artifacts[0].url ?? '');
    let events = 0;
    for (const clip of CLIPS) {
      const expected = (await streamFrames({ model, frames: join(FRAMES, clip) })).events;
      const s = clf.stream();
      const got = [];
      for (const frame of jpegs(clip)) {
        const e = await s.push(frame);
        if (e) got.push(e);
      }
      expect(got.map(({ score: _, ...e }) => e)).toEqual(expected);
      for (const e of got) expect(e.score).toBeGreaterThan(0);
      events += got.length;
      s.reset();
    }
    expect(events).toBeGreaterThan(0);
  });

  it('typed errors: a clip model has no stream(), a frame of the wrong length, a missing onnxruntime', async () => {
    const clf = await open('tsm-mobilenetv2-jester-mini');
    expect(() => clf.stream()).toThrow(expect.objectContaining({ code: 'E_NOT_ONLINE' }));
    await expect(clf.classify([{ data: new Uint8Array(10), width: 4, height: 4 }])).rejects.toMatchObject({
      code: 'E_FRAME_SHAPE',
    });
    await expect(clf.classify([])).rejects.toMatchObject({ code: 'E_NO_FRAMES' });
    const missing = loadOrt({
      name: 'onnxruntime-web',
      install: 'npm install onnxruntime-web',
      load: () => import('onnxruntime-not-installed' as string),
    });
    await expect(missing).rejects.toMatchObject({ code: 'E_NO_ONNXRUNTIME', exitCode: 2 });
    await expect(missing).rejects.toMatchObject({ hint: 'install it next to tsm: npm install onnxruntime-web' });
  });
});
