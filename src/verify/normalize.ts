/**
 * The normalisation of a byte channel value as torch computes it: ToTorchFormatTensor (`img.float().div(255)`) then
 * GroupNormalize (`sub_(m).div_(s)`), three float32 steps. A byte has 256 values, so it is a table: the JavaScript
 * loops and the SIMD kernels look values up in the same one.
 */

/**
 * v ↦ ((v / 255) − mean) / std for the 256 byte values, rounded to float32 after each step as torch does: the inputs
 * equal the reference's bit for bit (a float64 formula rounded once differs in the last bit for most values).
 */
export function torchNormalizeTable(mean: number, std: number): Float32Array {
  const f = Math.fround;
  return Float32Array.from({ length: 256 }, (_, v) => f(f(f(v / 255) - f(mean)) / f(std)));
}
