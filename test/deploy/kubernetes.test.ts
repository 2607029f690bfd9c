import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Job } from 'kubernetes-models/batch/v1/Job';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseShard } from '../../src/verify/shard-choice.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { fileTempDir, testTempDir } from '../helpers/tmp.js';

/**
 * deploy/kubernetes/verify-job.yaml without a cluster (none runs in the tests): each document is a batch/v1 Job by
 * the Kubernetes API schema (kubernetes-models' validator) with no field the API does not know (its type
 * declarations); the Indexed Job's completions reach tsm as the shard count of every index; and the merge Job's
 * command, run here on a parts folder, waits while shards are missing and merges once all are there.
 */
const MANIFEST = join(ROOT, 'deploy/kubernetes/verify-job.yaml');
type Doc = { kind: string; metadata: { name: string }; spec: any };

function readManifest(text = readFileSync(MANIFEST, 'utf8')): Doc[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new Error('not YAML documents');
  for (const d of docs) expect([...d.errors, ...d.warnings].map((e) => e.message)).toEqual([]);
  return docs.map((d) => d.toJS());
}

/** The API schema's verdict on a Job: undefined, or the validator's message. */
function schemaProblem(doc: unknown): string | undefined {
  try {
    new Job(doc as ConstructorParameters<typeof Job>[0]).validate();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Fields the API does not know. The API's OpenAPI schemas (and so the validator) leave objects open, while kubectl
 * apply refuses unknown fields (strict field validation): the documents are type-checked as literals of the
 * package's `IJob`, whose excess-property check names such a field. Also catches enum values in the wrong case.
 */
function typeProblems(docs: readonly unknown[]): string[] {
  const file = join(ROOT, 'test/deploy/__manifest__.ts'); // never written: served to the compiler from memory
  const jobs = docs.map((d, i) => `export const job${i}: IJob = ${JSON.stringify(d, null, 1)};\n`).join('');
  const text = `import type { IJob } from 'kubernetes-models/batch/v1/Job';\n${jobs}`;
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, text, language) : getSourceFile.call(host, name, language, ...rest);
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? text : readFile.call(host, name));
  return ts
    .getPreEmitDiagnostics(ts.createProgram([file], options, host))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
}

const docs = readManifest();
const verifyJob = docs.find((d) => d.metadata.name === 'tsm-verify')!;
const mergeJob = docs.find((d) => d.metadata.name === 'tsm-verify-merge')!;
const container = (job: Doc) => job.spec.template.spec.containers[0];

describe('deploy/kubernetes/verify-job.yaml', () => {
  it('is two batch/v1 Jobs that the API schema accepts, with no field the API does not know', () => {
    expect(docs.map((d) => `${(d as any).apiVersion} ${d.kind} ${d.metadata.name}`)).toEqual([
      'batch/v1 Job tsm-verify',
      'batch/v1 Job tsm-verify-merge',
    ]);
    for (const d of docs) expect(schemaProblem(d), d.metadata.name).toBeUndefined();
    expect(typeProblems(docs)).toEqual([]);
  });

  it(
    'the checks bite: a count typed as a number, a misspelled field, a mode in the wrong case, a ' +
      'Job with no pod template',
    () => {
      const broken = (edit: (d: Doc) => void) => {
        const copy = structuredClone(verifyJob);
        edit(copy);
        return copy;
      };
      // YAML reads `value: 16` as a number; the API wants a string
      const unquoted = readManifest(
        readFileSync(MANIFEST, 'utf8').replace(/(name: TSM_SHARD_COUNT\s+value: )"(\d+)"/, '$1$2'),
      )[0];
      expect(schemaProblem(unquoted)).toMatch(/env\/0\/value must be string/);
      expect(schemaProblem(broken((d) => delete d.spec.template))).toMatch(
        /data\/spec must have required property template/,
      );
      expect(schemaProblem(broken((d) => (d.spec.completionMode = 'Sharded')))).toMatch(
        /completionMode must be equal to one of the allowed values/,
      );
      // open objects: the schema lets these through, the type check does not
      const misspelled = broken((d) => {
        d.spec.completion = d.spec.completions;
        delete d.spec.completions;
      });
      expect(schemaProblem(misspelled)).toBeUndefined();
      expect(typeProblems([misspelled])).toEqual([
        `Object literal may only specify known properties, and '"completion"' does not exist in type 'IJobSpec'.`,
      ]);
      expect(typeProblems([broken((d) => (d.spec.completionMode = 'indexed'))])).toEqual([
        expect.stringMatching(/'"indexed"' is not assignable .* Did you mean '"Indexed"'/),
      ]);
    },
  );

  it('an Indexed Job whose completions reach tsm as the shard count: every index is one shard of that many', () => {
    expect(verifyJob.spec.completionMode).toBe('Indexed');
    const completions: number = verifyJob.spec.completions;
    expect(Number.isInteger(completions) && completions > 0).toBe(true);
    expect(verifyJob.spec.parallelism).toBeLessThanOrEqual(completions);
    const verify = container(verifyJob);
    const env = Object.fromEntries(
      (verify.env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]),
    );
    expect(env.TSM_SHARD_COUNT).toBe(String(completions));
    const argv: string[] = [...verify.command, ...(verify.args ?? [])];
    expect(argv.slice(0, 3)).toEqual(['npx', 'tsm', 'verify']);
    expect(argv[argv.indexOf('--shard') + 1]).toBe('auto');
    // Kubernetes gives each pod JOB_COMPLETION_INDEX 0..completions-1; tsm makes of it, with the pod's env:
    const shards = Array.from({ length: completions }, (_, i) =>
      parseShard('auto', { ...env, JOB_COMPLETION_INDEX: String(i) }),
    );
    expect(shards).toEqual(Array.from({ length: completions }, (_, i) => ({ index: i, count: completions })));
    // each index writes its own part into the folder the merge Job reads, on the same volume
    expect(argv[argv.indexOf('-o') + 1]).toBe('/data/parts/part-$(JOB_COMPLETION_INDEX).json');
    for (const job of [verifyJob, mergeJob]) {
      expect(job.spec.template.spec.volumes).toEqual([
        { name: 'data', persistentVolumeClaim: { claimName: 'tsm-data' } },
      ]);
      expect(container(job).volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
    }
  });
});

