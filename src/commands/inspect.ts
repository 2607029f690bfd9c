import { Args } from '@oclif/core';
import { TsmCommand } from '../cli/base-command.js';
import { readCheckpointFile } from '../pth/read.js';
import { summarizeCheckpoint, type CheckpointSummary } from '../pth/summary.js';

export type InspectResult = CheckpointSummary;

export default class Inspect extends TsmCommand {
  static override description = 'Show what a PyTorch checkpoint (.pth, .pth.tar, .pt) holds: format, metadata, tensors';
  static override examples = ['<%= config.bin %> inspect pretrained/TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e5.pth', '<%= config.bin %> inspect model.pth --json'];
  static override args = { file: Args.string({ description: 'checkpoint file', required: true }) };

  async run(): Promise<InspectResult> {
    const { args } = await this.parse(Inspect);
    const summary = summarizeCheckpoint(readCheckpointFile(args.file));
    if (!this.jsonEnabled()) this.log(renderSummary(summary));
    return summary;
  }
}

function renderSummary(s: CheckpointSummary): string {
  const lines: string[] = [];
  lines.push(`file        ${s.file}`);
  lines.push(`format      ${s.format}${s.protocol !== undefined ? ` (pickle protocol ${s.protocol})` : ''}, ${s.byteOrder}-endian`);
  if (s.sysInfo) lines.push(`sys_info    ${JSON.stringify(s.sysInfo)}`);
  lines.push(`weights     ${s.stateDictKey ? `under '${s.stateDictKey}'` : 'bare state dict'}`);
  for (const [k, v] of Object.entries(s.metadata)) lines.push(`${k.padEnd(11)} ${JSON.stringify(v)}`);
  if (s.otherEntries.length) lines.push(`also        ${s.otherEntries.join(', ')} (not read)`);
  lines.push(`tensors     ${s.tensorCount} (${(s.tensorBytes / 1e6).toFixed(2)} MB)`);
  lines.push(`parameters  ${s.parameterCount.toLocaleString('en-US')}${s.parameterCountExcludes.length ? ` (excluding ${s.parameterCountExcludes.join(', ')})` : ''}`);
  lines.push(`dtypes      ${Object.entries(s.dtypes).map(([d, n]) => `${d}×${n}`).join(', ')}`);
  lines.push('');
  const width = Math.max(4, ...s.tensors.map((t) => t.name.length));
  lines.push(`${'name'.padEnd(width)}  ${'dtype'.padEnd(8)}  shape`);
  for (const t of s.tensors) lines.push(`${t.name.padEnd(width)}  ${t.dtype.padEnd(8)}  [${t.shape.join(', ')}]`);
  return lines.join('\n');
}
