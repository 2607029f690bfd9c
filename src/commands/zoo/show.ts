import { Args } from '@oclif/core';
import { TsmCommand } from '../../cli/base-command.js';
import { zooFlag } from '../../cli/zoo-flag.js';
import { loadZoo, resolveModel, type ZooEntry } from '../../zoo/index.js';
import { locateZoo } from '../../zoo/locate.js';

export default class ZooShow extends TsmCommand {
  static override description =
    'Show one zoo entry (ID or ID@RANGE; the highest matching version): a summary, or the raw entry with --json';
  static override args = { id: Args.string({ description: 'model id, optionally @version-range', required: true }) };
  static override flags = { zoo: zooFlag() };

  async run(): Promise<ZooEntry> {
    const { args, flags } = await this.parse(ZooShow);
    const [id, range] = args.id.split('@');
    const zoo = locateZoo(flags.zoo).location;
    const entry = resolveModel(loadZoo(zoo), { id, version: range, published: false }, zoo);
    if (!this.jsonEnabled()) this.log(renderEntry(entry));
    return entry;
  }
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const mb = (bytes: number) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`);

/** Inputs or outputs, with an online model's shift buffers counted rather than listed. */
function ioList(io: ZooEntry['artifacts'][number]['inputs']): string {
  const buffers = io.filter((x) => x.name.startsWith('shift_buffer_'));
  const named = io.filter((x) => !x.name.startsWith('shift_buffer_')).map((x) => `${x.name} [${x.shape.join(', ')}]`);
  return [...named, ...(buffers.length ? [`${buffers.length} shift buffers`] : [])].join(', ');
}

/** The entry as a person reads it; `--json` gives the entry itself. */
export function renderEntry(e: ZooEntry): string {
  const a = e.arch;
  const p = e.preprocessing;
  const rows: Array<[string, string]> = [];
  rows.push(['status', e.status]);
  rows.push(['task', `${e.task} on ${e.dataset}`]);
  const width = a.widthMultiplier && a.widthMultiplier !== 1 ? ` ×${a.widthMultiplier}` : '';
  const shift =
    a.shiftPlace === 'none'
      ? 'no temporal shift'
      : `shift ${a.shiftPlace}${a.shiftLayout ? ` (${a.shiftLayout})` : ''} ` +
        `1/${a.shiftDiv}${a.shiftedBlocks !== undefined ? ` on ${a.shiftedBlocks} blocks` : ''}`;
  const extras = [a.nonLocal && 'non-local', a.temporalPool && 'temporal pool', a.modality === 'Flow' && 'Flow input']
    .filter(Boolean)
    .join(', ');
  const same = (xs: readonly number[]) => xs.every((x) => x === xs[0]);
  const normalisation =
    p.channelOrder === 'flow-xy' && same(p.mean) && same(p.std)
      ? `${p.newLength ?? 5} x/y flow pairs a segment (${p.mean.length} channels), mean ${p.mean[0]}, std ` +
        `${p.std[0]} on every channel`
      : `mean [${p.mean.join(', ')}], std [${p.std.join(', ')}]`;
  rows.push([
    'arch',
    `${a.name}${width}: ${a.kind === 'online' || a.kind === 'image' ? 'one frame' : `${a.segments} segments`}, ` +
      `${shift}, ${a.numClasses} classes, ${a.inputSize} px${extras ? `, ${extras}` : ''}`,
  ]);
  rows.push([
    'preprocess',
    `${a.kind === 'online' || a.kind === 'image' ? 'each frame' : `${p.segments} segments (${p.sampling})`}: short ` +
      `side → ${p.scaleShortSide}, centre ${p.cropSize}², ${normalisation}, ${p.layout}`,
  ]);
  if (e.streaming)
    rows.push([
      'streaming',
      `every ${e.streaming.stride}th frame of ${e.streaming.fps} fps, logits over ${e.streaming.window} frames, ` +
        `reported after ${e.streaming.stableFrames} in a row`,
    ]);
  const v = e.verification;
  if (v) {
    const how = v.protocol.streaming
      ? `streamed at stride ${v.protocol.streaming.stride}, last reported gesture`
      : `${v.protocol.segments} segments, ${v.protocol.sampling}, ${v.protocol.crops} ` +
        `crop(s)${v.protocol.flipLabelMap ? ', flip label map' : ''}`;
    rows.push([
      'verified',
      `top-1 ${pct(v.top1)}, top-5 ${pct(v.top5)}, mean class ${pct(v.meanClassAccuracy)} on ${v.clips} clips of ` +
        `${v.dataset} ${v.split} (${how}); tsm ${v.toolVersion}, ${v.date}`,
    ]);
    if (v.parity)
      rows.push([
        'parity',
        `same prediction as ${v.parity.reference} on ${pct(v.parity.samePredictionFraction)} of clips, max |Δlogit| ` +
          `${v.parity.maxAbsLogitDelta.toExponential(2)}`,
      ]);
  } else {
    rows.push(['verified', 'no']);
  }
  if (e.reported) {
    const { top1, top5, protocol, source } = e.reported;
    const parts = [
      `top-1 ${pct(top1)}`,
      top5 !== undefined ? `, top-5 ${pct(top5)}` : '',
      protocol ? ` (${protocol})` : '',
    ];
    rows.push(['reported', `${parts.join('')}${source ? `, ${source}` : ''}`]);
  }
  for (const art of e.artifacts) {
    rows.push(['artifact', `${art.path ?? art.url}  ${mb(art.bytes)}  opset ${art.opset}  sha256 ${art.sha256}`]);
    if (art.path && art.url) rows.push(['  served at', art.url]);
    rows.push(['  io', `${ioList(art.inputs)} → ${ioList(art.outputs)}`]);
  }
  const s = e.source;
  rows.push(['source', `${s.fileName}${s.format ? ` (${s.format})` : ''}${s.sha256 ? `  sha256 ${s.sha256}` : ''}`]);
  for (const u of s.urls) rows.push(['  from', u]);
  if (e.card) rows.push(['card', e.card]);
  rows.push(['license', e.license]);
  if (e.notes) rows.push(['notes', e.notes]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return [
    `${e.id}@${e.version}${e.title ? ` — ${e.title}` : ''}`,
    ...rows.map(([k, val]) => `  ${k.padEnd(w)}  ${val}`),
  ].join('\n');
}
