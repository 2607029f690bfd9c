/**
 * What an MMAction2 checkpoint says beside its weights (docs/upstream-mmaction2.md): the merged config in `meta.cfg`
 * (1.x) or `meta.config` (0.x), read as data (src/config), else the file name (`…_1x1x8_…`: clip_len × frame_interval
 * × num_clips). From it: the segments and shift fold the graph needs, the settings the weights are checked against,
 * the non-local pairwise function the weights cannot show, and the test protocol convert writes into the model.
 */
import { readMmActionConfig } from '../config/mmaction2.js';
import type { MmActionSettings } from '../config/mmaction2-types.js';
import {
  MMACTION2_DEFAULT_PROTOCOL,
  type MmActionAveraging,
  type MmActionTestProtocol,
} from '../model/mmaction2-protocol.js';
import type { NonLocalMode } from '../model/spec.js';
import type { MetadataValue } from '../pth/checkpoint.js';
import type { TsmFileName } from './naming.js';
import type { LayoutFacts } from './tensors.js';

export interface MmActionContext {
  /** where the settings came from: `meta.cfg`, `meta.config`, or the file name */
  readonly said: string;
  /** the config's settings, when the file carries a config */
  readonly settings?: MmActionSettings;
  /** segments and the rest in the shape the MIT names give them (`partial`: only segments and fold are known) */
  readonly name?: TsmFileName;
  readonly partial: boolean;
  readonly nonLocal?: LayoutFacts['nonLocal'];
  readonly protocol: MmActionTestProtocol;
  readonly warnings: readonly string[];
}

/** `…_1x1x8_…` in an MMAction2 file name: clip_len × frame_interval × num_clips. */
const SAMPLING_NAME = /(?:^|[_-])(\d+)x(\d+)x(\d+)(?:[_-]|$)/;

function samplingFromName(file: string) {
  const m = SAMPLING_NAME.exec(file);
  return m ? { clipLen: Number(m[1]), frameInterval: Number(m[2]), numClips: Number(m[3]) } : undefined;
}

/** The non-local mode a file name spells (`nl-dot-product`, `nl_embedded_gaussian`, `nl-gaussian`). */
function nonLocalFromName(file: string): NonLocalMode | undefined {
  if (/nl[-_]dot[-_]product/.test(file)) return 'dot_product';
  if (/embedded[-_]gaussian/.test(file)) return 'embedded_gaussian';
  if (/nl[-_]gaussian/.test(file)) return 'gaussian';
  return undefined;
}

