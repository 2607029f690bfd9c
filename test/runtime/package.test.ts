/**
 * The package as an app gets it (issue 26): `npm pack` the project once, install the tarball into an empty app folder
 * with onnxruntime-node from this project's node_modules (a local path; scripts ignored, so no CUDA download; other
 * packages from the npm cache or registry), then from that folder, with no checkout: `npx tsm zoo list`,
 * `npx tsm predict <id> <clip>` and a 5-line tsm/runtime script, against the package's own zoo and against a copy of
 * its zoo.json + zoo/ served over HTTP on 127.0.0.1.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { predict } from '../../src/predict/predict.js';
import { ROOT } from '../helpers/cli.js';
import { requireTool } from '../helpers/requirements.js';
import { serveFolder } from '../helpers/serve.js';
import { fileTempDir } from '../helpers/tmp.js';

const ID = 'tsm-mobilenetv2-jester-mini';
const hasNpm = spawnSync('npm', ['--version']).status === 0;
const tmp = fileTempDir('tsm-package-');
const app = join(tmp, 'app');
const www = join(tmp, 'www');
const served = serveFolder(www);
const clip = join(app, 'clip');

const SCRIPT = `import { loadClassifier } from 'tsm/runtime';
const clf = await loadClassifier({ id: '${ID}', zoo: process.env.ZOO || undefined });
const r = await clf.classify(process.argv[2], { top: 5 });
console.log(JSON.stringify({ zoo: clf.zoo, top: r.top, logits: Array.from(r.logits) }));
await clf.close();
`;

/** A command in the app folder, in an environment that knows nothing of the checkout (async: the test serves HTTP). */
async function inApp(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const child = spawn(command, args, {
    cwd: app,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TMPDIR: tmp,
      ORT_DISABLE_TELEMETRY: '1',
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const status = await new Promise<number | null>((r) => child.on('close', r));
  expect(status, `${command} ${args.join(' ')}: ${stderr}`).toBe(0);
  return stdout;
}

if (requireTool('npm', hasNpm, 'apt-get install npm')) {
  describe('the packed package in an empty app folder', () => {
    beforeAll(() => {
      mkdirSync(join(app, 'pack'), { recursive: true });
      execFileSync('npm', ['pack', '--pack-destination', join(app, 'pack'), '--silent'], { cwd: ROOT });
      writeFileSync(
        join(app, 'package.json'),
        '{ "name": "app", "version": "1.0.0", "private": true, "type": "module" }',
      );
      const ort = join(ROOT, 'node_modules/onnxruntime-node');
      const flags = ['--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'];
      execFileSync('npm', ['install', ...flags, join(app, 'pack', 'tsm-0.1.0.tgz'), ort], { cwd: app, stdio: 'pipe' });
      cpSync(join(ROOT, 'fixtures/jester-mini/20bn-jester-v1/100001'), clip, { recursive: true });
      writeFileSync(join(app, 'classify.mjs'), SCRIPT);
      cpSync(join(app, 'node_modules/tsm/zoo.json'), join(www, 'zoo.json'));
      cpSync(join(app, 'node_modules/tsm/zoo'), join(www, 'zoo'), { recursive: true });
    }, 300_000);

    it("npx tsm zoo list reads the package's own zoo", async () => {
      const out = await inApp('npx', ['tsm', 'zoo', 'list']);
      expect(out.split('\n')[0]).toBe(`zoo: ${join(app, 'node_modules/tsm/zoo.json')} (tsm's own)`);
      expect(out).toContain(`${ID}@1.0.0`);
    });

    it('npx tsm predict ID CLIP classifies with the shipped artifact, as the checkout does', async () => {
      const r = JSON.parse(await inApp('npx', ['tsm', 'predict', ID, clip, '--json']));
      expect(r.zoo).toEqual({ location: join(app, 'node_modules/tsm/zoo.json'), from: 'package' });
      const here = await predict({ model: ID, input: clip, zoo: join(ROOT, 'zoo.json') });
      expect(r.top.map((p: { label: string }) => p.label)).toEqual(here.top.map((p) => p.label));
    });

    it('a 5-line tsm/runtime script: the package zoo, then a copy served over HTTP (cached)', async () => {
      const here = await predict({ model: ID, input: clip, top: 27, zoo: join(ROOT, 'zoo.json') });
      const own = JSON.parse(await inApp('node', ['classify.mjs', clip]));
      expect(own.zoo).toBe(join(app, 'node_modules/tsm/zoo.json'));
      const zoo = `${served.base}/zoo.json`;
      const remote = JSON.parse(
        await inApp('node', ['classify.mjs', clip], { ZOO: zoo, TSM_CACHE: join(tmp, 'cache') }),
      );
      expect(remote.zoo).toBe(zoo);
      expect(served.hits.get(`/zoo/${ID}/1.0.0/model.onnx`)).toBe(1);
      for (const r of [own, remote]) {
        expect(r.top[0].label).toBe(here.top[0].label);
        for (const p of here.top) expect(Math.abs(r.logits[p.index] - p.logit)).toBeLessThanOrEqual(1e-4);
      }
    });

    it('without onnxruntime-node: CLI and runtime say what to install (E_NO_ONNXRUNTIME)', async () => {
      const link = join(app, 'node_modules/onnxruntime-node');
      renameSync(link, `${link}.away`);
      try {
        const cli = spawnSync('npx', ['tsm', 'predict', ID, clip, '--json'], { cwd: app, encoding: 'utf8' });
        expect(cli.status).toBe(2);
        expect(JSON.parse(cli.stdout).error).toMatchObject({ code: 'E_NO_ONNXRUNTIME' });
        expect(await inApp('npx', ['tsm', 'zoo', 'list'])).toContain(ID); // what needs no model still works
        const script = spawnSync('node', ['classify.mjs', clip], { cwd: app, encoding: 'utf8' });
        expect(script.status).not.toBe(0);
        expect(script.stderr).toContain('E_NO_ONNXRUNTIME');
        expect(script.stderr).toContain('npm install --ignore-scripts onnxruntime-node');
      } finally {
        renameSync(`${link}.away`, link);
      }
    });
  });
}
