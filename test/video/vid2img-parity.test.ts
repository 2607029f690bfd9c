import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { requireTool } from '../helpers/requirements.js';
import { fileTempDir, testTempDir } from '../helpers/tmp.js';

/**
 * `tsm prepare frames` with the ffmpeg on PATH (Debian's 5.1 here) writes the very bytes upstream's vid2img_kinetics.py
 * command line writes with it, and records which binary and version made the frames (done marker and --json); with
 * no ffmpeg on PATH it falls back to the bundled one and says so.
 */
const MINI = join(ROOT, 'fixtures/jester-mini/20bn-jester-v1');
const shellFfmpeg = (() => {
  try {
    return execFileSync('/bin/sh', ['-c', 'command -v ffmpeg'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
})();
const SYSTEM = shellFfmpeg?.startsWith('/') ? shellFfmpeg : undefined;
const haveSystemFfmpeg = requireTool(
  "an ffmpeg on PATH (Debian's ffmpeg)",
  SYSTEM !== undefined,
  'apt-get install -y ffmpeg',
);
const BUNDLED = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const NO_ENV = { TSM_FFMPEG: '' };
const versionOf = (ffmpeg: string) =>
  /^ffmpeg version (\S+)/.exec(execFileSync(ffmpeg, ['-version'], { encoding: 'utf8' }))![1];

describe.runIf(haveSystemFfmpeg)('tsm prepare frames with the ffmpeg on PATH', () => {
  const root = fileTempDir('tsm-vid2img-');
  const videos = join(root, 'videos', 'swiping_left');
  beforeAll(() => {
    mkdirSync(videos, { recursive: true });
    for (const id of ['100001', '100002']) {
      execFileSync(SYSTEM!, [
        '-nostdin',
        '-v',
        'error',
        '-framerate',
        '12',
        '-i',
        join(MINI, id, '%05d.jpg'),
        '-c:v',
        'libx264',
        '-pix_fmt',
        'yuv420p',
        '-crf',
        '18',
        join(videos, `${id}.mp4`),
      ]);
    }
  });

  it("writes byte for byte what upstream's vid2img_kinetics.py command line writes, and records that ffmpeg", () => {
    // upstream (tools/vid2img_kinetics.py L37), through a shell as upstream runs it, output silenced
    const upstream = join(root, 'upstream', 'swiping_left');
    for (const id of ['100001', '100002']) {
      const dst = join(upstream, id);
      mkdirSync(dst, { recursive: true });
      execSync(`ffmpeg -i "${join(videos, `${id}.mp4`)}" -threads 1 -vf scale=-1:331 -q:v 0 "${dst}/img_%05d.jpg"`, {
        stdio: 'ignore',
        shell: '/bin/sh',
      });
    }
    const out = join(root, 'tsm');
    const r = runCli(['prepare', 'frames', join(root, 'videos'), '--out', out, '--dataset', 'kinetics', '--json'], {
      env: NO_ENV,
    });
    expect(r.status, r.stderr).toBe(0);
    const res = r.json();
    const info = { version: versionOf(SYSTEM!) };
    expect(res).toMatchObject({
      videos: 2,
      extracted: 2,
      settings: { filter: 'scale=-1:331', template: 'img_%05d.jpg' },
      ffmpeg: { path: SYSTEM, source: 'path', version: info.version },
      warnings: [],
    });
    let files = 0;
    for (const id of ['100001', '100002']) {
      const theirs = readdirSync(join(upstream, id)).sort();
      expect(theirs.length).toBeGreaterThan(20);
      expect(
        readdirSync(join(out, 'swiping_left', id))
          .filter((f) => f.endsWith('.jpg'))
          .sort(),
      ).toEqual(theirs);
      for (const f of theirs) {
        files++;
        expect(
          readFileSync(join(out, 'swiping_left', id, f)).equals(readFileSync(join(upstream, id, f))),
          `${id}/${f}`,
        ).toBe(true);
      }
      const marker = JSON.parse(readFileSync(join(out, 'swiping_left', id, '.tsm-frames-done'), 'utf8'));
      expect(marker).toEqual({
        frames: theirs.length,
        ffmpeg: { path: SYSTEM, version: info.version, source: 'path' },
        filter: 'scale=-1:331',
        template: 'img_%05d.jpg',
      });
    }
    expect(files).toBe(39 + 31);

    // a later run with another ffmpeg keeps those folders, and says which ffmpeg made them
    const again = runCli(
      ['prepare', 'frames', join(root, 'videos'), '--out', out, '--dataset', 'kinetics', '--ffmpeg', BUNDLED, '--json'],
      { env: NO_ENV },
    );
    expect(again.status, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ skipped: 2, extracted: 0, ffmpeg: { path: BUNDLED, source: 'flag' } });
    expect(again.json().warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^2 folder\\(s\\) already done were kept as ffmpeg ${info.version.replace(/[.+]/g, '\\$&')} ` +
            `\\(${SYSTEM}\\) made them, not ffmpeg N-`,
        ),
      ),
    ]);
  });

  it('with no ffmpeg on PATH it falls back to the bundled one, and its marker says so', () => {
    const out = testTempDir('tsm-bundled-out-');
    const r = runCli(
      ['prepare', 'frames', join(videos, '100001.mp4'), '--out', out, '--dataset', 'kinetics', '--json'],
      { env: { ...NO_ENV, PATH: testTempDir('tsm-nopath-') } },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.json().ffmpeg).toMatchObject({ path: BUNDLED, source: 'bundled', version: expect.stringMatching(/^N-/) });
    expect(JSON.parse(readFileSync(join(out, '100001', '.tsm-frames-done'), 'utf8')).ffmpeg).toMatchObject({
      path: BUNDLED,
      source: 'bundled',
    });
  });
});
