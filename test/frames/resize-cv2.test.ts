import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTsmError } from '../../src/errors.js';
import { decodeFrame } from '../../src/frames/decode.js';
import { linearTapsLikeOpenCV, rescaleSizeLikeMmcv, resizeLinearLikeOpenCV } from '../../src/frames/resize-cv2.js';
import { openCVResizeKernel } from '../../src/frames/resize-cv2-kernels.js';
import { PYTHON, ROOT } from '../helpers/reference.js';
import { requireTool } from '../helpers/requirements.js';
import { fileTempDir } from '../helpers/tmp.js';

const TOOL = join(ROOT, 'tools/cv2_resize.py');
const CLIPS = join(ROOT, 'fixtures/jester-mini/20bn-jester-v1');
const VIDEOS = '/usr/share/doc/opencv-doc/examples/data';
const VIDEO_FILES = ['Megamind.avi', 'Megamind_bugy.avi', 'tree.avi', 'vtest.avi'].map((f) => join(VIDEOS, f));

const haveCv2 = requireTool(
  "OpenCV for Debian's Python (python3-opencv)",
  spawnSync(PYTHON, ['-c', 'import cv2'], { stdio: 'ignore' }).status === 0,
  'apt-get install -y python3-opencv',
);
const haveVideos = requireTool(
  "OpenCV's sample videos (opencv-doc)",
  VIDEO_FILES.every((f) => existsSync(f)),
  'apt-get install -y opencv-doc',
);

interface Image {
  readonly data: Uint8Array;
  readonly w: number;
  readonly h: number;
  readonly c: number;
}
type Source = { readonly jpeg: string } | { readonly video: string; readonly every: number; readonly count: number };
type Target = { readonly size: readonly [number, number] } | { readonly scale: number | readonly [number, number] };
/** Image i of a job (its raw images first, then the frames OpenCV decoded from its sources) resized to target. */
interface Case {
  readonly image: number;
  readonly target: Target;
  readonly label: string;
}
interface Job {
  readonly raw?: readonly Image[];
  readonly sources?: readonly Source[];
  readonly cases: readonly Case[];
}

const dir = haveCv2 ? fileTempDir('tsm-cv2-resize-') : '';
let runs = 0;

/**
 * One Python run (tools/cv2_resize.py): decodes the sources with OpenCV, so both sides resize the same pixels, and
 * cv2.resize(…, INTER_LINEAR)s every case. Returns the job's images and, per case, OpenCV's bytes and chosen size.
 */
function runCv2(job: Job): { images: Image[]; resized: Array<{ data: Uint8Array; size: [number, number] }> } {
  const n = ++runs;
  const [spec, input, out] = ['spec.json', 'in.raw', 'out.raw'].map((f) => join(dir, `${n}-${f}`));
  const raw = job.raw ?? [];
  writeFileSync(
    spec,
    JSON.stringify({
      raw: raw.map(({ w, h, c }) => ({ w, h, c })),
      sources: job.sources ?? [],
      targets: job.cases.map(({ image, target }) => ({ image, ...target })),
    }),
  );
  writeFileSync(input, Buffer.concat(raw.map((r) => r.data)));
  execFileSync(PYTHON, [TOOL, spec, input, out], { stdio: ['ignore', 'ignore', 'inherit'] });
  const sizes: { decoded: Array<[number, number]>; resized: Array<[number, number]> } = JSON.parse(
    readFileSync(`${out}.json`, 'utf8'),
  );
  const slices = <T>(bytes: Buffer, lengths: number[], make: (data: Uint8Array, i: number) => T) => {
    let offset = 0;
    return lengths.map((length, i) => {
      const data = new Uint8Array(bytes.buffer, bytes.byteOffset + offset, length);
      offset += length;
      return make(data, i);
    });
  };
  const decoded = slices(
    readFileSync(`${out}.decoded`),
    sizes.decoded.map(([w, h]) => w * h * 3),
    (data, i) => ({ data, w: sizes.decoded[i][0], h: sizes.decoded[i][1], c: 3 }),
  );
  const images = [...raw, ...decoded];
  const resized = slices(
    readFileSync(out),
    sizes.resized.map(([w, h], i) => w * h * images[job.cases[i].image].c),
    (data, i) => ({ data, size: sizes.resized[i] }),
  );
  return { images, resized };
}

