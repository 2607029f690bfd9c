import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { MMACTION2_PROTOCOL_KEY, type MmActionTestProtocol } from '../../src/model/mmaction2-protocol.js';
import { averageViews } from '../../src/verify/protocols/mmaction2-average.js';
import {
  ensureMmaVariants,
  MMA_INSTALL,
  type MmaVariant,
  mmaPath,
  mmaRequirementsMet,
} from '../helpers/mma-reference.js';
import { maxAbsDiff, readF32 } from '../helpers/reference.js';
import { requireTool } from '../helpers/requirements.js';
import { fileTempDir } from '../helpers/tmp.js';

/**
 * MMAction2 checkpoints (tools/reference/mmaction2: 15 variants, 1.x and 0.x key sets and containers, zip and legacy,
 * with and without meta) converted by tsm and run by onnxruntime: per-view logits within 1e-4 of PyTorch's on the
 * clip and on its time reversal, reversal moving TSM's logits, and the non-local blocks mattering.
 */
const TOLERANCE = 1e-4;
const HISTORY_BUFFER = 'mmengine.logging.history_buffer.HistoryBuffer';
const ok = requireTool('MMAction2 references (torch, OpenCV, opencv-doc)', mmaRequirementsMet(), MMA_INSTALL);
const variants = ok ? ensureMmaVariants() : {};
const out = ok ? fileTempDir('tsm-mma-convert-') : '';
const table: string[] = [];

async function run(model: string, input: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
  try {
    const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, shape) });
    return result.logits.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** [views, T, …] with each view's frames in reverse order. */
function reverseFrames(clip: Float32Array, shape: number[]): Float32Array {
  const [n, t] = shape;
  const frame = clip.length / (n * t);
  const reversed = new Float32Array(clip.length);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < t; j++)
      reversed.set(clip.subarray((i * t + j) * frame, (i * t + j + 1) * frame), (i * t + (t - 1 - j)) * frame);
  return reversed;
}

function protocolOf(model: string): MmActionTestProtocol | undefined {
  const proto = onnxProto.onnx.ModelProto.decode(readFileSync(model));
  const entry = proto.metadataProps?.find((p) => p.key === MMACTION2_PROTOCOL_KEY);
  return entry?.value ? JSON.parse(entry.value) : undefined;
}

function kindOf(v: MmaVariant): string {
  const nl = v.nonLocalCfg ? ` nl-${v.nonLocalCfg.mode}${v.nonLocalCfg.use_scale ? '+scale' : ''}` : '';
  const place = v.shiftPlace ? ` ${v.shiftPlace}` : '';
  return `${v.kind}${v.depth ? `-${v.depth}` : ''}${place}${v.temporalPool ? ' tpool' : ''}${nl} ${v.head}`;
}

describe.runIf(ok)('MMAction2 checkpoints convert with PyTorch parity (max |Δlogit| ≤ 1e-4, per view)', () => {
  afterAll(() => {
    if (table.length)
      console.log(['kind | container | format | meta | max |Δ| | reversed max |Δ|', ...table].join('\n'));
  });
  for (const [id, v] of Object.entries(variants)) {
    const carried = v.meta ? ` with ${v.configText}` : ' without meta';
    it(`${id}: ${kindOf(v)}, ${v.container} ${v.format}${carried}`, async () => {
      const allowGlobals = v.container === 'unpublished-1.x' ? [HISTORY_BUFFER] : undefined;
      const result = convertCheckpoint({
        input: mmaPath(v),
        output: join(out, `${id}.onnx`),
        overrides: { size: v.inputShape[3] },
        allowGlobals,
      });
      expect(result.arch.segments).toBe(v.segments);
      expect(result.arch.numClasses).toBe(v.classes);
      expect(result.arch.kind).toBe(v.head === 'TSNHead' ? 'tsn' : 'tsm');
      expect(result.arch.shiftPlace).toBe(v.kind === 'ResNet' ? 'none' : (v.shiftPlace ?? 'blockres'));
      if (v.shiftDiv) expect(result.arch.shiftDiv).toBe(v.shiftDiv);
      expect(result.arch.temporalPool ?? false).toBe(v.temporalPool);
      expect(result.arch.nonLocal ?? false).toBe(v.nonLocalCfg !== null);

      const clip = readF32(mmaPath(v, 'input.f32'));
      const logits = await run(result.output, clip, v.inputShape);
      const expected = readF32(mmaPath(v, 'logits.f32'));
      expect(logits.length).toBe(expected.length);
      const delta = maxAbsDiff(logits, expected);
      expect(delta).toBeLessThanOrEqual(TOLERANCE);

      const reversedRef = readF32(mmaPath(v, 'reversed.f32'));
      const reversed = await run(result.output, reverseFrames(clip, v.inputShape), v.inputShape);
      const reversedDelta = maxAbsDiff(reversed, reversedRef);
      expect(reversedDelta).toBeLessThanOrEqual(TOLERANCE);
      // a TSM's logits move under time reversal (the shift is there and runs the right way); a TSN's do not
      const moved = maxAbsDiff(expected, reversedRef);
      if (v.head === 'TSMHead') expect(moved).toBeGreaterThan(0.05);
      else expect(moved).toBeLessThan(1e-3);

      if (v.nonLocalCfg) {
        // the blocks matter: the reference with every non-local block the identity is far from tsm's output
        const withoutNl = readF32(mmaPath(v, 'without_nl.f32'));
        expect(maxAbsDiff(logits, withoutNl)).toBeGreaterThan(100 * TOLERANCE);
      }

      const protocol = protocolOf(result.output);
      expect(protocol?.release).toBe(v.meta ? v.keySet : protocol?.release);
      // the clip's score as verify --protocol mmaction2 averages tsm's views: MMAction2's average_clips (scores.f32)
      expect(protocol?.head).toBe(v.head);
      const K = v.logitsShape[1];
      const scores = Float32Array.from(averageViews(logits, v.views, K, v.averageClips, protocol?.head));
      expect(maxAbsDiff(scores, readF32(mmaPath(v, 'scores.f32')))).toBeLessThanOrEqual(TOLERANCE);
      if (v.head === 'TSNHead' && v.views > 1 && v.averageClips === 'prob') {
        // TSNHead averages features before its fc: a per-view softmax would be off
        const perView = Float32Array.from(averageViews(logits, v.views, K, 'prob', 'TSMHead'));
        expect(maxAbsDiff(perView, readF32(mmaPath(v, 'scores.f32')))).toBeGreaterThan(1e-3);
      }
      if (v.meta) {
        expect(protocol?.sampling.numClips).toBe(v.pipeline.num_clips);
        expect(protocol?.sampling.twiceSample).toBe(v.pipeline.twice_sample ?? false);
        expect(protocol?.crop).toEqual({
          kind: { CenterCrop: 'center', ThreeCrop: 'three', TenCrop: 'ten' }[v.pipeline.crop],
          size: v.pipeline.crop_size,
        });
        expect(protocol?.resize).toEqual({ shortSide: v.pipeline.resize });
        expect(protocol?.averageClips).toBe(v.averageClips);
      } else {
        expect(result.warnings.some((w) => w.includes('no config in the file'))).toBe(true);
      }
      table.push(
        `${kindOf(v)} | ${v.container} | ${v.format} | ${v.meta ? v.configText : 'none'} | ` +
          `${delta.toExponential(2)} | ${reversedDelta.toExponential(2)}`,
      );
    }, 240_000);
  }
});
