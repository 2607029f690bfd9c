import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadZoo, resolveModel } from '../../src/zoo/index.js';
import { ROOT, runCli } from '../helpers/cli.js';

/** Online models declare how they are fed (tsm.streaming); stream and verify use it without flags. */
const zoo = loadZoo(join(ROOT, 'zoo.json'));
const entry = resolveModel(zoo, { id: 'tsm-mobilenetv2-jester-online-mini' });
const model = join(ROOT, entry.artifacts[0].url!);

describe('the streaming protocol a model declares', () => {
  it('tsm stream with no flags feeds the bundled online model as declared and names the gesture of clip 100001', () => {
    const r = runCli(['stream', model, '--frames', 'fixtures/jester-mini/20bn-jester-v1/100001', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const s = r.json();
    expect(s).toMatchObject({
      stride: entry.streaming!.stride,
      fps: entry.streaming!.fps,
      protocolSource: 'model',
      smoothing: { window: entry.streaming!.window, stableFrames: entry.streaming!.stableFrames },
    });
    expect(s.events.at(-1).label).toBe('Swiping Left');
    // a flag overrides one field and says so
    const every = runCli([
      'stream',
      model,
      '--frames',
      'fixtures/jester-mini/20bn-jester-v1/100001',
      '--stride',
      '1',
      '--json',
    ]).json();
    expect(every).toMatchObject({
      stride: 1,
      protocolSource: 'model+flags',
      smoothing: { window: entry.streaming!.window },
    });
    expect(every.frames).toBeGreaterThan(s.frames * 3);
  });

  it(
    'verify streams every mini clip with the declared protocol: ≥ 75 % right last gestures, ' +
      'the figure the zoo records',
    () => {
      const r = runCli(['verify', model, '--root', 'fixtures/jester-mini', '--json']);
      expect(r.status, r.stderr).toBe(0);
      const v = r.json();
      expect(v.clips).toBe(80);
      expect(v.protocol).toMatchObject({
        sampling: 'stream',
        streaming: { ...entry.streaming, declaredByModel: true },
      });
      expect(v.top1).toBeGreaterThanOrEqual(0.75);
      expect(v.top1).toBe(entry.verification!.top1);
      const card = readFileSync(join(ROOT, entry.card!), 'utf8');
      expect(card).toContain(`streamed at stride ${entry.streaming!.stride}`);
    },
  );

  it('flags that only mean something for clip sampling are refused for an online model', () => {
    const r = runCli(['verify', model, '--root', 'fixtures/jester-mini', '--crops', '3', '--json']);
    expect(r.status).toBe(2);
    expect(r.json().error.code).toBe('E_ONLINE_PROTOCOL');
  });
});
