/**
 * Test-time frame indices of TSM's TSNDataSet._get_test_indices (ops/dataset.py), 1-based like the frame files.
 * Each returned array is one clip of T indices; several clips (twice, dense) are averaged like crops.
 */
export type SamplingMode = 'uniform' | 'twice' | 'dense';

export function uniformIndices(numFrames: number, segments: number): number[] {
  const tick = numFrames / segments;
  return Array.from({ length: segments }, (_, x) => Math.floor(tick / 2 + tick * x) + 1);
}

export function sampleClips(numFrames: number, segments: number, mode: SamplingMode): number[][] {
  if (mode === 'uniform') return [uniformIndices(numFrames, segments)];
  if (mode === 'twice') {
    const tick = numFrames / segments;
    return [uniformIndices(numFrames, segments), Array.from({ length: segments }, (_, x) => Math.floor(tick * x) + 1)];
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
