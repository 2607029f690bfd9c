import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { TsmError } from '../../src/errors.js';
import type { Runner } from '../../src/inference/runner.js';
import { verifyModel } from '../../src/verify/verify.js';

/**
 * A tiny Jester-layout set of solid-grey clips and a fake Runner (the seam) that "classifies" a view by its
 * brightness: dark clips are class 0, bright ones class 1. Exercises everything but the native runtime.
 */
const root = mkdtempSync(join(tmpdir(), 'tsm-verify-'));
const labels = ['dark', 'bright', 'unused'];

async function writeClip(
  id: string,
  frames: number,
  grey: number | ((frame: number) => number),
  skip: number[] = [],
): Promise<void> {
  const dir = join(root, '20bn-jester-v1', id);
  mkdirSync(dir, { recursive: true });
  for (let i = 1; i <= frames; i++) {
    if (skip.includes(i)) continue;
    const level = typeof grey === 'number' ? grey : grey(i);
    const jpg = await sharp({
      create: { width: 176, height: 100, channels: 3, background: { r: level, g: level, b: level } },
    })
      .jpeg()
      .toBuffer();
    writeFileSync(join(dir, `${String(i).padStart(5, '0')}.jpg`), jpg);
  }
}

function brightnessRunner(segments: number, size: number, calls: number[]): Runner {
  return {
    info: { inputName: 'video', segments, size, channels: 3, classes: 3, frameInput: false, metadata: {} },
    async run(batch, clips) {
      calls.push(clips);
      const per = batch.length / clips;
      const out = new Float32Array(clips * 3);
      for (let c = 0; c < clips; c++) {
        let sum = 0;
        for (let i = 0; i < per; i += 97) sum += batch[c * per + i];
        const bright = sum / Math.ceil(per / 97) > 0;
        out[c * 3 + (bright ? 1 : 0)] = 1;
      }
      return out;
    },
    close: async () => undefined,
  };
}

beforeAll(async () => {
  await writeClip('10', 20, 30);
  await writeClip('11', 24, 220);
  // every frame its own grey; two missing: replaced by frame 1, reported
  await writeClip('12', 18, (i) => 150 + 4 * i, [5, 9]);
  await writeClip('13', 16, 200, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]); // nothing readable
  writeFileSync(join(root, 'category.txt'), `${labels.join('\n')}\n`);
  writeFileSync(join(root, 'val_videofolder.txt'), '10 20 0\n11 24 1\n12 18 1\nbroken line\n13 16 1\n14 10 7\n');
  return () => rmSync(root, { recursive: true, force: true });
});

