/**
 * The TSM/TSN settings of an MMAction2 training config (`meta.cfg` in 1.x files, `meta.config` in 0.x ones), read
 * from the merged config's data (python-literal.ts). Paths follow MMAction2 v1.2.0 and branch 0.x
 * (`../shared/MMACTION2-FACTS.md`):
 *
 * - model: `model.type`, `model.backbone.*` (ResNetTSM, ResNet, MobileNetV2TSM: depth, num_segments, shift_div,
 *   shift_place, temporal_pool, non_local + non_local_cfg, is_shift, pretrained…), `model.cls_head.*` (TSMHead, TSNHead);
 * - averaging: `model.cls_head.average_clips` (1.x), `model.test_cfg.average_clips` (0.x);
 * - normalisation: `model.data_preprocessor` (1.x), the test pipeline's Normalize step or `img_norm_cfg` (0.x);
 * - the test pipeline: `test_dataloader.dataset.pipeline` (1.x) or `data.test.pipeline` (0.x), which the test loop
 *   builds, before the top-level `test_pipeline` variable; the test dataset: `test_dataloader.dataset` / `data.test`.
 *
 * Every setting says where it came from (`from`, a dotted path). Where the config is silent a setting stays undefined
 * (MMAction2's class defaults are not filled in: the caller decides from the weights and the file name). A value of the
 * wrong type is an error (E_CONFIG_SETTING) naming its path; an unknown type name or option, and settings that
 * contradict each other, are warnings returned with the settings, never printed.
 */
import { TsmError } from '../errors.js';
import { describeValue, isPyDict, parsePythonConfig, type PythonConfigOptions, type PyDict, type PyValue } from './python-literal.js';

export interface Sourced<T> {
  readonly value: T;
  /** where in the config: `model.backbone.num_segments`, `test_dataloader.dataset.pipeline[1].num_clips` */
  readonly from: string;
}

export type MmActionRelease = '1.x' | '0.x';

export interface ConfigWarning {
  readonly code: 'W_CONFIG_UNKNOWN_TYPE' | 'W_CONFIG_UNKNOWN_VALUE' | 'W_CONFIG_MISMATCH' | 'W_CONFIG_RELEASE';
  readonly path: string;
  readonly message: string;
}

export const SHIFT_PLACES = ['blockres', 'block'] as const;
export const NON_LOCAL_MODES = ['embedded_gaussian', 'dot_product', 'gaussian', 'concatenation'] as const;
export const AVERAGE_CLIPS = ['prob', 'score'] as const;
export const KNOWN_RECOGNIZERS = ['Recognizer2D'] as const;
export const KNOWN_BACKBONES = ['ResNetTSM', 'ResNet', 'MobileNetV2TSM', 'MobileNetV2'] as const;
export const KNOWN_HEADS = ['TSMHead', 'TSNHead'] as const;
/** blocks per stage of MMAction2's ResNet (`resnet.py` arch_settings) */
export const RESNET_STAGE_BLOCKS: Readonly<Record<number, readonly number[]>> = Object.freeze({
  18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3],
});
const VIDEO_DECODERS = ['DecordInit', 'OpenCVInit', 'PyAVInit'];
const FRAME_DECODERS = ['RawFrameDecode'];
const SAMPLERS = ['SampleFrames', 'DenseSampleFrames'] as const;
const CROPS: Readonly<Record<string, 'center' | 'three' | 'ten'>> = Object.freeze({ CenterCrop: 'center', ThreeCrop: 'three', TenCrop: 'ten' });

export interface MmActionBackbone {
  readonly type?: Sourced<string>;
  readonly depth?: Sourced<number>;
  readonly numSegments?: Sourced<number>;
  readonly isShift?: Sourced<boolean>;
  readonly shiftDiv?: Sourced<number>;
  readonly shiftPlace?: Sourced<(typeof SHIFT_PLACES)[number]>;
  readonly temporalPool?: Sourced<boolean>;
  /** per stage, one flag a block: 1 where the block is followed by a non-local block */
  readonly nonLocal?: Sourced<readonly (readonly (0 | 1)[])[]>;
  readonly nonLocalCfg: {
    readonly mode?: Sourced<(typeof NON_LOCAL_MODES)[number]>;
    readonly useScale?: Sourced<boolean>;
    readonly subSample?: Sourced<boolean>;
  };
  readonly pretrained?: Sourced<string | null>;
  readonly pretrained2d?: Sourced<boolean>;
  readonly widenFactor?: Sourced<number>;
}

