/**
 * Temporal shift as Slice + Pad + Concat (docs/upstream-tsm.md §2): on x viewed as [N, T, C, H·W], channels [0, fold)
 * take frame t+1 (zero at the last frame), channels [fold, 2·fold) take frame t−1 (zero at the first), the rest pass.
 * No ScatterND, no index tensors: the zero frame is a constant Pad of one step along T.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import { type Feature, type GraphContext, tensorChannels } from '../../onnx/graph.js';
import type { OpsetForms } from '../../onnx/opset.js';

export interface ShiftInput {
  readonly x: string;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly segments: number;
  readonly div: number;
  /** the channels the fold is a fraction of, when zero channels pad the tensor beyond them (default `channels`) */
  readonly realChannels?: number;
  /** the constant that stands for 0 (a uint8 tensor's zero point); default a literal 0 */
  readonly padValue?: string;
}

/** Where a shift is written: a builder and its opset's node forms (a GraphContext is one). */
export interface ShiftTarget {
  readonly g: GraphBuilder;
  readonly ops: OpsetForms;
}

export function addTemporalShift({ g, ops }: ShiftTarget, s: ShiftInput, name: string): string {
  const fold = Math.floor((s.realChannels ?? s.channels) / s.div);
  if (fold === 0) return s.x;
  const T = s.segments;
  const hw = s.height * s.width;
  const x5 = g.op('Reshape', [s.x, g.int64s(`${name}_ntc_shape`, [-1, T, s.channels, hw])], {}, `${name}_view`);
  const slice = (starts: number[], ends: number[], axes: number[], label: string) =>
    g.op(
      'Slice',
      [
        x5,
        g.int64s(`${name}_${label}_starts`, starts),
        g.int64s(`${name}_${label}_ends`, ends),
        g.int64s(`${name}_${label}_axes`, axes),
      ],
      {},
      `${name}_${label}`,
    );
  // pads for [N, T, C, HW]: all begins, then all ends
  const padT = (x: string, before: number, after: number, label: string) =>
    ops.pad(g, x, [0, before, 0, 0, 0, after, 0, 0], `${name}_${label}`, s.padValue);
  const future = padT(slice([1, 0], [T, fold], [1, 2], 'future'), 0, 1, 'future_pad');
  const past = padT(slice([0, fold], [T - 1, 2 * fold], [1, 2], 'past'), 1, 0, 'past_pad');
  const parts = [future, past];
  if (s.channels > 2 * fold) parts.push(slice([2 * fold], [s.channels], [2], 'rest'));
  const shifted = g.op('Concat', parts, { axis: 2 }, `${name}_concat`);
  return g.op(
    'Reshape',
    [shifted, g.int64s(`${name}_nchw_shape`, [-1, s.channels, s.height, s.width])],
    {},
    `${name}_out`,
  );
}

/** The shift of block `name` on feature f: bidirectional over the segments, or the online model's buffered one. */
export function shiftFeature(ctx: GraphContext, f: Feature, name: string): Feature {
  if (ctx.spec.kind === 'online') return onlineShift(ctx, f, name);
  const label = `${ctx.label(name)}.shift`;
  const width = tensorChannels(f);
  const x = ctx.moveData(f.x, label, (input, padValue) =>
    ctx.declareFrames(
      addTemporalShift(
        ctx,
        {
          x: input,
          channels: width,
          realChannels: f.c,
          height: f.h,
          width: f.w,
          segments: ctx.segmentsNow,
          div: ctx.spec.shift.div,
          padValue,
        },
        label,
      ),
      width,
      f.h,
      f.w,
      padValue ? 'uint8' : undefined,
    ),
  );
  return { ...f, x };
}

/**
 * The online demo's one-directional shift: the first C/div channels of this block's input are replaced by the
 * previous frame's (a buffer input), and the current ones become the next frame's buffer (an output).
 */
function onlineShift(ctx: GraphContext, f: Feature, name: string): Feature {
  const { g } = ctx;
  const fold = Math.floor(f.c / ctx.spec.shift.div);
  if (fold === 0) return f;
  const i = ctx.buffers.length;
  const shape = [1, fold, f.h, f.w];
  const input = g.input({ name: `shift_buffer_${i}`, elemType: 'float', shape: ['N', fold, f.h, f.w] });
  const output = `shift_buffer_${i}_out`;
  const base = ctx.label(name);
  const slice = (from: number, to: number, label: string) =>
    g.op(
      'Slice',
      [
        f.x,
        g.int64s(`${base}.${label}_starts`, [from]),
        g.int64s(`${base}.${label}_ends`, [to]),
        g.int64s(`${base}.${label}_axes`, [1]),
      ],
      {},
      `${base}.${label}`,
    );
  g.node('Identity', [slice(0, fold, 'buffer')], {}, { outputNames: [output] });
  const x = g.op('Concat', [input, slice(fold, tensorChannels(f), 'kept')], { axis: 1 }, `${base}.online_shift`);
  ctx.buffers.push({ input, output, shape, block: ctx.names.model(name) });
  return { ...f, x };
}