describe('verifyModel with a fake runner', () => {
  it('scores clips, counts missing frames, names bad lines and unreadable clips', async () => {
    const calls: number[] = [];
    const progress: number[] = [];
    const r = await verifyModel({
      model: 'fake.onnx',
      dataset: 'jester',
      root,
      runner: brightnessRunner(4, 64, calls),
      batch: 2,
      onProgress: (d) => progress.push(d),
    });
    expect(r.clips).toBe(3);
    expect(r.top1).toBe(1);
    expect(r.perClass.map((c) => c.clips)).toEqual([1, 2, 0]);
    expect(r.badLines.map((b) => b.line)).toEqual([4, 6]);
    expect(r.unreadableClips).toEqual([{ clip: '13', line: 5, reason: expect.stringContaining('unreadable') }]);
    expect(r.protocol).toMatchObject({ segments: 4, crops: 1, scaleShortSide: 73, cropSize: 64, viewsPerClip: 1 });
    expect(progress[progress.length - 1]).toBe(4);
    expect(calls).toEqual([2, 1]); // batches of 2 clips; the unreadable clip is not sent
  });

  it('an unreadable clip before a good one in the same batch: the good clip is what gets scored', async () => {
    const list = join(root, 'hole_first.txt');
    writeFileSync(list, '13 16 1\n11 24 1\n10 20 0\n');
    const calls: number[] = [];
    const r = await verifyModel({
      model: 'fake.onnx',
      dataset: 'jester',
      root,
      list,
      runner: brightnessRunner(4, 64, calls),
      batch: 2,
    });
    expect(calls).toEqual([1, 1]);
    expect(r.predictions.map((p) => [p.id, p.prediction])).toEqual([
      ['11', 1],
      ['10', 0],
    ]); // 11 is bright, 10 dark
    expect(r.unreadableClips.map((u) => u.clip)).toEqual(['13']);
  });

  it('replaces a missing frame by frame 1 and reports its path', async () => {
    const batches: Float32Array[] = [];
    const recording: Runner = {
      ...brightnessRunner(8, 64, []),
      run: async (batch, clips) => {
        batches.push(batch.slice());
        return brightnessRunner(8, 64, []).run(batch, clips);
      },
    };
    const r = await verifyModel({
      model: 'fake.onnx',
      dataset: 'jester',
      root,
      runner: brightnessRunner(8, 64, []),
      maxNum: 3,
    });
    // 18 frames, T=8: tick 2.25 → frames 2, 4, 6, 8, 11, 13, 15, 17: neither missing frame (5, 9) is sampled
    expect(r.missingFrames.count).toBe(0);
    const r2 = await verifyModel({
      model: 'fake.onnx',
      dataset: 'jester',
      root,
      runner: recording,
      maxNum: 3,
      sampling: 'twice',
    });
    // twice adds floor(2.25·x)+1 = 1, 3, 5, 7, 10, 12, 14, 16: frame 5 is missing
    expect(r2.missingFrames.count).toBe(1);
    expect(r2.missingFrames.first[0]).toMatchObject({ clip: '12', frame: 5 });
    expect(r2.missingFrames.first[0].path).toMatch(/20bn-jester-v1\/12\/00005\.jpg$/);
    expect(r2.protocol.viewsPerClip).toBe(2);
    // what the model saw: clip 12 (third in the batch), second view, frames 1, 3, 5, …; slot 2 (frame 5) holds frame 1
    const frame = 3 * 64 * 64;
    const view = (clip: number, v: number, t: number) =>
      batches[0].subarray(((clip * 2 + v) * 8 + t) * frame, ((clip * 2 + v) * 8 + t + 1) * frame);
    expect(Array.from(view(2, 1, 2))).toEqual(Array.from(view(2, 1, 0)));
    expect(Array.from(view(2, 1, 1))).not.toEqual(Array.from(view(2, 1, 0))); // frames differ, so the check can fail
  });

  it('10 crops and dense sampling multiply the views per clip', async () => {
    const calls: number[] = [];
    const r = await verifyModel({
      model: 'fake.onnx',
      dataset: 'jester',
      root,
      runner: brightnessRunner(4, 64, calls),
      crops: 10,
      sampling: 'dense',
      maxNum: 2,
      batch: 2,
    });
    expect(r.protocol.viewsPerClip).toBe(100);
    expect(calls).toEqual([200]);
    expect(r.top1).toBe(1);
  });

  it('refuses --segments that do not match the model, and a wrong class count', async () => {
    const err = await verifyModel({
      model: 'fake.onnx',
      dataset: 'jester',
      root,
      runner: brightnessRunner(4, 64, []),
      segments: 8,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(TsmError);
    expect(err).toMatchObject({ code: 'E_SEGMENTS_MISMATCH', exitCode: 2 });
    const wrong = { ...brightnessRunner(4, 64, []), info: { ...brightnessRunner(4, 64, []).info, classes: 27 } };
    await expect(verifyModel({ model: 'fake.onnx', dataset: 'jester', root, runner: wrong })).rejects.toMatchObject({
      code: 'E_CLASSES_MISMATCH',
    });
  });

  it('names a missing dataset file', async () => {
    await expect(
      verifyModel({
        model: 'fake.onnx',
        dataset: 'jester',
        root: join(root, 'nope'),
        runner: brightnessRunner(4, 64, []),
      }),
    ).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });
});