export interface MmActionHead {
  readonly type?: Sourced<string>;
  readonly numClasses?: Sourced<number>;
  readonly inChannels?: Sourced<number>;
  readonly isShift?: Sourced<boolean>;
  readonly numSegments?: Sourced<number>;
  readonly temporalPool?: Sourced<boolean>;
  readonly consensus?: Sourced<string>;
  readonly spatialType?: Sourced<string>;
  /** 'prob': softmax each view, then mean; 'score': mean of the raw scores; null: no averaging */
  readonly averageClips?: Sourced<(typeof AVERAGE_CLIPS)[number] | null>;
}

export interface MmActionNormalization {
  /** on 0–255 values, in the channel order the decoder gives (RGB for decord and for `channel_order='rgb'` frames) */
  readonly mean?: Sourced<readonly number[]>;
  readonly std?: Sourced<readonly number[]>;
  /** 0.x Normalize: swap RGB → BGR before normalising */
  readonly toBgr?: Sourced<boolean>;
  /** 1.x ActionDataPreprocessor: swap BGR → RGB before normalising */
  readonly toRgb?: Sourced<boolean>;
}

export interface MmActionSampling {
  readonly type: Sourced<(typeof SAMPLERS)[number]>;
  readonly clipLen?: Sourced<number>;
  readonly frameInterval?: Sourced<number>;
  readonly numClips?: Sourced<number>;
  readonly twiceSample?: Sourced<boolean>;
  readonly testMode?: Sourced<boolean>;
  readonly startIndex?: Sourced<number>;
  readonly outOfBoundOpt?: Sourced<string>;
  /** DenseSampleFrames */
  readonly sampleRange?: Sourced<number>;
  readonly numSamplePositions?: Sourced<number>;
}

export interface MmActionPipeline {
  readonly from: string;
  /** each step's type, in order */
  readonly steps: readonly string[];
  readonly decode?: Sourced<'video' | 'frames'>;
  /** the step that says so: DecordInit, OpenCVInit, PyAVInit or RawFrameDecode */
  readonly decoder?: Sourced<string>;
  readonly sampling?: MmActionSampling;
  readonly resize?: {
    /** (w, h); -1 keeps the aspect ratio (MMAction2 scales the short side to the other value) */
    readonly scale?: Sourced<readonly [number, number]>;
    readonly scaleFactor?: Sourced<number>;
    readonly keepRatio?: Sourced<boolean>;
    readonly interpolation?: Sourced<string>;
  };
  readonly crop?: { readonly kind: Sourced<'center' | 'three' | 'ten'>; readonly size?: Sourced<readonly [number, number]> };
  readonly flip?: { readonly flipRatio?: Sourced<number> };
  readonly inputFormat?: Sourced<string>;
}

export interface MmActionDataset {
  readonly type?: Sourced<string>;
  readonly filenameTmpl?: Sourced<string>;
  readonly startIndex?: Sourced<number>;
  readonly modality?: Sourced<string>;
}

export interface MmActionSettings {
  readonly release?: Sourced<MmActionRelease>;
  readonly recognizer?: Sourced<string>;
  readonly backbone: MmActionBackbone;
  readonly head: MmActionHead;
  /** the model's segments: the backbone's num_segments, else the head's */
  readonly segments?: Sourced<number>;
  readonly normalization: MmActionNormalization;
  readonly testPipeline?: MmActionPipeline;
  readonly dataset: MmActionDataset;
  readonly warnings: readonly ConfigWarning[];
}

export interface MmActionSettingsOptions {
  /** names the config in errors, e.g. `model.pth meta.cfg` (default `config`) */
  readonly source?: string;
  /** the release the file says it is (a `meta.cfg` key is 1.x, `meta.config` 0.x); the config's own evidence is checked against it */
  readonly release?: MmActionRelease;
}

// ------------------------------------------------------------------------------------------------- typed reads

interface Kind<T> {
  readonly expected: string;
  accept(value: PyValue): T | undefined;
}

