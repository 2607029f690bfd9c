import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTsmError } from '../../src/errors.js';
import {
  mmActionCropBoxes,
  mmActionFrameIndices,
  mmActionNormalizeTable,
  mmActionResizedSize,
  mmActionViewsPerClip,
} from '../../src/frames/mmaction2-geometry.js';
import { PYTHON, ROOT } from '../helpers/reference.js';
import { requireTool } from '../helpers/requirements.js';

const tsmSampling = (numClips: number, twiceSample = false) => ({
  clipLen: 1,
  frameInterval: 1,
  numClips,
  twiceSample,
});

describe('SampleFrames in test mode (facts §5: idx_i = ⌊N(i+½)/n⌋ + start_index, twice_sample ⌊iN/n⌋, wrap)', () => {
  it('equals the facts formula, in exact integer arithmetic, for N = 1…300, n ∈ {1, 3, 8, 16}, start 0 and 1', () => {
    for (const n of [1, 3, 8, 16])
      for (let N = 1; N <= 300; N++)
        for (const start of [0, 1]) {
          const uniform = Array.from({ length: n }, (_, i) => Math.floor((N * (2 * i + 1)) / (2 * n)) + start);
          const starts = Array.from({ length: n }, (_, i) => Math.floor((i * N) / n) + start);
          expect(mmActionFrameIndices(N, tsmSampling(n), start)).toEqual(uniform);
          expect(mmActionFrameIndices(N, tsmSampling(n, true), start)).toEqual([...uniform, ...starts]);
        }
  });

  it('worked examples: 37 frames, 8 clips from frame folders (start 1) and from a video (start 0)', () => {
    expect(mmActionFrameIndices(37, tsmSampling(8), 1)).toEqual([3, 7, 12, 17, 21, 26, 31, 35]);
    expect(mmActionFrameIndices(37, tsmSampling(8), 0)).toEqual([2, 6, 11, 16, 20, 25, 30, 34]);
    expect(mmActionFrameIndices(37, tsmSampling(8, true), 0).slice(8)).toEqual([0, 4, 9, 13, 18, 23, 27, 32]);
  });

  it('wraps indices past the last frame (clip_len × interval longer than the offsets leave)', () => {
    // 10 frames, 2 clips of 4 frames 3 apart: avg = (10 − 12 + 1)/2 < 0 → offsets 0 (shorter than a clip)
    expect(mmActionFrameIndices(10, { clipLen: 4, frameInterval: 3, numClips: 2, twiceSample: false }, 0)).toEqual([
      0, 3, 6, 9, 0, 3, 6, 9,
    ]);
    // 12 frames: avg = 0.5, offsets int(0.25) = 0, int(0.75) = 0 → 0, 3, 6, 9; 20 frames: avg 4.5 → 2, 6
    expect(mmActionFrameIndices(20, { clipLen: 4, frameInterval: 3, numClips: 2, twiceSample: false }, 1)).toEqual([
      3, 6, 9, 12, 7, 10, 13, 16,
    ]);
    // 5 frames, a clip of 3 frames 3 apart is longer than the video: offset 0 → 0, 3, 6 mod 5 = 1
    expect(mmActionFrameIndices(5, { clipLen: 3, frameInterval: 3, numClips: 1, twiceSample: false }, 0)).toEqual([
      0, 3, 1,
    ]);
  });

  it('views: each crop’s frames in groups of T', () => {
    expect(mmActionViewsPerClip(tsmSampling(8), 'center', 8)).toBe(1);
    expect(mmActionViewsPerClip(tsmSampling(8, true), 'three', 8)).toBe(6);
    expect(mmActionViewsPerClip(tsmSampling(16), 'ten', 8)).toBe(20);
  });
});

const haveCv2 = requireTool(
  "Debian's Python with numpy (python3-numpy, python3-opencv)",
  spawnSync(PYTHON, ['-c', 'import numpy, cv2'], { stdio: 'ignore' }).status === 0,
  'apt-get install -y python3-numpy python3-opencv',
);

