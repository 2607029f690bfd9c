/**
 * The zoo client apps use (`tsm/zoo`): read zoo.json, pick a model, fetch its artifact with the checksum checked, and
 * prepare frames the way the entry says. It runs in Node and in a browser: it imports neither onnxruntime nor sharp
 * nor any `node:` module (fetch and WebCrypto are in both; Node's build, client-node.ts, adds reading `file:` URLs).
 * The CLI's zoo code (src/zoo/index.ts) selects models through these same functions.
 */
import { TsmError } from '../errors.js';
import { resolveScaleShortSide, type ScaleChoice } from '../model/preprocessing.js';
import type { ComputeDtype, Zoo, ZooArtifact, ZooEntry, ZooPreprocessing, ZooStreaming, ZooTask } from './types.js';
import { compareVersions, versionSatisfies } from './versions.js';

export { type ScaleChoice, scaleSizeFor } from '../model/preprocessing.js';
export type * from './types.js';
export { compareVersions, versionSatisfies } from './versions.js';

export interface ModelQuery {
  readonly id?: string;
  /** an npm-style range: exact `1.2.3`, `^1`, `~1.2.0`, `1.x`, `>=1.1 <2`, `1.0 - 1.2`, `*`, …; the highest matching
   * version wins */
  readonly version?: string;
  readonly task?: ZooTask;
  readonly dataset?: string;
  /** only entries with converted, verified artifacts (default true) */
  readonly published?: boolean;
  /** only this kind of model (e.g. `online` for the browser demo) */
  readonly kind?: ZooEntry['arch']['kind'];
  /** only models computing in one of these (e.g. no int8 in the browser, where onnxruntime-web runs it slower) */
  readonly computeDtypes?: ReadonlyArray<ComputeDtype>;
}

/** What an entry's model computes in: its artifact's record, float32 for entries from before it was recorded. */
export function computeDtypeOf(entry: ZooEntry): ComputeDtype {
  return entry.artifacts.find((a) => a.kind === 'onnx')?.computeDtype ?? 'float32';
}

/** A zoo document as an app receives it: checks the shape it relies on (the CLI validates the full schema). */
export function parseZooDocument(value: unknown, source = 'zoo.json'): Zoo {
  const doc = value as Partial<Zoo> | null;
  if (!doc || typeof doc !== 'object' || doc.schemaVersion !== 1 || !Array.isArray(doc.models)) {
    throw new TsmError(
      'input',
      'E_ZOO_SCHEMA',
      `${source}: not a tsm zoo index (expected schemaVersion 1 and a models array)`,
      { details: { file: source } },
    );
  }
  return doc as Zoo;
}

/** Reads a `file:` URL's bytes: set by the Node build of this client (client-node.ts), where fetch refuses `file:`. */
type LocalReader = (url: URL) => Promise<Uint8Array>;
let readLocal: LocalReader | undefined;

/** Installs the `file:` reader (Node); browsers fetch `file:` URLs themselves when a page may. */
export function setLocalReader(reader: LocalReader): void {
  readLocal = reader;
}

/** A URL's bytes: a `file:` URL read from disk in Node, anything else fetched. Undefined when not found (404). */
export async function readUrl(url: URL, init?: RequestInit): Promise<Uint8Array | undefined> {
  if (url.protocol === 'file:' && readLocal) {
    try {
      return await readLocal(url);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw err;
    }
  }
  const response = await fetch(url, init);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trimEnd());
  return new Uint8Array(await response.arrayBuffer());
}

/** A zoo or an artifact that cannot be read: E_ARTIFACT_UNREACHABLE naming what and where. */
function unreachable(what: string, url: URL, why: string, details: Record<string, unknown> = {}): TsmError {
  return new TsmError('network', 'E_ARTIFACT_UNREACHABLE', `${what}: ${url.href} could not be read (${why})`, {
    hint: 'check the URL (artifact urls are relative to their zoo.json), the network, or pass another --zoo',
    details: { url: url.href, ...details },
  });
}

const reason = (err: unknown) => {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message;
};

/** Fetches and parses zoo.json from a URL: http(s), or `file:` (read from disk in Node). */
export async function fetchZoo(url: string | URL, init?: RequestInit): Promise<Zoo> {
  const at = new URL(url);
  const bytes = await readUrl(at, init).catch((err) => {
    throw unreachable('zoo index', at, reason(err));
  });
  if (!bytes) throw unreachable('zoo index', at, 'not found');
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new TsmError('input', 'E_ZOO_JSON', `${at.href}: not valid JSON (${(err as Error).message})`, {
      details: { file: at.href },
    });
  }
  return parseZooDocument(doc, at.href);
}

/** All entries matching the query, by id, then newest version first. */
export function findModels(zoo: Zoo, query: ModelQuery = {}): ZooEntry[] {
  return zoo.models
    .filter((m) => (query.id ? m.id === query.id : true))
    .filter((m) => (query.task ? m.task === query.task : true))
    .filter((m) => (query.dataset ? m.dataset === query.dataset : true))
    .filter((m) => (query.kind ? m.arch.kind === query.kind : true))
    .filter((m) => (query.computeDtypes ? query.computeDtypes.includes(computeDtypeOf(m)) : true))
    .filter((m) => ((query.published ?? true) ? m.status === 'published' : true))
    .filter((m) => (query.version ? versionSatisfies(m.version, query.version) : true))
    .sort((a, b) => a.id.localeCompare(b.id) || compareVersions(b.version, a.version));
}

