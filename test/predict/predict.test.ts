import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { predict } from '../../src/predict/predict.js';
import { resolveFfmpeg } from '../../src/video/ffmpeg.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { fileTempDir } from '../helpers/tmp.js';

/**
 * Video input with the ffmpeg that comes with npm ci: mp4 (H.264) and webm (VP9) files made from the mini clips,
 * decoded by piping raw RGB frames into memory.
 */
const MINI = join(ROOT, 'fixtures/jester-mini');
const dir = fileTempDir('tsm-video-');
const CLIPS = readClipIds(8);
const MODEL = 'tsm-mobilenetv2-jester-mini';

function readClipIds(n: number): string[] {
  return require('node:fs')
    .readFileSync(join(MINI, 'val_videofolder.txt'), 'utf8')
    .trim()
    .split('\n')
    .slice(0, n)
    .map((l: string) => l.split(' ')[0]);
}

beforeAll(() => {
  const ffmpeg = resolveFfmpeg();
  for (const id of CLIPS) {
    const frames = join(MINI, '20bn-jester-v1', id, '%05d.jpg');
    execFileSync(ffmpeg, [
      '-v',
      'error',
      '-framerate',
      '12',
      '-i',
      frames,
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-crf',
      '10',
      join(dir, `${id}.mp4`),
    ]);
  }
  execFileSync(ffmpeg, [
    '-v',
    'error',
    '-framerate',
    '12',
    '-i',
    join(MINI, '20bn-jester-v1', CLIPS[0], '%05d.jpg'),
    '-c:v',
    'libvpx-vp9',
    '-b:v',
    '0',
    '-crf',
    '10',
    join(dir, `${CLIPS[0]}.webm`),
  ]);
});

describe('tsm predict', () => {
  it('names Swiping Left for the mp4 of clip 100001, from a zoo id, as one JSON object', () => {
    const r = runCli(['predict', MODEL, join(dir, '100001.mp4'), '--top', '3', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const res = r.json();
    expect(res).toMatchObject({
      source: 'video',
      frames: 39,
      sampled: [3, 8, 13, 18, 22, 27, 32, 37],
      protocol: { kind: 'clip', segments: 8, scaleShortSide: 256, cropSize: 224 },
    });
    expect(res.model).toMatch(/^tsm-mobilenetv2-jester-mini@/);
    expect(res.top).toHaveLength(3);
    expect(res.top[0].label).toBe('Swiping Left');
    expect(res.top[0].score).toBeGreaterThan(res.top[1].score);
  });

  it(
    'a video and the frames it was made from give the same top class; H.264 at crf 10 ' + 'moves the logits a little',
    async () => {
      let worst = 0;
      for (const id of CLIPS) {
        const fromVideo = await predict({ model: MODEL, input: join(dir, `${id}.mp4`), top: 27 });
        const fromFrames = await predict({ model: MODEL, input: join(MINI, '20bn-jester-v1', id), top: 27 });
        expect(fromVideo.top[0].label, id).toBe(fromFrames.top[0].label);
        const byLabel = new Map(fromFrames.top.map((p) => [p.label, p.logit]));
        for (const p of fromVideo.top) worst = Math.max(worst, Math.abs(p.logit - byLabel.get(p.label)!));
      }
      process.stderr.write(
        `predict: mp4 (H.264, crf 10) vs its JPEG frames on ${CLIPS.length} clips: same top class, max ` +
          `|Δlogit| ${worst.toFixed(3)}\n`,
      );
      expect(worst).toBeGreaterThan(0); // re-encoding is not free …
      expect(worst).toBeLessThan(2); // … but small against logits of O(10)
    },
  );

  it('webm, a checkpoint and an .onnx file work as inputs and models too', () => {
    const webm = runCli([
      'predict',
      'fixtures/models/TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e14.pth',
      join(dir, `${CLIPS[0]}.webm`),
      '--json',
    ]);
    expect(webm.status, webm.stderr).toBe(0);
    expect(webm.json().top[0].label).toBe('Swiping Left');
    const onnx = runCli([
      'predict',
      'zoo/tsm-mobilenetv2-jester-mini/1.0.0/model.onnx',
      join(MINI, '20bn-jester-v1', CLIPS[0]),
      '--json',
    ]);
    expect(onnx.json()).toMatchObject({ source: 'frames', frames: 39 });
  });

  it('examples/classify-video.mjs classifies a video with a zoo model', () => {
    const out = JSON.parse(
      execFileSync(process.execPath, [join(ROOT, 'examples/classify-video.mjs'), join(dir, '100001.mp4')], {
        cwd: ROOT,
        encoding: 'utf8',
      }),
    );
    expect(out).toMatchObject({ frames: 39, top: [{ label: 'Swiping Left' }, expect.anything(), expect.anything()] });
  });

  it('an online model is streamed at its declared stride and reports its last gesture', () => {
    const r = runCli(['predict', 'tsm-mobilenetv2-jester-online-mini', join(dir, '100001.mp4'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({
      protocol: { kind: 'stream', streaming: { stride: 4 } },
      lastGesture: 'Swiping Left',
      sampled: [1, 5, 9, 13, 17, 21, 25, 29, 33, 37],
    });
  });

  it("tsm stream --video reads an mp4 at the model's frame spacing", () => {
    const r = runCli([
      'stream',
      'zoo/tsm-mobilenetv2-jester-online-mini/1.1.0/model.onnx',
      '--video',
      join(dir, '100001.mp4'),
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ frames: 10, stride: 4 });
    expect(r.json().events.at(-1).label).toBe('Swiping Left');
  });

  it('a file ffmpeg cannot decode, a missing file and a missing ffmpeg are typed errors that say why', () => {
    const junk = join(dir, 'junk.mp4');
    writeFileSync(junk, 'this is not a video');
    const bad = runCli(['predict', MODEL, junk, '--json']);
    expect(bad.status).toBe(3);
    expect(bad.json().error.code).toBe('E_VIDEO');
    expect(bad.json().error.message).toMatch(/junk\.mp4: ffmpeg finds no video stream \(.+\)/);
    expect(runCli(['predict', MODEL, join(dir, 'nope.mp4'), '--json']).json().error.code).toBe('E_NOT_FOUND');
    const noFfmpeg = runCli(['predict', MODEL, join(dir, '100001.mp4'), '--ffmpeg', '/no/such/ffmpeg', '--json']);
    expect(noFfmpeg.status).toBe(2);
    expect(noFfmpeg.json().error.code).toBe('E_NO_FFMPEG');
  });
});
