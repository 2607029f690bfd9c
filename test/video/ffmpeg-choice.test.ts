import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TsmError } from '../../src/errors.js';
import { chooseFfmpeg, ffmpegInfo, findOnPath } from '../../src/video/ffmpeg.js';
import { requireTool } from '../helpers/requirements.js';
import { testTempDir } from '../helpers/tmp.js';

/** Which ffmpeg tsm runs: --ffmpeg, TSM_FFMPEG, the first on PATH (as upstream's vid2img tools), else the bundled 2018
 * build. */
const SYSTEM = findOnPath('ffmpeg');
const haveSystemFfmpeg = requireTool(
  "an ffmpeg on PATH (Debian's ffmpeg)",
  SYSTEM !== undefined,
  'apt-get install -y ffmpeg',
);
const BUNDLED = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;

describe('chooseFfmpeg: --ffmpeg, TSM_FFMPEG, PATH, bundled', () => {
  it('with nothing on PATH: the bundled binary, which reports its 2018 static build', () => {
    const empty = testTempDir('tsm-nopath-');
    expect(chooseFfmpeg(undefined, { PATH: empty })).toEqual({ path: BUNDLED, source: 'bundled' });
    expect(ffmpegInfo(undefined, { PATH: empty }).version).toMatch(/^N-\d+-g[0-9a-f]+-static$/);
  });

  it('TSM_FFMPEG and --ffmpeg (a path, or a name looked up on PATH) come first; a missing one is a usage error', () => {
    expect(chooseFfmpeg(undefined, { TSM_FFMPEG: BUNDLED, PATH: '/usr/bin' })).toEqual({
      path: BUNDLED,
      source: 'env',
    });
    expect(chooseFfmpeg(BUNDLED, { TSM_FFMPEG: '/elsewhere/ffmpeg', PATH: '/usr/bin' })).toEqual({
      path: BUNDLED,
      source: 'flag',
    });
    const dir = testTempDir('tsm-ffpath-');
    const fake = join(dir, 'my-ffmpeg');
    writeFileSync(fake, '#!/bin/sh\necho "ffmpeg version 9.9-test Copyright"\n', { mode: 0o755 });
    expect(chooseFfmpeg('my-ffmpeg', { PATH: dir })).toEqual({ path: fake, source: 'flag' });
    expect(ffmpegInfo('my-ffmpeg', { PATH: dir }).version).toBe('9.9-test');
    const err = (() => {
      try {
        chooseFfmpeg('/no/such/ffmpeg', {});
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(TsmError);
    expect(err).toMatchObject({
      code: 'E_NO_FFMPEG',
      family: 'usage',
      message: 'ffmpeg not found at /no/such/ffmpeg (--ffmpeg)',
    });
  });

  it('a program that does not say it is ffmpeg is refused by name', () => {
    const dir = testTempDir('tsm-notff-');
    const impostor = join(dir, 'ffmpeg');
    writeFileSync(impostor, '#!/bin/sh\necho hello\n', { mode: 0o755 });
    expect(() => ffmpegInfo(impostor, {})).toThrow(/ffmpeg \(flag\) is not ffmpeg: `-version` printed "hello"/);
  });

  it.runIf(haveSystemFfmpeg)('an ffmpeg on PATH wins over the bundled one', () => {
    expect(chooseFfmpeg(undefined, { PATH: process.env.PATH })).toEqual({ path: SYSTEM, source: 'path' });
    const banner = execFileSync(SYSTEM!, ['-version'], { encoding: 'utf8' }).split('\n')[0];
    expect(banner).toContain(`ffmpeg version ${ffmpegInfo(undefined, { PATH: process.env.PATH }).version} `);
  });
});