/** The one model a query names (highest version; without an id, the best verified top-1); a typed error otherwise. */
export function resolveModel(zoo: Zoo, query: ModelQuery, source?: string): ZooEntry {
  const found = findModels(zoo, query);
  if (!found.length) {
    const known = [
      ...new Set(
        zoo.models
          .filter((m) => m.status === 'published' || query.published === false)
          .map((m) => `${m.id}@${m.version}`),
      ),
    ];
    const where = source ? `the zoo ${source}` : 'the zoo';
    throw new TsmError('usage', 'E_ZOO_NO_MATCH', `no model in ${where} matches ${JSON.stringify(query)}`, {
      hint: `available: ${known.join(', ') || 'none'}`,
      details: { query, ...(source ? { zoo: source } : {}) },
    });
  }
  if (query.id) return found[0];
  const ids = [...new Set(found.map((m) => m.id))];
  if (ids.length > 1) return [...found].sort((a, b) => (b.verification?.top1 ?? 0) - (a.verification?.top1 ?? 0))[0];
  return found[0];
}

/** The ONNX artifact of an entry. */
export function onnxArtifact(entry: ZooEntry): ZooArtifact {
  const a = entry.artifacts.find((x) => x.kind === 'onnx');
  if (!a)
    throw new TsmError(
      'usage',
      'E_ZOO_NO_ARTIFACT',
      `${entry.id}@${entry.version} has no ONNX artifact (status ${entry.status})`,
    );
  return a;
}

/**
 * Where an entry's artifact is: its `url` (relative to the zoo.json it is listed in, or absolute when published with
 * --base-url), else its legacy `path`, resolved against the zoo's own address.
 */
export function artifactUrl(entry: ZooEntry, zooUrl: string | URL): string {
  const a = onnxArtifact(entry);
  const ref = a.url ?? a.path;
  if (!ref)
    throw new TsmError(
      'usage',
      'E_ZOO_NO_ARTIFACT',
      `${entry.id}@${entry.version} records neither a url nor a path for its artifact`,
    );
  return new URL(ref, zooUrl).href;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Checks bytes against the entry's artifact: its size (E_ARTIFACT_SIZE), then its sha256 (E_CHECKSUM, exit 8), each
 * naming the entry, where the bytes came from, and both values.
 */
export async function checkArtifact(entry: ZooEntry, bytes: Uint8Array, from = 'artifact'): Promise<void> {
  const a = onnxArtifact(entry);
  const name = `${entry.id}@${entry.version}`;
  const details = { id: entry.id, version: entry.version, url: from };
  if (bytes.byteLength !== a.bytes) {
    throw new TsmError(
      'network',
      'E_ARTIFACT_SIZE',
      `${from}: ${bytes.byteLength} bytes, but ${name} records ${a.bytes} bytes (truncated, or another file)`,
      { details: { ...details, expected: a.bytes, found: bytes.byteLength } },
    );
  }
  const sha = await sha256Hex(bytes);
  if (sha !== a.sha256) {
    throw new TsmError(
      'network',
      'E_CHECKSUM',
      `${from}: ${bytes.byteLength} bytes with sha256 ${sha}, but ${name} records sha256 ${a.sha256} (tampered or ` +
        'corrupted)',
      { details: { ...details, expected: a.sha256, found: sha } },
    );
  }
}

/** Fetches (or, in Node, reads) an entry's ONNX bytes and checks them; nothing unchecked is ever returned. */
export async function fetchArtifact(entry: ZooEntry, zooUrl: string | URL, init?: RequestInit): Promise<Uint8Array> {
  const url = new URL(artifactUrl(entry, zooUrl));
  const details = { id: entry.id, version: entry.version };
  const name = `${entry.id}@${entry.version}`;
  const bytes = await readUrl(url, init).catch((err) => {
    throw unreachable(`${name}'s artifact`, url, reason(err), details);
  });
  if (!bytes) throw unreachable(`${name}'s artifact`, url, 'not found', details);
  await checkArtifact(entry, bytes, url.href);
  return bytes;
}

/** How to feed an online entry (its declared protocol), or undefined for clip models. */
export function streamingOf(entry: ZooEntry): ZooStreaming | undefined {
  return entry.arch.kind === 'online' ? entry.streaming : undefined;
}

/**
 * The short side to scale an entry's frames to before its centre crop: the entry's `preprocessing.scaleShortSide`,
 * with a warning when it is not upstream's `cropSize·256 // 224` (an entry made by an older, rounding tsm).
 */
export function scaleShortSideOfEntry(entry: Pick<ZooEntry, 'id' | 'preprocessing'>): ScaleChoice {
  return resolveScaleShortSide(entry.preprocessing, entry.preprocessing.cropSize, entry.id);
}

/**
 * One RGBA frame already scaled and cropped to `cropSize`² (e.g. a canvas's getImageData) → the model's CHW float32
 * input, with the entry's input range, mean and std.
 */
export function normalizeRgba(
  rgba: ArrayLike<number>,
  p: Pick<ZooPreprocessing, 'mean' | 'std' | 'inputRange' | 'cropSize'>,
  out = new Float32Array(3 * p.cropSize * p.cropSize),
): Float32Array {
  const plane = p.cropSize * p.cropSize;
  const [lo, hi] = p.inputRange;
  const scale = (hi - lo) / 255;
  for (let c = 0; c < 3; c++) {
    const mean = p.mean[c];
    const std = p.std[c];
    for (let i = 0; i < plane; i++) out[c * plane + i] = (lo + rgba[i * 4 + c] * scale - mean) / std;
  }
  return out;
}
