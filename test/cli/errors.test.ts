import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { testTempDir } from '../helpers/tmp.js';

const MODEL = 'zoo/tsm-mobilenetv2-jester-mini/1.0.0/model.onnx';

/** Bad user input: one clear line on stderr, no stack, a distinct exit code, a stable error code in --json. */
const cases: Array<[string, string[], number, string]> = [
  ['verify: dataset folder missing', ['verify', MODEL, '--root', 'no/such/dataset'], 3, 'E_NOT_FOUND'],
  [
    'verify: --segments disagrees with the model input',
    ['verify', MODEL, '--root', 'fixtures/jester-mini', '--segments', '4'],
    2,
    'E_SEGMENTS_MISMATCH',
  ],
  [
    'verify: --crops not 1, 3 or 10',
    ['verify', MODEL, '--root', 'fixtures/jester-mini', '--crops', '5'],
    2,
    'E_BAD_FLAG_VALUE',
  ],
  ['verify: --dense with --twice', ['verify', MODEL, '--dense', '--twice'], 2, 'E_FLAG_CONFLICT'],
  ['verify: --crop not center, three or ten', ['verify', MODEL, '--crop', 'five'], 2, 'E_BAD_FLAG_VALUE'],
  ['verify: --num-clips 0', ['verify', MODEL, '--num-clips', '0'], 2, 'E_BAD_FLAG_VALUE'],
  [
    "verify: an MMAction2 flag on a model without tsm.mmaction2 (TSM's protocol)",
    ['verify', MODEL, '--root', 'fixtures/jester-mini', '--num-clips', '8'],
    2,
    'E_FLAG_CONFLICT',
  ],
  [
    'verify: a TSM flag under --protocol mmaction2',
    ['verify', MODEL, '--root', 'fixtures/jester-mini', '--protocol', 'mmaction2', '--crops', '3'],
    2,
    'E_FLAG_CONFLICT',
  ],
  [
    'verify: --num-clips not a multiple of the segments',
    ['verify', MODEL, '--root', 'fixtures/jester-mini', '--protocol', 'mmaction2', '--num-clips', '5'],
    2,
    'E_MMA_PROTOCOL',
  ],
  ['verify: model is not ONNX', ['verify', 'README.md', '--root', 'fixtures/jester-mini'], 3, 'E_NOT_CHECKPOINT'],
  ['verify: model missing', ['verify', 'nope.onnx', '--root', 'fixtures/jester-mini'], 3, 'E_NOT_FOUND'],
  [
    'verify: no clip readable in the layout asked for',
    ['verify', MODEL, '--dataset', 'kinetics', '--root', 'fixtures/jester-mini'],
    3,
    'E_NO_CLIPS_READ',
  ],
  [
    'verify: a list with no usable line',
    ['verify', MODEL, '--root', 'fixtures/jester-mini', '--list', 'README.md'],
    3,
    'E_NO_CLIPS',
  ],
  [
    'stream: a folder with no frames',
    ['stream', 'zoo/tsm-mobilenetv2-jester-online-mini/1.1.0/model.onnx', '--frames', 'src'],
    3,
    'E_NO_FRAMES',
  ],
  ['convert: missing checkpoint', ['convert', 'nope.pth'], 3, 'E_NOT_FOUND'],
  [
    'stream: model is offline',
    ['stream', MODEL, '--frames', 'fixtures/jester-mini/20bn-jester-v1/100001'],
    2,
    'E_NOT_ONLINE',
  ],
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

/**
 * oclif's own parse errors go through tsm's error path: one line naming the command, the flag or argument, the value
 * and what is accepted, a suggestion where one is close, exit 2, and under --json exactly one error object on stdout.
 */
const oclifCases: Array<{
  what: string;
  args: string[];
  code: string;
  line: RegExp;
  details: Record<string, unknown>;
}> = [
  {
    what: 'an integer flag given a word',
    args: ['convert', 'x.pth', '--segments', 'abc'],
    code: 'E_BAD_FLAG_VALUE',
    line: /^tsm: convert: --segments 'abc' is not accepted; expected an integer$/,
    details: { command: 'convert', flag: '--segments', value: 'abc' },
  },
  {
    what: 'an integer flag below its minimum',
    args: ['verify', MODEL, '--batch', '0'],
    code: 'E_BAD_FLAG_VALUE',
    line: /^tsm: verify: --batch '0' is not accepted; expected an integer greater than or equal to 1$/,
    details: { flag: '--batch', value: '0' },
  },
  {
    what: 'a missing argument',
    args: ['convert'],
    code: 'E_MISSING_ARGUMENT',
    line: /^tsm: convert: missing argument FILE \(checkpoint/,
    details: { command: 'convert', arguments: ['file'] },
  },
  {
    what: 'a misspelt flag',
    args: ['verify', MODEL, '--datset', 'jester'],
    code: 'E_UNKNOWN_FLAG',
    line: /^tsm: verify: unknown flag --datset; did you mean --dataset\?$/,
    details: { flag: '--datset', suggestion: '--dataset' },
  },
  {
    what: 'an unknown flag with nothing close',
    args: ['inspect', 'x.pth', '--zzzzzzzz'],
    code: 'E_UNKNOWN_FLAG',
    line: /^tsm: inspect: unknown flag --zzzzzzzz$/,
    details: { flag: '--zzzzzzzz' },
  },
  {
    what: 'a value outside the options, close to one',
    args: ['verify', MODEL, '--dataset', 'kinetic'],
    code: 'E_BAD_FLAG_VALUE',
    line: new RegExp(
      "^tsm: verify: --dataset 'kinetic' is not accepted; one of jester, something, somethingv2, kinetics, ucf1" +
        '01, hmdb51; did you mean kinetics\\?$',
    ),
    details: { value: 'kinetic', suggestion: 'kinetics' },
  },
  {
    what: 'a flag without its value',
    args: ['convert', 'x.pth', '--output'],
    code: 'E_MISSING_FLAG_VALUE',
    line: /^tsm: convert: --output needs a value$/,
    details: { flag: '--output' },
  },
  {
    what: 'exclusive flags together',
    args: ['verify', MODEL, '--dense', '--twice'],
    code: 'E_FLAG_CONFLICT',
    line: /^tsm: verify: --(dense|twice) cannot be used with --(twice|dense)$/,
    details: { command: 'verify' },
  },
  {
    what: 'an extra argument',
    args: ['inspect', 'a.pth', 'b.pth'],
    code: 'E_UNEXPECTED_ARGUMENT',
    line: /^tsm: inspect: unexpected argument 'b.pth'$/,
    details: { arguments: ['b.pth'] },
  },
  {
    what: 'an unknown command',
    args: ['convrt', 'x.pth'],
    code: 'E_UNKNOWN_COMMAND',
    line: /^tsm: unknown command 'convrt'; did you mean 'convert'\?$/,
    details: { command: 'convrt', suggestion: 'convert' },
  },
  {
    what: 'an unknown subcommand of a topic',
    args: ['zoo', 'lst'],
    code: 'E_UNKNOWN_COMMAND',
    line: /^tsm: unknown command 'zoo lst'; did you mean 'zoo list'\?$/,
    details: { command: 'zoo lst', suggestion: 'zoo list' },
  },
];

describe('an empty work set is a failure that says what was looked for and where', () => {
  it('verify on another dataset layout names the folder and template tried, and the layout that is there', () => {
    const r = runCli(['verify', MODEL, '--dataset', 'kinetics', '--root', 'fixtures/jester-mini']);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        '^tsm: none of the 80 clip\\(s\\) of fixtures\\/jester-mini\\/val_videofolder.txt could be read from fixt' +
          'ures\\/jester-mini\\/images\\/<id>\\/img_00001.jpg',
      ),
    );
    expect(r.stderr).toMatch(/hint: fixtures\/jester-mini holds 20bn-jester-v1\/ \(--dataset jester\)/);
  });

  it('a list of bad lines names the list and how many lines were read', () => {
    const r = runCli(['verify', MODEL, '--root', 'fixtures/jester-mini', '--list', 'README.md', '--json']);
    expect(r.json().error).toMatchObject({ code: 'E_NO_CLIPS', list: 'README.md' });
    expect(r.json().error.linesRead).toBeGreaterThan(10);
  });
});

