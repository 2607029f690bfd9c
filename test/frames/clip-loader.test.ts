import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseLoaderThread } from '../../src/frames/clip-loader.js';
import type { Runner } from '../../src/inference/runner.js';
import { verifyModel as verifyFromSources } from '../../src/verify/verify.js';
import { ROOT } from '../helpers/cli.js';

/**
 * Clips load on a worker thread when tsm runs compiled (dist/), on the main thread from the TypeScript sources. Both
 * must feed the model the same bytes, report the same missing frames, and raise the same typed errors.
 */
const DIST_VERIFY = join(ROOT, 'dist/verify/verify.js');
const root = mkdtempSync(join(tmpdir(), 'tsm-loader-'));
const MINI = join(ROOT, 'fixtures/jester-mini');

/** A runner whose logits are checksums of each clip's input: equal logits mean equal inputs. */
function checksumRunner(classes: number): Runner {
  return {
    info: { inputName: 'video', segments: 8, size: 224, channels: 3, classes, frameInput: false, metadata: {} },
    async run(batch, clips) {
      const per = batch.length / clips;
      const out = new Float32Array(clips * classes);
      for (let c = 0; c < clips; c++) {
        for (let i = 0; i < per; i++) out[c * classes + (i % classes)] += batch[c * per + i] * (1 + (i % 7));
      }
      return out;
    },
    close: async () => undefined,
  };
}

async function writeFrame(dir: string, index: number, width: number, height: number, grey: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const jpg = await sharp({ create: { width, height, channels: 3, background: { r: grey, g: grey, b: grey } } })
    .jpeg()
    .toBuffer();
  writeFileSync(join(dir, `${String(index).padStart(5, '0')}.jpg`), jpg);
}

beforeAll(async () => {
  // clip 1: frame 7 is larger than the others, which the protocol cannot stack (E_FRAME_SIZE)
  for (let i = 1; i <= 12; i++) await writeFrame(join(root, '20bn-jester-v1', '1'), i, i === 7 ? 300 : 176, 100, 90);
  writeFileSync(join(root, 'category.txt'), 'a\nb\n');
  writeFileSync(join(root, 'val_videofolder.txt'), '1 12 0\n');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the clip loader thread', () => {
  it('auto puts the loader on a worker only where the session leaves a core free', () => {
    expect(chooseLoaderThread('auto', 2, 2)).toBe('main');
    expect(chooseLoaderThread(undefined, 2, 4)).toBe('worker');
    expect(chooseLoaderThread('auto', 4, 4)).toBe('main');
    expect(chooseLoaderThread('worker', 2, 2)).toBe('worker');
    expect(chooseLoaderThread('main', 1, 8)).toBe('main');
  });

  it('dist/ loads on a worker thread and feeds the model exactly what the main thread feeds it', async () => {
    expect(existsSync(DIST_VERIFY), 'dist/ is built by `npm test`').toBe(true);
    const { verifyModel } = await import(DIST_VERIFY);
    const options = { model: 'unused.onnx', dataset: 'jester', root: MINI, batch: 3, maxNum: 10 };
    const worker = await verifyModel({ ...options, runner: checksumRunner(27), loaderThread: 'worker' });
    const main = await verifyModel({ ...options, runner: checksumRunner(27), loaderThread: 'main' });
    const sources = await verifyFromSources({ ...options, runner: checksumRunner(27), loaderThread: 'worker' });
    expect(worker.timing.loaderThread).toBe('worker thread');
    expect(main.timing.loaderThread).toBe('main thread');
    expect(sources.timing.loaderThread).toBe('main thread');
    expect(worker.predictions).toHaveLength(10);
    expect(worker.predictions.map((p: { scores: readonly number[] }) => p.scores)).toEqual(
      main.predictions.map((p: { scores: readonly number[] }) => p.scores),
    );
    expect(sources.predictions.map((p: { scores: readonly number[] }) => p.scores)).toEqual(
      main.predictions.map((p: { scores: readonly number[] }) => p.scores),
    );
    // the checksums differ between clips: the comparison above is not between constants
    expect(new Set(worker.predictions.map((p: { scores: readonly number[] }) => p.scores[0])).size).toBe(10);
  });

  it('verifies that overlap share the worker, and one failing drops only its own batches', async () => {
    const { verifyModel } = await import(DIST_VERIFY);
    const mini = { model: 'unused.onnx', dataset: 'jester', root: MINI, batch: 2, maxNum: 8 };
    const expected = await verifyModel({ ...mini, runner: checksumRunner(27), loaderThread: 'main' });
    const [a, failed, b] = await Promise.all([
      verifyModel({ ...mini, runner: checksumRunner(27), loaderThread: 'worker' }),
      verifyModel({
        model: 'unused.onnx',
        dataset: 'jester',
        root,
        batch: 2,
        runner: checksumRunner(2),
        loaderThread: 'worker',
      }).then(
        () => undefined,
        (e: unknown) => e,
      ),
      verifyModel({ ...mini, runner: checksumRunner(27), loaderThread: 'worker' }),
    ]);
    expect(failed).toMatchObject({ code: 'E_FRAME_SIZE' });
    for (const r of [a, b]) {
      expect(r.timing.loaderThread).toBe('worker thread');
      expect(r.predictions.map((p: { scores: number[] }) => p.scores)).toEqual(
        expected.predictions.map((p: { scores: number[] }) => p.scores),
      );
    }
  });

  it('an error raised on the worker thread arrives typed, as the main thread raises it', async () => {
    const { verifyModel } = await import(DIST_VERIFY);
    const options = { model: 'unused.onnx', dataset: 'jester', root, batch: 2, runner: checksumRunner(2) };
    const fromWorker = await verifyModel({ ...options, loaderThread: 'worker' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const fromMain = await verifyModel({ ...options, loaderThread: 'main' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(fromMain).toMatchObject({ name: 'TsmError', code: 'E_FRAME_SIZE', family: 'input' });
    expect(fromWorker).toMatchObject({
      name: 'TsmError',
      code: 'E_FRAME_SIZE',
      family: 'input',
      message: (fromMain as Error).message,
    });
    // and the worker is still usable afterwards
    const ok = await verifyModel({
      model: 'unused.onnx',
      dataset: 'jester',
      root: MINI,
      batch: 2,
      maxNum: 2,
      runner: checksumRunner(27),
      loaderThread: 'worker',
    });
    expect(ok.timing.loaderThread).toBe('worker thread');
    expect(ok.predictions).toHaveLength(2);
  });
});
