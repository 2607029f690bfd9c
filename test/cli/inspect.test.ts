import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('tsm inspect', () => {
  it('--json reports format, tensors and metadata of a training checkpoint', () => {
    const r = runCli(['inspect', 'fixtures/pth/train_checkpoint_legacy.pth.tar', '--json']);
    expect(r.status).toBe(0);
    const out = r.json();
    expect(out.format).toBe('legacy');
    expect(out.metadata).toMatchObject({ epoch: 25, arch: 'resnet50' });
    // names as the file stores them; what they mean is the key layout's
    expect(out.tensors).toContainEqual({ name: 'module.new_fc.weight', dtype: 'float32', shape: [5, 4] });
    expect(out.keyLayout.name).toBe('mit');
    // conv 4·3·3·3+4, bn 4+4, fc 5·4+5: running stats and num_batches_tracked are excluded
    expect(out.parameterCount).toBe(108 + 4 + 8 + 25);
    expect(out.dtypes).toEqual({ float32: 8, int64: 1 });
  });

  it('--json includes the architecture convert would build, or why it cannot', () => {
    const ok = runCli([
      'inspect',
      'fixtures/models/TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e14.pth',
      '--json',
    ]).json();
    expect(ok.arch).toMatchObject({
      name: 'TSM-mobilenetv2',
      widthMultiplier: 0.5,
      segments: 8,
      shiftPlace: 'blockres',
      shiftLayout: 'official',
      shiftedBlocks: 10,
      numClasses: 27,
    });
    const no = runCli(['inspect', 'fixtures/pth/dtypes_zip.pth', '--json']).json();
    expect(no.arch).toBeUndefined();
    expect(no.archError.code).toBe('E_UNKNOWN_LAYOUT');
  });

  it('prints a table for people', () => {
    const r = runCli(['inspect', 'fixtures/pth/dtypes_zip.pth']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/format\s+zip/);
    expect(r.stdout).toMatch(/t_bfloat16\s+bfloat16\s+\[4, 6\]/);
  });

  const failures: Array<[string, string[], number, string]> = [
    ['missing file', ['inspect', 'no/such/file.pth'], 3, 'E_NOT_FOUND'],
    ['not a checkpoint', ['inspect', 'package.json'], 3, 'E_NOT_CHECKPOINT'],
    ['refused global', ['inspect', 'fixtures/hostile/os_system_legacy.pth'], 4, 'E_UNSAFE_GLOBAL'],
    ['unknown flag', ['inspect', 'x.pth', '--frobnicate'], 2, 'E_UNKNOWN_FLAG'],
  ];
  for (const [what, args, exit, code] of failures) {
    it(`${what}: one line, exit ${exit}, no stack`, () => {
      const text = runCli(args);
      expect(text.status).toBe(exit);
      expect(text.stderr.trim().split('\n')[0]).toMatch(/^tsm: /);
      expect(text.stderr).not.toMatch(/\n\s+at /);
      const json = runCli([...args, '--json']);
      expect(json.status).toBe(exit);
      expect(json.json().error.code).toBe(code);
    });
  }
});
