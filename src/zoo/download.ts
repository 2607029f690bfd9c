/**
 * `tsm download`: HTTP(S) with resume (Range), retries with exponential backoff, sha256 check, written to
 * `<name>.part` and renamed only when whole and verified. A checksum mismatch leaves nothing under the final name.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TsmError } from '../errors.js';

/** Where `tsm download` puts checkpoints unless told (the seed README's layout: weights in pretrained/). */
export const DEFAULT_CHECKPOINT_DIR = 'pretrained';

export interface DownloadTarget {
  readonly fileName: string;
  readonly urls: readonly string[];
  readonly sha256: string | null;
  /** the start of the sha256 a publisher put in the file name (MMAction2's `…-<sha256[:8]>.pth`), checked when the
   * whole digest is not known yet */
  readonly sha256Prefix?: string;
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

/** What went wrong on the wire, in the user's words: which of DNS, connection, TLS, timeout or HTTP. */
export type FailureCause = 'dns' | 'refused' | 'reset' | 'timeout' | 'tls' | 'http' | 'truncated' | 'network';

class RetryableError extends Error {
  constructor(
    message: string,
    readonly cause: FailureCause,
  ) {
    super(message);
  }
}

const TLS_CODE = /^(CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS|ERR_SSL|EPROTO$|HOSTNAME_MISMATCH|ERR_CERT)/;

/** undici's `fetch failed` hides the reason in `cause` (an errno error, a TLS error, or an abort). */
export function describeFetchFailure(err: unknown, url: string): { cause: FailureCause; message: string } {
  const e = err as Error & { cause?: Error & { code?: string; hostname?: string; errors?: Array<{ code?: string }> } };
  const host = (() => {
    try {
      return new URL(url).host;
    } catch {
      return url;
    }
  })();
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
    return { cause: 'timeout', message: `no answer from ${host} in time (${e.message})` };
  const inner = e?.cause;
  const code = inner?.code ?? inner?.errors?.[0]?.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME')
    return { cause: 'dns', message: `DNS lookup of ${new URL(url).hostname} failed (${code})` };
  if (code === 'ECONNREFUSED') return { cause: 'refused', message: `connection to ${host} refused (${code})` };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE')
    return { cause: 'reset', message: `connection to ${host} reset (${code})` };
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT')
    return { cause: 'timeout', message: `connection to ${host} timed out (${code})` };
  if (TLS_CODE.test(code) || /certificate|ssl|tls/i.test(inner?.message ?? ''))
    return {
      cause: 'tls',
      message: `TLS handshake with ${host} failed: ${inner?.message ?? code}${code ? ` (${code})` : ''}`,
    };
  return {
    cause: 'network',
    message: `${host}: ${inner?.message ?? e?.message ?? String(err)}${code ? ` (${code})` : ''}`,
  };
}

/** One HTTP attempt: appends to `part` from its current size; returns when the body ended. */
async function attempt(
  url: string,
  part: string,
  timeoutMs: number,
  onProgress?: DownloadOptions['onProgress'],
): Promise<{ resumed: boolean }> {
  const have = existsSync(part) ? statSync(part).size : 0;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: have ? { Range: `bytes=${have}-` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const failure = describeFetchFailure(err, url);
    throw new RetryableError(`${url}: ${failure.message}`, failure.cause);
  }
  if (response.status === 416 && have) {
    // the part is already complete (or longer than the file): let the checksum decide
    await response.body?.cancel();
    return { resumed: true };
  }
  if (response.status >= 500 || response.status === 429) {
    await response.body?.cancel();
    throw new RetryableError(`${url}: HTTP ${response.status} ${response.statusText}`.trimEnd(), 'http');
  }
  if (response.status !== 200 && response.status !== 206) {
    await response.body?.cancel();
    throw new TsmError('network', 'E_HTTP', `${url}: HTTP ${response.status} ${response.statusText}`.trimEnd(), {
      details: { url, status: response.status, cause: 'http' },
    });
  }
  const resumed = response.status === 206;
  const start = resumed ? have : 0;
  const length = Number(response.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? start + length : undefined;
  const out = createWriteStream(part, { flags: resumed ? 'a' : 'w' });
  let received = start;
  try {
    if (!response.body) throw new Error('the response has no body');
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!out.write(value)) await new Promise<void>((r) => out.once('drain', () => r()));
      received += value.byteLength;
      onProgress?.(received, total);
    }
  } catch (err) {
    throw new RetryableError(
      `${url}: connection lost after ${received} bytes (${describeFetchFailure(err, url).message})`,
      'reset',
    );
  } finally {
    await new Promise<void>((r) => out.end(r));
  }
  if (total !== undefined && received < total)
    throw new RetryableError(`${url}: connection closed after ${received} of ${total} bytes`, 'truncated');
  return { resumed };
}

