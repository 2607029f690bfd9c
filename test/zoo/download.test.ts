import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TsmError } from '../../src/errors.js';
import { downloadFile } from '../../src/zoo/download.js';
import { ROOT, runCliAsync } from '../helpers/cli.js';

/**
 * A local server on 127.0.0.1 that serves one file with Range support, and misbehaves on request:
 * /drop/… closes the connection half-way through the first response, /corrupt/… flips a byte,
 * /flaky/… answers 503 twice before serving, /missing/… is a 404.
 */
const payload = randomBytes(300_000);
const sha = createHash('sha256').update(payload).digest('hex');
let server: Server;
let base = '';
const hits = new Map<string, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    const mode = url.split('/')[1];
    const count = (hits.get(url) ?? 0) + 1;
    hits.set(url, count);
    if (mode === 'missing') return res.writeHead(404).end();
    if (mode === 'flaky' && count <= 2) return res.writeHead(503).end();
    let body = payload;
    if (mode === 'corrupt') {
      body = Buffer.from(payload);
      body[1234] ^= 0xff;
    }
    const range = /bytes=(\d+)-/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const slice = body.subarray(start);
    res.writeHead(range ? 206 : 200, {
      'content-length': slice.length,
      ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if ((mode === 'drop' && count === 1) || mode === 'alwaysdrop') {
      res.write(slice.subarray(0, 100_000), () => res.destroy());
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
const made: string[] = [];
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tsm-dl-'));
  made.push(d);
  return d;
};

describe('downloadFile against a local server', () => {
  it('downloads, checks sha256 and renames into place', async () => {
    const d = dir();
    const r = await downloadFile(
      { fileName: 'model.pth', urls: [`${base}/ok/model.pth`], sha256: sha },
      { dir: d, backoffMs: 1 },
    );
    expect(r).toMatchObject({ bytes: payload.length, sha256: sha, resumed: false, attempts: 1 });
    expect(readFileSync(join(d, 'model.pth')).equals(payload)).toBe(true);
    expect(existsSync(join(d, 'model.pth.part'))).toBe(false);
  });

  it('resumes with Range after the connection drops mid-file', async () => {
    const d = dir();
    const r = await downloadFile(
      { fileName: 'model.pth', urls: [`${base}/drop/model.pth`], sha256: sha },
      { dir: d, backoffMs: 1 },
    );
    expect(r.resumed).toBe(true);
    expect(r.attempts).toBe(2);
    expect(readFileSync(join(d, 'model.pth')).equals(payload)).toBe(true);
  });

  it('retries 503s with backoff', async () => {
    const r = await downloadFile(
      { fileName: 'model.pth', urls: [`${base}/flaky/model.pth`], sha256: sha },
      { dir: dir(), backoffMs: 1 },
    );
    expect(r.attempts).toBe(3);
  });

  it('corrupt bytes: a typed error and nothing under the final name', async () => {
    const d = dir();
    const err = await downloadFile(
      { fileName: 'model.pth', urls: [`${base}/corrupt/model.pth`], sha256: sha },
      { dir: d, backoffMs: 1 },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(TsmError);
    expect(err).toMatchObject({ code: 'E_CHECKSUM', exitCode: 8, details: { expected: sha } });
    expect(existsSync(join(d, 'model.pth'))).toBe(false);
    expect(existsSync(join(d, 'model.pth.part'))).toBe(false);
  });

  it("the publisher's sha256 prefix (MMAction2's -<sha8> names) is checked when the digest is unknown", async () => {
    const d = dir();
    const good = await downloadFile(
      { fileName: 'a.pth', urls: [`${base}/ok/a.pth`], sha256: null, sha256Prefix: sha.slice(0, 8) },
      { dir: d, backoffMs: 1 },
    );
    expect(good.sha256).toBe(sha);
    const wrong = (sha[0] === '0' ? '1' : '0') + sha.slice(1, 8);
    const err = await downloadFile(
      { fileName: 'b.pth', urls: [`${base}/ok/b.pth`], sha256: null, sha256Prefix: wrong },
      { dir: d, backoffMs: 1 },
    ).catch((e) => e);
    expect(err).toMatchObject({ code: 'E_CHECKSUM', exitCode: 8, details: { expected: wrong, found: sha } });
    expect(existsSync(join(d, 'b.pth'))).toBe(false);
    expect(existsSync(join(d, 'b.pth.part'))).toBe(false);
  });

  it('a 404 is final; the mirror is tried first', async () => {
    await expect(
      downloadFile(
        { fileName: 'model.pth', urls: [`${base}/missing/model.pth`], sha256: sha },
        { dir: dir(), backoffMs: 1 },
      ),
    ).rejects.toMatchObject({ code: 'E_HTTP' });
    const r = await downloadFile(
      { fileName: 'model.pth', urls: [`${base}/missing/model.pth`], sha256: sha },
      { dir: dir(), mirror: `${base}/ok`, backoffMs: 1 },
    );
    expect(r.url).toBe(`${base}/ok/model.pth`);
  });

  it('an existing file with the right checksum is not fetched again; unknown checksums are computed', async () => {
    const d = dir();
    writeFileSync(join(d, 'model.pth'), payload);
    const before = hits.get('/ok/x.pth') ?? 0;
    const r = await downloadFile({ fileName: 'model.pth', urls: [`${base}/ok/x.pth`], sha256: sha }, { dir: d });
    expect(r.alreadyPresent).toBe(true);
    expect(hits.get('/ok/x.pth') ?? 0).toBe(before);
    const fresh = await downloadFile(
      { fileName: 'model.pth', urls: [`${base}/ok/model.pth`], sha256: null },
      { dir: dir() },
    );
    expect(fresh.sha256).toBe(sha);
  });

  it('unreachable servers fail after the retries with a typed network error', async () => {
    const err = await downloadFile(
      { fileName: 'm.pth', urls: ['http://127.0.0.1:9/m.pth'], sha256: null },
      { dir: dir(), retries: 1, backoffMs: 1, timeoutMs: 2000 },
    ).catch((e) => e);
    expect(err).toMatchObject({ code: 'E_DOWNLOAD', family: 'network', details: { attempts: 2 } });
  });

  it('names the cause: a refused connection, and no .part is promised when none was written', async () => {
    const d = dir();
    // a port that was just free: nothing listens there
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const err = await downloadFile(
      { fileName: 'm.pth', urls: [`http://127.0.0.1:${port}/m.pth`], sha256: null },
      { dir: d, retries: 0, timeoutMs: 2000 },
    ).catch((e) => e);
    expect(err).toMatchObject({ code: 'E_DOWNLOAD', details: { cause: 'refused', partial: null } });
    expect(err.message).toContain(`connection to 127.0.0.1:${port} refused (ECONNREFUSED)`);
    expect(err.hint).toMatch(/^nothing was written/);
    expect(existsSync(join(d, 'm.pth.part'))).toBe(false);
  });

  it('names the cause: a host that does not resolve', async () => {
    const err = await downloadFile(
      { fileName: 'm.pth', urls: ['http://no-such-host.invalid/m.pth'], sha256: null },
      { dir: dir(), retries: 0, timeoutMs: 5000 },
    ).catch((e) => e);
    expect(err).toMatchObject({ code: 'E_DOWNLOAD', details: { cause: 'dns' } });
    expect(err.message).toMatch(/DNS lookup of no-such-host\.invalid failed \((ENOTFOUND|EAI_AGAIN|EAI_NONAME)\)/);
  });

  it('names the HTTP status of a final refusal', async () => {
    const err = await downloadFile(
      { fileName: 'm.pth', urls: [`${base}/missing/m.pth`], sha256: null },
      { dir: dir(), retries: 0 },
    ).catch((e) => e);
    expect(err).toMatchObject({ code: 'E_HTTP', details: { status: 404, cause: 'http' } });
    expect(err.message).toMatch(/HTTP 404 Not Found$/);
  });

  it('a transfer that always breaks off keeps its .part, and the hint names it with its size', async () => {
    const d = dir();
    const err = await downloadFile(
      { fileName: 'm.pth', urls: [`${base}/alwaysdrop/m.pth`], sha256: sha },
      { dir: d, retries: 0 },
    ).catch((e) => e);
    const part = join(d, 'm.pth.part');
    expect(err).toMatchObject({ code: 'E_DOWNLOAD', details: { partial: part } });
    expect(existsSync(part)).toBe(true);
    expect(err.hint).toBe(`${readFileSync(part).length} bytes are kept in ${part}; the next run resumes from there`);
  });

  it('tsm download --all goes on past a failed entry and reports each', async () => {
    const d = dir();
    const zoo = JSON.parse(readFileSync(join(ROOT, 'zoo.json'), 'utf8'));
    const template = zoo.models.find((m: { status: string }) => m.status === 'source-only');
    const entry = (id: string, url: string) => ({
      ...template,
      id,
      source: { ...template.source, fileName: `${id}.pth`, urls: [url], sha256: sha, bytes: payload.length },
    });
    const zooPath = join(d, 'zoo.json');
    writeFileSync(
      zooPath,
      JSON.stringify({
        ...zoo,
        models: [entry('first-missing', `${base}/missing/a.pth`), entry('second-ok', `${base}/ok/b.pth`)],
      }),
    );
    const r = await runCliAsync([
      'download',
      '--all',
      '--zoo',
      zooPath,
      '--dir',
      join(d, 'out'),
      '--retries',
      '0',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(8);
    const body = r.json();
    expect(body.error).toMatchObject({
      code: 'E_DOWNLOAD_SOME',
      failures: [{ id: 'first-missing', code: 'E_HTTP' }],
      downloads: [{ id: 'second-ok', sha256: sha }],
    });
    expect(readFileSync(join(d, 'out', 'second-ok.pth')).equals(payload)).toBe(true);
    const text = await runCliAsync(['download', '--all', '--zoo', zooPath, '--dir', join(d, 'out2'), '--retries', '0']);
    expect(text.status).toBe(8);
    expect(text.stderr).toMatch(/^tsm: first-missing: .*HTTP 404/m);
    expect(text.stdout).toMatch(/downloaded .*second-ok\.pth/);
    expect(text.stderr).toMatch(/^tsm: 1 of 2 download\(s\) failed: first-missing$/m);
  });
});
