import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { JESTER_LABELS } from '../../src/data/jester.js';
import { cropBoxes, loadScaledFrame, writeNormalizedCrop } from '../../src/frames/transforms.js';
import { openOnlineModel } from '../../src/inference/online.js';
import { GestureSmoother } from '../../src/stream/smoother.js';
import { runCli } from '../helpers/cli.js';
import { optimizedOps } from '../helpers/ort.js';
import {
  ensureOnline,
  ensureVariants,
  maxAbsDiff,
  ONLINE_DIR,
  PYTHON,
  ROOT,
  readF32,
  VARIANTS_DIR,
} from '../helpers/reference.js';

const online = ensureOnline();
const out = mkdtempSync(join(tmpdir(), 'tsm-online-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('online export (tsm convert --online) against a PyTorch streaming reference', () => {
  it('the online demo layout: 10 buffers of the demo shapes, logits within 1e-4 on every frame', async () => {
    const r = convertCheckpoint({
      input: join(ONLINE_DIR, 'mobilenetv2_jester_online.pth.tar'),
      output: join(out, 'online.onnx'),
      overrides: { online: true },
    });
    expect(r.arch).toMatchObject({ kind: 'online', shiftedBlocks: 10 });
    expect(r.buffers!.map((b) => b.shape)).toEqual(online.buffers.map(([, shape]) => shape));
    expect(r.buffers!.map((b) => b.shape)).toEqual([
      [1, 3, 56, 56],
      [1, 4, 28, 28],
      [1, 4, 28, 28],
      [1, 8, 14, 14],
      [1, 8, 14, 14],
      [1, 8, 14, 14],
      [1, 12, 14, 14],
      [1, 12, 14, 14],
      [1, 20, 7, 7],
      [1, 20, 7, 7],
    ]);
    const model = await openOnlineModel(r.output);
    const frames = readF32(join(ONLINE_DIR, 'frames.f32'));
    const ref = readF32(join(ONLINE_DIR, 'logits.f32'));
    const frameSize = 3 * 224 * 224;
    let worst = 0;
    for (let f = 0; f < online.frames; f++) {
      const logits = await model.step(frames.subarray(f * frameSize, (f + 1) * frameSize));
      worst = Math.max(worst, maxAbsDiff(logits, ref.subarray(f * 27, (f + 1) * 27)));
    }
    expect(worst).toBeLessThanOrEqual(1e-4);
    // the reference itself checked streaming = offline TSM with a one-directional shift
    expect(online.streamingVsOfflineMaxDelta).toBeLessThan(1e-4);
    // buffers carry state: after reset, frame 2 alone differs from frame 2 in sequence
    model.reset();
    const alone = await model.step(frames.subarray(2 * frameSize, 3 * frameSize));
    expect(maxAbsDiff(alone, ref.subarray(2 * 27, 3 * 27))).toBeGreaterThan(1e-3);
    await model.close();
  });

  it(
    'an official-layout TSM checkpoint exports online too: its 10 wrapped blocks become buffers, ' +
      'and it streams like PyTorch',
    async () => {
      const v = ensureVariants().mbv2_official;
      const output = join(out, 'official-online.onnx');
      const r = runCli(['convert', join(VARIANTS_DIR, v.file), '--online', '-o', output, '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.json().inputs.map((i: { name: string }) => i.name)).toEqual([
        'frame',
        ...Array.from({ length: 10 }, (_, i) => `shift_buffer_${i}`),
      ]);
      // the same weights streamed by PyTorch with the one-directional shift, over two mini clips
      const refPath = join(out, 'official-stream.json');
      execFileSync(
        PYTHON,
        [
          join(ROOT, 'tools/reference/stream_online.py'),
          join(VARIANTS_DIR, v.file),
          join(ROOT, 'fixtures/jester-mini'),
          refPath,
          '--to',
          '2',
          '--reversed',
          '0',
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      const ref: Array<{ id: string; frames: number[]; logits: number[][] }> = JSON.parse(
        readFileSync(refPath, 'utf8'),
      ).clips;
      const model = await openOnlineModel(output);
      const input = new Float32Array(3 * 224 * 224);
      let worst = 0;
      let compared = 0;
      for (const clip of ref) {
        model.reset();
        for (const [f, index] of clip.frames.entries()) {
          const frame = await loadScaledFrame(
            join(ROOT, 'fixtures/jester-mini/20bn-jester-v1', clip.id, `${String(index).padStart(5, '0')}.jpg`),
            { scale: 256, cropSize: 224, crops: 1 },
          );
          writeNormalizedCrop(frame, cropBoxes(frame.fullWidth, frame.fullHeight, 224, 1)[0], input, 0);
          worst = Math.max(worst, maxAbsDiff(await model.step(input), clip.logits[f]));
          compared++;
        }
      }
      await model.close();
      expect(compared).toBeGreaterThanOrEqual(16);
      expect(worst).toBeLessThanOrEqual(1e-4);
    },
  );

  it(
    'tsm stream reports events at the frames it fed, timestamps from the frame rate, and latencies in order; a ' +
      'non-online model is refused',
    () => {
      const model = join(out, 'stream.onnx');
      convertCheckpoint({
        input: join(ONLINE_DIR, 'mobilenetv2_jester_online.pth.tar'),
        output: model,
        overrides: { online: true },
      });
      const r = runCli([
        'stream',
        model,
        '--frames',
        join(ROOT, 'fixtures/jester-mini/20bn-jester-v1/100001'),
        '--json',
      ]);
      expect(r.status, r.stderr).toBe(0);
      const res = r.json();
      // fed as the export declares (tsm.streaming, Jester: every 4th of the clip's 39 frames)
      expect(res).toMatchObject({ stride: 4, fps: 12, protocolSource: 'model' });
      expect(res.frames).toBe(Math.ceil(39 / 4));
      expect(res.events.length).toBeGreaterThanOrEqual(1);
      let previous = -1;
      for (const e of res.events) {
        expect(e.frame % res.stride).toBe(0); // only frames that were fed
        expect(e.frame).toBeGreaterThan(previous);
        expect(e.frame).toBeLessThan(39);
        expect(e.timeSeconds).toBeCloseTo(e.frame / res.fps, 9);
        expect(e.label).toBe(JESTER_LABELS[e.index]); // 'jester' in the file name: Jester's labels
        previous = e.frame;
      }
      const { inference, perFrame } = res.latencyMs;
      expect(inference.p50).toBeLessThanOrEqual(inference.p99);
      expect(perFrame.p50).toBeLessThanOrEqual(perFrame.p99);
      expect(perFrame.p50).toBeGreaterThanOrEqual(inference.p50); // a frame's time includes its inference
      const offline = convertCheckpoint({
        input: join(VARIANTS_DIR, ensureVariants().tsn_mbv2.file),
        output: join(out, 'offline.onnx'),
      }).output;
      const bad = runCli([
        'stream',
        offline,
        '--frames',
        join(ROOT, 'fixtures/jester-mini/20bn-jester-v1/100001'),
        '--json',
      ]);
      expect(bad.status).toBe(2);
      expect(bad.json().error.code).toBe('E_NOT_ONLINE');
    },
  );
});

describe('online int8 (tsm convert --online --int8): calibrated by streaming clips frame by frame', () => {
  // How close it stays to PyTorch on clips it was not calibrated on: online-trained.test.ts.
  it('runs every convolution in int8 and records how it was calibrated', async () => {
    const checkpoint = join(ROOT, 'fixtures/models/online', readdirSync(join(ROOT, 'fixtures/models/online'))[0]);
    const floatOut = convertCheckpoint({
      input: checkpoint,
      output: join(out, 'mini-online.onnx'),
      overrides: { online: true },
    });
    const r = runCli([
      'convert',
      checkpoint,
      '--online',
      '--int8',
      '--calibration',
      join(ROOT, 'fixtures/jester-mini'),
      '--calibration-clips',
      '4',
      '-o',
      join(out, 'mini-online-int8.onnx'),
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const res = r.json();
    expect(res.quantization.calibration).toMatchObject({ clips: 4, method: 'minmax' });
    expect(res.buffers).toHaveLength(10);
    const ops = await optimizedOps(res.output);
    expect(ops['com.microsoft:QLinearConv']).toBe(floatOut.opHistogram.Conv);
    expect(Object.keys(ops).filter((k) => k.endsWith(':Conv'))).toEqual([]);
  });
});

describe('GestureSmoother', () => {
  it('reports a class once it has led for `stableFrames` frames of the averaged window', () => {
    const s = new GestureSmoother({ window: 2, stableFrames: 2 });
    const one = (k: number) => Float32Array.from([0, 0, 0].map((_, i) => (i === k ? 1 : 0)));
    expect([s.push(one(1)), s.push(one(1)), s.push(one(2)), s.push(one(2)), s.push(one(2)), s.push(one(2))]).toEqual([
      -1, 1, -1, -1, 2, -1,
    ]);
  });
});