const INT: Kind<number> = { expected: 'an integer', accept: (v) => (typeof v === 'number' && Number.isInteger(v) ? v : undefined) };
const POSITIVE_INT: Kind<number> = { expected: 'an integer ≥ 1', accept: (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : undefined) };
const NONNEGATIVE_INT: Kind<number> = { expected: 'an integer ≥ 0', accept: (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined) };
const NUMBER: Kind<number> = { expected: 'a number', accept: (v) => (typeof v === 'number' ? v : undefined) };
const STRING: Kind<string> = { expected: 'a string', accept: (v) => (typeof v === 'string' ? v : undefined) };
const STRING_OR_NONE: Kind<string | null> = { expected: 'a string or None', accept: (v) => (typeof v === 'string' || v === null ? v : undefined) };
/** Python's truth of a flag: True/False, or the ints 0/1 some configs write */
const FLAG: Kind<boolean> = { expected: 'True or False', accept: (v) => (typeof v === 'boolean' ? v : v === 0 || v === 1 ? v === 1 : undefined) };
const NUMBERS: Kind<readonly number[]> = {
  expected: 'a list of numbers',
  accept: (v) => (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number') ? (v as readonly number[]) : undefined),
};
/** crop_size / scale: an int for a square, or (w, h) */
const PAIR: Kind<readonly [number, number]> = {
  expected: 'an integer or a pair (w, h)',
  accept: (v) => {
    if (typeof v === 'number' && Number.isInteger(v)) return [v, v];
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0] as number, v[1] as number];
    return undefined;
  },
};
const NON_LOCAL: Kind<readonly (readonly (0 | 1)[])[]> = {
  expected: 'one sequence of 0/1 a stage',
  accept: (v) => {
    if (!Array.isArray(v) || !v.every((stage) => Array.isArray(stage) && stage.every((x) => x === 0 || x === 1 || typeof x === 'boolean'))) return undefined;
    return v.map((stage) => (stage as readonly PyValue[]).map((x) => (x === 1 || x === true ? 1 : 0)));
  },
};

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

class SettingsReader {
  readonly warnings: ConfigWarning[] = [];

  constructor(readonly source: string) {}

  error(path: string, expected: string, found: PyValue | undefined): never {
    throw new TsmError('input', 'E_CONFIG_SETTING', `${this.source}: ${path} should be ${expected}, found ${describeValue(found)}`, {
      details: { source: this.source, path, expected, found: describeValue(found) },
    });
  }

  warn(code: ConfigWarning['code'], path: string, message: string): void {
    this.warnings.push({ code, path, message: `${path}: ${message}` });
  }

  /** The dict at a path below `root` (itself at `at`), or undefined where it is absent or None (`train_cfg=None`). */
  dict(root: PyDict, path: string, at = ''): PyDict | undefined {
    let value: PyValue | undefined = root;
    for (const key of path.split('.')) {
      if (!isPyDict(value)) return undefined;
      value = Object.hasOwn(value, key) ? value[key] : undefined;
    }
    if (value === undefined || value === null) return undefined;
    if (!isPyDict(value)) this.error(childPath(at, path), 'a dict', value);
    return value;
  }

  read<T>(dict: PyDict | undefined, path: string, key: string, kind: Kind<T>): Sourced<T> | undefined {
    if (!dict || !Object.hasOwn(dict, key)) return undefined;
    const raw = dict[key];
    const from = childPath(path, key);
    const value = kind.accept(raw);
    if (value === undefined) this.error(from, kind.expected, raw);
    return { value, from };
  }

  /** A string that must be one of a few; any other string is a warning and leaves the setting unset. */
  oneOf<T extends string>(dict: PyDict | undefined, path: string, key: string, allowed: readonly T[], what: string): Sourced<T> | undefined {
    const found = this.read(dict, path, key, STRING);
    if (!found) return undefined;
    if ((allowed as readonly string[]).includes(found.value)) return found as Sourced<T>;
    this.warn('W_CONFIG_UNKNOWN_VALUE', found.from, `${what} '${found.value}' is none of ${allowed.join(', ')}; left unset`);
    return undefined;
  }

  /** A component's `type`: unknown names are kept (the caller refuses them by name) and warned about. */
  type(dict: PyDict | undefined, path: string, known: readonly string[], what: string): Sourced<string> | undefined {
    const found = this.read(dict, path, 'type', STRING);
    if (found && !known.includes(found.value)) {
      this.warn('W_CONFIG_UNKNOWN_TYPE', found.from, `${what} '${found.value}' is not one tsm knows (${known.join(', ')})`);
    }
    return found;
  }
}

