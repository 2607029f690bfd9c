import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const MODEL = 'zoo/tsm-mobilenetv2-jester-mini/1.0.0/model.onnx';

/** Bad user input: one clear line on stderr, no stack, a distinct exit code, a stable error code in --json. */
const cases: Array<[string, string[], number, string]> = [
  ['verify: dataset folder missing', ['verify', MODEL, '--root', 'no/such/dataset'], 3, 'E_NOT_FOUND'],
  ['verify: --segments disagrees with the model input', ['verify', MODEL, '--root', 'fixtures/jester-mini', '--segments', '4'], 2, 'E_SEGMENTS_MISMATCH'],
  ['verify: --crops not 1, 3 or 10', ['verify', MODEL, '--root', 'fixtures/jester-mini', '--crops', '5'], 2, 'E_USAGE'],
  ['verify: --dense with --twice', ['verify', MODEL, '--dense', '--twice'], 2, 'E_USAGE'],
  ['verify: model is not ONNX', ['verify', 'README.md', '--root', 'fixtures/jester-mini'], 3, 'E_NOT_CHECKPOINT'],
  ['verify: model missing', ['verify', 'nope.onnx', '--root', 'fixtures/jester-mini'], 3, 'E_NOT_FOUND'],
  ['convert: missing checkpoint', ['convert', 'nope.pth'], 3, 'E_NOT_FOUND'],
  ['stream: model is offline', ['stream', MODEL, '--frames', 'fixtures/jester-mini/20bn-jester-v1/100001'], 2, 'E_NOT_ONLINE'],
  ['zoo show: unknown id', ['zoo', 'show', 'no-such-model'], 2, 'E_ZOO_NO_MATCH'],
  ['zoo publish: bad version', ['zoo', 'publish', 'x.pth', '--id', 'a', '--version', '1.2'], 2, 'E_BAD_VERSION'],
  ['download: unknown id', ['download', 'no-such-model'], 2, 'E_ZOO_NO_MATCH'],
  ['download: an entry without an address', ['download', 'tsm-mobilenetv2-jester'], 2, 'E_NO_URL'],
];

describe('bad input: one line, distinct exit code, no stack trace', () => {
  for (const [what, args, exit, code] of cases) {
    it(what, () => {
      const text = runCli(args);
      expect(text.status, text.stderr).toBe(exit);
      const lines = text.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^tsm: /);
      expect(text.stderr).not.toMatch(/\n\s+at /);
      const json = runCli([...args, '--json']);
      expect(json.status).toBe(exit);
      expect(json.json().error.code).toBe(code);
    });
  }
});
