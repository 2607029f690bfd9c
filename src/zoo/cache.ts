/**
 * Resolving a zoo entry to a local, checksum-checked ONNX file, the way torch.hub and timm resolve pretrained weights:
 * an artifact served at a URL is downloaded once into a cache (resumable, sha256-checked, renamed into place when
 * whole) and reused while its checksum holds; a local artifact next to a zoo.json is checked and used where it is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { TsmError } from '../errors.js';
import { artifactUrl, checkArtifact, fetchZoo, type ModelQuery, onnxArtifact, resolveModel } from './client.js';
import { DEFAULT_CHECKPOINT_DIR, downloadFile } from './download.js';
import { loadZoo } from './index.js';
import type { Zoo, ZooEntry } from './types.js';

/** `TSM_CACHE`, else `$XDG_CACHE_HOME/tsm`, else `~/.cache/tsm`. */
export function defaultCacheDir(): string {
  return process.env.TSM_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tsm');
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** zoo.json from a path or an http(s) URL. */
export async function openZoo(location: string): Promise<Zoo> {
  if (!isUrl(location)) return loadZoo(location);
  // the client's fetch (HTTP status, document shape); only a failure to connect at all is named here
  return fetchZoo(location).catch((err) => {
    if (err instanceof TsmError) throw err;
    throw new TsmError('network', 'E_DOWNLOAD', `${location}: ${(err as Error).message}`, {
      details: { url: location },
    });
  });
}

export interface CachedArtifact {
  readonly entry: ZooEntry;
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  /** `local`: the artifact next to zoo.json; `cache`: already in the cache; `downloaded`: fetched now */
  readonly from: 'local' | 'cache' | 'downloaded';
  readonly url?: string;
}

export interface FetchOptions {
  readonly zoo: string;
  readonly cacheDir?: string;
  readonly onProgress?: (received: number, total: number | undefined) => void;
}

/**
 * An entry that lists only its upstream checkpoint: what to run to get a model from it. `tsm download` reads a zoo
 * index from a path only, so an http(s) zoo gets no --zoo in the commands.
 */
function sourceOnlyError(entry: ZooEntry, zoo: string): TsmError {
  const checkpoint = `${DEFAULT_CHECKPOINT_DIR}/${entry.source.fileName}`;
  const zooFlag = zoo !== 'zoo.json' && !isUrl(zoo) ? ` --zoo ${zoo}` : '';
  const download = `tsm download ${entry.id}${zooFlag}`;
  const convert = `tsm convert ${checkpoint}`;
  const hint = entry.source.urls.length
    ? `${download}, then ${convert}`
    : `no download address is known: place ${entry.source.fileName} in ${DEFAULT_CHECKPOINT_DIR}/ ` +
      `by hand, then ${convert}`;
  return new TsmError(
    'usage',
    'E_ZOO_SOURCE_ONLY',
    `${entry.id}@${entry.version} is ${entry.status}: the zoo lists its checkpoint ` +
      `(${entry.source.fileName}), not a converted model`,
    {
      hint,
      details: {
        id: entry.id,
        version: entry.version,
        status: entry.status,
        checkpoint: entry.source.fileName,
        next: entry.source.urls.length ? [download, convert] : [convert],
      },
    },
  );
}

/** The entry a query names, as a local file whose size and sha256 match the zoo. */
export async function fetchModel(query: ModelQuery, options: FetchOptions): Promise<CachedArtifact> {
  const zoo = await openZoo(options.zoo);
  const entry = resolveModel(zoo, query);
  if (!entry.artifacts.some((a) => a.kind === 'onnx')) throw sourceOnlyError(entry, options.zoo);
  const artifact = onnxArtifact(entry);
  if (!isUrl(options.zoo) && artifact.path) {
    const local = resolve(dirname(options.zoo), artifact.path);
    if (existsSync(local)) {
      await checkArtifact(entry, readFileSync(local), local);
      return { entry, path: local, sha256: artifact.sha256, bytes: artifact.bytes, from: 'local' };
    }
  }
  const url =
    isUrl(options.zoo) || artifact.url ? artifactUrl(entry, isUrl(options.zoo) ? options.zoo : 'file:///') : undefined;
  if (!url || !isUrl(url)) {
    throw new TsmError(
      'usage',
      'E_ZOO_NO_ARTIFACT',
      `${entry.id}@${entry.version}: its artifact is neither next to ${options.zoo} nor served at a URL`,
      { hint: 'publish with --base-url to record where artifacts are served' },
    );
  }
  const dir = join(options.cacheDir ?? defaultCacheDir(), entry.id, entry.version);
  const r = await downloadFile(
    { fileName: `${artifact.sha256.slice(0, 16)}.onnx`, urls: [url], sha256: artifact.sha256 },
    { dir, onProgress: options.onProgress },
  );
  await checkArtifact(entry, readFileSync(r.path), r.path);
  return {
    entry,
    path: r.path,
    sha256: r.sha256,
    bytes: r.bytes,
    from: r.alreadyPresent ? 'cache' : 'downloaded',
    url,
  };
}
