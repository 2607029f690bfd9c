import { Args, Flags } from '@oclif/core';
import { TsmCommand } from '../../cli/base-command.js';
import { writeFileAtomically } from '../../onnx/write.js';
import { renderVerify } from '../../verify/render.js';
import { predictionsCsv, writeReport } from '../../verify/report.js';
import { loadParts, mergeParts } from '../../verify/shards.js';
import type { VerifyCommandResult } from '../verify.js';

export default class VerifyMerge extends TsmCommand {
  static override description =
    'Merge the part files of a sharded verify run into the result of one unsharded run (refuses parts of other runs, ' +
    'and missing or duplicated shards)';
  static override examples = [
    '<%= config.bin %> verify merge parts/ --report report/',
    '<%= config.bin %> verify merge parts/part-*.json --json',
  ];
  static override strict = false;
  static override args = { parts: Args.string({ description: 'part files, or folders of them', required: true }) };
  static override flags = {
    report: Flags.string({
      description: 'write predictions, per-class and confusion CSVs, a confusion PNG and verify.json into this folder',
    }),
    predictions: Flags.string({ description: 'write per-clip predictions to this CSV' }),
  };

  async run(): Promise<VerifyCommandResult & { parts: number }> {
    const { argv, flags } = await this.parse(VerifyMerge);
    const result = mergeParts(loadParts(argv as string[]));
    let report: Record<string, string> | undefined;
    if (flags.report) report = await writeReport(result, flags.report);
    if (flags.predictions) writeFileAtomically(flags.predictions, predictionsCsv(result));
    const { predictions: _p, ...summary } = result;
    if (!this.jsonEnabled()) this.log(`merged ${result.parts} part(s)\n${renderVerify(result, report)}`);
    return { ...summary, report, predictionsFile: flags.predictions };
  }
}
