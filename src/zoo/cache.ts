/**
 * Resolving a zoo entry to a local, checked ONNX file, the way torch.hub and timm resolve pretrained weights. A zoo is
 * a path, a `file:` URL or an http(s) URL; its artifacts' urls are relative to it (or absolute). An artifact on disk
 * is checked (size, sha256) and used where it is; one served over http(s) is fetched whole, checked, and only then
 * written into the cache (temp name, then rename), so the cache never holds a half-written or unverified file.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TsmError } from '../errors.js';
import {
  artifactUrl,
  checkArtifact,
  fetchArtifact,
  fetchZoo,
  type ModelQuery,
  onnxArtifact,
  resolveModel,
} from './client-node.js';
import { DEFAULT_CHECKPOINT_DIR } from './download.js';
import { loadZoo } from './index.js';
import { PACKAGE_ZOO } from './locate.js';
import type { Zoo, ZooEntry } from './types.js';

/** `TSM_CACHE`, else `$XDG_CACHE_HOME/tsm`, else `~/.cache/tsm`. */
export function defaultCacheDir(): string {
  return process.env.TSM_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tsm');
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** A zoo location as a URL: a path (a zoo.json, or a folder holding one) or a URL as given. */
export function zooUrlOf(location: string): URL {
  if (/^(https?|file):/i.test(location)) return new URL(location);
  const path = resolve(location);
  const isDir = existsSync(path) && statSync(path).isDirectory();
  return pathToFileURL(isDir ? join(path, 'zoo.json') : path);
}

/** zoo.json from a path, a `file:` URL or an http(s) URL (a local one is schema-checked in full). */
export async function openZoo(location: string): Promise<Zoo> {
  const url = zooUrlOf(location);
  return url.protocol === 'file:' ? loadZoo(fileURLToPath(url)) : fetchZoo(url);
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
  /** how long an http(s) artifact may take (default 60 s) */
  readonly timeoutMs?: number;
}

/**
 * An entry that lists only its upstream checkpoint: what to run to get a model from it. `tsm download` reads a zoo
 * index from a path only, so an http(s) zoo gets no --zoo in the commands.
 */
function sourceOnlyError(entry: ZooEntry, zoo: string): TsmError {
  const checkpoint = `${DEFAULT_CHECKPOINT_DIR}/${entry.source.fileName}`;
  const zooFlag = zoo !== 'zoo.json' && zoo !== PACKAGE_ZOO && !isUrl(zoo) ? ` --zoo ${zoo}` : '';
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
  const zooUrl = zooUrlOf(options.zoo);
  const zoo = await openZoo(options.zoo);
  const entry = resolveModel(zoo, query, options.zoo);
  if (!entry.artifacts.some((a) => a.kind === 'onnx')) throw sourceOnlyError(entry, options.zoo);
  const artifact = onnxArtifact(entry);
  const base = { entry, sha256: artifact.sha256, bytes: artifact.bytes };
  // a zoo on disk published with --base-url keeps the artifact's path beside its served url: use the file when there
  const beside = zooUrl.protocol === 'file:' && artifact.path ? new URL(artifact.path, zooUrl) : undefined;
  if (beside && existsSync(beside)) {
    await checkArtifact(entry, readFileSync(beside), fileURLToPath(beside));
    return { ...base, path: fileURLToPath(beside), from: 'local' };
  }
  const url = new URL(artifactUrl(entry, zooUrl));
  if (url.protocol === 'file:') {
    await fetchArtifact(entry, zooUrl); // reads and checks it; a typed error naming the entry and the file otherwise
    return { ...base, path: fileURLToPath(url), from: 'local' };
  }
  const dir = join(options.cacheDir ?? defaultCacheDir(), entry.id, entry.version);
  const path = join(dir, `${artifact.sha256.slice(0, 16)}.onnx`);
  if (existsSync(path)) {
    const ok = await checkArtifact(entry, readFileSync(path), path).then(
      () => true,
      () => false,
    );
    if (ok) return { ...base, path, from: 'cache', url: url.href };
    rmSync(path, { force: true }); // changed in the cache since: fetched again
  }
  const bytes = await fetchArtifact(entry, zooUrl, { signal: AbortSignal.timeout(options.timeoutMs ?? 60_000) });
  options.onProgress?.(bytes.byteLength, bytes.byteLength);
  mkdirSync(dir, { recursive: true });
  const temp = join(dir, `.${artifact.sha256.slice(0, 16)}.onnx.tmp-${process.pid}`);
  try {
    writeFileSync(temp, bytes);
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
  return { ...base, path, from: 'downloaded', url: url.href };
}
