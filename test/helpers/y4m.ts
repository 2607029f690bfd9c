/** Writes frames as a Y4M (4:2:0, full-range BT.601) file: Chromium's fake camera plays such a file in a loop. */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

export async function writeY4m(
  frameDir: string,
  out: string,
  fps: number,
): Promise<{ frames: number; width: number; height: number }> {
  const files = readdirSync(frameDir)
    .filter((f) => f.endsWith('.jpg'))
    .sort();
  const chunks: Buffer[] = [];
  let width = 0;
  let height = 0;
  for (const f of files) {
    const { data, info } = await sharp(join(frameDir, f)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    width = info.width;
    height = info.height;
    const y = Buffer.alloc(width * height);
    const u = Buffer.alloc((width / 2) * (height / 2));
    const v = Buffer.alloc((width / 2) * (height / 2));
    const cb = new Float64Array(width * height);
    const cr = new Float64Array(width * height);
    for (let i = 0; i < width * height; i++) {
      const [r, g, b] = [data[i * 3], data[i * 3 + 1], data[i * 3 + 2]];
      y[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      cb[i] = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
      cr[i] = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
    }
    for (let j = 0; j < height / 2; j++) {
      for (let i = 0; i < width / 2; i++) {
        const at = (dx: number, dy: number) => (2 * j + dy) * width + 2 * i + dx;
        const avg = (p: Float64Array) => Math.round((p[at(0, 0)] + p[at(1, 0)] + p[at(0, 1)] + p[at(1, 1)]) / 4);
        u[j * (width / 2) + i] = avg(cb);
        v[j * (width / 2) + i] = avg(cr);
      }
    }
    chunks.push(Buffer.from('FRAME\n'), y, u, v);
  }
  writeFileSync(
    out,
    Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`), ...chunks]),
  );
  return { frames: files.length, width, height };
}
