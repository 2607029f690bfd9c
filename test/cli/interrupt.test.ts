import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadZoo } from '../../src/zoo/index.js';
import { ROOT, runCli, runCliAsync } from '../helpers/cli.js';
import { ensureVariants, VARIANTS_DIR } from '../helpers/reference.js';

const variants = ensureVariants();

/** Starts the CLI and SIGKILLs it after `ms` (or when it exits first). */
function runAndKill(args: string[], ms: number): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, stdio: 'ignore' });
    const timer = setTimeout(() => p.kill('SIGKILL'), ms);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Starts the CLI and SIGKILLs it as soon as `ready()` holds (polled), or after 20 s. */
function runAndKillWhen(args: string[], ready: () => boolean): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, stdio: 'ignore' });
    const started = Date.now();
    const poll = setInterval(() => {
      if (ready() || Date.now() - started > 20_000) p.kill('SIGKILL');
    }, 20);
    p.on('exit', (code) => {
      clearInterval(poll);
      resolve(code);
    });
  });
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('killed mid-work, tsm leaves no half-written output', () => {
  it('convert: at every kill time the output is either absent or whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsm-kill-'));
    const ckpt = join(VARIANTS_DIR, variants.r50_block.file);
    const full = join(dir, 'full.onnx');
    expect(runCli(['convert', ckpt, '-o', full]).status).toBe(0);
    const whole = sha(full);
    const outcomes = { absent: 0, whole: 0 };
    for (const ms of [300, 600, 900, 1200, 1500, 1800, 2400]) {
      const out = join(dir, `k${ms}.onnx`);
      await runAndKill(['convert', ckpt, '-o', out], ms);
      if (!existsSync(out)) outcomes.absent++;
      else {
        expect(sha(out)).toBe(whole);
        outcomes.whole++;
      }
    }
    expect(outcomes.absent).toBeGreaterThan(0); // the kills did land before the end
  });

  it('download: killed mid-file leaves only the .part, and the next run resumes it', async () => {
    const payload = Buffer.alloc(2_000_000, 7);
    let stall = true;
    const server = createServer((req, res) => {
      const range = /bytes=(\d+)-/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      res.writeHead(range ? 206 : 200, { 'content-length': payload.length - start });
      if (stall) res.write(payload.subarray(start, start + 500_000)); // then hang until killed
      else res.end(payload.subarray(start));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'tsm-kill-dl-'));
    const zoo = join(dir, 'zoo.json');
    const entry = { ...loadZoo(join(ROOT, 'zoo.json')).models[0], id: 'dl', source: { fileName: 'w.pth', urls: [`http://127.0.0.1:${port}/w.pth`], sha256: null, bytes: null, format: null } };
    writeFileSync(zoo, JSON.stringify({ schemaVersion: 1, models: [entry] }));
    const part = join(dir, 'w.pth.part');
    await runAndKillWhen(['download', 'dl', '--zoo', zoo, '--dir', dir], () => existsSync(part) && statSync(part).size >= 500_000);
    expect(readdirSync(dir).sort()).toEqual(['w.pth.part', 'zoo.json']);
    stall = false;
    const r = await runCliAsync(['download', 'dl', '--zoo', zoo, '--dir', dir, '--json']);
    server.close();
    expect(r.status, r.stderr).toBe(0);
    expect(r.json().downloads[0]).toMatchObject({ resumed: true, bytes: payload.length, recordedSha256: true });
    expect(loadZoo(zoo).models[0].source.sha256).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('publish: killed at any point, zoo.json still parses and keeps every entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsm-kill-zoo-'));
    const zoo = join(dir, 'zoo.json');
    writeFileSync(zoo, JSON.stringify({ schemaVersion: 1, models: [] }));
    const ckpt = join(VARIANTS_DIR, variants.mbv2_width05.file);
    expect(runCli(['zoo', 'publish', ckpt, '--id', 'k', '--version', '1.0.0', '--zoo', zoo]).status).toBe(0);
    for (const [i, ms] of [400, 800, 1200, 1600, 2000].entries()) {
      await runAndKill(['zoo', 'publish', ckpt, '--id', 'k', '--version', `1.0.${i + 1}`, '--zoo', zoo], ms);
      const versions = loadZoo(zoo).models.map((m) => m.version);
      expect(versions).toContain('1.0.0');
      // a version is in the index only with its whole folder
      for (const v of versions) expect(existsSync(join(dir, 'zoo/k', v, 'model.onnx'))).toBe(true);
    }
  });
});
