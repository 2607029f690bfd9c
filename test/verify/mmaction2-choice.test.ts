import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTsmError } from '../../src/errors.js';
import type { ModelInfo, Runner } from '../../src/inference/runner.js';
import { MMACTION2_PROTOCOL_KEY, type MmActionTestProtocol } from '../../src/model/mmaction2-protocol.js';
import { type VerifyOptions, verifyModel } from '../../src/verify/verify.js';
import { ROOT } from '../helpers/reference.js';

/**
 * Which protocol verify runs and with what settings: a model with `tsm.mmaction2` defaults to MMAction2's, flags
 * override its settings, bad values are typed errors naming the flag or the metadata field. The network is a stand-in
 * (logits from the views' pixels) so that these run without onnxruntime; parity with PyTorch is
 * mmaction2-parity.test.ts's.
 */
const MINI = join(ROOT, 'fixtures/jester-mini');

const PROTOCOL: MmActionTestProtocol = {
  release: '1.x',
  sampling: { clipLen: 1, frameInterval: 1, numClips: 8, twiceSample: false },
  resize: { shortSide: 64 },
  crop: { kind: 'center', size: 56 },
  mean: [123.675, 116.28, 103.53],
  std: [58.395, 57.12, 57.375],
  averageClips: 'prob',
};

function fakeRunner(metadata: Record<string, string>, size = 56): Runner {
  const info: ModelInfo = {
    inputName: 'input',
    segments: 8,
    size,
    channels: 3,
    classes: 27,
    frameInput: false,
    metadata,
    labels: undefined,
  };
  const view = 8 * 3 * size * size;
  return {
    info,
    run: async (batch, clips) => {
      const logits = new Float32Array(clips * 27);
      for (let c = 0; c < clips; c++) {
        let sum = 0;
        for (let i = 0; i < view; i += 97) sum += batch[c * view + i];
        for (let k = 0; k < 27; k++) logits[c * 27 + k] = Math.sin(sum * (k + 1) * 1e-3) * 5;
      }
      return logits;
    },
    close: async () => {},
  };
}

const withProtocol = (p: unknown) => ({ [MMACTION2_PROTOCOL_KEY]: typeof p === 'string' ? p : JSON.stringify(p) });
const run = (runner: Runner, extra: Partial<VerifyOptions> = {}) =>
  verifyModel({
    model: 'model.onnx',
    dataset: 'jester',
    root: MINI,
    maxNum: 3,
    runner,
    loaderThread: 'main',
    ...extra,
  });

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; details?: unknown }> {
  try {
    await p;
  } catch (e) {
    if (isTsmError(e)) return e;
    throw e;
  }
  throw new Error('expected a TsmError');
}

