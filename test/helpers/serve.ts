import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export interface StaticServer {
  /** http://127.0.0.1:PORT, once the file's tests run */
  base: string;
  /** request counts by path */
  readonly hits: Map<string, number>;
}

/** A static file server on 127.0.0.1 over `root` for a whole test file (404 for what is not there). Module level. */
export function serveFolder(root: string): StaticServer {
  const served: StaticServer = { base: '', hits: new Map() };
  let server: Server;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      served.hits.set(path, (served.hits.get(path) ?? 0) + 1);
      const file = normalize(join(root, decodeURIComponent(path)));
      if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    served.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  return served;
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
