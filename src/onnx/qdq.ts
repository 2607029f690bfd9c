/**
 * Static int8 quantisation in ONNX's QDQ form (QuantizeLinear / DequantizeLinear, opset 13): activations uint8
 * asymmetric per tensor from calibrated ranges, weights int8 symmetric per output channel, biases int32 at
 * scale input_scale · weight_scale (what onnxruntime needs to fuse DQ → Conv → Q into QLinearConv).
 */

/** The observed value range of one activation tensor over the calibration clips. */
export interface ActivationRange {
  readonly min: number;
  readonly max: number;
}

/** uint8 affine parameters: real = (q − zeroPoint) · scale. */
export interface ActivationQuant {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** Per-tensor uint8 parameters for a range; the range is widened to hold 0 so that zero (padding) is exact. */
export function activationQuant(range: ActivationRange): ActivationQuant {
  const lo = Math.min(range.min, 0);
  const hi = Math.max(range.max, 0);
  if (!(hi > lo) || !Number.isFinite(hi - lo)) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((hi - lo) / 255);
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale, zeroPoint };
}

export interface QuantizedWeights {
  readonly values: Int8Array;
  /** one per output channel */
  readonly scales: Float32Array;
}

/** int8 symmetric per output channel ([-127, 127], zero point 0), weights laid out [out, …]. */
export function quantizeWeightsPerChannel(weights: Float32Array, outChannels: number): QuantizedWeights {
  const per = weights.length / outChannels;
  const values = new Int8Array(weights.length);
  const scales = new Float32Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    let absMax = 0;
    for (let i = o * per, end = i + per; i < end; i++) absMax = Math.max(absMax, Math.abs(weights[i]));
    const scale = absMax > 0 ? Math.fround(absMax / 127) : 1;
    scales[o] = scale;
    for (let i = o * per, end = i + per; i < end; i++)
      values[i] = Math.max(-127, Math.min(127, Math.round(weights[i] / scale)));
  }
  return { values, scales };
}

const INT32_MAX = 2 ** 31 - 1;

/** Biases as int32 at scale inputScale · weightScale[o] (zero point 0), the scale the integer accumulator has. */
export function quantizeBias(
  bias: Float32Array,
  inputScale: number,
  weightScales: Float32Array,
): { values: Int32Array; scales: Float32Array } {
  const values = new Int32Array(bias.length);
  const scales = new Float32Array(bias.length);
  for (let o = 0; o < bias.length; o++) {
    scales[o] = Math.fround(inputScale * weightScales[o]);
    values[o] = Math.max(-INT32_MAX, Math.min(INT32_MAX, Math.round(bias[o] / scales[o])));
  }
  return { values, scales };
}

/** Running min/max of activation tensors, fed batch by batch. */
export class RangeObserver {
  private readonly mins: Float64Array;
  private readonly maxs: Float64Array;
  constructor(readonly points: number) {
    this.mins = new Float64Array(points).fill(Infinity);
    this.maxs = new Float64Array(points).fill(-Infinity);
  }

  observe(point: number, values: ArrayLike<number>): void {
    let lo = this.mins[point];
    let hi = this.maxs[point];
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.mins[point] = lo;
    this.maxs[point] = hi;
  }

  ranges(): ActivationRange[] {
    return Array.from({ length: this.points }, (_, i) => ({ min: this.mins[i], max: this.maxs[i] }));
  }
}
