import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { verifyModel } from '../../src/verify/verify.js';
import { runCli } from '../helpers/cli.js';
import { PYTHON, ROOT } from '../helpers/reference.js';
import { fileTempDir } from '../helpers/tmp.js';

const MODELS = join(ROOT, 'fixtures/models');
const MINI = join(ROOT, 'fixtures/jester-mini');
const tsmFile = readdirSync(MODELS).find((f) => f.includes('_shift8_'))!;
const tsnFile = readdirSync(MODELS).find((f) => f.startsWith('TSM_jester') && !f.includes('_shift'));
const out = fileTempDir('tsm-bundled-');
const PAIRS = [
  'Swiping Left',
  'Swiping Right',
  'Swiping Up',
  'Swiping Down',
  'Zooming In With Full Hand',
  'Zooming Out With Full Hand',
  'Sliding Two Fingers Left',
  'Sliding Two Fingers Right',
];

describe('the bundled TSM model on the mini Jester set, against the PyTorch reference evaluation', () => {
  it(
    'tsm verify gives the reference top-1/top-5 and the same prediction on every ' + 'clip, logits within 1e-4',
    async () => {
      const refPath = join(out, 'reference.json');
      const ref = JSON.parse(
        execFileSync(
          PYTHON,
          [join(ROOT, 'tools/reference/eval_jester.py'), join(MODELS, tsmFile), MINI, refPath, '--max-num', '40'],
          { encoding: 'utf8' },
        ).trim(),
      );
      const onnx = convertCheckpoint({ input: join(MODELS, tsmFile), output: join(out, 'tsm.onnx') }).output;
      const r = await verifyModel({ model: onnx, dataset: 'jester', root: MINI, maxNum: 40, reference: refPath });
      expect(r.clips).toBe(40);
      expect(r.parity!.clips).toBe(40); // every scored clip found in the reference
      expect(Math.abs(r.top1 - ref.top1) * 40).toBeLessThanOrEqual(1);
      expect(Math.abs(r.top5 - ref.top5) * 40).toBeLessThanOrEqual(1);
      expect(r.parity!.samePredictionFraction).toBeGreaterThanOrEqual(0.99);
      expect(r.parity!.maxAbsScoreDelta).toBeLessThanOrEqual(1e-4);
      // with libvips' resize instead of Pillow's the inputs differ by a few levels: predictions hold, logits move
      const viaSharp = await verifyModel({
        model: onnx,
        dataset: 'jester',
        root: MINI,
        maxNum: 40,
        reference: refPath,
        resize: 'sharp',
      });
      expect(viaSharp.parity!.maxAbsScoreDelta).toBeGreaterThan(1e-3);
    },
  );

  it(
    'reaches ≥ 90 % top-1 on all 80 clips (clips loaded on the worker thread), and the ' + 'report files are written',
    () => {
      const r = runCli([
        'verify',
        join(MODELS, tsmFile),
        '--root',
        MINI,
        '--report',
        join(out, 'report'),
        '--loader',
        'worker',
        '--json',
      ]);
      expect(r.status, r.stderr).toBe(0);
      const res = r.json();
      expect(res.clips).toBe(80);
      expect(res.top1).toBeGreaterThanOrEqual(0.9);
      expect(res.perClass).toHaveLength(27);
      expect(Object.keys(res.report).sort()).toEqual([
        'confusionCsv',
        'confusionPng',
        'json',
        'perClass',
        'predictions',
      ]);
      // the reported rates and times add up: overall rate × wall time = clips; set-up and first batch inside the wall
      // time
      expect(res.timing.overallClipsPerSecond * res.seconds).toBeCloseTo(80, 6);
      expect(res.timing.setupSeconds + res.timing.firstBatchSeconds).toBeLessThan(res.seconds);
      // steady state leaves the fixed costs out
      expect(res.clipsPerSecond).toBeGreaterThan(res.timing.overallClipsPerSecond);
      expect(res.timing.loaderThread).toBe('worker thread');
    },
  );

  it('TSN, which cannot see time order, is clearly worse on the direction pairs', () => {
    // bundled: never a skip
    expect(tsnFile, `no bundled TSN checkpoint (TSM_jester_…_avg_…) in ${MODELS}`).toBeDefined();
    const tsm = runCli(['verify', join(MODELS, tsmFile), '--root', MINI, '--json']).json();
    const tsn = runCli(['verify', join(MODELS, tsnFile!), '--root', MINI, '--json']).json();
    const pairAccuracy = (res: { perClass: Array<{ label: string; correct: number; clips: number }> }) => {
      const cls = res.perClass.filter((c) => PAIRS.includes(c.label));
      return cls.reduce((a, c) => a + c.correct, 0) / cls.reduce((a, c) => a + c.clips, 0);
    };
    expect(pairAccuracy(tsm) - pairAccuracy(tsn)).toBeGreaterThan(0.25);
  });

  it('examples/classify-clip.mjs picks a model from a zoo and classifies a clip', () => {
    const zoo = join(ROOT, 'zoo.json');
    const res = JSON.parse(
      execFileSync(
        process.execPath,
        [
          join(ROOT, 'examples/classify-clip.mjs'),
          join(MINI, '20bn-jester-v1/100001'),
          '--zoo',
          zoo,
          '--dataset',
          'jester-mini',
        ],
        { cwd: ROOT, encoding: 'utf8' },
      ),
    );
    expect(res.model).toMatch(/^tsm-mobilenetv2-jester-mini@/);
    expect(res.label).toBe('Swiping Left'); // clip 100001 is a Swiping Left (val list line 1, label 16)
  });
});
