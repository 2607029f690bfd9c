import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveScaleShortSide, scaleShortSideOf, scaleSizeFor } from '../../src/model/preprocessing.js';
import { scaleShortSideOfEntry, type Zoo } from '../../src/zoo/client.js';
import { ROOT } from '../helpers/reference.js';

/** The one scale-size function and how a consumer resolves a model's declaration against it. */
describe('scaleSizeFor: input_size * 256 // 224', () => {
  it.each([
    [160, 182],
    [224, 256],
    [256, 292],
    [320, 365],
    [64, 73],
    [112, 128],
    [448, 512],
  ])('%i → %i', (crop, scale) => {
    expect(scaleSizeFor(crop)).toBe(scale);
  });
  it('is a floor for every crop from 32 to 1024 (integer arithmetic as the reference)', () => {
    for (let s = 32; s <= 1024; s++) expect(scaleSizeFor(s)).toBe((s * 256 - ((s * 256) % 224)) / 224);
  });
});

describe('resolveScaleShortSide', () => {
  it('no declaration: the rule; the rule declared: the model, no warning', () => {
    expect(resolveScaleShortSide(undefined, 160, 'm')).toEqual({ scaleShortSide: 182, from: 'rule' });
    expect(resolveScaleShortSide({ cropSize: 160, scaleShortSide: 182 }, 160, 'm')).toEqual({
      scaleShortSide: 182,
      from: 'model',
    });
    expect(scaleShortSideOf({}, 320, 'm')).toEqual({ scaleShortSide: 365, from: 'rule' });
  });
  it('another value: the model wins, and the warning says whether it is the old rounding', () => {
    expect(resolveScaleShortSide({ cropSize: 320, scaleShortSide: 366 }, 320, 'm').warning).toMatch(
      new RegExp(
        'm declares scaleShortSide 366 for its 320 crop \\(rounded, as older tsm versions wrote it\\), but upstre' +
          "am's test transform scales to 365",
      ),
    );
    const other = resolveScaleShortSide({ scaleShortSide: 400 }, 320, 'm');
    expect(other.scaleShortSide).toBe(400);
    expect(other.warning).toMatch(/^m declares scaleShortSide 400 for its 320 crop, but upstream's/);
  });
  it('metadata that is not an object is an input error', () => {
    expect(() => scaleShortSideOf({ 'tsm.preprocessing': '[1]' }, 224, 'm')).toThrow(
      /tsm\.preprocessing is an array, expected a JSON object/,
    );
  });
});

describe('the zoo client (the web demo)', () => {
  const zoo: Zoo = JSON.parse(readFileSync(join(ROOT, 'zoo.json'), 'utf8'));
  it("reads an entry's scale: 256 for the published 224 models; an entry with an old rounded value warns", () => {
    for (const entry of zoo.models)
      expect(scaleShortSideOfEntry(entry)).toEqual({ scaleShortSide: 256, from: 'model' });
    const entry = zoo.models[0];
    const old = scaleShortSideOfEntry({
      id: entry.id,
      preprocessing: { ...entry.preprocessing, cropSize: 256, scaleShortSide: 293 },
    });
    expect(old.scaleShortSide).toBe(293);
    expect(old.warning).toMatch(/scales to 292/);
  });
});
