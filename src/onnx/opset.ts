/**
 * The ONNX operator forms that differ between the opsets tsm writes (10–17), in one place: blocks ask for a Clip or
 * a constant Pad and get the form their graph's opset defines (ONNX Operators.md, the versions of each op).
 *
 * - Clip: opset 6–10 take `min`/`max` as float attributes; 11+ as optional inputs (tensors in the compute type).
 *   OpenCV's DNN importer (4.5–4.8) reads only the attribute form.
 * - Pad: opset 2–10 take `pads` (ints) and `value` (float) as attributes; 11+ take `pads` as an int64 input and the
 *   value as an optional input (which int8 graphs need: the pad value is a uint8 zero point).
 *
 * Every other op tsm writes means the same from opset 10 to 17 as tsm uses it: Slice (10 brought starts/ends/axes as
 * inputs; 11 only adds negative axes, which tsm never writes), Softmax (before 13 it flattens to 2-D at `axis`; tsm's
 * axis is always the last one), ReduceMean (axes attribute until 18), Gemm (C optional only from 11; tsm always gives
 * it), MaxPool (10 adds ceil_mode and dilations, left at their defaults), Conv, Relu, Add, Concat, Reshape, Transpose,
 * MatMul, Flatten, GlobalAveragePool, Cast, Identity. Features no opset-10 form exists for are refused by name:
 * FEATURE_MIN_OPSET.
 */
import { TsmError } from '../errors.js';
import type { GraphBuilder } from './builder.js';

export const SUPPORTED_OPSETS = Object.freeze({ min: 10, max: 17, default: 13 });

/** Export features that need a later opset than 10, with the operator change that brought them. */
export const FEATURE_MIN_OPSET = Object.freeze({
  int8: {
    flag: '--int8',
    opset: 13,
    why: "per-channel weight scales need QuantizeLinear/DequantizeLinear's axis attribute",
  },
} as const);

export type OpsetFeature = keyof typeof FEATURE_MIN_OPSET;

/** A usage error when `opset` is outside what tsm writes. */
export function checkOpset(opset: number): void {
  if (!Number.isInteger(opset) || opset < SUPPORTED_OPSETS.min || opset > SUPPORTED_OPSETS.max) {
    throw new TsmError(
      'usage',
      'E_BAD_FLAG',
      `--opset ${opset} is not supported; use ${SUPPORTED_OPSETS.min}–${SUPPORTED_OPSETS.max}`,
      {
        details: { flag: '--opset', expected: { min: SUPPORTED_OPSETS.min, max: SUPPORTED_OPSETS.max }, found: opset },
      },
    );
  }
}

/** A usage error naming the feature when `opset` predates the form it needs. */
export function requireOpsetFor(feature: OpsetFeature, opset: number): void {
  const need = FEATURE_MIN_OPSET[feature];
  if (opset >= need.opset) return;
  throw new TsmError(
    'usage',
    'E_BAD_FLAG',
    `${need.flag} needs opset ${need.opset} or later (${need.why}); got --opset ${opset}`,
    {
      hint: `drop --opset ${opset} (the default is ${SUPPORTED_OPSETS.default}) or export without ${need.flag}`,
      details: { flag: '--opset', feature, expected: `>= ${need.opset}`, found: opset },
    },
  );
}

/** Clip's bounds: their values, and (opset 11+) the constant edges holding them, made when first asked. */
export interface ClipBounds {
  readonly min: number;
  readonly max: number;
  readonly inputs: () => readonly [string, string];
}

/** The opset-dependent node forms for a graph of one opset. */
export interface OpsetForms {
  readonly opset: number;
  /** Clip(x) to [min, max]. */
  clip(g: GraphBuilder, x: string, bounds: ClipBounds): string;
  /**
   * Constant Pad of x by `pads` (all begins, then all ends), node `name`; `padValue` is the edge of the value (int8:
   * the zero point), default 0.
   */
  pad(g: GraphBuilder, x: string, pads: readonly number[], name: string, padValue?: string): string;
}

const ATTRIBUTE_FORMS = (opset: number): OpsetForms => ({
  opset,
  clip: (g, x, b) => g.op('Clip', [x], { max: { float: b.max }, min: { float: b.min } }),
  pad: (g, x, pads, name, padValue) => {
    // only int8 graphs pad with an edge, and int8 needs opset 13 (requireOpsetFor)
    if (padValue)
      throw new TsmError('bug', 'E_OPSET_FORM', `Pad '${name}' with a value edge cannot be written at opset ${opset}`);
    return g.op('Pad', [x], { mode: 'constant', pads: [...pads], value: { float: 0 } }, name);
  },
});

const INPUT_FORMS = (opset: number): OpsetForms => ({
  opset,
  clip: (g, x, b) => g.op('Clip', [x, ...b.inputs()]),
  pad: (g, x, pads, name, padValue) =>
    g.op('Pad', [x, g.int64s(`${name}_pads`, pads), ...(padValue ? [padValue] : [])], { mode: 'constant' }, name),
});

export function opsetForms(opset: number): OpsetForms {
  checkOpset(opset);
  return opset >= 11 ? INPUT_FORMS(opset) : ATTRIBUTE_FORMS(opset);
}
