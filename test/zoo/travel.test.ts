/**
 * A zoo that travels (issue 26, item 1): zoo.json and zoo/ copied to any folder or served from any host are a working
 * zoo, because artifact urls are relative to their zoo.json; the client resolves them against a path, a file: URL or
 * an http(s) URL, checks size and sha256, and the cache never keeps a file that failed. Each failure is a typed error
 * naming the entry and the URL.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fetchModel } from '../../src/zoo/cache.js';
import { fetchArtifact, fetchZoo, resolveModel } from '../../src/zoo/client-node.js';
import type { ZooEntry } from '../../src/zoo/types.js';
import { ROOT, runCli, runCliAsync } from '../helpers/cli.js';
import { closedPort, serveFolder } from '../helpers/serve.js';
import { fileTempDir, testTempDir } from '../helpers/tmp.js';

const ID = 'tsm-mobilenetv2-jester-mini';
const tmp = fileTempDir('tsm-travel-');
const copy = join(tmp, 'somewhere', 'else');
const served = serveFolder(join(tmp, 'www'));
const shipped = JSON.parse(readFileSync(join(ROOT, 'zoo.json'), 'utf8'));

/** A one-model zoo (the shipped entry of ID, its artifact changed by `mutate`) under www/NAME/. */
function servedZoo(name: string, mutate: (bytes: Buffer) => Buffer, url?: string): { zoo: string; entry: ZooEntry } {
  const entry = shipped.models.find((m: ZooEntry) => m.id === ID && m.status === 'published');
  const dir = join(tmp, 'www', name);
  const rel = entry.artifacts[0].url;
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), mutate(readFileSync(join(ROOT, rel))));
  const changed = url ? { ...entry, artifacts: [{ ...entry.artifacts[0], url }] } : entry;
  writeFileSync(join(dir, 'zoo.json'), JSON.stringify({ ...shipped, models: [changed] }));
  return { zoo: `${served.base}/${name}/zoo.json`, entry: changed };
}

/** Files left in a cache folder (none, after any failure). */
const filesIn = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile())
    : [];

