import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type MmActionSettings,
  readMmActionConfig,
  readMmActionSettings,
  type Sourced,
} from '../../src/config/mmaction2.js';
import { type PyDict, parsePythonConfig } from '../../src/config/python-literal.js';
import { TsmError } from '../../src/errors.js';
import { ROOT } from '../helpers/reference.js';

const CONFIGS = join(ROOT, 'fixtures/mmaction2-configs');
const text = (file: string): string => readFileSync(join(CONFIGS, file), 'utf8');
const settingsOf = (file: string): MmActionSettings => readMmActionConfig(text(file), { source: file });

interface Expected {
  release: '1.x' | '0.x';
  backbone: string;
  depth?: number;
  /** model.backbone.num_segments: only configs that change ResNetTSM's default of 8 write it */
  segments?: number;
  shiftDiv?: number;
  nonLocal?: 'embedded_gaussian' | 'dot_product' | 'gaussian';
  head: 'TSMHead' | 'TSNHead';
  classes: number;
  sampler: 'SampleFrames' | 'DenseSampleFrames';
  /** clip_len × frame_interval × num_clips of the test pipeline */
  sampling: [number, number, number];
  twice?: true;
  crop: 'center' | 'three' | 'ten';
  cropSize: number;
  decode: 'video' | 'frames';
  dataset: 'VideoDataset' | 'RawframeDataset';
}

const P = 'tsm_imagenet-pretrained-';
const K400: Pick<Expected, 'release' | 'head' | 'classes' | 'crop' | 'cropSize' | 'decode' | 'dataset' | 'sampler'> = {
  release: '1.x',
  head: 'TSMHead',
  classes: 400,
  crop: 'ten',
  cropSize: 224,
  decode: 'video',
  dataset: 'VideoDataset',
  sampler: 'SampleFrames',
};
const STHV2 = { ...K400, classes: 174, crop: 'three', cropSize: 256, twice: true } as const;
const OLD = {
  release: '0.x',
  head: 'TSMHead',
  classes: 400,
  crop: 'center',
  cropSize: 224,
  decode: 'frames',
  dataset: 'RawframeDataset',
  sampler: 'SampleFrames',
} as const;