describe("the merge Job's command, run on a parts folder", () => {
  const MODEL = join(ROOT, 'zoo/tsm-mobilenetv2-jester-mini/1.0.0/model.onnx');
  const MINI = join(ROOT, 'fixtures/jester-mini');
  const parts = fileTempDir('tsm-k8s-parts-');
  beforeAll(() => {
    for (const i of [0, 1]) {
      const r = runCli([
        'verify',
        MODEL,
        '--root',
        MINI,
        '--max-num',
        '8',
        '--shard',
        `${i}/2`,
        '-o',
        join(parts, `part-${i}.json`),
      ]);
      expect(r.status, r.stderr).toBe(0);
    }
  });

  /**
   * The manifest's `sh -c` script with /data at `data`; `npx tsm` is this checkout's CLI and `sleep` (the wait between
   * polls) ends the script with 99, so a run that would wait stops there, visibly.
   */
  function runMerge(
    data: string,
    npx = `[ "$1" = tsm ] || exit 98; shift; "${process.execPath}" "${join(ROOT, 'bin/run.js')}" "$@"`,
  ) {
    const command: string[] = container(mergeJob).command;
    expect(command.slice(0, 2)).toEqual(['sh', '-c']);
    const script = command[2];
    expect(script).toContain('npx tsm verify status /data/parts');
    expect(script.indexOf('tsm verify status /data/parts')).toBeLessThan(
      script.indexOf('tsm verify merge /data/parts'),
    );
    const shell =
      `exec 2>&1\nnpx() { ${npx}; }\nsleep() { echo "would wait $1 s"; exit 99; ` +
      `}\n${script.replaceAll('/data/', `${data}/`)}`;
    const r = spawnSync('/bin/sh', ['-c', shell], { encoding: 'utf8', cwd: ROOT });
    return { status: r.status, output: r.stdout };
  }

  it('waits while the parts folder is not there yet, and while a shard is missing', () => {
    const data = testTempDir('tsm-k8s-data-');
    const none = runMerge(data);
    expect(none.status, none.output).toBe(99);
    expect(none.output).toMatch(/parts: not found[\s\S]*would wait 60 s/);
    mkdirSync(join(data, 'parts'));
    const r = spawnSync('cp', [join(parts, 'part-0.json'), join(data, 'parts')]);
    expect(r.status).toBe(0);
    const one = runMerge(data);
    expect(one.status, one.output).toBe(99);
    expect(one.output).toMatch(/1\/2 shards done; missing 1[\s\S]*would wait 60 s/);
    expect(existsSync(join(data, 'report'))).toBe(false);
  });

  it('merges once every shard is there, and stops (does not wait) on any failure other than shards missing', () => {
    const data = testTempDir('tsm-k8s-data-');
    expect(spawnSync('cp', ['-r', parts, join(data, 'parts')]).status).toBe(0);
    const done = runMerge(data);
    expect(done.status, done.output).toBe(0);
    expect(done.output).toContain('2/2 shards done — complete');
    expect(done.output).toContain('merged 2 part(s)');
    expect(JSON.parse(readFileSync(join(data, 'report', 'verify.json'), 'utf8'))).toMatchObject({ clips: 8, parts: 2 });
    // a tsm that fails otherwise (here: exit 70, a bug) ends the Job's pod with that code instead of polling
    const broken = runMerge(data, 'exit 70');
    expect([broken.status, broken.output]).toEqual([70, '']);
  });
});