const kernel = openCVResizeKernel();
/** The WASM kernel's 4-byte pixels cut to `channels` bytes each. */
const firstChannels = (pixels: Uint8Array, channels: number) => {
  const out = new Uint8Array((pixels.length / 4) * channels);
  for (let p = 0, o = 0; p < pixels.length; p += 4) for (let c = 0; c < channels; c++) out[o++] = pixels[p + c];
  return out;
};

/** Every case of the job against cv2 (the JavaScript resize, and the WASM kernel for 3 and 4 channels); failures name
 * the case, its sizes and how many bytes differ by how much. */
function expectIdenticalToCv2(job: Job): Image[] {
  const { images, resized } = runCv2(job);
  const failures: string[] = [];
  for (const [i, k] of job.cases.entries()) {
    const image = images[k.image];
    const size: [number, number] =
      'size' in k.target
        ? [k.target.size[0], k.target.size[1]]
        : (({ width, height }) => [width, height] as [number, number])(
            rescaleSizeLikeMmcv(image.w, image.h, k.target.scale),
          );
    const ref = resized[i];
    const what = `${k.label}: ${image.w}×${image.h}×${image.c} → ${ref.size.join('×')}`;
    if (size[0] !== ref.size[0] || size[1] !== ref.size[1]) {
      failures.push(`${what}: our size ${size.join('×')}`);
      continue;
    }
    const outputs: Array<[string, Uint8Array]> = [
      ['JavaScript', resizeLinearLikeOpenCV(image.data, image.w, image.h, image.c, size[0], size[1])],
    ];
    if (kernel && (image.c === 3 || image.c === 4))
      outputs.push([
        'WASM',
        firstChannels(kernel.resizeWindow(image.data, image.w, image.h, image.c, size[0], size[1]), image.c),
      ]);
    for (const [which, ours] of outputs) {
      let differing = 0;
      let worst = 0;
      for (let j = 0; j < ours.length; j++) {
        const d = Math.abs(ours[j] - ref.data[j]);
        if (d) {
          differing++;
          worst = Math.max(worst, d);
        }
      }
      if (differing || ours.length !== ref.data.length)
        failures.push(`${what} (${which}): ${differing} of ${ours.length} bytes differ, by up to ${worst}`);
    }
  }
  expect(failures).toEqual([]);
  return images;
}

/** Deterministic pseudo-random bytes (mulberry32). */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (t ^ (t >>> 14)) & 255;
  }
  return out;
}
const randomImage = (w: number, h: number, c: number, seed: number): Image => ({
  data: randomBytes(w * h * c, seed),
  w,
  h,
  c,
});

const clipFrames = (clip: string) =>
  readdirSync(join(CLIPS, clip))
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => join(CLIPS, clip, f));

