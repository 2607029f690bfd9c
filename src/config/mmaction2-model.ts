/** The model part of an MMAction2 config: which release wrote it, the backbone and the head. */
import {
  childPath,
  FLAG,
  NON_LOCAL,
  NUMBER,
  POSITIVE_INT,
  type SettingsReader,
  STRING,
  STRING_OR_NONE,
} from './mmaction2-reader.js';
import {
  AVERAGE_CLIPS,
  KNOWN_BACKBONES,
  KNOWN_HEADS,
  type MmActionBackbone,
  type MmActionHead,
  type MmActionRelease,
  NON_LOCAL_MODES,
  RESNET_STAGE_BLOCKS,
  SHIFT_PLACES,
  type Sourced,
} from './mmaction2-types.js';
import { isPyDict, type PyDict } from './python-literal.js';

export function detectRelease(
  config: PyDict,
  r: SettingsReader,
  given: MmActionRelease | undefined,
): Sourced<MmActionRelease> | undefined {
  const model = isPyDict(config.model) ? config.model : undefined;
  const evidence: Array<Sourced<MmActionRelease>> = [];
  if (model && isPyDict(model.data_preprocessor)) evidence.push({ value: '1.x', from: 'model.data_preprocessor' });
  if (isPyDict(config.test_dataloader)) evidence.push({ value: '1.x', from: 'test_dataloader' });
  if (isPyDict(config.data) && isPyDict(config.data.test)) evidence.push({ value: '0.x', from: 'data.test' });
  if (model && isPyDict(model.test_cfg) && Object.hasOwn(model.test_cfg, 'average_clips'))
    evidence.push({ value: '0.x', from: 'model.test_cfg.average_clips' });
  if (isPyDict(config.img_norm_cfg)) evidence.push({ value: '0.x', from: 'img_norm_cfg' });
  const kinds = new Set(evidence.map((e) => e.value));
  if (kinds.size > 1) {
    r.warn(
      'W_CONFIG_RELEASE',
      evidence.map((e) => e.from).join(', '),
      `the config has both MMAction2 1.x (${evidence
        .filter((e) => e.value === '1.x')
        .map((e) => e.from)
        .join(', ')}) and 0.x (${evidence
        .filter((e) => e.value === '0.x')
        .map((e) => e.from)
        .join(', ')}) settings`,
    );
  }
  if (given && evidence.length && !kinds.has(given)) {
    r.warn(
      'W_CONFIG_RELEASE',
      evidence[0].from,
      `the file is MMAction2 ${given}, but its config has ${evidence[0].value} settings (${evidence[0].from})`,
    );
  }
  return (given && evidence.find((e) => e.value === given)) || evidence[0];
}

export function readBackbone(model: PyDict | undefined, r: SettingsReader): MmActionBackbone {
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
    r.warn(
      'W_CONFIG_UNKNOWN_VALUE',
      backbone.depth.from,
      `ResNet depth ${backbone.depth.value} is none of ${Object.keys(RESNET_STAGE_BLOCKS).join(', ')}`,
    );
  }
  if (backbone.nonLocal && stages) {
    const lengths = backbone.nonLocal.value.map((s) => s.length);
    if (lengths.length !== stages.length || lengths.some((n, i) => n !== stages[i])) {
      r.warn(
        'W_CONFIG_MISMATCH',
        backbone.nonLocal.from,
        `has (${lengths.join(', ')}) flags a stage, ResNet-${backbone.depth?.value} has (${stages.join(', ')}) blocks`,
      );
    }
  }
  return backbone;
}

export function readHead(
  model: PyDict | undefined,
  r: SettingsReader,
  release: MmActionRelease | undefined,
): MmActionHead {
  const path = 'model.cls_head';
  const h = model ? r.dict(model, 'cls_head', 'model') : undefined;
  const consensus = h ? r.dict(h, 'consensus', path) : undefined;
  const testCfg = model ? r.dict(model, 'test_cfg', 'model') : undefined;
  const averaging = (
    dict: PyDict | undefined,
    at: string,
  ): Sourced<(typeof AVERAGE_CLIPS)[number] | null> | undefined => {
    if (dict && Object.hasOwn(dict, 'average_clips') && dict.average_clips === null)
      return { value: null, from: childPath(at, 'average_clips') };
    return r.oneOf(dict, at, 'average_clips', AVERAGE_CLIPS, 'average_clips');
  };
  const fromHead = averaging(h, path);
  const fromTestCfg = averaging(testCfg, 'model.test_cfg');
  if (fromHead && fromTestCfg && fromHead.value !== fromTestCfg.value) {
    r.warn(
      'W_CONFIG_MISMATCH',
      fromHead.from,
      `'${fromHead.value}' but ${fromTestCfg.from} is '${fromTestCfg.value}'; ` +
        `tsm follows the ${release === '0.x' ? '0.x test_cfg' : 'head (1.x)'}`,
    );
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
