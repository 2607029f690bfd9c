import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TsmError } from '../../src/errors.js';
import { downloadFile } from '../../src/zoo/download.js';

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
    res.writeHead(range ? 206 : 200, { 'content-length': slice.length, ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
    if (mode === 'drop' && count === 1) {
      res.write(slice.subarray(0, 100_000), () => res.destroy());
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const dir = () => mkdtempSync(join(tmpdir(), 'tsm-dl-'));

describe('downloadFile against a local server', () => {
  it('downloads, checks sha256 and renames into place', async () => {
    const d = dir();
    const r = await downloadFile({ fileName: 'model.pth', urls: [`${base}/ok/model.pth`], sha256: sha }, { dir: d, backoffMs: 1 });
    expect(r).toMatchObject({ bytes: payload.length, sha256: sha, resumed: false, attempts: 1 });
    expect(readFileSync(join(d, 'model.pth')).equals(payload)).toBe(true);
    expect(existsSync(join(d, 'model.pth.part'))).toBe(false);
  });

  it('resumes with Range after the connection drops mid-file', async () => {
    const d = dir();
    const r = await downloadFile({ fileName: 'model.pth', urls: [`${base}/drop/model.pth`], sha256: sha }, { dir: d, backoffMs: 1 });
    expect(r.resumed).toBe(true);
    expect(r.attempts).toBe(2);
    expect(readFileSync(join(d, 'model.pth')).equals(payload)).toBe(true);
  });

  it('retries 503s with backoff', async () => {
    const r = await downloadFile({ fileName: 'model.pth', urls: [`${base}/flaky/model.pth`], sha256: sha }, { dir: dir(), backoffMs: 1 });
    expect(r.attempts).toBe(3);
  });

  it('corrupt bytes: a typed error and nothing under the final name', async () => {
    const d = dir();
    const err = await downloadFile({ fileName: 'model.pth', urls: [`${base}/corrupt/model.pth`], sha256: sha }, { dir: d, backoffMs: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(TsmError);
    expect(err).toMatchObject({ code: 'E_CHECKSUM', exitCode: 8, details: { expected: sha } });
    expect(existsSync(join(d, 'model.pth'))).toBe(false);
    expect(existsSync(join(d, 'model.pth.part'))).toBe(false);
  });

  it('a 404 is final; the mirror is tried first', async () => {
    await expect(downloadFile({ fileName: 'model.pth', urls: [`${base}/missing/model.pth`], sha256: sha }, { dir: dir(), backoffMs: 1 })).rejects.toMatchObject({ code: 'E_HTTP' });
    const r = await downloadFile({ fileName: 'model.pth', urls: [`${base}/missing/model.pth`], sha256: sha }, { dir: dir(), mirror: `${base}/ok`, backoffMs: 1 });
    expect(r.url).toBe(`${base}/ok/model.pth`);
  });

  it('an existing file with the right checksum is not fetched again; unknown checksums are computed', async () => {
    const d = dir();
    writeFileSync(join(d, 'model.pth'), payload);
    const before = hits.get('/ok/x.pth') ?? 0;
    const r = await downloadFile({ fileName: 'model.pth', urls: [`${base}/ok/x.pth`], sha256: sha }, { dir: d });
    expect(r.alreadyPresent).toBe(true);
    expect(hits.get('/ok/x.pth') ?? 0).toBe(before);
    const fresh = await downloadFile({ fileName: 'model.pth', urls: [`${base}/ok/model.pth`], sha256: null }, { dir: dir() });
    expect(fresh.sha256).toBe(sha);
  });

  it('unreachable servers fail after the retries with a typed network error', async () => {
    const err = await downloadFile({ fileName: 'm.pth', urls: ['http://127.0.0.1:9/m.pth'], sha256: null }, { dir: dir(), retries: 1, backoffMs: 1, timeoutMs: 2000 }).catch((e) => e);
    expect(err).toMatchObject({ code: 'E_DOWNLOAD', family: 'network', details: { attempts: 2 } });
  });
});
