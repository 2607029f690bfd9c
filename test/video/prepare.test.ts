import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { JESTER_LABELS } from '../../src/data/jester.js';
import { resolveFfmpeg } from '../../src/video/ffmpeg.js';
import { killAtPoint, ROOT, runCli } from '../helpers/cli.js';
import { fileTempDir, testTempDir } from '../helpers/tmp.js';

/**
 * The seed pipeline inside tsm, from videos and annotation files to a score: mp4 files made from mini clips →
 * `prepare frames` → `prepare labels` (from a Jester-format annotation CSV) → `verify`, against `verify --videos`
 * on the same videos.
 */
const MINI = join(ROOT, 'fixtures/jester-mini');
const root = fileTempDir('tsm-prepare-');
const rows = readFileSync(join(MINI, 'val_videofolder.txt'), 'utf8')
  .trim()
  .split('\n')
  .slice(0, 10)
  .map((l) => l.split(' '));

beforeAll(() => {
  const ffmpeg = resolveFfmpeg();
  mkdirSync(join(root, 'videos'), { recursive: true });
  for (const [id] of rows) {
    execFileSync(ffmpeg, [
      '-nostdin',
      '-v',
      'error',
      '-framerate',
      '12',
      '-i',
      join(MINI, '20bn-jester-v1', id, '%05d.jpg'),
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-crf',
      '10',
      join(root, 'videos', `${id}.mp4`),
    ]);
  }
  writeFileSync(join(root, 'jester-v1-labels.csv'), `${JESTER_LABELS.join('\n')}\n`);
  writeFileSync(
    join(root, 'jester-v1-validation.csv'),
    `${rows.map(([id, , label]) => `${id};${JESTER_LABELS[Number(label)]}`).join('\n')}\n`,
  );
  writeFileSync(join(root, 'videos.txt'), rows.map(([id, n, label]) => `videos/${id}.mp4 ${n} ${label}`).join('\n'));
});

describe('from videos to a verified score', () => {
  it('prepare frames + prepare labels + verify on the frames agrees clip by clip with verify --videos', () => {
    const frames = join(root, '20bn-jester-v1');
    const extract = runCli([
      'prepare',
      'frames',
      join(root, 'videos'),
      '--out',
      frames,
      '--dataset',
      'jester',
      '--json',
    ]);
    expect(extract.status, extract.stderr).toBe(0);
    expect(extract.json()).toMatchObject({
      videos: 10,
      extracted: 10,
      skipped: 0,
      failures: [],
      settings: { filter: null, template: '%05d.jpg' },
    });
    for (const [id, n] of rows)
      expect(readdirSync(join(frames, id)).filter((f) => f.endsWith('.jpg')).length, id).toBe(Number(n));
    expect(runCli(['prepare', 'labels', 'jester', '--root', root]).status).toBe(0);
    // the counts the mini list has
    expect(readFileSync(join(root, 'val_videofolder.txt'), 'utf8')).toBe(rows.map((r) => r.join(' ')).join('\n'));

    const model = 'zoo/tsm-mobilenetv2-jester-mini/1.0.0/model.onnx';
    const onFrames = runCli(['verify', model, '--root', root, '--predictions', join(root, 'frames.csv'), '--json']);
    const onVideos = runCli([
      'verify',
      model,
      '--root',
      root,
      '--list',
      join(root, 'videos.txt'),
      '--videos',
      '--json',
    ]);
    expect(onFrames.status, onFrames.stderr).toBe(0);
    expect(onVideos.status, onVideos.stderr).toBe(0);
    const a = onFrames.json();
    const b = onVideos.json();
    expect(a.clips).toBe(10);
    expect(b.clips).toBe(10);
    expect(b.top1).toBe(a.top1);
    const framesCsv = readFileSync(join(root, 'frames.csv'), 'utf8').trim().split('\n').slice(1);
    expect(framesCsv).toHaveLength(10);
    // same prediction clip by clip (confusion matrices equal)
    expect(b.confusion).toEqual(a.confusion);
  });

  it('a prepare frames run killed mid-way and run again ends with every folder complete and none twice', async () => {
    const out = testTempDir('tsm-prepare-kill-');
    const { reached } = await killAtPoint(
      ['prepare', 'frames', join(root, 'videos'), '--out', out, '--dataset', 'jester', '--workers', '2'],
      'prepare-frames:done:3',
      { group: true },
    );
    expect(reached).toBe(true);
    const finished = readdirSync(out).filter((d) => existsSync(join(out, d, '.tsm-frames-done')));
    expect(finished.length).toBeGreaterThanOrEqual(3);
    expect(finished.length).toBeLessThan(10); // the kill landed mid-way
    const again = runCli(['prepare', 'frames', join(root, 'videos'), '--out', out, '--dataset', 'jester', '--json']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.json().skipped).toBe(finished.length);
    expect(again.json().extracted).toBe(10 - finished.length);
    expect(readdirSync(out).sort()).toEqual(rows.map(([id]) => id).sort());
    for (const [id, n] of rows)
      expect(readdirSync(join(out, id)).sort()).toEqual(
        [
          ...Array.from({ length: Number(n) }, (_, i) => `${String(i + 1).padStart(5, '0')}.jpg`),
          '.tsm-frames-done',
        ].sort(),
      );
  });

  it("a video that fails is named with ffmpeg's reason, the rest go on, and the exit code says some failed", () => {
    const videos = testTempDir('tsm-prepare-bad-');
    writeFileSync(join(videos, 'broken.mp4'), 'not a video at all');
    execFileSync(resolveFfmpeg(), [
      '-nostdin',
      '-v',
      'error',
      '-framerate',
      '12',
      '-i',
      join(MINI, '20bn-jester-v1', rows[0][0], '%05d.jpg'),
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      join(videos, 'good.mp4'),
    ]);
    const out = testTempDir('tsm-prepare-bad-out-');
    const r = runCli(['prepare', 'frames', videos, '--out', out, '--json']);
    expect(r.status).toBe(3);
    const e = r.json().error;
    expect(e.code).toBe('E_VIDEOS_FAILED');
    expect(e.extracted).toBe(1);
    expect(e.failures).toEqual([
      {
        video: join(videos, 'broken.mp4'),
        reason: expect.stringMatching(/Invalid data|moov atom not found|could not find codec/i),
      },
    ]);
    expect(readdirSync(out)).toEqual(['good']); // the failed one leaves no folder
    const none = runCli(['prepare', 'frames', out, '--out', join(out, 'x'), '--json']);
    expect(none.json().error.code).toBe('E_NO_VIDEOS');
  });
});
