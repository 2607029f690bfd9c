import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { resizeBilinearLikePillow } from '../../src/frames/resample.js';
import { PYTHON, ROOT } from '../helpers/reference.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('tsm-resize-');
const frames = ['100001/00001.jpg', '100017/00020.jpg', '100080/00011.jpg'].map((f) =>
  join(ROOT, 'fixtures/jester-mini/20bn-jester-v1', f),
);

describe('resizeBilinearLikePillow equals Pillow BILINEAR byte for byte', () => {
  for (const [w, h] of [
    [450, 256],
    [256, 146],
    [88, 50],
    [200, 300],
    [177, 101],
  ]) {
    it(`176×100 → ${w}×${h}`, async () => {
      for (const frame of frames) {
        const { data, info } = await sharp(frame).raw().toBuffer({ resolveWithObject: true });
        const ours = resizeBilinearLikePillow(data, info.width, info.height, w, h);
        const out = join(dir, `${w}x${h}.rgb`);
        execFileSync(PYTHON, [join(ROOT, 'tools/reference/pil_resize.py'), frame, String(w), String(h), out]);
        const theirs = readFileSync(out);
        expect(ours.length).toBe(theirs.length);
        let differing = 0;
        for (let i = 0; i < ours.length; i++) if (ours[i] !== theirs[i]) differing++;
        expect(differing).toBe(0);
      }
    });
  }
});

describe('a window of the resize', () => {
  it('equals the same region of the full resize', async () => {
    const { data, info } = await sharp(frames[1]).raw().toBuffer({ resolveWithObject: true });
    const full = resizeBilinearLikePillow(data, info.width, info.height, 450, 256);
    const win = { left: 113, top: 16, width: 224, height: 224 };
    const part = resizeBilinearLikePillow(data, info.width, info.height, 450, 256, win);
    for (let y = 0; y < win.height; y++) {
      const a = full.subarray(((y + win.top) * 450 + win.left) * 3, ((y + win.top) * 450 + win.left + win.width) * 3);
      const b = part.subarray(y * win.width * 3, (y + 1) * win.width * 3);
      expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    }
  });
});
