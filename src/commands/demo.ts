import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { TsmCommand } from '../cli/base-command.js';
import { type ConvertResult, convertCheckpoint } from '../convert/convert.js';
import { DEFAULT_CALIBRATION_CLIPS, quantizeCheckpoint } from '../convert/quantize.js';
import { TsmError } from '../errors.js';
import { verifyModel } from '../verify/verify.js';

interface DemoModel {
  readonly checkpoint: string;
  readonly onnx: string;
  readonly precision: 'float32' | 'int8';
  readonly bytes: number;
  readonly arch: ConvertResult['arch'];
  readonly top1: number;
  readonly top5: number;
  readonly meanClassAccuracy: number;
  /** steady state, after the first batch; set-up (conversion, session) apart */
  readonly clipsPerSecond: number;
  readonly setupSeconds: number;
  /**
   * top-1 on the clips after the first DEFAULT_CALIBRATION_CLIPS, for every model: the int8 export is calibrated on
   * those first clips, so only these compare it fairly with float
   */
  readonly heldOut: { readonly clips: number; readonly top1: number };
  readonly perClass: Record<string, number>;
}

export interface DemoResult {
  readonly dataset: string;
  readonly clips: number;
  readonly models: readonly DemoModel[];
}

/** The direction pairs of the mini set: a model that ignores time order cannot tell one from the other. */
const PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['Swiping Left', 'Swiping Right'],
  ['Swiping Up', 'Swiping Down'],
  ['Zooming In With Full Hand', 'Zooming Out With Full Hand'],
  ['Sliding Two Fingers Left', 'Sliding Two Fingers Right'],
];

export default class Demo extends TsmCommand {
  static override description =
    'The main job on the bundled defaults: convert the bundled TSM and TSN checkpoints and verify both on ' +
    'the bundled mini Jester set';
  static override examples = ['<%= config.bin %> demo', 'npm start'];
  static override flags = {
    models: Flags.string({ description: 'folder of checkpoints to convert and verify', default: 'fixtures/models' }),
    root: Flags.string({ description: 'Jester-layout dataset', default: 'fixtures/jester-mini' }),
    out: Flags.string({ description: 'where the ONNX files go', default: 'demo-output' }),
    int8: Flags.boolean({
      description: 'also an int8 export of each TSM checkpoint, calibrated on the first 20 clips',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<DemoResult> {
    const { flags } = await this.parse(Demo);
    let files: string[];
    try {
      files = readdirSync(flags.models)
        .filter((f) => /\.(pth|pth\.tar|pt)$/.test(f))
        .sort()
        .reverse(); // TSM_…shift… before TSM_…avg…
    } catch {
      throw new TsmError('input', 'E_NOT_FOUND', `${flags.models}: folder of bundled checkpoints not found`, {
        details: { file: flags.models },
      });
    }
    if (!files.length)
      throw new TsmError('input', 'E_NOT_FOUND', `${flags.models}: no checkpoints (.pth, .pth.tar, .pt) in it`);
    const models: DemoModel[] = [];
    let clips = 0;
    const score = async (checkpoint: string, converted: ConvertResult, precision: DemoModel['precision']) => {
      if (!this.jsonEnabled())
        this.log(
          `converted ${checkpoint} → ${converted.output} ` +
            `(${converted.arch.name}${precision === 'int8' ? ' int8' : ''}, ${(converted.bytes / 1e6).toFixed(1)} MB)`,
        );
      const verified = await verifyModel({ model: converted.output, dataset: 'jester', root: flags.root });
      clips = verified.clips;
      const heldOut = verified.predictions.slice(DEFAULT_CALIBRATION_CLIPS);
      models.push({
        checkpoint,
        onnx: converted.output,
        precision,
        bytes: converted.bytes,
        arch: converted.arch,
        top1: verified.top1,
        top5: verified.top5,
        meanClassAccuracy: verified.meanClassAccuracy,
        clipsPerSecond: verified.clipsPerSecond,
        setupSeconds: verified.timing.setupSeconds,
        heldOut: {
          clips: heldOut.length,
          top1: heldOut.filter((p) => p.prediction === p.label).length / heldOut.length,
        },
        perClass: Object.fromEntries(
          verified.perClass.filter((c) => c.clips > 0).map((c) => [c.label, c.accuracy as number]),
        ),
      });
    };
    for (const file of files) {
      const checkpoint = join(flags.models, file);
      const base = join(flags.out, file.replace(/\.(pth\.tar|pth|pt)$/, ''));
      const converted = convertCheckpoint({ input: checkpoint, output: `${base}.onnx` });
      await score(checkpoint, converted, 'float32');
      if (flags.int8 && converted.arch.kind === 'tsm') {
        await score(
          checkpoint,
          await quantizeCheckpoint({
            input: checkpoint,
            output: `${base}.int8.onnx`,
            calibration: { root: flags.root },
          }),
          'int8',
        );
      }
    }
    if (!this.jsonEnabled()) this.log(renderComparison(models, clips, flags.root));
    return { dataset: flags.root, clips, models };
  }
}

function renderComparison(models: readonly DemoModel[], clips: number, root: string): string {
  const pct = (x: number | undefined) => (x === undefined ? '   –   ' : `${(x * 100).toFixed(1).padStart(5)} %`);
  const names = models.map((m) => `${m.arch.name}${m.precision === 'int8' ? ' int8' : ''}`);
  const col = Math.max(...names.map((n) => n.length), 9);
  const classes = [...new Set(models.flatMap((m) => Object.keys(m.perClass)))];
  const label = Math.max(...classes.map((c) => c.length), 20);
  const lines = ['', `${clips} clips of ${root}, TSM test protocol (8 segments, 1 centre crop):`, ''];
  lines.push(`${''.padEnd(label)}  ${names.map((n) => n.padStart(col)).join('  ')}`);
  lines.push(`${'top-1'.padEnd(label)}  ${models.map((m) => pct(m.top1).padStart(col)).join('  ')}`);
  lines.push(
    `${`top-1, clips ${DEFAULT_CALIBRATION_CLIPS + 1}–${clips} *`.padEnd(label)}  ` +
      `${models.map((m) => pct(m.heldOut.top1).padStart(col)).join('  ')}`,
  );
  lines.push(`${'top-5'.padEnd(label)}  ${models.map((m) => pct(m.top5).padStart(col)).join('  ')}`);
  lines.push(`${'ONNX MB'.padEnd(label)}  ${models.map((m) => (m.bytes / 1e6).toFixed(1).padStart(col)).join('  ')}`);
  lines.push(
    `${'clips/s (steady)'.padEnd(label)}  ${models.map((m) => m.clipsPerSecond.toFixed(1).padStart(col)).join('  ')}`,
  );
  lines.push(`${'set-up s'.padEnd(label)}  ${models.map((m) => m.setupSeconds.toFixed(2).padStart(col)).join('  ')}`);
  lines.push(`* the clips int8 was not calibrated on (it saw clips 1–${DEFAULT_CALIBRATION_CLIPS})`);
  lines.push('', 'per class (the direction pairs first: only a model that sees time order can tell them apart)');
  const ordered = [
    ...PAIRS.flat().filter((c) => classes.includes(c)),
    ...classes.filter((c) => !PAIRS.flat().includes(c)),
  ];
  for (const c of ordered)
    lines.push(`${c.padEnd(label)}  ${models.map((m) => pct(m.perClass[c]).padStart(col)).join('  ')}`);
  return lines.join('\n');
}