describe("oclif's parse errors in tsm's error style", () => {
  for (const c of oclifCases) {
    it(c.what, () => {
      const text = runCli(c.args);
      expect(text.status, text.stderr).toBe(2);
      expect(text.stdout).toBe('');
      const lines = text.stderr.trim().split('\n');
      expect(lines[0]).toMatch(c.line);
      expect(
        lines.slice(1).every((l) => l.startsWith('  hint: ')),
        text.stderr,
      ).toBe(true);
      const json = runCli([...c.args, '--json']);
      expect(json.status).toBe(2);
      expect(json.stderr).toBe('');
      const body = json.json(); // exactly one JSON document: JSON.parse fails on anything else
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error).toMatchObject({ code: c.code, family: 'usage', ...c.details });
      expect(body.error.message).toBe(lines[0].replace(/^tsm: /, ''));
    });
  }
});

/**
 * One stray argument after every command, enumerated from oclif's own view of dist/commands (a new command is
 * covered by itself). oclif joins leading words into a command id when a command takes no argument ('zoo list foo'
 * → 'zoo:list:foo'), which must still read as the known command with an unexpected argument, not an unknown command.
 * Commands that take any number of arguments (strict: false) have no stray argument; they are named here.
 */
describe('a known command with one stray argument names the argument', async () => {
  const { Config } = await import('@oclif/core');
  const config = await Config.load(ROOT);
  const VARIADIC = ['download', 'verify:merge'];

  it('the commands that take any number of arguments are the ones named', () => {
    expect(
      config.commands
        .filter((c) => c.strict === false)
        .map((c) => c.id)
        .sort(),
    ).toEqual(VARIADIC);
  });

  for (const command of config.commands.filter((c) => !VARIADIC.includes(c.id))) {
    const name = command.id.replace(/:/g, ' ');
    const required = Object.entries(command.args)
      .filter(([, a]) => a.required)
      .map(([n, a]) => a.options?.[0] ?? `${n}-value`);
    const args = [...command.id.split(':'), ...required, 'extra'];
    it(`tsm ${args.join(' ')}`, () => {
      const text = runCli(args);
      expect(text.status, text.stderr).toBe(2);
      expect(text.stdout).toBe('');
      expect(text.stderr.split('\n')[0]).toBe(`tsm: ${name}: unexpected argument 'extra'`);
      expect(text.stderr).toContain(`hint: usage: tsm ${name}`);
      const json = runCli([...args, '--json']);
      expect(json.status).toBe(2);
      expect(json.stderr).toBe('');
      expect(json.json()).toEqual({
        error: expect.objectContaining({
          code: 'E_UNEXPECTED_ARGUMENT',
          family: 'usage',
          command: name,
          arguments: ['extra'],
        }),
      });
    });
  }

  it('two stray words after a command without arguments are both named', () => {
    const r = runCli(['zoo', 'list', 'foo', 'bar', '--json']);
    expect(r.status).toBe(2);
    expect(r.json().error).toMatchObject({
      code: 'E_UNEXPECTED_ARGUMENT',
      command: 'zoo list',
      arguments: ['foo', 'bar'],
      message: "zoo list: unexpected arguments 'foo', 'bar'",
    });
  });
});

describe('a broken model file is named by its path', () => {
  it('verify on a truncated .onnx names the file, not <model bytes>', () => {
    const file = join(testTempDir('tsm-truncated-'), 'cut.onnx');
    writeFileSync(file, readFileSync(join(ROOT, MODEL)).subarray(0, 100_000));
    const r = runCli(['verify', file, '--root', 'fixtures/jester-mini']);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr.split('\n')[0]).toMatch(
      new RegExp(`^tsm: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not an ONNX model \\(`),
    );
    const json = runCli(['verify', file, '--root', 'fixtures/jester-mini', '--json']);
    expect(json.json().error).toMatchObject({ code: 'E_NOT_ONNX', file });
  });
});
