import { describe, expect, it } from 'vitest';
import { findTsmName, parseTsmFileName } from '../../src/arch/naming.js';

describe('parseTsmFileName', () => {
  const table: Array<[string, Record<string, unknown> | undefined]> = [
    [
      'TSM_jester_RGB_resnet50_shift8_blockres_avg_segment8_e2.pth',
      { dataset: 'jester', arch: 'resnet50', shiftDiv: 8, shiftPlace: 'blockres', segments: 8, epochs: 2 },
    ],
    ['TSM_jester_RGB_MobileNetV2_shift8_blockres_avg_segment8_e5.pth', { arch: 'mobilenetv2', shiftDiv: 8 }],
    [
      'TSM_kinetics_RGB_resnet50_avg_segment5_e50.pth',
      { arch: 'resnet50', shiftDiv: undefined, shiftPlace: undefined, segments: 5 },
    ],
    [
      'TSM_kinetics_RGB_resnet50_shift8_blockres_avg_segment8_e100_dense_nl.pth',
      { dense: true, nonLocal: true, epochs: 100 },
    ],
    [
      'TSM_something_RGB_resnet50_shift8_blockres_tpool_avg_segment8_e45.pth',
      { temporalPool: true, dataset: 'something' },
    ],
    [
      'TSM_somethingv2_RGB_resnet101_shift8_block_avg_segment16_e45.pth',
      { dataset: 'somethingv2', shiftPlace: 'block', segments: 16 },
    ],
    ['mobilenet_v2.pth.tar', undefined],
    ['mobilenetv2_jester_online.pth.tar', undefined],
  ];
  for (const [name, expected] of table) {
    it(name, () => {
      const parsed = parseTsmFileName(name);
      if (expected === undefined) expect(parsed).toBeUndefined();
      else expect(parsed).toMatchObject(expected);
    });
  }

  it('parses the base name only: a directory named like a TSM file does not count', () => {
    expect(
      parseTsmFileName(
        '/models/TSM_x_RGB_resnet50_shift8_blockres_avg_segment8_e1/TSM_kinetics_RGB_resnet50_avg_segment5_e50.pth',
      ),
    ).toMatchObject({ shiftDiv: undefined, segments: 5 });
    expect(
      parseTsmFileName('/models/TSM_x_RGB_resnet50_shift8_blockres_avg_segment8_e1.pth/weights.pth'),
    ).toBeUndefined();
  });
});

describe('findTsmName: the file name, else the folder upstream main.py saves a run in', () => {
  const RUN = 'TSM_kinetics_RGB_resnet50_shift8_blockres_avg_segment16_e50';
  it('a TSM file name is read from the file, wherever it lies', () => {
    expect(findTsmName(`/runs/${RUN}/TSM_kinetics_RGB_resnet50_avg_segment5_e50.pth`)).toMatchObject({
      from: 'file',
      name: 'TSM_kinetics_RGB_resnet50_avg_segment5_e50.pth',
      config: { segments: 5, shiftDiv: undefined },
    });
  });

  for (const file of ['ckpt.pth.tar', 'ckpt.best.pth.tar', 'model.safetensors']) {
    it(`${RUN}/${file}: the folder's name`, () => {
      expect(findTsmName(`/runs/${RUN}/${file}`)).toMatchObject({
        from: 'folder',
        name: RUN,
        config: { arch: 'resnet50', segments: 16, shiftDiv: 8, shiftPlace: 'blockres', epochs: 50 },
      });
    });
  }

  it('a relative path is read against the working folder', () => {
    expect(findTsmName(`${RUN}/ckpt.pth.tar`)).toMatchObject({ from: 'folder', name: RUN });
    expect(findTsmName(`${RUN}/../ckpt.pth.tar`)).toBeUndefined(); // its folder is the working folder, not ${RUN}
  });

  it('only the immediate parent, only a full TSM name, only when the file name is no TSM name at all', () => {
    expect(findTsmName(`/runs/${RUN}/checkpoints/ckpt.pth.tar`)).toBeUndefined(); // grandparent
    expect(findTsmName('/runs/TSM_kinetics_RGB_resnet50_shift8/ckpt.pth.tar')).toBeUndefined(); // not a full name
    expect(findTsmName('/runs/resnet50_shift8_blockres_segment16/ckpt.pth.tar')).toBeUndefined();
    // a TSM-looking file name that does not parse is not overridden by its folder
    expect(findTsmName(`/runs/${RUN}/TSM_kinetics_RGB_resnet50_custom.pth`)).toBeUndefined();
    expect(findTsmName('/ckpt.pth.tar')).toBeUndefined(); // no parent folder to read
  });
});