describe('a zoo that travels', () => {
  it('the checked-in zoo records every artifact as a url relative to zoo.json, and validates', () => {
    const artifacts = shipped.models.flatMap((m: ZooEntry) => m.artifacts);
    expect(artifacts.length).toBeGreaterThanOrEqual(5);
    for (const a of artifacts) {
      expect(a.url).toMatch(/^zoo\/[^:]+\/model\.onnx$/);
      expect(existsSync(join(ROOT, a.url))).toBe(true);
    }
    const v = runCli(['zoo', 'validate', '--zoo', join(ROOT, 'zoo.json'), '--json']);
    expect(v.status, v.stderr).toBe(0);
    expect(v.json().checkedArtifacts).toBe(artifacts.length);
  });

  it('zoo.json and zoo/ copied to another folder resolve by folder, path and file: URL, checked in place', async () => {
    mkdirSync(copy, { recursive: true });
    cpSync(join(ROOT, 'zoo.json'), join(copy, 'zoo.json'));
    cpSync(join(ROOT, 'zoo'), join(copy, 'zoo'), { recursive: true });
    const cache = testTempDir('tsm-travel-cache-');
    for (const zoo of [copy, join(copy, 'zoo.json'), pathToFileURL(join(copy, 'zoo.json')).href]) {
      const r = await fetchModel({ id: ID }, { zoo, cacheDir: cache });
      expect(r).toMatchObject({ from: 'local', path: join(copy, 'zoo', ID, '1.0.0', 'model.onnx') });
    }
    // the browser-safe client in Node reads file: URLs (fetch refuses them)
    const zooUrl = pathToFileURL(join(copy, 'zoo.json'));
    const entry = resolveModel(await fetchZoo(zooUrl), { id: ID });
    expect((await fetchArtifact(entry, zooUrl)).byteLength).toBe(entry.artifacts[0].bytes);
    expect(filesIn(cache)).toEqual([]);
  });

  it('the same copy served over HTTP: fetched into the cache once, then reused', async () => {
    cpSync(copy, join(tmp, 'www', 'copy'), { recursive: true });
    const cache = testTempDir('tsm-travel-cache-');
    const zoo = `${served.base}/copy/zoo.json`;
    const first = await fetchModel({ id: ID }, { zoo, cacheDir: cache });
    expect(first.from).toBe('downloaded');
    expect(first.url).toBe(`${served.base}/copy/zoo/${ID}/1.0.0/model.onnx`);
    expect(first.path.startsWith(cache)).toBe(true);
    const hits = served.hits.get(`/copy/zoo/${ID}/1.0.0/model.onnx`);
    expect(await fetchModel({ id: ID }, { zoo, cacheDir: cache })).toMatchObject({ from: 'cache', path: first.path });
    expect(served.hits.get(`/copy/zoo/${ID}/1.0.0/model.onnx`)).toBe(hits);
    // and the CLI, from its --json, says which zoo it used
    const cli = await runCliAsync(['zoo', 'fetch', ID, '--zoo', zoo, '--cache', cache, '--json']);
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.json()).toMatchObject({ from: 'cache', zoo: { location: zoo, from: 'flag' } });
  });

  it('a tampered artifact (same size, a byte changed): E_CHECKSUM naming entry and URL, nothing cached', async () => {
    const { zoo } = servedZoo('tampered', (b) => {
      b[b.length - 100] ^= 0xff;
      return b;
    });
    const cache = testTempDir('tsm-travel-cache-');
    const err = await fetchModel({ id: ID }, { zoo, cacheDir: cache }).catch((e) => e);
    expect(err).toMatchObject({ code: 'E_CHECKSUM', exitCode: 8 });
    expect(err.message).toContain(`${served.base}/tampered/zoo/${ID}/1.0.0/model.onnx`);
    expect(err.message).toContain(`${ID}@1.0.0`);
    expect(filesIn(cache)).toEqual([]);
    const cli = await runCliAsync(['zoo', 'fetch', ID, '--zoo', zoo, '--cache', cache, '--json']);
    expect(cli.status).toBe(8);
    expect(cli.json().error.code).toBe('E_CHECKSUM');
    expect(filesIn(cache)).toEqual([]);
  });

  it('an artifact of the wrong size: E_ARTIFACT_SIZE naming the entry, the URL and both sizes', async () => {
    const { zoo, entry } = servedZoo('short', (b) => b.subarray(0, b.length - 1000));
    const cache = testTempDir('tsm-travel-cache-');
    const err = await fetchModel({ id: ID }, { zoo, cacheDir: cache }).catch((e) => e);
    expect(err).toMatchObject({ code: 'E_ARTIFACT_SIZE' });
    expect(err.message).toContain(`${served.base}/short/zoo/${ID}/1.0.0/model.onnx`);
    expect(err.message).toContain(`${entry.artifacts[0].bytes - 1000} bytes, but ${ID}@1.0.0 records`);
    expect(filesIn(cache)).toEqual([]);
  });

  it('an unreachable artifact (nothing listens; or 404): E_ARTIFACT_UNREACHABLE naming entry and URL', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}/zoo/${ID}/1.0.0/model.onnx`;
    const cache = testTempDir('tsm-travel-cache-');
    for (const [name, url] of [
      ['dead', dead],
      ['missing', 'zoo/nowhere/model.onnx'],
    ]) {
      const { zoo } = servedZoo(name, (b) => b, url);
      const err = await fetchModel({ id: ID }, { zoo, cacheDir: cache }).catch((e) => e);
      expect(err).toMatchObject({ code: 'E_ARTIFACT_UNREACHABLE' });
      expect(err.message).toContain(`${ID}@1.0.0`);
      expect(err.message).toContain(name === 'dead' ? dead : `${served.base}/missing/zoo/nowhere/model.onnx`);
      expect(filesIn(cache)).toEqual([]);
    }
  });

  it('a zoo whose index lacks the model: E_ZOO_NO_MATCH naming the zoo and the query', async () => {
    const { zoo } = servedZoo('other', (b) => b);
    const cache = testTempDir('tsm-travel-cache-');
    const err = await fetchModel({ id: 'no-such-model' }, { zoo, cacheDir: cache }).catch((e) => e);
    expect(err).toMatchObject({ code: 'E_ZOO_NO_MATCH' });
    expect(err.message).toContain(zoo);
    expect(err.message).toContain('no-such-model');
    expect(filesIn(cache)).toEqual([]);
  });

  it("with no --zoo: TSM_ZOO, else ./zoo.json, else the package's own; zoo list says which", () => {
    const empty = testTempDir('tsm-travel-cwd-');
    const own = runCli(['zoo', 'list', '--json'], { cwd: empty, env: { TSM_ZOO: '' } });
    expect(own.status, own.stderr).toBe(0);
    expect(own.json().zoo).toEqual({ location: join(ROOT, 'zoo.json'), from: 'package' });
    const header = runCli(['zoo', 'list'], { cwd: empty, env: { TSM_ZOO: '' } });
    expect(header.stdout.split('\n')[0]).toBe(`zoo: ${join(ROOT, 'zoo.json')} (tsm's own)`);
    const env = runCli(['zoo', 'list', '--json'], { cwd: empty, env: { TSM_ZOO: join(copy, 'zoo.json') } });
    expect(env.json().zoo).toEqual({ location: join(copy, 'zoo.json'), from: 'env' });
    const cwd = runCli(['zoo', 'list', '--json'], { cwd: copy, env: { TSM_ZOO: '' } });
    expect(cwd.json().zoo).toEqual({ location: 'zoo.json', from: 'cwd' });
  });
});
