import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert.js';
import { GestureSmoother, openOnlineModel } from '../../src/stream/online.js';
import { runCli } from '../helpers/cli.js';
import { optimizedOps } from '../helpers/ort.js';
import { cropBoxes, loadScaledFrame, writeNormalizedCrop } from '../../src/verify/transforms.js';
import { ensureOnline, ensureVariants, maxAbsDiff, ONLINE_DIR, readF32, ROOT, VARIANTS_DIR } from '../helpers/reference.js';

const online = ensureOnline();
const out = mkdtempSync(join(tmpdir(), 'tsm-online-'));

describe('online export (tsm convert --online) against a PyTorch streaming reference', () => {
  it('the online demo layout: 10 buffers of the demo shapes, logits within 1e-4 on every frame', async () => {
    const r = convertCheckpoint({ input: join(ONLINE_DIR, 'mobilenetv2_jester_online.pth.tar'), output: join(out, 'online.onnx'), overrides: { online: true } });
    expect(r.arch).toMatchObject({ kind: 'online', shiftedBlocks: 10 });
    expect(r.buffers!.map((b) => b.shape)).toEqual(online.buffers.map(([, shape]) => shape));
    expect(r.buffers!.map((b) => b.shape)).toEqual([[1, 3, 56, 56], [1, 4, 28, 28], [1, 4, 28, 28], [1, 8, 14, 14], [1, 8, 14, 14], [1, 8, 14, 14], [1, 12, 14, 14], [1, 12, 14, 14], [1, 20, 7, 7], [1, 20, 7, 7]]);
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

  it('an official-layout TSM checkpoint exports online too (its 10 wrapped blocks become buffers)', () => {
    const v = ensureVariants().mbv2_official;
    const r = runCli(['convert', join(VARIANTS_DIR, v.file), '--online', '-o', join(out, 'official-online.onnx'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json().inputs.map((i: { name: string }) => i.name)).toEqual(['frame', ...Array.from({ length: 10 }, (_, i) => `shift_buffer_${i}`)]);
  });

  it('tsm stream prints events and latency; a non-online model is refused', () => {
    const model = join(out, 'stream.onnx');
    convertCheckpoint({ input: join(ONLINE_DIR, 'mobilenetv2_jester_online.pth.tar'), output: model, overrides: { online: true } });
    const r = runCli(['stream', model, '--frames', join(ROOT, 'fixtures/jester-mini/20bn-jester-v1/100001'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const res = r.json();
    // fed as the export declares (tsm.streaming, Jester: every 4th of the clip's 39 frames)
    expect(res).toMatchObject({ stride: 4, protocolSource: 'model' });
    expect(res.frames).toBe(Math.ceil(39 / 4));
    expect(res.events.length).toBeGreaterThanOrEqual(1);
    expect(res.events[0]).toMatchObject({ frame: expect.any(Number), timeSeconds: expect.any(Number), label: expect.any(String) });
    expect(res.latencyMs.inference.p99).toBeGreaterThan(0);
    const offline = convertCheckpoint({ input: join(VARIANTS_DIR, ensureVariants().tsn_mbv2.file), output: join(out, 'offline.onnx') }).output;
    const bad = runCli(['stream', offline, '--frames', join(ROOT, 'fixtures/jester-mini/20bn-jester-v1/100001'), '--json']);
    expect(bad.status).toBe(2);
    expect(bad.json().error.code).toBe('E_NOT_ONLINE');
  });
});

describe('online int8 (tsm convert --online --int8): calibrated by streaming clips frame by frame', () => {
  it('runs every convolution in int8 and agrees with the float online model on most frames of clips it was not calibrated on', async () => {
    const checkpoint = join(ROOT, 'fixtures/models/online', readdirSync(join(ROOT, 'fixtures/models/online'))[0]);
    const floatOut = convertCheckpoint({ input: checkpoint, output: join(out, 'mini-online.onnx'), overrides: { online: true } });
    const r = runCli(['convert', checkpoint, '--online', '--int8', '--calibration', join(ROOT, 'fixtures/jester-mini'), '--calibration-clips', '4', '-o', join(out, 'mini-online-int8.onnx'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const res = r.json();
    expect(res.quantization.calibration).toMatchObject({ clips: 4, method: 'minmax' });
    expect(res.buffers).toHaveLength(10);
    const ops = await optimizedOps(res.output);
    expect(ops['com.microsoft:QLinearConv']).toBe(floatOut.opHistogram.Conv);
    const [f32, int8] = [await openOnlineModel(floatOut.output), await openOnlineModel(res.output)];
    let same = 0;
    let frames = 0;
    for (const clip of ['100041', '100046', '100050', '100077']) { // not among the 4 calibration clips
      f32.reset();
      int8.reset();
      const dir = join(ROOT, 'fixtures/jester-mini/20bn-jester-v1', clip);
      const input = new Float32Array(3 * 224 * 224);
      for (const file of readdirSync(dir).sort()) {
        const frame = await loadScaledFrame(join(dir, file), { scale: 256, cropSize: 224, crops: 1 });
        writeNormalizedCrop(frame, cropBoxes(frame.fullWidth, frame.fullHeight, 224, 1)[0], input, 0);
        const [a, b] = [await f32.step(input), await int8.step(input)];
        if (a.indexOf(Math.max(...a)) === b.indexOf(Math.max(...b))) same++;
        frames++;
      }
    }
    await f32.close();
    await int8.close();
    expect(same / frames).toBeGreaterThanOrEqual(0.8);
  });
});

describe('GestureSmoother', () => {
  it('reports a class once it has led for `stableFrames` frames of the averaged window', () => {
    const s = new GestureSmoother({ window: 2, stableFrames: 2 });
    const one = (k: number) => Float32Array.from([0, 0, 0].map((_, i) => (i === k ? 1 : 0)));
    expect([s.push(one(1)), s.push(one(1)), s.push(one(2)), s.push(one(2)), s.push(one(2)), s.push(one(2))]).toEqual([-1, 1, -1, -1, 2, -1]);
  });
});