// ------------------------------------------------------------------------------------------------- the settings

function detectRelease(config: PyDict, r: SettingsReader, given: MmActionRelease | undefined): Sourced<MmActionRelease> | undefined {
  const model = isPyDict(config.model) ? config.model : undefined;
  const evidence: Array<Sourced<MmActionRelease>> = [];
  if (model && isPyDict(model.data_preprocessor)) evidence.push({ value: '1.x', from: 'model.data_preprocessor' });
  if (isPyDict(config.test_dataloader)) evidence.push({ value: '1.x', from: 'test_dataloader' });
  if (isPyDict(config.data) && isPyDict(config.data.test)) evidence.push({ value: '0.x', from: 'data.test' });
  if (model && isPyDict(model.test_cfg) && Object.hasOwn(model.test_cfg, 'average_clips')) evidence.push({ value: '0.x', from: 'model.test_cfg.average_clips' });
  if (isPyDict(config.img_norm_cfg)) evidence.push({ value: '0.x', from: 'img_norm_cfg' });
  const kinds = new Set(evidence.map((e) => e.value));
  if (kinds.size > 1) {
    r.warn('W_CONFIG_RELEASE', evidence.map((e) => e.from).join(', '), `the config has both MMAction2 1.x (${evidence.filter((e) => e.value === '1.x').map((e) => e.from).join(', ')}) and 0.x (${evidence.filter((e) => e.value === '0.x').map((e) => e.from).join(', ')}) settings`);
  }
  if (given && evidence.length && !kinds.has(given)) {
    r.warn('W_CONFIG_RELEASE', evidence[0].from, `the file is MMAction2 ${given}, but its config has ${evidence[0].value} settings (${evidence[0].from})`);
  }
  return (given && evidence.find((e) => e.value === given)) || evidence[0];
}

function readBackbone(model: PyDict | undefined, r: SettingsReader): MmActionBackbone {
  const path = 'model.backbone';
  const b = model ? r.dict(model, 'backbone', 'model') : undefined;
  const cfgPath = `${path}.non_local_cfg`;
  const cfg = b ? r.dict(b, 'non_local_cfg', path) : undefined;
  const backbone: MmActionBackbone = {
    type: r.type(b, path, KNOWN_BACKBONES, 'backbone'),
    depth: r.read(b, path, 'depth', POSITIVE_INT),
    numSegments: r.read(b, path, 'num_segments', POSITIVE_INT),
    isShift: r.read(b, path, 'is_shift', FLAG),
    shiftDiv: r.read(b, path, 'shift_div', POSITIVE_INT),
    shiftPlace: r.oneOf(b, path, 'shift_place', SHIFT_PLACES, 'shift place'),
    temporalPool: r.read(b, path, 'temporal_pool', FLAG),
    nonLocal: r.read(b, path, 'non_local', NON_LOCAL),
    nonLocalCfg: {
      mode: r.oneOf(cfg, cfgPath, 'mode', NON_LOCAL_MODES, 'non-local mode'),
      useScale: r.read(cfg, cfgPath, 'use_scale', FLAG),
      subSample: r.read(cfg, cfgPath, 'sub_sample', FLAG),
    },
    pretrained: r.read(b, path, 'pretrained', STRING_OR_NONE),
    pretrained2d: r.read(b, path, 'pretrained2d', FLAG),
    widenFactor: r.read(b, path, 'widen_factor', NUMBER),
  };
  const stages = backbone.depth ? RESNET_STAGE_BLOCKS[backbone.depth.value] : undefined;
  if (backbone.depth && !stages && backbone.type?.value.startsWith('ResNet')) {
    r.warn('W_CONFIG_UNKNOWN_VALUE', backbone.depth.from, `ResNet depth ${backbone.depth.value} is none of ${Object.keys(RESNET_STAGE_BLOCKS).join(', ')}`);
  }
  if (backbone.nonLocal && stages) {
    const lengths = backbone.nonLocal.value.map((s) => s.length);
    if (lengths.length !== stages.length || lengths.some((n, i) => n !== stages[i])) {
      r.warn('W_CONFIG_MISMATCH', backbone.nonLocal.from, `has (${lengths.join(', ')}) flags a stage, ResNet-${backbone.depth!.value} has (${stages.join(', ')}) blocks`);
    }
  }
  return backbone;
}

