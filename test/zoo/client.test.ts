import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import fc from 'fast-check';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchModel } from '../../src/zoo/cache.js';
import {
  checkArtifact,
  fetchArtifact,
  fetchZoo,
  normalizeRgba,
  resolveModel,
  versionSatisfies,
} from '../../src/zoo/client.js';
import { ROOT, runCliAsync } from '../helpers/cli.js';

/**
 * The zoo client apps use (tsm/zoo) and artifacts served at a URL: a local HTTP server serves a zoo published with
 * --base-url; the client resolves, downloads into a cache, checks size and sha256, refuses a tampered file.
 */
const tmp = mkdtempSync(join(tmpdir(), 'tsm-client-'));
let server: Server;
let base = '';
const hits = new Map<string, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(url, (hits.get(url) ?? 0) + 1);
    const path = normalize(join(tmp, 'served', decodeURIComponent(url)));
    if (!path.startsWith(join(tmp, 'served')) || !existsSync(path)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(path));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(tmp, { recursive: true, force: true });
});

describe('zoo client', () => {
  it('version ranges agree with npm semver on every form the zoo documents', () => {
    const version = fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3)).map((v) => v.join('.'));
    const range = fc.oneof(
      version,
      version.map((v) => `^${v}`),
      version.map((v) => `~${v}`),
      version.map((v) => `>=${v}`),
      fc.tuple(fc.nat(3), fc.nat(3)).map(([a, b]) => `${a}.${b}.x`),
      fc.nat(3).map((a) => `${a}.x`),
      fc.constant('*'),
    );
    fc.assert(
      fc.property(version, range, (v, r) => versionSatisfies(v, r) === semver.satisfies(v, r)),
      { numRuns: 2000 },
    );
  });

  it(
    'npm-style ranges — partial versions (^1, ~1.2, 1), comparators, hyphen ranges, AND and ' +
      '|| — agree with npm semver',
    () => {
      // a version of 1–3 parts: numbers, then wildcards (npm refuses a number after a wildcard)
      const partial = fc
        .tuple(
          fc.array(fc.nat(3), { minLength: 3, maxLength: 3 }),
          fc.integer({ min: 1, max: 3 }),
          fc.nat(3),
          fc.constantFrom('x', '*', 'X'),
        )
        .map(([numbers, given, numeric, wildcard]) =>
          numbers
            .slice(0, given)
            .map((n, i) => (i < numeric ? String(n) : wildcard))
            .join('.'),
        );
      const comparator = fc
        .tuple(
          fc.constantFrom('', '=', '>', '>=', '<', '<=', '^', '~', '~>', 'v', '>= '),
          fc.oneof(partial, fc.constant('*')),
        )
        .map(([op, v]) => `${op}${v}`);
      const hyphen = fc.tuple(partial, partial).map(([a, b]) => `${a} - ${b}`);
      const set = fc.oneof(
        comparator,
        hyphen,
        fc.tuple(comparator, comparator).map(([a, b]) => `${a} ${b}`),
      );
      const range = fc.oneof(
        set,
        fc.tuple(set, set).map(([a, b]) => `${a} || ${b}`),
      );
      const version = fc.tuple(fc.nat(4), fc.nat(4), fc.nat(4)).map((v) => v.join('.'));
      // every generated range is one npm accepts (satisfies() is false for the ones it refuses, proving nothing)
      fc.assert(
        fc.property(
          version,
          range,
          (v, r) => semver.validRange(r) !== null && versionSatisfies(v, r) === semver.satisfies(v, r),
        ),
        { numRuns: 5000 },
      );
      for (const [v, r] of [
        ['1.4.2', '^1'],
        ['2.0.0', '^1'],
        ['0.2.9', '^0.2'],
        ['1.2.7', '~1.2'],
        ['1.3.0', '~1.2'],
        ['3.1.0', '>1.2 <4'],
        ['1.1.0', '1.0 - 1.2'],
      ]) {
        expect({ v, r, ours: versionSatisfies(v, r) }).toEqual({ v, r, ours: semver.satisfies(v, r) });
      }
      expect(() => versionSatisfies('1.0.0', 'latest')).toThrow(/'latest' is not a version range/);
    },
  );

  it("normalizeRgba applies the entry's mean and std per channel, CHW", () => {
    const rgba = new Uint8ClampedArray([255, 0, 128, 9, 0, 255, 64, 9]); // two pixels
    const out = normalizeRgba(rgba, {
      mean: [0.5, 0.25, 0],
      std: [0.5, 0.25, 1],
      inputRange: [0, 1],
      cropSize: 1,
    } as never);
    // cropSize 1: only the first pixel
    expect(Array.from(out)).toEqual([1, -1, 128 / 255].map((x) => Math.fround(x)));
  });

  it(
    'publish --base-url records where artifacts are served; fetch downloads once into the cache and checks them; a ' +
      'tampered file is refused',
    async () => {
      const zooPath = join(tmp, 'served', 'zoo.json');
      mkdirSync(dirname(zooPath), { recursive: true });
      const pub = await runCliAsync([
        'zoo',
        'publish',
        join(ROOT, 'fixtures/models/TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e14.pth'),
        '--id',
        'served-model',
        '--version',
        '1.0.0',
        '--zoo',
        zooPath,
        '--base-url',
        `${base}/zoo/`,
        '--json',
      ]);
      expect(pub.status, pub.stderr).toBe(0);
      const artifact = pub.json().entry.artifacts[0];
      expect(artifact.url).toBe(`${base}/zoo/served-model/1.0.0/model.onnx`);
      expect(artifact.path).toBe('zoo/served-model/1.0.0/model.onnx');

      // the browser-safe client: resolve from the served zoo.json, fetch, check
      const zoo = await fetchZoo(`${base}/zoo.json`);
      const entry = resolveModel(zoo, { id: 'served-model', published: false });
      const bytes = await fetchArtifact(entry, `${base}/zoo.json`);
      expect(bytes.byteLength).toBe(artifact.bytes);

      // the Node cache: downloaded once, then reused without touching the server
      const cache = join(tmp, 'cache');
      const first = await fetchModel(
        { id: 'served-model', published: false },
        { zoo: `${base}/zoo.json`, cacheDir: cache },
      );
      expect(first).toMatchObject({ from: 'downloaded', sha256: artifact.sha256, bytes: artifact.bytes });
      expect(first.path.startsWith(cache)).toBe(true);
      const served = hits.get('/zoo/served-model/1.0.0/model.onnx');
      const again = await fetchModel(
        { id: 'served-model', published: false },
        { zoo: `${base}/zoo.json`, cacheDir: cache },
      );
      expect(again).toMatchObject({ from: 'cache', path: first.path });
      expect(hits.get('/zoo/served-model/1.0.0/model.onnx')).toBe(served);

      // the CLI resolves the same way, from a copy of zoo.json whose artifacts are not beside it
      const elsewhere = join(tmp, 'elsewhere', 'zoo.json');
      mkdirSync(dirname(elsewhere), { recursive: true });
      copyFileSync(zooPath, elsewhere);
      const cli = await runCliAsync([
        'zoo',
        'fetch',
        'served-model',
        '--zoo',
        elsewhere,
        '--cache',
        join(tmp, 'cache2'),
        '--json',
      ]);
      expect(cli.status, cli.stderr).toBe(0);
      expect(cli.json()).toMatchObject({ id: 'served-model', from: 'downloaded', sha256: artifact.sha256 });

      // tampered: one byte changed on the server
      const file = join(tmp, 'served', 'zoo', 'served-model', '1.0.0', 'model.onnx');
      const evil = readFileSync(file);
      evil[evil.length - 10] ^= 0xff;
      writeFileSync(file, evil);
      await expect(fetchArtifact(entry, `${base}/zoo.json`)).rejects.toMatchObject({ code: 'E_CHECKSUM', exitCode: 8 });
      const tamperedCache = join(tmp, 'cache3');
      const bad = await runCliAsync([
        'zoo',
        'fetch',
        'served-model',
        '--zoo',
        `${base}/zoo.json`,
        '--cache',
        tamperedCache,
        '--json',
      ]);
      expect(bad.status).toBe(8);
      expect(bad.json().error.code).toBe('E_CHECKSUM');
      const left = existsSync(tamperedCache)
        ? readdirSync(tamperedCache, { recursive: true }).filter(
            (f) => String(f).endsWith('.onnx') || String(f).endsWith('.part'),
          )
        : [];
      expect(left).toEqual([]);
      await expect(checkArtifact(entry, evil)).rejects.toMatchObject({ code: 'E_CHECKSUM' });
    },
  );

  it('imports neither onnxruntime nor sharp nor any node: module, so it runs in a browser', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
        const spec = m[1];
        expect(spec.startsWith('.'), `${file} imports ${spec}`).toBe(true);
        visit(join(dirname(file), spec));
      }
    };
    visit(join(ROOT, 'dist/zoo/client.js'));
    expect(seen.size).toBeGreaterThan(1);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.exports['./zoo'].default).toBe('./dist/zoo/client.js');
  });
});
