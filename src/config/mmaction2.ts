/**
 * The TSM/TSN settings of an MMAction2 training config (`meta.cfg` in 1.x files, `meta.config` in 0.x ones), read
 * from the merged config's data (python-literal.ts). Paths follow MMAction2 v1.2.0 and branch 0.x
 * (`../shared/MMACTION2-FACTS.md`):
 *
 * - model: `model.type`, `model.backbone.*` (ResNetTSM, ResNet, MobileNetV2TSM: depth, num_segments, shift_div,
 *   shift_place, temporal_pool, non_local + non_local_cfg, is_shift, pretrained…), `model.cls_head.*` (TSMHead,
 *   TSNHead);
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
import { detectRelease, readBackbone, readHead } from './mmaction2-model.js';
import { readDataset, readNormalization, readPipeline } from './mmaction2-pipeline.js';
import { SettingsReader } from './mmaction2-reader.js';
import {
  KNOWN_RECOGNIZERS,
  type MmActionSettings,
  type MmActionSettingsOptions,
  type Sourced,
} from './mmaction2-types.js';
import { type PyDict, type PythonConfigOptions, parsePythonConfig } from './python-literal.js';

export * from './mmaction2-types.js';

function crossCheck(s: Omit<MmActionSettings, 'warnings'>, r: SettingsReader): void {
  const { backbone: b, head: h } = s;
  const differ = <T>(x: Sourced<T> | undefined, y: Sourced<T> | undefined, what: string): void => {
    if (x && y && x.value !== y.value)
      r.warn('W_CONFIG_MISMATCH', y.from, `${what} ${String(y.value)}, but ${x.from} is ${String(x.value)}`);
  };
  differ(b.numSegments, h.numSegments, 'segments');
  differ(b.temporalPool, h.temporalPool, 'temporal pool');
  differ(b.isShift, h.isShift, 'is_shift');
  const sampling = s.testPipeline?.sampling;
  if (h.type?.value === 'TSMHead' && s.segments && sampling?.numClips) {
    const frames = (sampling.clipLen?.value ?? 1) * sampling.numClips.value;
    if (frames !== s.segments.value) {
      r.warn(
        'W_CONFIG_MISMATCH',
        sampling.numClips.from,
        `the test pipeline samples ${frames} frames a view, ` +
          `but TSMHead folds them by ${s.segments.value} segments (${s.segments.from})`,
      );
    }
  }
  const decode = s.testPipeline?.decode;
  const datasetType = s.dataset.type?.value;
  if (
    decode &&
    datasetType &&
    ((decode.value === 'video' && datasetType === 'RawframeDataset') ||
      (decode.value === 'frames' && datasetType === 'VideoDataset'))
  ) {
    r.warn(
      'W_CONFIG_MISMATCH',
      s.dataset.type?.from ?? 'dataset',
      `${datasetType} with a pipeline that decodes ${decode.value} (${s.testPipeline?.decoder?.value})`,
    );
  }
}

/** The TSM/TSN settings of a merged MMAction2 config (the data `parsePythonConfig` reads from `meta.cfg` /
 * `meta.config`). */
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
export function readMmActionConfig(
  text: string,
  options: MmActionSettingsOptions & PythonConfigOptions = {},
): MmActionSettings {
  return readMmActionSettings(parsePythonConfig(text, options), options);
}