function readHead(model: PyDict | undefined, r: SettingsReader, release: MmActionRelease | undefined): MmActionHead {
  const path = 'model.cls_head';
  const h = model ? r.dict(model, 'cls_head', 'model') : undefined;
  const consensus = h ? r.dict(h, 'consensus', path) : undefined;
  const testCfg = model ? r.dict(model, 'test_cfg', 'model') : undefined;
  const averaging = (dict: PyDict | undefined, at: string): Sourced<(typeof AVERAGE_CLIPS)[number] | null> | undefined => {
    if (dict && Object.hasOwn(dict, 'average_clips') && dict.average_clips === null) return { value: null, from: childPath(at, 'average_clips') };
    return r.oneOf(dict, at, 'average_clips', AVERAGE_CLIPS, 'average_clips');
  };
  const fromHead = averaging(h, path);
  const fromTestCfg = averaging(testCfg, 'model.test_cfg');
  if (fromHead && fromTestCfg && fromHead.value !== fromTestCfg.value) {
    r.warn('W_CONFIG_MISMATCH', fromHead.from, `'${fromHead.value}' but ${fromTestCfg.from} is '${fromTestCfg.value}'; tsm follows the ${release === '0.x' ? '0.x test_cfg' : 'head (1.x)'}`);
  }
  return {
    type: r.type(h, path, KNOWN_HEADS, 'head'),
    numClasses: r.read(h, path, 'num_classes', POSITIVE_INT),
    inChannels: r.read(h, path, 'in_channels', POSITIVE_INT),
    isShift: r.read(h, path, 'is_shift', FLAG),
    numSegments: r.read(h, path, 'num_segments', POSITIVE_INT),
    temporalPool: r.read(h, path, 'temporal_pool', FLAG),
    consensus: r.read(consensus, `${path}.consensus`, 'type', STRING),
    spatialType: r.read(h, path, 'spatial_type', STRING),
    averageClips: release === '0.x' ? (fromTestCfg ?? fromHead) : (fromHead ?? fromTestCfg),
  };
}

/** Which pipeline the test loop builds, in the order the release looks for it. */
function pipelineCandidates(release: MmActionRelease | undefined): string[] {
  if (release === '1.x') return ['test_dataloader.dataset.pipeline', 'test_pipeline'];
  if (release === '0.x') return ['data.test.pipeline', 'test_pipeline'];
  return ['test_dataloader.dataset.pipeline', 'data.test.pipeline', 'test_pipeline'];
}