describe.runIf(haveCv2)('resizeLinearLikeOpenCV equals cv2.resize(…, INTER_LINEAR) byte for byte', () => {
  it('on every frame of three jester-mini clips, scaled up to short side 256 as MMAction2 does, and down to 64', () => {
    const jpegs = ['100001', '100017', '100080'].flatMap(clipFrames);
    expect(jpegs.length).toBeGreaterThan(90);
    const images = expectIdenticalToCv2({
      sources: jpegs.map((jpeg) => ({ jpeg })),
      cases: jpegs.flatMap((_, i): Case[] => [
        { image: i, target: { scale: [-1, 256] as const }, label: `jester frame ${i}, Resize(-1, 256)` },
        ...(i % 8 === 0
          ? [{ image: i, target: { scale: [-1, 64] as const }, label: `jester frame ${i}, Resize(-1, 64)` }]
          : []),
      ]),
    });
    expect(new Set(images.map((f) => `${f.w}×${f.h}`))).toEqual(new Set(['176×100']));
  });

  it.runIf(haveVideos)('on frames of the real videos OpenCV ships (opencv-doc), down and up', () => {
    const perVideo = 5;
    const images = expectIdenticalToCv2({
      sources: VIDEO_FILES.map((video) => ({ video, every: 15, count: perVideo })),
      cases: Array.from({ length: VIDEO_FILES.length * perVideo }, (_, i): Case[] => [
        { image: i, target: { scale: [-1, 256] as const }, label: `video frame ${i}, Resize(-1, 256)` },
        { image: i, target: { scale: [340, 256] as const }, label: `video frame ${i}, Resize(340, 256)` },
        { image: i, target: { size: [224, 224] as const }, label: `video frame ${i}, 224×224` },
        ...(i % 4 === 0 ? [{ image: i, target: { scale: 1.7 }, label: `video frame ${i}, ×1.7` }] : []),
      ]).flat(),
    });
    expect(new Set(images.map((f) => `${f.w}×${f.h}`))).toEqual(new Set(['720×528', '320×240', '768×576']));
  });

  it('on odd sizes up and down, and the cases that pin the details down', () => {
    // each row: source w×h → output w×h, and what an implementation gets wrong there
    const table: Array<[number, number, number, number, string]> = [
      [1, 1, 1, 1, 'unchanged size (OpenCV copies)'],
      [1, 1, 5, 9, 'one pixel up'],
      [3, 7, 1, 1, 'down to one pixel'],
      [3, 7, 30, 2, 'mixed directions'],
      [17, 5, 4, 41, 'mixed directions'],
      [17, 5, 17, 5, 'unchanged size'],
      [64, 48, 32, 24, 'exact 2× down (OpenCV takes its INTER_AREA fast path)'],
      [65, 49, 32, 24, 'just short of 2× down'],
      [90, 60, 30, 20, 'exact 3× down (stays bilinear)'],
      [128, 96, 32, 24, 'exact 4× down (stays bilinear: only 2× on both axes takes the area path)'],
      [64, 48, 32, 48, 'exact 2× down on one axis only'],
      [32, 24, 64, 48, 'exact 2× up'],
      [7, 9, 23, 529, 'rounding the weights half up instead of half to even'],
      [7, 10, 23, 523, 'source coordinates in double instead of float32'],
      [10, 7, 523, 23, 'source coordinates in double instead of float32 (columns)'],
      [8, 6, 37, 29, 'clamping the row fraction at the borders as for columns'],
      [176, 100, 451, 256, 'a Jester frame to short side 256'],
      [500, 3, 7, 200, 'long thin'],
    ];
    const raw: Image[] = [];
    const cases: Case[] = [];
    table.forEach(([w, h, dw, dh, why], i) => {
      for (const c of [1, 3, 4])
        cases.push({ image: raw.push(randomImage(w, h, c, 1000 * i + c)) - 1, target: { size: [dw, dh] }, label: why });
    });
    expectIdenticalToCv2({ raw, cases });
  });

  it('on random sizes and channel counts (property, one cv2 run for all samples)', () => {
    const seed = Number(process.env.TSM_PROPERTY_SEED ?? Date.now() % 2 ** 31);
    const side = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 700 }));
    const samples = fc
      .sample(fc.record({ w: side, h: side, dw: side, dh: side, c: fc.constantFrom(1, 3, 4), seed: fc.nat() }), {
        numRuns: 250,
        seed,
      })
      .filter((s) => s.w * s.h <= 300_000 && s.dw * s.dh <= 300_000);
    expectIdenticalToCv2({
      raw: samples.map((s) => randomImage(s.w, s.h, s.c, s.seed)),
      cases: samples.map((s, i) => ({
        image: i,
        target: { size: [s.dw, s.dh] },
        label: `property sample (TSM_PROPERTY_SEED=${seed})`,
      })),
    });
  });

  it(
    'RGBA with junk alpha: all four channels equal cv2 on the four, and ' + 'outputChannels 3 equals cv2 on the RGB',
    () => {
      const rgba = randomImage(176, 100, 4, 77);
      const rgb: Image = {
        data: Uint8Array.from({ length: 176 * 100 * 3 }, (_, i) => rgba.data[Math.floor(i / 3) * 4 + (i % 3)]),
        w: 176,
        h: 100,
        c: 3,
      };
      const {
        resized: [four, three],
      } = runCv2({
        raw: [rgba, rgb],
        cases: [0, 1].map((image) => ({ image, target: { size: [451, 256] }, label: '' })),
      });
      expect(Buffer.compare(resizeLinearLikeOpenCV(rgba.data, 176, 100, 4, 451, 256), four.data)).toBe(0);
      expect(
        Buffer.compare(resizeLinearLikeOpenCV(rgba.data, 176, 100, 4, 451, 256, { outputChannels: 3 }), three.data),
      ).toBe(0);
    },
  );
});