/** The published config name: the file's base name without `_<date>-<sha8>` (1.x) or `-<sha8>` (0.x). */
function configName(file: string): string | undefined {
  const base = file.replace(/^.*\//, '').replace(/\.pth$/, '');
  const stripped = base.replace(/_\d{8}-[0-9a-f]{8}$/, '').replace(/-[0-9a-f]{8}$/, '');
  return stripped !== base ? stripped : undefined;
}

function archOf(s: MmActionSettings): string {
  const type = s.backbone.type?.value ?? '';
  if (type.startsWith('MobileNetV2')) return 'mobilenetv2';
  return `resnet${s.backbone.depth?.value ?? 50}`;
}

/** The config's model settings in the shape MIT file names give them, so registry.ts checks them the same way. */
function nameFromSettings(s: MmActionSettings, segments: number | undefined): TsmFileName {
  const type = s.backbone.type?.value ?? '';
  const shifted = type.endsWith('TSM') && s.backbone.isShift?.value !== false;
  const place = type === 'MobileNetV2TSM' ? 'blockres' : (s.backbone.shiftPlace?.value ?? 'blockres');
  return {
    dataset: '',
    modality: 'RGB',
    arch: archOf(s),
    shiftDiv: shifted ? (s.backbone.shiftDiv?.value ?? 8) : undefined,
    shiftPlace: shifted ? place : undefined,
    temporalPool: s.backbone.temporalPool?.value === true,
    consensus: 'avg',
    segments: segments ?? 8,
    epochs: 0,
    dense: false,
    nonLocal: (s.backbone.nonLocal?.value ?? []).some((stage) => stage.some((x) => x === 1)),
  };
}

/** TSNHead averages every frame of a view (test num_clips × clip_len); TSMHead folds by num_segments. */
function segmentsOf(s: MmActionSettings): number | undefined {
  const sampling = s.testPipeline?.sampling;
  const frames = sampling?.numClips ? sampling.numClips.value * (sampling.clipLen?.value ?? 1) : undefined;
  if (s.head.type?.value === 'TSNHead') return frames ?? s.segments?.value;
  return s.segments?.value ?? frames;
}

function protocolFrom(
  s: MmActionSettings | undefined,
  release: '1.x' | '0.x',
  file: string,
  segments: number | undefined,
  warnings: string[],
): MmActionTestProtocol {
  const d = MMACTION2_DEFAULT_PROTOCOL;
  const p = s?.testPipeline;
  const silent: string[] = [];
  const pick = <T>(value: T | undefined, what: string, fallback: T): T => {
    if (value === undefined) silent.push(what);
    return value ?? fallback;
  };
  const sampling = p?.sampling;
  const scale = p?.resize?.scale?.value;
  const resize =
    scale && scale[0] !== -1 && p?.resize?.keepRatio?.value === false
      ? { width: scale[0], height: scale[1] }
      : { shortSide: pick(scale ? (scale[0] === -1 ? scale[1] : Math.min(...scale)) : undefined, 'Resize', 256) };
  const mean = s?.normalization.mean?.value;
  const std = s?.normalization.std?.value;
  const averaging = s?.head.averageClips;
  const name = configName(file);
  const startIndex = sampling?.startIndex?.value ?? s?.dataset.startIndex?.value;
  const protocol: MmActionTestProtocol = {
    release,
    ...(name ? { config: name } : {}),
    sampling: {
      clipLen: pick(sampling?.clipLen?.value, 'clip_len', d.sampling.clipLen),
      frameInterval: pick(sampling?.frameInterval?.value, 'frame_interval', d.sampling.frameInterval),
      numClips: pick(sampling?.numClips?.value, 'num_clips', segments ?? d.sampling.numClips),
      twiceSample: sampling?.twiceSample?.value ?? false,
    },
    ...(startIndex !== undefined ? { startIndex } : {}),
    resize,
    crop: {
      kind: pick(p?.crop?.kind.value, 'the crop', d.crop.kind),
      size: pick(p?.crop?.size?.value[0], 'crop_size', d.crop.size),
    },
    mean: pick(mean?.length === 3 ? [mean[0], mean[1], mean[2]] : undefined, 'mean', d.mean),
    std: pick(std?.length === 3 ? [std[0], std[1], std[2]] : undefined, 'std', d.std),
    averageClips: pick(
      averaging ? ((averaging.value ?? 'none') as MmActionAveraging) : undefined,
      'average_clips',
      d.averageClips,
    ),
  };
  if (silent.length) {
    warnings.push(
      `${s ? 'the config does not say' : 'no config in the file, so no'} ${silent.join(', ')}: the model's ` +
        "MMAction2 test protocol (tsm.mmaction2) uses MMAction2's TSM defaults there (8 clips, short side 256, " +
        'CenterCrop 224, ImageNet mean/std on 0-255, prob averaging)',
    );
  }
  return protocol;
}

/** The config of an MMAction2 checkpoint (its `meta` scalars), else its file name; `file` is the checkpoint's path. */
export function readMmActionContext(meta: Record<string, MetadataValue> | undefined, file: string): MmActionContext {
  const warnings: string[] = [];
  const key = typeof meta?.cfg === 'string' ? 'cfg' : typeof meta?.config === 'string' ? 'config' : undefined;
  const said = key ? `meta.${key}` : 'file name';
  const base = file.replace(/^.*\//, '');
  const settings = key
    ? readMmActionConfig(String(meta?.[key]), { source: `${base} ${said}`, release: key === 'cfg' ? '1.x' : '0.x' })
    : undefined;
  for (const w of settings?.warnings ?? []) warnings.push(`${said}: ${w.message}`);
  const fromName = samplingFromName(base);
  const segments = settings ? segmentsOf(settings) : fromName && fromName.clipLen * fromName.numClips;
  const oldName = !/pretrained-|\d+xb\d+/.test(base) && /_\d{8}-[0-9a-f]{8}\.pth$/.test(base);
  const release = settings?.release?.value ?? (key === 'cfg' ? '1.x' : key === 'config' || oldName ? '0.x' : '1.x');
  const cfg = settings?.backbone.nonLocalCfg;
  const mode = cfg?.mode?.value ?? nonLocalFromName(base);
  const nonLocal =
    mode && mode !== 'concatenation'
      ? { mode, useScale: cfg?.useScale?.value ?? false, from: cfg?.mode ? `${said} ${cfg.mode.from}` : said }
      : undefined;
  return {
    said,
    settings,
    name: settings ? nameFromSettings(settings, segments) : segments ? { ...PARTIAL_NAME, segments } : undefined,
    partial: !settings,
    nonLocal,
    protocol: protocolFrom(settings, release, base, segments, warnings),
    warnings,
  };
}

const PARTIAL_NAME: TsmFileName = {
  dataset: '',
  modality: 'RGB',
  arch: '',
  temporalPool: false,
  consensus: 'avg',
  segments: 8,
  epochs: 0,
  dense: false,
  nonLocal: false,
};
