import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalize, KEY_LAYOUTS, keyLayoutOf } from '../../src/arch/layouts/index.js';
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
    expect(KEY_LAYOUTS.map((l) => l.name)).toEqual(['embedded', 'mit']);
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
