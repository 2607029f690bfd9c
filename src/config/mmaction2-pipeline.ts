/** The test part of an MMAction2 config: the test pipeline's steps, normalisation and the test dataset. */
import {
  childPath,
  FLAG,
  type Kind,
  NONNEGATIVE_INT,
  NUMBER,
  NUMBERS,
  PAIR,
  POSITIVE_INT,
  type SettingsReader,
  STRING,
  sameData,
  valueAt,
} from './mmaction2-reader.js';
import {
  type MmActionDataset,
  type MmActionNormalization,
  type MmActionPipeline,
  type MmActionRelease,
  SAMPLERS,
  type Sourced,
} from './mmaction2-types.js';
import { isPyDict, type PyDict, type PyValue } from './python-literal.js';

const VIDEO_DECODERS = ['DecordInit', 'OpenCVInit', 'PyAVInit'];
const FRAME_DECODERS = ['RawFrameDecode'];
const CROPS: Readonly<Record<string, 'center' | 'three' | 'ten'>> = Object.freeze({
  CenterCrop: 'center',
  ThreeCrop: 'three',
  TenCrop: 'ten',
});

/** Which pipeline the test loop builds, in the order the release looks for it. */
function pipelineCandidates(release: MmActionRelease | undefined): string[] {
  if (release === '1.x') return ['test_dataloader.dataset.pipeline', 'test_pipeline'];
  if (release === '0.x') return ['data.test.pipeline', 'test_pipeline'];
  return ['test_dataloader.dataset.pipeline', 'data.test.pipeline', 'test_pipeline'];
}

export interface PipelineRead {
  readonly pipeline: MmActionPipeline;
  /** a Normalize step (0.x) */
  readonly normalize?: { readonly step: PyDict; readonly path: string };
}

export function readPipeline(
  config: PyDict,
  r: SettingsReader,
  release: MmActionRelease | undefined,
): PipelineRead | undefined {
  const candidates = pipelineCandidates(release);
  const from = candidates.find((p) => valueAt(config, p) !== undefined);
  if (!from) return undefined;
  const steps = valueAt(config, from) ?? null;
  if (!Array.isArray(steps)) r.error(from, 'a list of pipeline steps', steps);
  for (const other of candidates.slice(candidates.indexOf(from) + 1)) {
    const shadowed = valueAt(config, other);
    if (shadowed !== undefined && !sameData(shadowed, steps)) {
      r.warn(
        'W_CONFIG_MISMATCH',
        other,
        `differs from ${from}; tsm follows ${from}, the pipeline MMAction2's test loop builds`,
      );
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
      pipeline.crop = {
        kind: { value: CROPS[type.value], from: type.from },
        size: r.read(step, path, 'crop_size', PAIR),
      };
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

export function readNormalization(
  config: PyDict,
  r: SettingsReader,
  release: MmActionRelease | undefined,
  normalizeStep: PipelineRead['normalize'],
): MmActionNormalization {
  const sources: Array<{ dict: PyDict; path: string }> = [];
  const preprocessor = r.dict(config, 'model') ? r.dict(config, 'model.data_preprocessor') : undefined;
  if (preprocessor) sources.push({ dict: preprocessor, path: 'model.data_preprocessor' });
  if (normalizeStep) sources.push({ dict: normalizeStep.step, path: normalizeStep.path });
  const imgNorm = r.dict(config, 'img_norm_cfg');
  if (imgNorm) sources.push({ dict: imgNorm, path: 'img_norm_cfg' });
  if (release === '0.x')
    sources.sort((a, b) => Number(a.path === 'model.data_preprocessor') - Number(b.path === 'model.data_preprocessor'));
  const pick = (key: 'mean' | 'std'): Sourced<readonly number[]> | undefined => {
    const found = sources
      .map((s) => r.read(s.dict, s.path, key, NUMBERS))
      .filter((f): f is Sourced<readonly number[]> => f !== undefined);
    for (const other of found.slice(1)) {
      if (!sameData(other.value, found[0].value))
        r.warn(
          'W_CONFIG_MISMATCH',
          other.from,
          `[${other.value.join(', ')}] but ${found[0].from} is [${found[0].value.join(', ')}]; ` +
            `tsm follows ${found[0].from}`,
        );
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

export function readDataset(config: PyDict, r: SettingsReader, release: MmActionRelease | undefined): MmActionDataset {
  const paths =
    release === '1.x'
      ? ['test_dataloader.dataset']
      : release === '0.x'
        ? ['data.test']
        : ['test_dataloader.dataset', 'data.test'];
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
