import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('tsm demo (npm start): the main job on the bundled defaults', () => {
  it(
    'converts the bundled TSM and TSN checkpoints (and the TSM one as int8) and scores all ' +
      'three on the 80 mini clips',
    () => {
      const out = mkdtempSync(join(tmpdir(), 'tsm-demo-'));
      onTestFinished(() => rmSync(out, { recursive: true, force: true }));
      const r = runCli(['demo', '--out', out, '--json']);
      expect(r.status, r.stderr).toBe(0);
      const res = r.json();
      expect(res.clips).toBe(80);
      const [tsm, int8, tsn] = res.models;
      expect([tsm.arch.name, tsm.precision, int8.arch.name, int8.precision, tsn.arch.name]).toEqual([
        'TSM-mobilenetv2',
        'float32',
        'TSM-mobilenetv2',
        'int8',
        'TSN-mobilenetv2',
      ]);
      expect(tsm.top1).toBeGreaterThanOrEqual(0.9);
      // int8 is calibrated on the first 20 clips: it is compared with float on the other 60 only
      expect(int8.heldOut.clips).toBe(60);
      expect(tsm.heldOut.clips).toBe(60);
      expect(Math.abs(int8.heldOut.top1 - tsm.heldOut.top1)).toBeLessThanOrEqual(0.025);
      // the rates are steady-state rates, with the fixed costs reported apart
      for (const m of res.models) expect(m.setupSeconds).toBeGreaterThan(0);
      expect(int8.bytes).toBeLessThan(0.4 * tsm.bytes);
      expect(tsm.top1 - tsn.top1).toBeGreaterThan(0.3); // TSN cannot tell the direction pairs apart
      expect(readdirSync(out).sort()).toEqual([
        'TSM_jester_RGB_mobilenetv2_avg_segment8_e14.onnx',
        'TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e14.int8.onnx',
        'TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e14.onnx',
      ]);
    },
  );
});