const CAUSE_HINTS: Record<FailureCause, string> = {
  dns: "check the host name and this machine's DNS, or pass --mirror URL",
  refused: 'nothing listens at that address; check the URL or pass --mirror URL',
  reset: 'the server dropped the connection; try again later or pass --mirror URL',
  timeout: 'the server did not answer in time; try again later or pass --mirror URL',
  tls: "the server's certificate was not accepted (NODE_EXTRA_CA_CERTS adds a CA)",
  http: 'the server kept answering with an error status; try again later or pass --mirror URL',
  truncated: 'the server closed every transfer early; try again later or pass --mirror URL',
  network: 'check the network, or pass --mirror URL',
};

export async function downloadFile(target: DownloadTarget, options: DownloadOptions): Promise<DownloadResult> {
  const urls = [
    ...(options.mirror ? [`${options.mirror.replace(/\/+$/, '')}/${target.fileName}`] : []),
    ...target.urls,
  ];
  if (!urls.length) {
    throw new TsmError('usage', 'E_NO_URL', `${target.fileName}: no download address is known`, {
      hint: `place the file in ${options.dir}/ by hand, or pass --mirror URL`,
    });
  }
  mkdirSync(options.dir, { recursive: true });
  const path = join(options.dir, target.fileName);
  const part = `${path}.part`;
  if (existsSync(path) && target.sha256) {
    const sha = await sha256OfFile(path);
    if (sha === target.sha256)
      return {
        path,
        url: '',
        bytes: statSync(path).size,
        sha256: sha,
        resumed: false,
        attempts: 0,
        alreadyPresent: true,
      };
  }
  const retries = options.retries ?? 4;
  const backoff = options.backoffMs ?? 250;
  let attempts = 0;
  let resumedAny = false;
  let lastError = '';
  let lastCause: FailureCause = 'network';
  for (const url of urls) {
    for (let k = 0; k <= retries; k++) {
      attempts++;
      try {
        const { resumed } = await attempt(url, part, options.timeoutMs ?? 60_000, options.onProgress);
        resumedAny ||= resumed;
        const sha = await sha256OfFile(part);
        const prefix = target.sha256 ? undefined : target.sha256Prefix;
        if (prefix && !sha.startsWith(prefix)) {
          rmSync(part, { force: true });
          throw new TsmError(
            'network',
            'E_CHECKSUM',
            `${target.fileName}: sha256 ${sha} does not start with ${prefix}, the prefix its publisher put in the ` +
              'file name; nothing was kept',
            { details: { file: target.fileName, expected: prefix, found: sha, url } },
          );
        }
        if (target.sha256 && sha !== target.sha256) {
          rmSync(part, { force: true });
          throw new TsmError(
            'network',
            'E_CHECKSUM',
            `${target.fileName}: sha256 ${sha} does not match the zoo's ${target.sha256}; nothing was kept`,
            {
              details: { file: target.fileName, expected: target.sha256, found: sha, url },
            },
          );
        }
        renameSync(part, path);
        return {
          path,
          url,
          bytes: statSync(path).size,
          sha256: sha,
          resumed: resumedAny,
          attempts,
          alreadyPresent: false,
        };
      } catch (err) {
        if (!(err instanceof RetryableError)) throw err;
        lastError = err.message;
        lastCause = err.cause;
        if (k < retries) await sleep(backoff * 2 ** k);
      }
    }
  }
  const partBytes = existsSync(part) ? statSync(part).size : 0;
  throw new TsmError(
    'network',
    'E_DOWNLOAD',
    `${target.fileName}: download failed after ${attempts} attempt(s): ${lastError}`,
    {
      hint: partBytes
        ? `${partBytes} bytes are kept in ${part}; the next run resumes from there`
        : `nothing was written; ${CAUSE_HINTS[lastCause]}`,
      details: { file: target.fileName, attempts, cause: lastCause, partial: partBytes ? part : null },
    },
  );
}