// the settings each config of the facts sheet (§6) must give, from its name: 1x1x8 = clip_len × frame_interval ×
// num_clips, 1x1x16 = 16 segments, dense = DenseSampleFrames, nl-<mode>, sthv2 = 174 classes with twice_sample and
// ThreeCrop, 1.x Kinetics = TenCrop 224 on videos, 1.x MobileNetV2 = ThreeCrop 256, 0.x Kinetics = CenterCrop on frames
const TABLE: Array<[string, Expected]> = [
  [
    `${P}r50_8xb16-1x1x8-50e_kinetics400-rgb.py`,
    { ...K400, backbone: 'ResNetTSM', depth: 50, shiftDiv: 8, sampling: [1, 1, 8] },
  ],
  [
    `${P}r50_8xb16-1x1x8-100e_kinetics400-rgb.py`,
    { ...K400, backbone: 'ResNetTSM', depth: 50, shiftDiv: 8, sampling: [1, 1, 8] },
  ],
  [
    `${P}r50_8xb16-1x1x16-50e_kinetics400-rgb.py`,
    { ...K400, backbone: 'ResNetTSM', depth: 50, segments: 16, shiftDiv: 8, sampling: [1, 1, 16] },
  ],
  [
    `${P}r50_8xb16-dense-1x1x8-50e_kinetics400-rgb.py`,
    { ...K400, backbone: 'ResNetTSM', depth: 50, shiftDiv: 8, sampler: 'DenseSampleFrames', sampling: [1, 1, 8] },
  ],
  [
    `${P}r50-nl-embedded-gaussian_8xb16-1x1x8-50e_kinetics400-rgb.py`,
    { ...K400, backbone: 'ResNetTSM', depth: 50, shiftDiv: 8, nonLocal: 'embedded_gaussian', sampling: [1, 1, 8] },
  ],
  [
    `${P}r50-nl-dot-product_8xb16-1x1x8-50e_kinetics400-rgb.py`,
    { ...K400, backbone: 'ResNetTSM', depth: 50, shiftDiv: 8, nonLocal: 'dot_product', sampling: [1, 1, 8] },
  ],
  [
    `${P}r50-nl-gaussian_8xb16-1x1x8-50e_kinetics400-rgb.py`,
    { ...K400, backbone: 'ResNetTSM', depth: 50, shiftDiv: 8, nonLocal: 'gaussian', sampling: [1, 1, 8] },
  ],
  [
    `${P}mobilenetv2_8xb16-1x1x8-100e_kinetics400-rgb.py`,
    {
      ...K400,
      backbone: 'MobileNetV2TSM',
      segments: 8,
      shiftDiv: 8,
      crop: 'three',
      cropSize: 256,
      sampling: [1, 1, 8],
    },
  ],
  [
    `${P}r50_8xb16-1x1x8-50e_sthv2-rgb.py`,
    { ...STHV2, backbone: 'ResNetTSM', depth: 50, shiftDiv: 8, sampling: [1, 1, 8] },
  ],
  [
    `${P}r50_8xb16-1x1x16-50e_sthv2-rgb.py`,
    { ...STHV2, backbone: 'ResNetTSM', depth: 50, segments: 16, shiftDiv: 8, sampling: [1, 1, 16] },
  ],
  [
    `${P}r101_8xb16-1x1x8-50e_sthv2-rgb.py`,
    { ...STHV2, backbone: 'ResNetTSM', depth: 101, shiftDiv: 8, sampling: [1, 1, 8] },
  ],
  // TSN trains on 8 segments (1x1x8) and tests on 25 clips × TenCrop (facts §6: 25×10 views); its head averages
  // them all
  [
    'tsn_imagenet-pretrained-r50_8xb32-1x1x8-100e_kinetics400-rgb.py',
    { ...K400, backbone: 'ResNet', depth: 50, head: 'TSNHead', sampling: [1, 1, 25] },
  ],
  [
    'tsm_r50_1x1x8_50e_kinetics400_rgb.py',
    { ...OLD, backbone: 'ResNetTSM', depth: 50, shiftDiv: 8, sampling: [1, 1, 8] },
  ],
  [
    'tsm_nl_embedded_gaussian_r50_1x1x8_50e_kinetics400_rgb.py',
    { ...OLD, backbone: 'ResNetTSM', depth: 50, shiftDiv: 8, nonLocal: 'embedded_gaussian', sampling: [1, 1, 8] },
  ],
  [
    'tsm_mobilenetv2_dense_1x1x8_kinetics400_rgb.py',
    { ...OLD, backbone: 'MobileNetV2TSM', segments: 8, shiftDiv: 8, sampler: 'DenseSampleFrames', sampling: [1, 1, 8] },
  ],
  [
    'plain/tsm_r50_1x1x8_50e_kinetics400_rgb.py',
    { ...OLD, backbone: 'ResNetTSM', depth: 50, shiftDiv: 8, sampling: [1, 1, 8] },
  ],
];

const value = <T>(s: Sourced<T> | undefined): T | undefined => s?.value;