describe('the protocol a model gets', () => {
  it("a model with tsm.mmaction2 is verified under MMAction2's protocol, its settings recorded", async () => {
    const r = await run(fakeRunner(withProtocol(PROTOCOL)));
    expect(r.protocol.name).toBe('mmaction2');
    expect(r.protocol.viewsPerClip).toBe(1);
    expect(r.protocol.mmaction2).toMatchObject({ source: 'model', startIndex: 1, averageClips: 'prob' });
    expect(r.protocol.resize).toContain('OpenCV-exact INTER_LINEAR');
    // 'prob': the scores are a mean of softmaxes
    const sum = r.predictions[0].scores.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 6);
  });

  it("a model without it gets TSM's; --protocol tsm forces TSM's on one with it", async () => {
    expect((await run(fakeRunner({}))).protocol.name).toBe('tsm');
    const forced = await run(fakeRunner(withProtocol(PROTOCOL)), { protocol: 'tsm' });
    expect(forced.protocol.name).toBe('tsm');
    expect(forced.protocol.mmaction2).toBeUndefined();
  });

  it('--protocol mmaction2 on a model without metadata: the defaults at its input size, with a warning', async () => {
    const r = await run(fakeRunner({}), { protocol: 'mmaction2' });
    expect(r.protocol.mmaction2).toMatchObject({ source: 'defaults', resize: { shortSide: 64 }, crop: { size: 56 } });
    expect(r.warnings.join('\n')).toContain('carries no tsm.mmaction2');
  });

  it('flags override the model: --crop, --num-clips, --twice, --average, --start-index, --short-side', async () => {
    const runner = fakeRunner(withProtocol(PROTOCOL));
    const ten = await run(runner, { mmaction2: { crop: 'ten', numClips: 16, twiceSample: true, average: 'score' } });
    expect(ten.protocol.viewsPerClip).toBe(40); // 10 crops × 32 frames / 8 segments
    expect(ten.protocol.mmaction2).toMatchObject({
      crop: { kind: 'ten', size: 56 },
      sampling: { numClips: 16, twiceSample: true },
      averageClips: 'score',
    });
    expect(ten.predictions[0].scores.reduce((a, b) => a + b, 0)).not.toBeCloseTo(1, 3);
    const other = await run(runner, { mmaction2: { startIndex: 0, shortSide: 56, crop: 'three' } });
    expect(other.protocol.mmaction2).toMatchObject({ startIndex: 0, resize: { shortSide: 56 } });
    expect(other.protocol.viewsPerClip).toBe(3);
    // the scores follow the settings: another crop, another start index give other pixels
    expect(other.predictions[0].scores).not.toEqual((await run(runner)).predictions[0].scores);
  });
});

describe('bad values are typed errors that name the flag or the field', () => {
  const runner = fakeRunner(withProtocol(PROTOCOL));
  it('--num-clips that is not a multiple of the segments', async () => {
    const e = await failure(run(runner, { mmaction2: { numClips: 5 } }));
    expect(e.code).toBe('E_MMA_PROTOCOL');
    expect(e.message).toContain('--num-clips 5');
  });
  it('ThreeCrop with a short side other than the crop names --short-side', async () => {
    const e = await failure(run(runner, { mmaction2: { crop: 'three' } }));
    expect(e.code).toBe('E_MMA_CROP');
    expect((e as { hint?: string }).hint).toContain('--short-side 56');
  });
  it("TSM's flags under MMAction2's protocol, and MMAction2's under TSM's", async () => {
    const crops = await failure(run(runner, { crops: 3 }));
    expect([crops.code, crops.message]).toEqual(['E_FLAG_CONFLICT', expect.stringContaining('--crops 3')]);
    const dense = await failure(run(runner, { sampling: 'dense' }));
    expect(dense.message).toContain('--dense');
    const numClips = await failure(run(runner, { protocol: 'tsm', mmaction2: { numClips: 8 } }));
    expect([numClips.code, numClips.message]).toEqual(['E_FLAG_CONFLICT', expect.stringContaining('--num-clips')]);
    const plain = await failure(run(fakeRunner({}), { mmaction2: { average: 'score' } }));
    expect(plain.message).toContain(`has no ${MMACTION2_PROTOCOL_KEY} metadata`);
  });
  it('metadata not JSON, a field out of the contract, averageClips none, a crop size off the model', async () => {
    const notJson = await failure(run(fakeRunner(withProtocol('{oops'))));
    expect([notJson.code, notJson.message]).toEqual(['E_MMA_PROTOCOL', expect.stringContaining('not JSON')]);
    const badKind = await failure(run(fakeRunner(withProtocol({ ...PROTOCOL, crop: { kind: 'five', size: 56 } }))));
    expect(badKind.message).toContain('crop.kind');
    const badStd = await failure(run(fakeRunner(withProtocol({ ...PROTOCOL, std: [1, 0, 1] }))));
    expect(badStd.message).toContain('std');
    const none = await failure(run(fakeRunner(withProtocol({ ...PROTOCOL, averageClips: 'none' }))));
    expect(none.message).toContain('averageClips');
    const size = await failure(run(fakeRunner(withProtocol(PROTOCOL), 64)));
    expect([size.code, size.message]).toEqual(['E_MMA_PROTOCOL', expect.stringContaining('crop.size is 56')]);
  });
});
