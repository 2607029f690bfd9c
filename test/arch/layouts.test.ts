import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalize, KEY_LAYOUTS, keyLayoutOf } from '../../src/arch/layouts/index.js';
import { MMACTION2_LAYOUT } from '../../src/arch/layouts/mmaction2.js';
import { detectArch } from '../../src/arch/registry.js';
import { TsmError } from '../../src/errors.js';
import { readCheckpointFile } from '../../src/pth/read.js';
import { contiguousStrides, type Tensor } from '../../src/pth/tensor.js';
import { ensureVariants, VARIANTS_DIR } from '../helpers/reference.js';

/** A float32 tensor of zeros of `shape`, for key-layout tests (only names and shapes matter). */
function tensor(...shape: number[]): Tensor {
  const numel = shape.reduce((a, b) => a * b, 1);
  return {
    dtype: 'float32',
    shape,
    strides: contiguousStrides(shape),
    offset: 0,
    storage: { key: '0', dtype: 'float32', numel, bytes: new Uint8Array(4 * numel) },
  };
}

const named = (...keys: string[]) => new Map(keys.map((k) => [k, tensor(1)]));

describe('key layouts: each recognises its keys and renames them to the canonical names', () => {
  it('the MIT code: DataParallel and TSN wrappers come off the canonical names; messages keep the model name', () => {
    const sd = canonicalize(
      named('module.base_model.conv1.weight', 'module.base_model.layer1.0.conv1.net.weight', 'module.new_fc.weight'),
    );
    expect(sd.facts).toMatchObject({ layout: 'mit', wrapped: true });
    expect([...sd.keys()]).toEqual(['conv1.weight', 'layer1.0.conv1.net.weight', 'new_fc.weight']);
    expect(sd.modelName('layer1.0.conv1.net.weight')).toBe('base_model.layer1.0.conv1.net.weight');
    expect(sd.modelName('new_fc.weight')).toBe('new_fc.weight');
    // a module prefix (a block) as the model names it, and as graph nodes name it
    expect(sd.modelName('layer1.0')).toBe('base_model.layer1.0');
    expect(sd.nodeName('layer1.0.conv1.net.weight')).toBe('layer1.0.conv1.net.weight');
  });

  it('a bare torchvision state dict is the MIT layout unwrapped', () => {
    const sd = canonicalize(named('conv1.weight', 'bn1.weight', 'fc.weight'));
    expect(sd.facts).toMatchObject({ layout: 'mit', wrapped: false });
    expect(sd.modelName('layer1.0')).toBe('layer1.0');
  });

  it("the embedded fork's features.N.conv.net.M becomes features.N.conv.M, its shift marked on conv.0", () => {
    const sd = canonicalize(
      named(
        'module.base_model.features.1.conv.net.0.weight',
        'module.base_model.features.1.conv.net.1.weight',
        'module.new_fc.weight',
      ),
    );
    expect(keyLayoutOf(named('base_model.features.3.conv.net.3.weight')).name).toBe('embedded');
    expect(sd.facts).toMatchObject({ layout: 'embedded', wrapped: true, mobileNetShift: 'embedded' });
    expect([...sd.keys()]).toEqual(['features.1.conv.0.net.weight', 'features.1.conv.1.weight', 'new_fc.weight']);
    // graph nodes and messages keep the fork's own names
    expect(sd.modelName('features.1.conv.0.net.weight')).toBe('base_model.features.1.conv.net.0.weight');
    expect(sd.nodeName('features.1.conv.0.net.weight')).toBe('features.1.conv.net.0.weight');
  });

  it('two stored keys that are one canonical tensor are refused, naming both', () => {
    let error: unknown;
    try {
      canonicalize(named('module.base_model.fc.weight', 'fc.weight'));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TsmError);
    expect(error).toMatchObject({
      code: 'E_DUPLICATE_KEY',
      details: { keys: ['base_model.fc.weight', 'fc.weight'], canonical: 'fc.weight' },
    });
  });

  it('every layout names itself and says what marks it (what inspect and the unknown-layout error print)', () => {
    expect(KEY_LAYOUTS.map((l) => l.name)).toEqual(['mmaction2', 'embedded', 'mit']);
    for (const l of KEY_LAYOUTS) expect(l.describes.length).toBeGreaterThan(20);
  });

  it(
    'the reference checkpoints read in their layout: the fork as embedded (all 17 blocks ' +
      'shifted), the rest as mit',
    () => {
      const variants = ensureVariants();
      for (const id of ['mbv2_embedded', 'mbv2_official', 'r50_block', 'imagenet_mbv2']) {
        const v = variants[id];
        const ckpt = readCheckpointFile(join(VARIANTS_DIR, v.file));
        const { spec, stateDict } = detectArch(ckpt.stateDict, { fileName: v.file });
        expect(stateDict.facts.layout, id).toBe(id === 'mbv2_embedded' ? 'embedded' : 'mit');
        if (id === 'mbv2_embedded')
          expect(spec.shift).toMatchObject({
            layout: 'embedded',
            shiftedBlocks: expect.arrayContaining(['base_model.features.1']),
          });
        if (id === 'mbv2_embedded') expect(spec.shift.shiftedBlocks).toHaveLength(17);
      }
    },
  );
});