describe('a window of the resize', () => {
  it('equals the same region of the whole output, up and down, at the borders and inside', () => {
    for (const [w, h, dw, dh] of [
      [176, 100, 451, 256],
      [340, 256, 299, 225],
      [340, 256, 340, 256],
      [5, 3, 40, 30],
    ]) {
      const image = randomImage(w, h, 4, w + h);
      const whole = resizeLinearLikeOpenCV(image.data, w, h, 4, dw, dh, { outputChannels: 3 });
      for (const win of [
        { left: 0, top: 0, width: dw, height: dh },
        { left: 0, top: 0, width: 3, height: 2 },
        { left: dw - 7, top: dh - 5, width: 7, height: 5 },
        { left: (dw >> 1) - 10, top: (dh >> 1) - 9, width: 20, height: 17 },
      ]) {
        const part = resizeLinearLikeOpenCV(image.data, w, h, 4, dw, dh, { window: win, outputChannels: 3 });
        expect(part.length).toBe(win.width * win.height * 3);
        for (let y = 0; y < win.height; y++) {
          const row = whole.subarray(
            ((y + win.top) * dw + win.left) * 3,
            ((y + win.top) * dw + win.left + win.width) * 3,
          );
          expect(Buffer.compare(row, part.subarray(y * win.width * 3, (y + 1) * win.width * 3))).toBe(0);
        }
      }
    }
  });
});

describe('linearTapsLikeOpenCV', () => {
  it('clamps column taps to the border with weight 2048, keeps the row fraction with clamped indices', () => {
    const cols = linearTapsLikeOpenCV(4, 8, true); // 2× up: first coordinate −0.25, last 3.25
    expect([cols.first[0], cols.second[0], cols.w0[0], cols.w1[0]]).toEqual([0, 1, 2048, 0]);
    expect([cols.first[7], cols.w0[7], cols.w1[7]]).toEqual([3, 2048, 0]);
    expect([cols.first[1], cols.second[1], cols.w0[1], cols.w1[1]]).toEqual([0, 1, 1536, 512]);
    const rows = linearTapsLikeOpenCV(4, 8, false);
    expect([rows.first[0], rows.second[0], rows.w0[0], rows.w1[0]]).toEqual([0, 0, 512, 1536]);
    expect([rows.first[7], rows.second[7], rows.w0[7], rows.w1[7]]).toEqual([3, 3, 1536, 512]);
  });
});