describe.runIf(haveCv2)(
  "against the reference pipeline's sample_frames (tools/reference/mmaction2/mma_pipeline.py)",
  () => {
    it('the same indices for 1…120 frames, 1/8/16 clips, clip_len 1/2/4, interval 1/3, twice, start 0/1', () => {
      const grid: Array<[number, number, number, number, boolean, number]> = [];
      for (let N = 1; N <= 120; N += 7)
        for (const n of [1, 8, 16])
          for (const len of [1, 2, 4])
            for (const interval of [1, 3])
              for (const twice of [false, true]) grid.push([N, n, len, interval, twice, N % 2]);
      const script =
        'import json, sys; sys.path.insert(0, sys.argv[1]); from mma_pipeline import sample_frames; ' +
        'print(json.dumps([sample_frames(*g) for g in json.loads(sys.stdin.read())]))';
      const r = spawnSync(PYTHON, ['-c', script, join(ROOT, 'tools/reference/mmaction2')], {
        input: JSON.stringify(grid),
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const python = JSON.parse(r.stdout) as number[][];
      const ours = grid.map(([N, numClips, clipLen, frameInterval, twiceSample, start]) =>
        mmActionFrameIndices(N, { clipLen, frameInterval, numClips, twiceSample }, start),
      );
      expect(ours).toEqual(python);
    });
  },
);

describe('Resize and crops in MMAction2’s order', () => {
  it('short side to S with int(x·sf + 0.5), or a fixed size', () => {
    expect(mmActionResizedSize(176, 100, { shortSide: 256 })).toEqual([451, 256]); // 176·2.56 = 450.56 → 451
    expect(mmActionResizedSize(720, 528, { shortSide: 128 })).toEqual([175, 128]); // 174.5 → 175
    expect(mmActionResizedSize(176, 100, { width: 224, height: 224 })).toEqual([224, 224]);
  });

  it('CenterCrop floors the offsets; ThreeCrop is left, right, middle along the long side; TenCrop flips each', () => {
    expect(mmActionCropBoxes(451, 256, 'center', 224)).toEqual([{ left: 113, top: 16, size: 224, flip: false }]);
    expect(mmActionCropBoxes(455, 256, 'three', 256).map((b) => [b.left, b.top])).toEqual([
      [0, 0],
      [198, 0],
      [99, 0],
    ]);
    expect(mmActionCropBoxes(256, 341, 'three', 256).map((b) => [b.left, b.top])).toEqual([
      [0, 0],
      [0, 84],
      [0, 42],
    ]);
    const ten = mmActionCropBoxes(451, 256, 'ten', 224);
    // steps (451 − 224)//4 = 56, (256 − 224)//4 = 8: UL, UR, LL, LR, centre, each followed by its flip
    expect(ten.map((b) => [b.left, b.top, b.flip])).toEqual(
      [
        [0, 0],
        [224, 0],
        [0, 32],
        [224, 32],
        [112, 16],
      ].flatMap(([x, y]) => [
        [x, y, false],
        [x, y, true],
      ]),
    );
  });

  it('refuses a ThreeCrop that does not span the short side, and a crop larger than the frame', () => {
    const threw = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      throw new Error('no error');
    };
    const three = threw(() => mmActionCropBoxes(451, 256, 'three', 224));
    expect(isTsmError(three) && three.code).toBe('E_MMA_CROP');
    expect((three as Error).message).toContain('ThreeCrop of 224');
    const big = threw(() => mmActionCropBoxes(200, 100, 'center', 112));
    expect(isTsmError(big) && big.code).toBe('E_MMA_CROP');
  });

  it('normalises (v − mean) / std in float32 on 0–255 values', () => {
    const t = mmActionNormalizeTable(123.675, 58.395);
    const f = Math.fround;
    expect(t[0]).toBe(f(f(-f(123.675)) / f(58.395)));
    expect(t[255]).toBeCloseTo((255 - 123.675) / 58.395, 6);
  });
});