describe('readMmActionConfig: every TSM/TSN config of the facts sheet', () => {
  it('the table covers every fixture', () => {
    const manifest = Object.keys(JSON.parse(text('manifest.json')));
    expect(TABLE.map(([f]) => f).sort()).toEqual(manifest.sort());
  });

  it('the table agrees with the names: NxMxK sampling, dense, nl mode, dataset', () => {
    for (const [file, e] of TABLE) {
      const [, clipLen, interval, clips] = /(\d+)x(\d+)x(\d+)/.exec(file)!.map(Number);
      if (e.head === 'TSMHead') expect(e.sampling, file).toEqual([clipLen, interval, clips]);
      expect(e.sampler === 'DenseSampleFrames', file).toBe(file.includes('dense'));
      expect(e.nonLocal?.replace('_', '-'), file).toBe(
        /nl[-_](embedded[-_]gaussian|dot[-_]product|gaussian)/.exec(file)?.[1].replace(/_/g, '-'),
      );
      expect(e.classes, file).toBe(file.includes('sthv2') ? 174 : 400);
      expect(e.release, file).toBe(/_\d+x\d+x\d+_/.test(file) ? '0.x' : '1.x');
    }
  });

  for (const [file, e] of TABLE) {
    it(file, () => {
      const s = settingsOf(file);
      expect(s.warnings).toEqual([]);
      expect(value(s.release)).toBe(e.release);
      expect(value(s.recognizer)).toBe('Recognizer2D');
      expect(value(s.backbone.type)).toBe(e.backbone);
      expect(value(s.backbone.depth)).toBe(e.depth);
      expect(value(s.backbone.numSegments)).toBe(e.segments);
      expect(value(s.segments)).toBe(e.segments);
      expect(value(s.backbone.shiftDiv)).toBe(e.shiftDiv);
      expect(value(s.backbone.shiftPlace)).toBeUndefined(); // ResNetTSM's default (blockres) is never written
      expect(value(s.backbone.temporalPool)).toBeUndefined();
      expect(value(s.backbone.nonLocalCfg.mode)).toBe(e.nonLocal);
      if (e.nonLocal) {
        expect(value(s.backbone.nonLocal)).toEqual([
          [0, 0, 0],
          [1, 0, 1, 0],
          [1, 0, 1, 0, 1, 0],
          [0, 0, 0],
        ]);
        expect(value(s.backbone.nonLocalCfg.useScale)).toBe(false);
        expect(value(s.backbone.nonLocalCfg.subSample)).toBe(true);
      } else {
        expect(s.backbone.nonLocal).toBeUndefined();
      }
      expect(value(s.head.type)).toBe(e.head);
      expect(value(s.head.numClasses)).toBe(e.classes);
      expect(value(s.head.inChannels)).toBe(e.backbone.startsWith('MobileNetV2') ? 1280 : 2048);
      expect(value(s.head.isShift)).toBe(e.head === 'TSMHead' ? true : undefined);
      expect(s.head.averageClips).toEqual({
        value: 'prob',
        from: e.release === '1.x' ? 'model.cls_head.average_clips' : 'model.test_cfg.average_clips',
      });
      expect(value(s.normalization.mean)).toEqual([123.675, 116.28, 103.53]);
      expect(value(s.normalization.std)).toEqual([58.395, 57.12, 57.375]);
      expect(s.normalization.mean?.from).toMatch(
        e.release === '1.x' ? /^model\.data_preprocessor\.mean$/ : /^data\.test\.pipeline\[4\]\.mean$/,
      );
      expect(value(s.normalization.toBgr)).toBe(e.release === '0.x' ? false : undefined);

      const p = s.testPipeline!;
      expect(p.from).toBe(e.release === '1.x' ? 'test_dataloader.dataset.pipeline' : 'data.test.pipeline');
      expect(value(p.decode)).toBe(e.decode);
      expect(value(p.decoder)).toBe(e.decode === 'video' ? 'DecordInit' : 'RawFrameDecode');
      expect(value(p.sampling?.type)).toBe(e.sampler);
      expect([value(p.sampling?.clipLen), value(p.sampling?.frameInterval), value(p.sampling?.numClips)]).toEqual(
        e.sampling,
      );
      expect(value(p.sampling?.twiceSample)).toBe(e.twice);
      expect(value(p.sampling?.testMode)).toBe(true);
      expect(value(p.resize?.scale)).toEqual([-1, 256]);
      expect(value(p.crop?.kind)).toBe(e.crop);
      expect(value(p.crop?.size)).toEqual([e.cropSize, e.cropSize]);
      expect(value(p.inputFormat)).toBe('NCHW');
      expect(value(s.dataset.type)).toBe(e.dataset);
      expect(s.dataset.filenameTmpl).toBeUndefined();
      expect(s.dataset.startIndex).toBeUndefined();
    });
  }

  it('each setting says where it came from', () => {
    const s = settingsOf(`${P}r50_8xb16-1x1x16-50e_sthv2-rgb.py`);
    expect(s.segments).toEqual({ value: 16, from: 'model.backbone.num_segments' });
    expect(s.head.numSegments).toEqual({ value: 16, from: 'model.cls_head.num_segments' });
    expect(s.testPipeline?.sampling?.numClips).toEqual({
      value: 16,
      from: 'test_dataloader.dataset.pipeline[1].num_clips',
    });
    expect(s.testPipeline?.crop?.kind).toEqual({ value: 'three', from: 'test_dataloader.dataset.pipeline[4].type' });
    expect(s.backbone.depth).toEqual({ value: 50, from: 'model.backbone.depth' });
    expect(s.release).toEqual({ value: '1.x', from: 'model.data_preprocessor' });
    expect(settingsOf('tsm_r50_1x1x8_50e_kinetics400_rgb.py').release).toEqual({ value: '0.x', from: 'data.test' });
  });

  it('the plain 0.x file (variables, ** spreads, comments) gives exactly the settings of its pretty_text twin', () => {
    expect(settingsOf('plain/tsm_r50_1x1x8_50e_kinetics400_rgb.py')).toEqual(
      settingsOf('tsm_r50_1x1x8_50e_kinetics400_rgb.py'),
    );
  });

  it("the file's own release is accepted silently where the config agrees", () => {
    const s = readMmActionConfig(text(TABLE[0][0]), { release: '1.x' });
    expect(s.warnings).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------- edits of a real config

const BASE_1X = parsePythonConfig(text(`${P}r50_8xb16-1x1x8-50e_kinetics400-rgb.py`));
const BASE_0X = parsePythonConfig(text('tsm_r50_1x1x8_50e_kinetics400_rgb.py'));

/** A mutable deep copy of a config (tuples become lists: the settings do not tell them apart). */
function edited(base: PyDict, edit: (c: any) => void): PyDict {
  const copy = JSON.parse(JSON.stringify(base));
  edit(copy);
  return copy;
}

function settingError(config: PyDict): TsmError {
  try {
    readMmActionSettings(config, { source: 'x.pth meta.cfg' });
  } catch (err) {
    expect(err).toBeInstanceOf(TsmError);
    return err as TsmError;
  }
  throw new Error('no error');
}

describe('readMmActionSettings: values of the wrong type are errors naming their path', () => {
  const cases: Array<[string, (c: any) => void, string, string]> = [
    [
      'num_segments as a string',
      (c) => (c.model.backbone.num_segments = 'eight'),
      'model.backbone.num_segments',
      "an integer ≥ 1, found the string 'eight'",
    ],
    [
      'zero classes',
      (c) => (c.model.cls_head.num_classes = 0),
      'model.cls_head.num_classes',
      'an integer ≥ 1, found the number 0',
    ],
    ['shift_div as a float', (c) => (c.model.backbone.shift_div = 8.5), 'model.backbone.shift_div', 'an integer ≥ 1'],
    [
      'a flag as a string',
      (c) => (c.test_dataloader.dataset.pipeline[1].twice_sample = 'yes'),
      'test_dataloader.dataset.pipeline[1].twice_sample',
      'True or False',
    ],
    [
      'crop_size as a triple',
      (c) => (c.test_dataloader.dataset.pipeline[4].crop_size = [1, 2, 3]),
      'test_dataloader.dataset.pipeline[4].crop_size',
      'an integer or a pair (w, h), found a list of 3',
    ],
    [
      'non_local of strings',
      (c) => (c.model.backbone.non_local = [['a']]),
      'model.backbone.non_local',
      'one sequence of 0/1 a stage',
    ],
    [
      'mean as a string',
      (c) => (c.model.data_preprocessor.mean = 'imagenet'),
      'model.data_preprocessor.mean',
      'a list of numbers',
    ],
    ['the backbone as a list', (c) => (c.model.backbone = [1]), 'model.backbone', 'a dict, found a list of 1'],
    [
      'the pipeline as a dict',
      (c) => (c.test_dataloader.dataset.pipeline = { type: 'x' }),
      'test_dataloader.dataset.pipeline',
      'a list of pipeline steps',
    ],
    [
      'a pipeline step that is not a dict',
      (c) => (c.test_dataloader.dataset.pipeline[2] = 'DecordDecode'),
      'test_dataloader.dataset.pipeline[2]',
      "a dict with a type, found the string 'DecordDecode'",
    ],
    [
      'a pipeline step without a type',
      (c) => delete c.test_dataloader.dataset.pipeline[2].type,
      'test_dataloader.dataset.pipeline[2].type',
      'a string, found nothing',
    ],
    [
      'a shift place that is a number',
      (c) => (c.model.backbone.shift_place = 1),
      'model.backbone.shift_place',
      'a string',
    ],
  ];
  for (const [what, edit, path, says] of cases) {
    it(what, () => {
      const e = settingError(edited(BASE_1X, edit));
      expect(e.code).toBe('E_CONFIG_SETTING');
      expect(e.family).toBe('input');
      expect(e.details.path).toBe(path);
      expect(e.message).toBe(`x.pth meta.cfg: ${path} should be ${says.split(', found')[0]}, found ${e.details.found}`);
      expect(e.message).toContain(says);
    });
  }
});

describe('readMmActionSettings: unknown names and contradictions are warnings, returned', () => {
  const warns = (config: PyDict, options = {}) => readMmActionSettings(config, options).warnings;

  it('an unknown backbone, head or recognizer is kept and named', () => {
    const s = readMmActionSettings(
      edited(BASE_1X, (c) => {
        c.model.backbone.type = 'ResNet3dSlowFast';
        c.model.cls_head.type = 'SlowFastHead';
        c.model.type = 'Recognizer3D';
      }),
    );
    expect(value(s.backbone.type)).toBe('ResNet3dSlowFast');
    expect(s.warnings.map((w) => [w.code, w.path])).toEqual([
      ['W_CONFIG_UNKNOWN_TYPE', 'model.type'],
      ['W_CONFIG_UNKNOWN_TYPE', 'model.backbone.type'],
      ['W_CONFIG_UNKNOWN_TYPE', 'model.cls_head.type'],
    ]);
    expect(s.warnings[1].message).toBe(
      "model.backbone.type: backbone 'ResNet3dSlowFast' is not one tsm knows " +
        '(ResNetTSM, ResNet, MobileNetV2TSM, MobileNetV2)',
    );
  });

  it('an unknown shift place, non-local mode or averaging is left unset', () => {
    const s = readMmActionSettings(
      edited(BASE_1X, (c) => {
        c.model.backbone.shift_place = 'everywhere';
        c.model.backbone.non_local_cfg = { mode: 'softmax' };
        c.model.cls_head.average_clips = 'max';
      }),
    );
    expect(s.backbone.shiftPlace).toBeUndefined();
    expect(s.backbone.nonLocalCfg.mode).toBeUndefined();
    expect(s.head.averageClips).toBeUndefined();
    expect(s.warnings.map((w) => w.message)).toEqual([
      "model.backbone.shift_place: shift place 'everywhere' is none of blockres, block; left unset",
      "model.backbone.non_local_cfg.mode: non-local mode 'softmax' is none of " +
        'embedded_gaussian, dot_product, gaussian, concatenation; left unset',
      "model.cls_head.average_clips: average_clips 'max' is none of prob, score; left unset",
    ]);
  });

  it('average_clips=None is a value (no averaging), not silence', () => {
    const s = readMmActionSettings(edited(BASE_1X, (c) => (c.model.cls_head.average_clips = null)));
    expect(s.head.averageClips).toEqual({ value: null, from: 'model.cls_head.average_clips' });
  });

  it('backbone and head disagree on segments, temporal pool or is_shift', () => {
    const w = warns(
      edited(BASE_1X, (c) => {
        c.model.backbone.num_segments = 8;
        c.model.cls_head.num_segments = 16;
        c.model.backbone.temporal_pool = true;
        c.model.cls_head.temporal_pool = false;
      }),
    );
    expect(w.map((x) => x.message)).toEqual([
      'model.cls_head.num_segments: segments 16, but model.backbone.num_segments is 8',
      'model.cls_head.temporal_pool: temporal pool false, but model.backbone.temporal_pool is true',
    ]);
  });

  it('a TSM test pipeline whose views do not match the segments', () => {
    const w = warns(
      edited(BASE_1X, (c) => {
        c.model.backbone.num_segments = 8;
        c.test_dataloader.dataset.pipeline[1].num_clips = 16;
        c.test_pipeline[1].num_clips = 16;
      }),
    );
    expect(w).toEqual([
      {
        code: 'W_CONFIG_MISMATCH',
        path: 'test_dataloader.dataset.pipeline[1].num_clips',
        message:
          'test_dataloader.dataset.pipeline[1].num_clips: the test pipeline samples 16 frames a view, ' +
          'but TSMHead folds them by 8 segments (model.backbone.num_segments)',
      },
    ]);
  });

  it("a top-level test_pipeline that differs from the one the test loop builds: the loop's is used", () => {
    const s = readMmActionSettings(
      edited(BASE_1X, (c) => (c.test_pipeline[4] = { type: 'CenterCrop', crop_size: 224 })),
    );
    expect(value(s.testPipeline?.crop?.kind)).toBe('ten');
    expect(s.warnings.map((w) => w.path)).toEqual(['test_pipeline']);
  });

  it('without test_dataloader, the top-level test_pipeline is read', () => {
    const s = readMmActionSettings(
      edited(BASE_1X, (c) => delete c.test_dataloader),
      { release: '1.x' },
    );
    expect(s.testPipeline?.from).toBe('test_pipeline');
    expect(value(s.testPipeline?.crop?.kind)).toBe('ten');
  });

  it('0.x: mean/std of the Normalize step against img_norm_cfg', () => {
    const s = readMmActionSettings(edited(BASE_0X, (c) => (c.img_norm_cfg.mean = [0, 0, 0])));
    expect(s.normalization.mean).toEqual({ value: [123.675, 116.28, 103.53], from: 'data.test.pipeline[4].mean' });
    expect(s.warnings.map((w) => w.message)).toEqual([
      'img_norm_cfg.mean: [0, 0, 0] but data.test.pipeline[4].mean is [123.675, 116.28, 103.53]; ' +
        'tsm follows data.test.pipeline[4].mean',
    ]);
  });

  it('0.x: average_clips in both places, differing; the 0.x place wins', () => {
    const s = readMmActionSettings(edited(BASE_0X, (c) => (c.model.cls_head.average_clips = 'score')));
    expect(s.head.averageClips).toEqual({ value: 'prob', from: 'model.test_cfg.average_clips' });
    expect(s.warnings.map((w) => w.code)).toEqual(['W_CONFIG_MISMATCH']);
  });

  it('non_local flags that do not fit ResNet-101', () => {
    const s = readMmActionSettings(
      edited(BASE_1X, (c) => {
        c.model.backbone.depth = 101;
        c.model.backbone.non_local = [
          [0, 0, 0],
          [1, 0, 1, 0],
          [1, 0, 1, 0, 1, 0],
          [0, 0, 0],
        ];
      }),
    );
    expect(s.warnings.map((w) => w.message)).toEqual([
      'model.backbone.non_local: has (3, 4, 6, 3) flags a stage, ResNet-101 has (3, 4, 23, 3) blocks',
    ]);
  });

  it("a release the file claims that its config contradicts, and a config with both releases' settings", () => {
    expect(warns(BASE_0X, { release: '1.x' }).map((w) => w.code)).toEqual(['W_CONFIG_RELEASE']);
    const mixed = readMmActionSettings(edited(BASE_1X, (c) => (c.img_norm_cfg = { mean: [1, 2, 3], std: [1, 1, 1] })));
    expect(value(mixed.release)).toBe('1.x');
    expect(mixed.warnings[0].code).toBe('W_CONFIG_RELEASE');
    expect(value(mixed.normalization.mean)).toEqual([123.675, 116.28, 103.53]);
  });

  it('a video dataset decoded as frames', () => {
    const w = warns(edited(BASE_1X, (c) => (c.test_dataloader.dataset.pipeline[0] = { type: 'RawFrameDecode' })));
    // the top-level test_pipeline still has DecordInit, so it differs too
    expect(w.map((x) => x.path)).toEqual(['test_pipeline', 'test_dataloader.dataset.type']);
    expect(w[1].message).toBe(
      'test_dataloader.dataset.type: VideoDataset with a pipeline that decodes frames (RawFrameDecode)',
    );
  });

  it("the dataset's frame settings are read where a rawframe config gives them", () => {
    const s = readMmActionSettings(
      edited(BASE_0X, (c) =>
        Object.assign(c.data.test, { filename_tmpl: '{:05}.jpg', start_index: 0, modality: 'RGB' }),
      ),
    );
    expect(s.dataset).toEqual({
      type: { value: 'RawframeDataset', from: 'data.test.type' },
      filenameTmpl: { value: '{:05}.jpg', from: 'data.test.filename_tmpl' },
      startIndex: { value: 0, from: 'data.test.start_index' },
      modality: { value: 'RGB', from: 'data.test.modality' },
    });
  });
});

describe('readMmActionSettings: where the config is silent, settings stay undefined', () => {
  it('an empty config', () => {
    const s = readMmActionSettings({});
    expect(s.release).toBeUndefined();
    expect(s.recognizer).toBeUndefined();
    expect(s.segments).toBeUndefined();
    expect(s.testPipeline).toBeUndefined();
    expect(Object.values(s.backbone).filter((v) => v !== undefined)).toEqual([{}]); // only the empty nonLocalCfg
    expect(Object.values(s.head).filter((v) => v !== undefined)).toEqual([]);
    expect(Object.values(s.normalization).filter((v) => v !== undefined)).toEqual([]);
    expect(s.warnings).toEqual([]);
  });

  it('a model without a pipeline, and train_cfg=None style Nones', () => {
    const s = readMmActionConfig(
      "model = dict(type='Recognizer2D', backbone=dict(type='ResNetTSM', depth=50), cls_head=None, test_cfg=None)",
    );
    expect(value(s.backbone.depth)).toBe(50);
    expect(s.head.type).toBeUndefined();
    expect(s.testPipeline).toBeUndefined();
  });

  it('a hostile config text is refused before any setting is read', () => {
    expect(() =>
      readMmActionConfig("model = dict(backbone=__import__('os').system('x'))", { source: 'x.pth meta.cfg' }),
    ).toThrow(/^x\.pth meta\.cfg line 1:23: a call of '__import__'/);
  });
});
