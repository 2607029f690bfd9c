import { describe, expect, it } from 'vitest';
import { formatFrameName, formatTemplate, parseClipList } from '../../src/data/dataset.js';
import { sampleClips, stackedIndices, uniformIndices } from '../../src/frames/sampling.js';
import { cropBoxes, scaledSize } from '../../src/frames/transforms.js';
import { computeMetrics, topK } from '../../src/verify/metrics.js';

describe('frame sampling (TSNDataSet._get_test_indices)', () => {
  it('uniform: 37 frames, T=8 → 3,7,12,17,21,26,31,35 (the facts sheet example)', () => {
    expect(uniformIndices(37, 8)).toEqual([3, 7, 12, 17, 21, 26, 31, 35]);
  });
  it('uniform with fewer frames than segments repeats frames', () => {
    expect(uniformIndices(5, 8)).toEqual([1, 1, 2, 3, 3, 4, 5, 5]); // int(0.3125 + 0.625·x) + 1
  });
  it('twice adds the segment starts', () => {
    expect(sampleClips(37, 8, 'twice')).toEqual([
      [3, 7, 12, 17, 21, 26, 31, 35],
      [1, 5, 10, 14, 19, 24, 28, 33],
    ]);
  });
  it('dense: 10 clips of stride 64/T from linspace starts, wrapping modulo the frame count', () => {
    const clips = sampleClips(100, 8, 'dense');
    expect(clips).toHaveLength(10);
    // sample_pos = 37, starts = linspace(0, 36, 10) → 0, 4, 8, …, 36
    expect(clips.map((c) => c[0] - 1)).toEqual([0, 4, 8, 12, 16, 20, 24, 28, 32, 36]);
    expect(clips[0]).toEqual([1, 9, 17, 25, 33, 41, 49, 57]);
    expect(sampleClips(37, 8, 'dense')[0]).toEqual([1, 9, 17, 25, 33, 4, 12, 20]);
  });
});

describe('Flow sampling (new_length 5): values printed by the upstream formulas in Python', () => {
  it(
    'ticks over n − 5 + 1 frames, truncated toward zero as Python int() does, and ' + 'stacks clamp at the last frame',
    () => {
      expect(sampleClips(6, 8, 'uniform', 5)).toEqual([[1, 1, 1, 1, 2, 2, 2, 2]]);
      // fewer frames than new_length: negative ticks truncate to 0 (floor would give frame 0)
      expect(sampleClips(3, 8, 'uniform', 5)).toEqual([[1, 1, 1, 1, 1, 1, 1, 1]]);
      expect(sampleClips(40, 8, 'twice', 5)).toEqual([
        [3, 7, 12, 16, 21, 25, 30, 34],
        [1, 5, 10, 14, 19, 23, 28, 32],
      ]);
      expect(stackedIndices(4, 5, 6)).toEqual([4, 5, 6, 6, 6]);
      expect(stackedIndices(1, 5, 3)).toEqual([1, 2, 3, 3, 3]);
    },
  );

  it('flow templates format like str.format with several fields', () => {
    expect(formatTemplate('{:06d}-{}_{:05d}.jpg', [12, 'x', 3])).toBe('000012-x_00003.jpg');
    expect(formatTemplate('flow_{}_{:05d}.jpg', ['y', 7])).toBe('flow_y_00007.jpg');
  });
});

describe('clip lists and templates', () => {
  it('parses lines, and names bad ones by line number without failing', () => {
    const { clips, bad } = parseClipList('1 37 16\n\n2 x 3\n3 30 99\nonly_two 5\n4 33 0\n', 27);
    expect(clips).toEqual([
      { id: '1', frames: 37, label: 16, line: 1 },
      { id: '4', frames: 33, label: 0, line: 6 },
    ]);
    expect(bad.map((b) => b.line)).toEqual([3, 4, 5]);
    expect(bad[1].reason).toContain('0..26');
  });
  it('formats Python templates', () => {
    expect(formatFrameName('{:05d}.jpg', 7)).toBe('00007.jpg');
    expect(formatFrameName('img_{:05d}.jpg', 123)).toBe('img_00123.jpg');
    expect(formatFrameName('{:06d}.jpg', 1)).toBe('000001.jpg');
    expect(formatFrameName('frame{}.png', 12)).toBe('frame12.png');
  });
});

describe('transforms geometry', () => {
  it('scales the short side like torchvision Resize(256)', () => {
    expect(scaledSize(176, 100, 256)).toEqual({ width: 450, height: 256 });
    expect(scaledSize(100, 176, 256)).toEqual({ width: 256, height: 450 });
    expect(scaledSize(320, 240, 256)).toEqual({ width: 341, height: 256 });
  });
  it('centre crop rounds like Python (half to even)', () => {
    expect(cropBoxes(450, 256, 224, 1)).toEqual([{ left: 113, top: 16, size: 224, flip: false }]);
    expect(cropBoxes(341, 256, 224, 1)[0].left).toBe(58); // (341-224)/2 = 58.5 → 58
  });
  it('3 crops are left, right, centre; 10 crops are corners + centre, each flipped', () => {
    expect(cropBoxes(450, 256, 224, 3).map((b) => [b.left, b.top])).toEqual([
      [0, 16],
      [224, 16],
      [112, 16],
    ]);
    const ten = cropBoxes(450, 256, 224, 10);
    expect(ten).toHaveLength(10);
    expect(ten.filter((b) => b.flip)).toHaveLength(5);
    expect(ten.map((b) => [b.left, b.top])).toContainEqual([224, 32]);
  });
});

describe('metrics', () => {
  it('top-1, top-5, per-class and mean class accuracy from the confusion matrix', () => {
    const labels = ['a', 'b', 'c', 'd', 'e', 'f'];
    const one = (k: number) => labels.map((_, i) => (i === k ? 1 : i === 5 ? 0.5 : 0));
    const m = computeMetrics(labels, [
      { label: 0, scores: one(0) },
      { label: 0, scores: one(1) },
      { label: 1, scores: one(1) },
      { label: 2, scores: [0.1, 0.1, 0, 0.1, 0.1, 1] }, // wrong, and c ranks 6th of 6 → not in top 5
    ]);
    expect(m.top1).toBe(0.5);
    expect(m.top5).toBe(0.75);
    expect(m.perClass.filter((c) => c.clips).map((c) => c.accuracy)).toEqual([0.5, 1, 0]);
    expect(m.meanClassAccuracy).toBe(0.5);
    expect(m.confusion[0]).toEqual([1, 1, 0, 0, 0, 0]);
  });
  it('topK breaks ties by lower index', () => {
    expect(topK([1, 3, 3, 0], 2)).toEqual([1, 2]);
  });
});
