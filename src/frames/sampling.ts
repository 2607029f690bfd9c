/**
 * Test-time frame indices of TSM's TSNDataSet._get_test_indices (ops/dataset.py), 1-based like the frame files.
 * Each returned array is one clip of T segment starts; several clips (twice, dense) are averaged like crops. With
 * `newLength` > 1 (Flow stacks 5 frames a segment) the uniform ticks span n − newLength + 1 frames; dense ignores it.
 */
export type SamplingMode = 'uniform' | 'twice' | 'dense';

export function uniformIndices(numFrames: number, segments: number, newLength = 1): number[] {
  const tick = (numFrames - newLength + 1) / segments;
  return Array.from({ length: segments }, (_, x) => Math.trunc(tick / 2 + tick * x) + 1);
}

export function sampleClips(numFrames: number, segments: number, mode: SamplingMode, newLength = 1): number[][] {
  if (mode === 'uniform') return [uniformIndices(numFrames, segments, newLength)];
  if (mode === 'twice') {
    const tick = (numFrames - newLength + 1) / segments;
    return [
      uniformIndices(numFrames, segments, newLength),
      Array.from({ length: segments }, (_, x) => Math.trunc(tick * x) + 1),
    ];
  }
  // dense: 10 clips of stride 64/T starting at linspace(0, max(1, 1 + nf − 64) − 1, 10) (numpy casts to int)
  const samplePos = Math.max(1, 1 + numFrames - 64);
  const stride = Math.floor(64 / segments);
  return Array.from({ length: 10 }, (_, k) => {
    // numpy: arange(10) * step + 0, with the endpoint set exactly
    const start = k === 9 ? samplePos - 1 : Math.floor(k * ((samplePos - 1) / 9));
    return Array.from({ length: segments }, (_, i) => ((i * stride + start) % numFrames) + 1);
  });
}

/**
 * The frames stacked for a segment starting at `start`: `newLength` consecutive indices that stop advancing at the
 * last frame (upstream's loader: load p, then p += 1 only while p < num_frames).
 */
export function stackedIndices(start: number, newLength: number, numFrames: number): number[] {
  const out: number[] = [];
  let p = start;
  for (let i = 0; i < newLength; i++) {
    out.push(p);
    if (p < numFrames) p++;
  }
  return out;
}
