import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadZoo } from '../../src/zoo/index.js';
import { killAtPoint, ROOT, runCli, runCliAsync } from '../helpers/cli.js';
import { ensureVariants, VARIANTS_DIR } from '../helpers/reference.js';

const variants = ensureVariants();
const made: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

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
const temps = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('killed mid-work, tsm leaves no half-written output', () => {
  it(
    'convert: killed inside the write (after chunk 3, and after the sync before the rename), the output is absent; ' +
      'the next run replaces the dead temp file',
    async () => {
      const dir = tempDir('tsm-kill-');
      const ckpt = join(VARIANTS_DIR, variants.r18.file);
      const full = join(dir, 'full.onnx');
      expect(runCli(['convert', ckpt, '-o', full]).status).toBe(0);
      const whole = sha(full);
      const wholeSize = statSync(full).size;
      for (const point of ['convert-write:chunk:3', 'convert-write:synced']) {
        const out = join(dir, 'k.onnx');
        const r = await killAtPoint(['convert', ckpt, '-o', out], point);
        expect(r.reached, `${point} not reached: ${r.stderr}`).toBe(true);
        expect(existsSync(out), point).toBe(false);
        // the kill landed during the write: its temp file is there, partial (or whole but never renamed)
        const left = temps(dir);
        expect(left, point).toHaveLength(1);
        const size = statSync(join(dir, left[0])).size;
        if (point.includes('chunk')) expect(size).toBeLessThan(wholeSize);
        else expect(size).toBe(wholeSize);
        // the next convert of the same output removes the dead process's temp file and writes the whole model
        expect(runCli(['convert', ckpt, '-o', out]).status).toBe(0);
        expect(sha(out)).toBe(whole);
        expect(temps(dir), point).toEqual([]);
        rmSync(out);
      }
    },
  );

  it('download: killed mid-file leaves only the .part, and the next run resumes it', async () => {
    const payload = Buffer.alloc(2_000_000, 7);
    let stall = true;
    const server = createServer((req, res) => {
      const range = /bytes=(\d+)-/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      res.writeHead(range ? 206 : 200, { 'content-length': payload.length - start });
      if (stall)
        res.write(payload.subarray(start, start + 500_000)); // then hang until killed
      else res.end(payload.subarray(start));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const dir = tempDir('tsm-kill-dl-');
      const zoo = join(dir, 'zoo.json');
      const entry = {
        ...loadZoo(join(ROOT, 'zoo.json')).models[0],
        id: 'dl',
        source: {
          fileName: 'w.pth',
          urls: [`http://127.0.0.1:${port}/w.pth`],
          sha256: null,
          bytes: null,
          format: null,
        },
      };
      writeFileSync(zoo, JSON.stringify({ schemaVersion: 1, models: [entry] }));
      const part = join(dir, 'w.pth.part');
      await runAndKillWhen(
        ['download', 'dl', '--zoo', zoo, '--dir', dir],
        () => existsSync(part) && statSync(part).size >= 500_000,
      );
      expect(readdirSync(dir).sort()).toEqual(['w.pth.part', 'zoo.json']);
      expect(statSync(part).size).toBeLessThan(payload.length); // the kill landed mid-file
      stall = false;
      const r = await runCliAsync(['download', 'dl', '--zoo', zoo, '--dir', dir, '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.json().downloads[0]).toMatchObject({ resumed: true, bytes: payload.length, recordedSha256: true });
      expect(loadZoo(zoo).models[0].source.sha256).toBe(createHash('sha256').update(payload).digest('hex'));
      expect(readdirSync(dir).sort()).toEqual(['w.pth', 'zoo.json']);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it(
    'publish: killed after staging, and between the folder rename and the index write, zoo.json keeps every entry ' +
      'and the next publish completes',
    async () => {
      const dir = tempDir('tsm-kill-zoo-');
      const zoo = join(dir, 'zoo.json');
      writeFileSync(zoo, JSON.stringify({ schemaVersion: 1, models: [] }));
      const ckpt = join(VARIANTS_DIR, variants.mbv2_width05.file);
      const publish = (version: string) => ['zoo', 'publish', ckpt, '--id', 'k', '--version', version, '--zoo', zoo];
      expect(runCli(publish('1.0.0')).status).toBe(0);
      const versions = () => loadZoo(zoo).models.map((m) => m.version);

      // 1: everything staged, the lock not yet taken
      const staged = await killAtPoint(publish('1.0.1'), 'publish:staged');
      expect(staged.reached, staged.stderr).toBe(true);
      expect(versions()).toEqual(['1.0.0']);
      expect(existsSync(join(dir, 'zoo/k/1.0.1'))).toBe(false);
      expect(readdirSync(join(dir, 'zoo/k')).filter((f) => f.includes('.staging-'))).toHaveLength(1);

      // 2: the version folder renamed into place under the lock, the index not yet written
      const renamed = await killAtPoint(publish('1.0.2'), 'publish:renamed');
      expect(renamed.reached, renamed.stderr).toBe(true);
      expect(versions()).toEqual(['1.0.0']); // still parses, still whole
      expect(existsSync(join(dir, 'zoo/k/1.0.2/model.onnx'))).toBe(true); // an orphan the index does not name

      // the next publishes take over the dead lock, remove the dead staging folder and the orphan, and complete
      for (const v of ['1.0.1', '1.0.2']) {
        const r = await runCliAsync([...publish(v), '--json']);
        expect(r.status, r.stderr).toBe(0);
      }
      expect(versions()).toEqual(['1.0.0', '1.0.1', '1.0.2']);
      for (const v of versions()) expect(existsSync(join(dir, 'zoo/k', v, 'model.onnx'))).toBe(true);
      expect(readdirSync(join(dir, 'zoo/k')).sort()).toEqual(['1.0.0', '1.0.1', '1.0.2']);
      expect(readdirSync(dir).sort()).toEqual(['zoo', 'zoo.json']); // no lock, no temp file
    },
  );
});
