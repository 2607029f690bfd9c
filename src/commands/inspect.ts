import { Args, Flags } from '@oclif/core';
import { keyLayoutOf } from '../arch/layouts/index.js';
import { findTsmName } from '../arch/naming.js';
import { detectArch } from '../arch/registry.js';
import { summarizeArch } from '../arch/summary.js';
import { archFeatureNames } from '../cli/arch-text.js';
import { TsmCommand } from '../cli/base-command.js';
import { isTsmError } from '../errors.js';
import type { MmActionTestProtocol } from '../model/mmaction2-protocol.js';
import type { ArchSpecSummary } from '../model/spec.js';
import { readCheckpointFile } from '../pth/read.js';
import { type CheckpointSummary, summarizeCheckpoint } from '../pth/summary.js';

export interface InspectResult extends CheckpointSummary {
  /** how the file names its tensors (src/arch/layouts), which decides what the names mean */
  readonly keyLayout: { readonly name: string; readonly describes: string };
  /** the architecture tsm convert would build, or why it cannot */
  readonly arch?: ArchSpecSummary;
  readonly archWarnings?: readonly string[];
  readonly archError?: { readonly code: string; readonly message: string };
  /** the TSM name segments and shift fold are read from: the file's own, or its run folder's */
  readonly configName?: { readonly from: 'file' | 'folder'; readonly name: string };
  /** MMAction2 files: where their settings came from (`meta.cfg`, `meta.config`, the file name) and the test
   * protocol convert writes as `tsm.mmaction2` */
  readonly mmaction2?: { readonly said: string; readonly protocol: MmActionTestProtocol };
}

export default class Inspect extends TsmCommand {
  static override description =
    'Show what a weights file (.pth, .pth.tar, .pt, .safetensors) holds: format, metadata, tensors';
  static override examples = [
    '<%= config.bin %> inspect pretrained/TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e5.pth',
    '<%= config.bin %> inspect model.pth --json',
  ];
  static override args = { file: Args.string({ description: 'checkpoint file', required: true }) };
  static override flags = {
    'allow-global': Flags.string({
      description: "a pickle global read as data outside the weights (repeatable; torch's add_safe_globals)",
      multiple: true,
    }),
  };

  async run(): Promise<InspectResult> {
    const { args, flags } = await this.parse(Inspect);
    const ckpt = readCheckpointFile(args.file, { allowGlobals: flags['allow-global'] });
    const layout = keyLayoutOf(ckpt.stateDict);
    const named = layout.name === 'mmaction2' ? undefined : findTsmName(args.file);
    let result: InspectResult = {
      ...summarizeCheckpoint(ckpt),
      keyLayout: { name: layout.name, describes: layout.describes },
      ...(named ? { configName: { from: named.from, name: named.name } } : {}),
    };
    try {
      const detected = detectArch(ckpt.stateDict, { fileName: args.file, meta: ckpt.meta });
      result = {
        ...result,
        arch: summarizeArch(detected.spec),
        archWarnings: detected.warnings,
        ...(detected.mmaction2 ? { mmaction2: detected.mmaction2 } : {}),
      };
    } catch (err) {
      if (!isTsmError(err) || err.kind === 'bug') throw err;
      result = { ...result, archError: { code: err.code, message: err.message } };
    }
    if (!this.jsonEnabled()) this.log(renderSummary(result));
    return result;
  }
}

/** The shift as inspect says it: `shift blockres (official) 1/8 on 10 blocks`, or none. */
function shiftText(a: ArchSpecSummary): string {
  if (a.shiftPlace === 'none') return 'no temporal shift';
  const layout = a.shiftLayout ? ` (${a.shiftLayout})` : '';
  return `shift ${a.shiftPlace}${layout} 1/${a.shiftDiv} on ${a.shiftedBlocks} blocks`;
}

function renderSummary(s: InspectResult): string {
  const lines: string[] = [];
  lines.push(`file        ${s.file}`);
  lines.push(
    `format      ` +
      `${s.format}${s.protocol !== undefined ? ` (pickle protocol ${s.protocol})` : ''}, ${s.byteOrder}-endian`,
  );
  if (s.format === 'safetensors')
    lines.push(`metadata    ${Object.keys(s.metadata).length ? '' : '(no __metadata__)'}`.trimEnd());
  if (s.sysInfo) lines.push(`sys_info    ${JSON.stringify(s.sysInfo)}`);
  lines.push(`weights     ${s.stateDictKey ? `under '${s.stateDictKey}'` : 'bare state dict'}`);
  lines.push(`key layout  ${s.keyLayout.name} (${s.keyLayout.describes})`);
  if (s.configName) {
    const from =
      s.configName.from === 'folder'
        ? `the folder name ${s.configName.name} (the file name carries none)`
        : 'the file name';
    lines.push(`config      from ${from}`);
  }
  if (s.mmaction2) {
    const p = s.mmaction2.protocol;
    const resize =
      'shortSide' in p.resize ? `short side ${p.resize.shortSide}` : `${p.resize.width}×${p.resize.height}`;
    lines.push(`config      MMAction2 ${p.release}, from ${s.mmaction2.said}`);
    lines.push(
      `protocol    ${p.sampling.numClips} clips${p.sampling.twiceSample ? ' (twice)' : ''}, ${resize}, ` +
        `${p.crop.kind} crop ${p.crop.size}, '${p.averageClips}' averaging (written as tsm.mmaction2)`,
    );
  }
  for (const [k, v] of Object.entries(s.metadata)) lines.push(`${k.padEnd(11)} ${JSON.stringify(v)}`);
  if (s.otherEntries.length) lines.push(`also        ${s.otherEntries.join(', ')} (not read)`);
  lines.push(`tensors     ${s.tensorCount} (${(s.tensorBytes / 1e6).toFixed(2)} MB)`);
  const excluding = s.parameterCountExcludes.length ? ` (excluding ${s.parameterCountExcludes.join(', ')})` : '';
  lines.push(`parameters  ${s.parameterCount.toLocaleString('en-US')}${excluding}`);
  lines.push(
    `dtypes      ${Object.entries(s.dtypes)
      .map(([d, n]) => `${d}×${n}`)
      .join(', ')}`,
  );
  if (s.arch) {
    const a = s.arch;
    const width = a.widthMultiplier && a.widthMultiplier !== 1 ? ` ×${a.widthMultiplier}` : '';
    const shape = a.kind === 'image' ? 'one-frame image classifier' : `${a.segments} segments, ${shiftText(a)}`;
    lines.push(
      `detected    ${[`${a.name}${width}`, shape, ...archFeatureNames(a), `${a.numClasses} classes`].join(', ')}`,
    );
    for (const w of s.archWarnings ?? []) lines.push(`            warning: ${w}`);
  } else if (s.archError) {
    lines.push(`detected    not convertible: ${s.archError.message}`);
  }
  lines.push('');
  const width = Math.max(4, ...s.tensors.map((t) => t.name.length));
  const dtypeWidth = Math.max(5, ...s.tensors.map((t) => t.dtype.length));
  lines.push(`${'name'.padEnd(width)}  ${'dtype'.padEnd(dtypeWidth)}  shape`);
  for (const t of s.tensors)
    lines.push(`${t.name.padEnd(width)}  ${t.dtype.padEnd(dtypeWidth)}  [${t.shape.join(', ')}]`);
  return lines.join('\n');
}