describe('rescaleSizeLikeMmcv', () => {
  it('gives the sizes MMAction2 resizes to (mmcv.rescale_size)', () => {
    expect(rescaleSizeLikeMmcv(176, 100, [-1, 256])).toEqual({ width: 451, height: 256, scaleFactor: 2.56 });
    expect(rescaleSizeLikeMmcv(100, 176, [256, -1])).toEqual({ width: 256, height: 451, scaleFactor: 2.56 });
    expect(rescaleSizeLikeMmcv(340, 256, [-1, 256])).toMatchObject({ width: 340, height: 256 });
    expect(rescaleSizeLikeMmcv(1920, 1080, [-1, 256])).toMatchObject({ width: 455, height: 256 });
    // a pair without −1 bounds both edges: 340/1920 < 256/1080, so the long edge decides
    expect(rescaleSizeLikeMmcv(1920, 1080, [340, 256])).toMatchObject({ width: 340, height: 191 });
    expect(rescaleSizeLikeMmcv(320, 240, 0.5)).toEqual({ width: 160, height: 120, scaleFactor: 0.5 });
    // int(x + 0.5) rounds halves up: 3 × 2.5 = 7.5 → 8
    expect(rescaleSizeLikeMmcv(3, 2, 2.5)).toMatchObject({ width: 8, height: 5 });
  });

  it('refuses scales that are not sizes, naming the value', () => {
    for (const scale of [0, -2, Number.NaN, [-1, -1], [0, 256], [-3, 256], [Infinity, 256]] as const) {
      let error: unknown;
      try {
        rescaleSizeLikeMmcv(176, 100, scale as number | [number, number]);
      } catch (e) {
        error = e;
      }
      expect(isTsmError(error) && error.code).toBe('E_BAD_SCALE');
    }
    expect(() => rescaleSizeLikeMmcv(176, 100, 0.001)).toThrow(/176×100 frame into 0×0/);
  });
});

describe('resizeLinearLikeOpenCV arguments', () => {
  it('refuses sizes, channels, short sources and windows that do not fit, by name', () => {
    const src = new Uint8Array(4 * 3 * 3);
    const bad: Array<[() => unknown, RegExp]> = [
      [() => resizeLinearLikeOpenCV(src, 0, 3, 3, 2, 2), /source size 0×3/],
      [() => resizeLinearLikeOpenCV(src, 4, 3, 3, 2, 1.5), /output size 2×1.5/],
      [() => resizeLinearLikeOpenCV(src, 4, 3, 5, 2, 2), /channels 5/],
      [() => resizeLinearLikeOpenCV(src, 4, 3, 3, 2, 2, { outputChannels: 4 }), /outputChannels 4/],
      [() => resizeLinearLikeOpenCV(src, 4, 4, 3, 2, 2), /holds 36 bytes, expected 4×4×3 = 48/],
      [
        () => resizeLinearLikeOpenCV(src, 4, 3, 3, 8, 6, { window: { left: 4, top: 0, width: 5, height: 2 } }),
        /window 5×2 at \(4, 0\)/,
      ],
    ];
    for (const [call, message] of bad) expect(call).toThrow(message);
  });
});

describe.runIf(haveCv2)('the JPEG decoder tsm uses (src/frames/decode.ts)', () => {
  it('gives the pixels cv2.imread gives (after BGR→RGB) on every jester-mini frame', async () => {
    const jpegs = readdirSync(CLIPS).sort().flatMap(clipFrames);
    expect(jpegs.length).toBeGreaterThan(2000);
    // hashes on both sides (the frames are ~150 MB of pixels); Python runs while this process decodes
    const list = join(dir, 'decode-all.json');
    writeFileSync(list, JSON.stringify(jpegs));
    const script =
      'import cv2, hashlib, json, sys\nfor p in json.load(open(sys.argv[1])):\n    ' +
      'print(hashlib.sha256(cv2.cvtColor(cv2.imread(p, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB).tobytes()).hexdigest())';
    const python = promisify(execFile)(PYTHON, ['-c', script, list], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const ours: string[] = [];
    for (const jpeg of jpegs) {
      const d = await decodeFrame(jpeg);
      const rgb = new Uint8Array(d.width * d.height * 3);
      for (let p = 0, q = 0; p < rgb.length; p += 3, q += d.channels) {
        rgb[p] = d.data[q];
        rgb[p + 1] = d.data[q + 1];
        rgb[p + 2] = d.data[q + 2];
      }
      ours.push(createHash('sha256').update(rgb).digest('hex'));
    }
    const theirs = (await python).stdout.trim().split('\n');
    expect(theirs.length).toBe(jpegs.length);
    expect(jpegs.filter((_, i) => ours[i] !== theirs[i])).toEqual([]);
  });
});