function valueAt(root: PyDict, path: string): PyValue | undefined {
  let value: PyValue | undefined = root;
  for (const key of path.split('.')) {
    if (!isPyDict(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

function sameData(a: PyValue | undefined, b: PyValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

interface PipelineRead {
  readonly pipeline: MmActionPipeline;
  /** a Normalize step (0.x) */
  readonly normalize?: { readonly step: PyDict; readonly path: string };
}

function readPipeline(config: PyDict, r: SettingsReader, release: MmActionRelease | undefined): PipelineRead | undefined {
  const candidates = pipelineCandidates(release);
  const from = candidates.find((p) => valueAt(config, p) !== undefined);
  if (!from) return undefined;
  const steps = valueAt(config, from)!;
  if (!Array.isArray(steps)) r.error(from, 'a list of pipeline steps', steps);
  for (const other of candidates.slice(candidates.indexOf(from) + 1)) {
    const shadowed = valueAt(config, other);
    if (shadowed !== undefined && !sameData(shadowed, steps)) {
      r.warn('W_CONFIG_MISMATCH', other, `differs from ${from}; tsm follows ${from}, the pipeline MMAction2's test loop builds`);
    }
  }
  const types: string[] = [];
  const pipeline: {
    -readonly [K in keyof MmActionPipeline]: MmActionPipeline[K];
  } = { from, steps: types };
  let normalize: PipelineRead['normalize'];
  const once = (what: string, path: string, present: boolean): boolean => {
    if (present) r.warn('W_CONFIG_MISMATCH', path, `a second ${what} step; tsm follows the first`);
    return !present;
  };
  (steps as readonly PyValue[]).forEach((step, i) => {
    const path = childPath(from, i);
    if (!isPyDict(step)) r.error(path, 'a dict with a type', step);
    const type = r.read(step, path, 'type', STRING);
    if (!type) r.error(`${path}.type`, 'a string', undefined);
    types.push(type.value);
    if (VIDEO_DECODERS.includes(type.value) || FRAME_DECODERS.includes(type.value)) {
      if (!once('decoding', path, pipeline.decoder !== undefined)) return;
      pipeline.decoder = type;
      pipeline.decode = { value: VIDEO_DECODERS.includes(type.value) ? 'video' : 'frames', from: type.from };
    } else if ((SAMPLERS as readonly string[]).includes(type.value)) {
      if (!once('sampling', path, pipeline.sampling !== undefined)) return;
      pipeline.sampling = {
        type: type as Sourced<(typeof SAMPLERS)[number]>,
        clipLen: r.read(step, path, 'clip_len', POSITIVE_INT),
        frameInterval: r.read(step, path, 'frame_interval', POSITIVE_INT),
        numClips: r.read(step, path, 'num_clips', POSITIVE_INT),
        twiceSample: r.read(step, path, 'twice_sample', FLAG),
        testMode: r.read(step, path, 'test_mode', FLAG),
        startIndex: r.read(step, path, 'start_index', NONNEGATIVE_INT),
        outOfBoundOpt: r.read(step, path, 'out_of_bound_opt', STRING),
        sampleRange: r.read(step, path, 'sample_range', POSITIVE_INT),
        numSamplePositions: r.read(step, path, 'num_sample_positions', POSITIVE_INT),
      };
    } else if (type.value === 'Resize') {
      if (!once('Resize', path, pipeline.resize !== undefined)) return;
      const scale = step.scale;
      const isFactor = typeof scale === 'number' && !Number.isInteger(scale);
      pipeline.resize = {
        scale: isFactor ? undefined : r.read(step, path, 'scale', PAIR),
        scaleFactor: isFactor ? r.read(step, path, 'scale', NUMBER) : undefined,
        keepRatio: r.read(step, path, 'keep_ratio', FLAG),
        interpolation: r.read(step, path, 'interpolation', STRING),
      };
    } else if (Object.hasOwn(CROPS, type.value)) {
      if (!once('crop', path, pipeline.crop !== undefined)) return;
      pipeline.crop = { kind: { value: CROPS[type.value], from: type.from }, size: r.read(step, path, 'crop_size', PAIR) };
    } else if (type.value === 'Flip') {
      pipeline.flip = { flipRatio: r.read(step, path, 'flip_ratio', NUMBER) };
    } else if (type.value === 'Normalize') {
      if (once('Normalize', path, normalize !== undefined)) normalize = { step, path };
    } else if (type.value === 'FormatShape') {
      pipeline.inputFormat = r.read(step, path, 'input_format', STRING);
    }
  });
  return { pipeline, normalize };
}

function readNormalization(config: PyDict, r: SettingsReader, release: MmActionRelease | undefined, normalizeStep: PipelineRead['normalize']): MmActionNormalization {
  const sources: Array<{ dict: PyDict; path: string }> = [];
  const preprocessor = r.dict(config, 'model') ? r.dict(config, 'model.data_preprocessor') : undefined;
  if (preprocessor) sources.push({ dict: preprocessor, path: 'model.data_preprocessor' });
  if (normalizeStep) sources.push({ dict: normalizeStep.step, path: normalizeStep.path });
  const imgNorm = r.dict(config, 'img_norm_cfg');
  if (imgNorm) sources.push({ dict: imgNorm, path: 'img_norm_cfg' });
  if (release === '0.x') sources.sort((a, b) => Number(a.path === 'model.data_preprocessor') - Number(b.path === 'model.data_preprocessor'));
  const pick = (key: 'mean' | 'std'): Sourced<readonly number[]> | undefined => {
    const found = sources.map((s) => r.read(s.dict, s.path, key, NUMBERS)).filter((f): f is Sourced<readonly number[]> => f !== undefined);
    for (const other of found.slice(1)) {
      if (!sameData(other.value, found[0].value)) r.warn('W_CONFIG_MISMATCH', other.from, `[${other.value.join(', ')}] but ${found[0].from} is [${found[0].value.join(', ')}]; tsm follows ${found[0].from}`);
    }
    return found[0];
  };
  const first = <T>(key: string, kind: Kind<T>): Sourced<T> | undefined => {
    for (const s of sources) {
      const found = r.read(s.dict, s.path, key, kind);
      if (found) return found;
    }
    return undefined;
  };
  return { mean: pick('mean'), std: pick('std'), toBgr: first('to_bgr', FLAG), toRgb: first('to_rgb', FLAG) };
}

function readDataset(config: PyDict, r: SettingsReader, release: MmActionRelease | undefined): MmActionDataset {
  const paths = release === '1.x' ? ['test_dataloader.dataset'] : release === '0.x' ? ['data.test'] : ['test_dataloader.dataset', 'data.test'];
  const path = paths.find((p) => valueAt(config, p) !== undefined);
  const d = path ? r.dict(config, path) : undefined;
  const at = path ?? '';
  return {
    type: r.read(d, at, 'type', STRING) ?? r.read(config, '', 'dataset_type', STRING),
    filenameTmpl: r.read(d, at, 'filename_tmpl', STRING),
    startIndex: r.read(d, at, 'start_index', NONNEGATIVE_INT),
    modality: r.read(d, at, 'modality', STRING),
  };
}

function crossCheck(s: Omit<MmActionSettings, 'warnings'>, r: SettingsReader): void {
  const { backbone: b, head: h } = s;
  const differ = <T>(x: Sourced<T> | undefined, y: Sourced<T> | undefined, what: string): void => {
    if (x && y && x.value !== y.value) r.warn('W_CONFIG_MISMATCH', y.from, `${what} ${String(y.value)}, but ${x.from} is ${String(x.value)}`);
  };
  differ(b.numSegments, h.numSegments, 'segments');
  differ(b.temporalPool, h.temporalPool, 'temporal pool');
  differ(b.isShift, h.isShift, 'is_shift');
  const sampling = s.testPipeline?.sampling;
  if (h.type?.value === 'TSMHead' && s.segments && sampling?.numClips) {
    const frames = (sampling.clipLen?.value ?? 1) * sampling.numClips.value;
    if (frames !== s.segments.value) {
      r.warn('W_CONFIG_MISMATCH', sampling.numClips.from, `the test pipeline samples ${frames} frames a view, but TSMHead folds them by ${s.segments.value} segments (${s.segments.from})`);
    }
  }
  const decode = s.testPipeline?.decode;
  const datasetType = s.dataset.type?.value;
  if (decode && datasetType && ((decode.value === 'video' && datasetType === 'RawframeDataset') || (decode.value === 'frames' && datasetType === 'VideoDataset'))) {
    r.warn('W_CONFIG_MISMATCH', s.dataset.type!.from, `${datasetType} with a pipeline that decodes ${decode.value} (${s.testPipeline!.decoder!.value})`);
  }
}

/** The TSM/TSN settings of a merged MMAction2 config (the data `parsePythonConfig` reads from `meta.cfg`/`meta.config`). */
export function readMmActionSettings(config: PyDict, options: MmActionSettingsOptions = {}): MmActionSettings {
  const r = new SettingsReader(options.source ?? 'config');
  const release = detectRelease(config, r, options.release);
  const effective = options.release ?? release?.value;
  const model = r.dict(config, 'model');
  const recognizer = model ? r.type(model, 'model', KNOWN_RECOGNIZERS, 'recognizer') : undefined;
  const backbone = readBackbone(model, r);
  const head = readHead(model, r, effective);
  const read = readPipeline(config, r, effective);
  const settings = {
    release,
    recognizer,
    backbone,
    head,
    segments: backbone.numSegments ?? head.numSegments,
    normalization: readNormalization(config, r, effective, read?.normalize),
    testPipeline: read?.pipeline,
    dataset: readDataset(config, r, effective),
  };
  crossCheck(settings, r);
  return { ...settings, warnings: r.warnings };
}

/** Parse a config text as data (never running it), then read its settings. */
export function readMmActionConfig(text: string, options: MmActionSettingsOptions & PythonConfigOptions = {}): MmActionSettings {
  return readMmActionSettings(parsePythonConfig(text, options), options);
}
