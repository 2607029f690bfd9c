import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ensureMmaVariants, MMA_INSTALL, mmaPath, mmaRequirementsMet } from '../helpers/mma-reference.js';
import { requireTool } from '../helpers/requirements.js';
import { fileTempDir } from '../helpers/tmp.js';

/**
 * `--allow-global` from the command line, on a real MMAction2 1.x work-dir checkpoint (`epoch_100.pth`, whose message
 * hub pickles mmengine's HistoryBuffer): refused as unsafe without the flag, with the global and the flag named; read
 * as data with it; and the flag never lets a global into the weights or turns a call into data.
 */
const HISTORY_BUFFER = 'mmengine.logging.history_buffer.HistoryBuffer';
const ok = requireTool('MMAction2 references (torch, OpenCV, opencv-doc)', mmaRequirementsMet(), MMA_INSTALL);

describe.runIf(ok)('--allow-global on the command line', () => {
  const tmp = fileTempDir('tsm-allow-global-');

  it('inspect and convert refuse the work-dir file with exit 4, naming HistoryBuffer and the flag', () => {
    const file = mmaPath(ensureMmaVariants().tsm_mbv2_epoch);
    for (const command of ['inspect', 'convert']) {
      const r = runCli([command, file, ...(command === 'convert' ? ['-o', join(tmp, 'x.onnx')] : []), '--json']);
      expect(r.status, r.stdout).toBe(4);
      const { error } = r.json();
      expect(error.family).toBe('unsafe');
      expect(error.message).toContain(HISTORY_BUFFER);
      expect(error.message).toContain(`--allow-global ${HISTORY_BUFFER}`);
    }
  });

  it('with --allow-global the same file inspects as MMAction2 and converts', () => {
    const file = mmaPath(ensureMmaVariants().tsm_mbv2_epoch);
    const inspected = runCli(['inspect', file, '--allow-global', HISTORY_BUFFER, '--json']);
    expect(inspected.status, inspected.stdout).toBe(0);
    expect(inspected.json().keyLayout.name).toBe('mmaction2');
    const out = join(tmp, 'epoch.onnx');
    const converted = runCli(['convert', file, '--allow-global', HISTORY_BUFFER, '-o', out, '--json']);
    expect(converted.status, converted.stdout).toBe(0);
    expect(converted.json().output).toBe(out);
  });

  it('naming another global does not admit HistoryBuffer', () => {
    const file = mmaPath(ensureMmaVariants().tsm_mbv2_epoch);
    const r = runCli(['inspect', file, '--allow-global', 'mmengine.logging.MessageHub', '--json']);
    expect(r.status).toBe(4);
    expect(r.json().error.message).toContain(HISTORY_BUFFER);
  });
});