describe('the mmaction2 layout (MMAction2 1.x/0.x: backbone.*, ConvModule conv/bn, cls_head.fc_cls)', () => {
  const zero = (shape: number[]): Tensor => ({
    dtype: 'float32',
    shape,
    strides: shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1)),
    offset: 0,
    storage: { key: '0', dtype: 'float32', numel: 1, bytes: new Uint8Array(4), location: 'cpu' } as Tensor['storage'],
  });
  const renames = (keys: string[]) => {
    const sd = canonicalize(new Map(keys.map((k) => [k, zero([1])])));
    expect(sd.facts.layout).toBe('mmaction2');
    return keys.map((k) => [...sd.keys()].find((c) => sd.modelName(c) === k));
  };
  it('ResNetTSM: stem, blockres shift, block shift, downsample, tpool, NL3DWrapper with non_local_block, head', () => {
    expect(
      renames([
        'backbone.conv1.conv.weight',
        'backbone.conv1.bn.running_var',
        'backbone.layer1.0.conv1.conv.net.weight',
        'backbone.layer1.0.conv1.bn.weight',
        'backbone.layer1.0.conv3.conv.weight',
        'backbone.layer1.0.downsample.conv.weight',
        'backbone.layer1.0.downsample.bn.bias',
        'backbone.layer3.1.net.conv2.conv.weight',
        'backbone.layer2.net.1.conv1.conv.net.weight',
        'backbone.layer2.0.block.conv1.conv.net.weight',
        'backbone.layer2.0.non_local_block.g.0.conv.bias',
        'backbone.layer2.0.non_local_block.theta.conv.weight',
        'backbone.layer2.0.non_local_block.phi.0.conv.weight',
        'backbone.layer2.0.non_local_block.conv_out.conv.weight',
        'backbone.layer2.0.non_local_block.conv_out.bn.running_mean',
        'cls_head.fc_cls.weight',
      ]),
    ).toEqual([
      'conv1.weight',
      'bn1.running_var',
      'layer1.0.conv1.net.weight',
      'layer1.0.bn1.weight',
      'layer1.0.conv3.weight',
      'layer1.0.downsample.0.weight',
      'layer1.0.downsample.1.bias',
      'layer3.1.net.conv2.weight',
      'layer2.net.1.conv1.net.weight',
      'layer2.0.block.conv1.net.weight',
      'layer2.0.nl.g.0.bias',
      'layer2.0.nl.theta.weight',
      'layer2.0.nl.phi.0.weight',
      'layer2.0.nl.W.0.weight',
      'layer2.0.nl.W.1.running_mean',
      'new_fc.weight',
    ]);
  });
  it('MobileNetV2TSM: conv1/conv2 as features.0/18, layerI.J as features.N, conv.K as MIT positions 3K/3K+1', () => {
    expect(
      renames([
        'backbone.conv1.conv.weight',
        'backbone.layer1.0.conv.0.conv.weight',
        'backbone.layer1.0.conv.1.bn.weight',
        'backbone.layer2.1.conv.0.net.conv.weight',
        'backbone.layer2.1.conv.0.net.bn.running_var',
        'backbone.layer2.1.conv.2.conv.weight',
        'backbone.layer7.0.conv.1.conv.weight',
        'backbone.conv2.bn.bias',
        'cls_head.fc_cls.bias',
      ]),
    ).toEqual([
      'features.0.0.weight',
      'features.1.conv.0.weight',
      'features.1.conv.4.weight',
      'features.3.conv.0.net.weight',
      'features.3.conv.1.running_var',
      'features.3.conv.6.weight',
      'features.17.conv.3.weight',
      'features.18.1.bias',
      'new_fc.bias',
    ]);
  });
  it('MIT and embedded files are not claimed', () => {
    expect(MMACTION2_LAYOUT.matches(['module.base_model.conv1.weight', 'module.new_fc.weight'])).toBe(false);
    expect(MMACTION2_LAYOUT.matches(['backbone.conv1.conv.weight', 'cls_head.fc_cls.weight'])).toBe(true);
  });
});
