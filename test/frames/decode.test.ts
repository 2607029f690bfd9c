import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/frames/decode.js';
import { resizeBilinearLikePillow } from '../../src/frames/resample.js';
import { ROOT } from '../helpers/reference.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('tsm-decode-');
const CLIPS = join(ROOT, 'fixtures/jester-mini/20bn-jester-v1');
const frames = ['100001/00001.jpg', '100017/00020.jpg', '100042/00007.jpg', '100080/00011.jpg'].map((f) =>
  join(CLIPS, f),
);

/** RGB bytes of decoded pixels, whatever their channel count. */
const rgb = (d: { data: ArrayLike<number>; channels: number }) =>
  Uint8Array.from(
    { length: (d.data.length / d.channels) * 3 },
    (_, i) => d.data[Math.floor(i / 3) * d.channels + (i % 3)],
  );

describe('decodeFrame', () => {
  it('decodes JPEGs in WebAssembly to exactly the pixels sharp (libjpeg-turbo, as Pillow) gives', async () => {
    for (const f of frames) {
      const ours = await decodeFrame(f);
      expect(ours.channels).toBe(4); // the WASM path, not the fallback
      const theirs = await sharp(f).raw().toBuffer({ resolveWithObject: true });
      expect([ours.width, ours.height]).toEqual([theirs.info.width, theirs.info.height]);
      expect(Buffer.compare(Buffer.from(rgb(ours)), theirs.data)).toBe(0);
    }
  });

  it('RGBA input scales to the same bytes as RGB input', async () => {
    const d = await decodeFrame(frames[1]);
    const fromRgba = resizeBilinearLikePillow(d.data, d.width, d.height, 450, 256, undefined, 4);
    const fromRgb = resizeBilinearLikePillow(rgb(d), d.width, d.height, 450, 256);
    expect(Buffer.compare(Buffer.from(fromRgba), Buffer.from(fromRgb))).toBe(0);
  });

  it('other formats go through sharp; a broken JPEG is an error, not garbage', async () => {
    const png = join(dir, 'frame.png');
    await sharp(frames[0]).png().toFile(png);
    const p = await decodeFrame(png);
    expect(p.channels).toBe(3);
    expect(Buffer.compare(Buffer.from(p.data), await sharp(frames[0]).raw().toBuffer())).toBe(0);
    const broken = join(dir, 'broken.jpg');
    const bytes = readFileSync(frames[0]);
    writeFileSync(broken, bytes.subarray(0, 40)); // header only
    await expect(decodeFrame(broken)).rejects.toThrow();
    await expect(decodeFrame(join(dir, 'missing.jpg'))).rejects.toThrow();
  });
});
