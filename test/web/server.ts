import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.jpg': 'image/jpeg',
  '.webm': 'video/webm',
};

/**
 * The repository served on 127.0.0.1 as a static host serves the demo (module scripts need their MIME types; WebGPU
 * needs a secure context, which 127.0.0.1 is), with `mounts` (URL prefix → folder) beside it. For a whole file.
 */
export function serveDemo(root: string, mounts: Record<string, string> = {}): { base: string } {
  const served = { base: '' };
  let server: Server;
  const fileOf = (path: string) => {
    for (const [prefix, dir] of Object.entries(mounts))
      if (path.startsWith(prefix)) return { dir, file: normalize(join(dir, path.slice(prefix.length))) };
    return { dir: root, file: normalize(join(root, path)) };
  };
  beforeAll(async () => {
    server = createServer((req, res) => {
      const { dir, file } = fileOf(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      if (!file.startsWith(dir) || !existsSync(file) || statSync(file).isDirectory()) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    served.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  return served;
}

/** Chromium's flags for a quiet headless run (no network chatter, no sandbox in the container). */
export const QUIET_CHROMIUM = [
  '--headless',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const CHROMIUM = '/usr/bin/chromium';
