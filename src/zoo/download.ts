/**
 * `tsm download`: HTTP(S) with resume (Range), retries with exponential backoff, sha256 check, written to
 * `<name>.part` and renamed only when whole and verified. A checksum mismatch leaves nothing under the final name.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TsmError } from '../errors.js';

export interface DownloadTarget {
  readonly fileName: string;
  readonly urls: readonly string[];
  readonly sha256: string | null;
}

export interface DownloadOptions {
  readonly dir: string;
  /** a base URL tried before the target's own URLs: `${mirror}/${fileName}` */
  readonly mirror?: string;
  readonly retries?: number;
  readonly backoffMs?: number;
  readonly timeoutMs?: number;
  readonly onProgress?: (received: number, total: number | undefined) => void;
}

export interface DownloadResult {
  readonly path: string;
  readonly url: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly resumed: boolean;
  readonly attempts: number;
  readonly alreadyPresent: boolean;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class RetryableError extends Error {}

/** One HTTP attempt: appends to `part` from its current size; returns when the body ended. */
async function attempt(url: string, part: string, timeoutMs: number, onProgress?: DownloadOptions['onProgress']): Promise<{ resumed: boolean }> {
  const have = existsSync(part) ? statSync(part).size : 0;
  let response: Response;
  try {
    response = await fetch(url, { headers: have ? { Range: `bytes=${have}-` } : {}, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new RetryableError(`${url}: ${(err as Error).message}`);
  }
  if (response.status === 416 && have) {
    // the part is already complete (or longer than the file): let the checksum decide
    await response.body?.cancel();
    return { resumed: true };
  }
  if (response.status >= 500 || response.status === 429) throw new RetryableError(`${url}: HTTP ${response.status}`);
  if (response.status !== 200 && response.status !== 206) {
    await response.body?.cancel();
    throw new TsmError('network', 'E_HTTP', `${url}: HTTP ${response.status}`, { details: { url, status: response.status } });
  }
  const resumed = response.status === 206;
  const start = resumed ? have : 0;
  const length = Number(response.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? start + length : undefined;
  const out = createWriteStream(part, { flags: resumed ? 'a' : 'w' });
  let received = start;
  try {
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!out.write(value)) await new Promise<void>((r) => out.once('drain', () => r()));
      received += value.byteLength;
      onProgress?.(received, total);
    }
  } catch (err) {
    throw new RetryableError(`${url}: connection lost after ${received} bytes (${(err as Error).message})`);
  } finally {
    await new Promise<void>((r) => out.end(r));
  }
  if (total !== undefined && received < total) throw new RetryableError(`${url}: connection closed after ${received} of ${total} bytes`);
  return { resumed };
}

export async function downloadFile(target: DownloadTarget, options: DownloadOptions): Promise<DownloadResult> {
  const urls = [...(options.mirror ? [`${options.mirror.replace(/\/+$/, '')}/${target.fileName}`] : []), ...target.urls];
  if (!urls.length) {
    throw new TsmError('usage', 'E_NO_URL', `${target.fileName}: no download address is known`, { hint: `place the file in ${options.dir}/ by hand, or pass --mirror URL` });
  }
  mkdirSync(options.dir, { recursive: true });
  const path = join(options.dir, target.fileName);
  const part = `${path}.part`;
  if (existsSync(path) && target.sha256) {
    const sha = await sha256OfFile(path);
    if (sha === target.sha256) return { path, url: '', bytes: statSync(path).size, sha256: sha, resumed: false, attempts: 0, alreadyPresent: true };
  }
  const retries = options.retries ?? 4;
  const backoff = options.backoffMs ?? 250;
  let attempts = 0;
  let resumedAny = false;
  let lastError = '';
  for (const url of urls) {
    for (let k = 0; k <= retries; k++) {
      attempts++;
      try {
        const { resumed } = await attempt(url, part, options.timeoutMs ?? 60_000, options.onProgress);
        resumedAny ||= resumed;
        const sha = await sha256OfFile(part);
        if (target.sha256 && sha !== target.sha256) {
          rmSync(part, { force: true });
          throw new TsmError('network', 'E_CHECKSUM', `${target.fileName}: sha256 ${sha} does not match the zoo's ${target.sha256}; nothing was kept`, {
            details: { file: target.fileName, expected: target.sha256, found: sha, url },
          });
        }
        renameSync(part, path);
        return { path, url, bytes: statSync(path).size, sha256: sha, resumed: resumedAny, attempts, alreadyPresent: false };
      } catch (err) {
        if (!(err instanceof RetryableError)) throw err;
        lastError = err.message;
        if (k < retries) await sleep(backoff * 2 ** k);
      }
    }
  }
  throw new TsmError('network', 'E_DOWNLOAD', `${target.fileName}: download failed after ${attempts} attempt(s): ${lastError}`, {
    hint: `a partial file stays at ${part} and the next run resumes it`,
    details: { file: target.fileName, attempts },
  });
}
