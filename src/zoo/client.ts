/**
 * The zoo client apps use (`tsm/zoo`): read zoo.json, pick a model, fetch its artifact with the checksum checked, and
 * prepare frames the way the entry says. It runs in Node and in a browser: it imports neither onnxruntime nor sharp
 * nor any `node:` module (fetch and WebCrypto are in both). The CLI's zoo code (src/zoo/index.ts) selects models
 * through these same functions.
 */
import { TsmError } from '../errors.js';
import { resolveScaleShortSide, type ScaleChoice } from '../model/preprocessing.js';
import type { ComputeDtype, Zoo, ZooArtifact, ZooEntry, ZooPreprocessing, ZooStreaming, ZooTask } from './types.js';

export { type ScaleChoice, scaleSizeFor } from '../model/preprocessing.js';
export type * from './types.js';

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

type Triple = readonly [number, number, number];

function parseVersion(v: string): Triple | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return a.localeCompare(b);
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

type Op = '<' | '<=' | '>' | '>=' | '=';
/** One comparison a version must pass; `none` passes nothing (npm's `<0.0.0-0`). */
type Comparator = { readonly op: Op; readonly v: Triple } | 'none';

/** The numbers of a partial version (`1`, `1.2`, `1.x.x`, `*`): those before the first wildcard or missing part. */
function partialVersion(text: string): number[] | undefined {
  const m = /^[v=]*(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?$/.exec(text);
  if (!m) return undefined;
  const known: number[] = [];
  for (const part of [m[1], m[2], m[3]]) {
    if (part === undefined || !/^\d+$/.test(part)) break;
    known.push(Number(part));
  }
  return known;
}

const floorOf = (k: readonly number[]): Triple => [k[0] ?? 0, k[1] ?? 0, k[2] ?? 0];
/** The first version past a partial one: `1` → 2.0.0, `1.2` → 1.3.0 (for 1–2 known parts). */
const pastOf = (k: readonly number[]): Triple => (k.length === 1 ? [k[0] + 1, 0, 0] : [k[0], k[1] + 1, 0]);

/** A partial version as npm reads it bare (an X-range): `1.2` is >=1.2.0 <1.3.0, `*` anything. */
function xRange(k: readonly number[]): Comparator[] {
  if (k.length === 0) return [];
  if (k.length === 3) return [{ op: '=', v: floorOf(k) }];
  return [
    { op: '>=', v: floorOf(k) },
    { op: '<', v: pastOf(k) },
  ];
}

/** One comparator token of npm's range grammar, desugared as npm desugars it (without pre-releases). */
function comparatorsOf(token: string): Comparator[] | undefined {
  const m = /^(<=|>=|<|>|=|\^|~>?|)(.*)$/.exec(token);
  if (!m) return undefined;
  const op = m[1];
  const k = partialVersion(m[2]);
  if (!k) return undefined;
  const v = floorOf(k);
  switch (op) {
    case '':
    case '=':
      return xRange(k);
    case '>=':
      return k.length ? [{ op: '>=', v }] : [];
    case '>':
      return k.length === 0 ? ['none'] : k.length === 3 ? [{ op: '>', v }] : [{ op: '>=', v: pastOf(k) }];
    case '<':
      return k.length === 0 ? ['none'] : [{ op: '<', v }];
    case '<=':
      return k.length === 0 ? [] : k.length === 3 ? [{ op: '<=', v }] : [{ op: '<', v: pastOf(k) }];
    case '^': {
      if (k.length === 0) return [];
      // the first non-zero part of those given may not change (all of them when every given part is 0)
      const [major, minor, patch] = v;
      const upper: Triple =
        major > 0 || k.length === 1
          ? [major + 1, 0, 0]
          : minor > 0 || k.length === 2
            ? [0, minor + 1, 0]
            : [0, 0, patch + 1];
      return [
        { op: '>=', v },
        { op: '<', v: upper },
      ];
    }
    default: // ~ and ~>: the minor may not change when given, else the major
      if (k.length === 0) return [];
      return [
        { op: '>=', v },
        { op: '<', v: k.length === 1 ? [v[0] + 1, 0, 0] : [v[0], v[1] + 1, 0] },
      ];
  }
}

/** `A - B`: at least A's floor, at most B (all of B's partial range). */
function hyphenRange(from: string, to: string): Comparator[] | undefined {
  const a = partialVersion(from);
  const b = partialVersion(to);
  if (!a || !b) return undefined;
  const lower: Comparator[] = a.length ? [{ op: '>=', v: floorOf(a) }] : [];
  const upper: Comparator[] =
    b.length === 0 ? [] : b.length === 3 ? [{ op: '<=', v: floorOf(b) }] : [{ op: '<', v: pastOf(b) }];
  return [...lower, ...upper];
}

function passes(v: Triple, c: Comparator): boolean {
  if (c === 'none') return false;
  const d = v[0] - c.v[0] || v[1] - c.v[1] || v[2] - c.v[2];
  return c.op === '=' ? d === 0 : c.op === '<' ? d < 0 : c.op === '<=' ? d <= 0 : c.op === '>' ? d > 0 : d >= 0;
}

/**
 * npm's semver range grammar (node-semver's), without pre-releases: `||` between sets, each set comparators that
 * must all hold — `1.2.3`, `=1.2.3`, `<`, `<=`, `>`, `>=`, `^`, `~` (or `~>`) on full or partial versions (`^1`,
 * `~1.2`, `1.x`, `*`), or a hyphen range `1.2 - 2`. A version that is not X.Y.Z matches nothing.
 */
export function versionSatisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  const sets = range.split('||').map((set) => {
    // npm joins an operator to its version ('>= 1.2' is '>=1.2') and reads 'A - B' as one hyphen range
    const text = set.trim().replace(/(<=|>=|<|>|=|\^|~>?)\s+/g, '$1');
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text);
    const parsed = hyphen
      ? [hyphenRange(hyphen[1], hyphen[2])]
      : text === ''
        ? [[]]
        : text.split(/\s+/).map(comparatorsOf);
    if (parsed.some((c) => c === undefined)) {
      throw new TsmError('usage', 'E_BAD_RANGE', `'${range}' is not a version range the zoo understands`, {
        hint: 'npm-style ranges: 1.2.3, ^1, ^1.2.0, ~1.2, 1.x, >=1.1 <2, 1.0 - 1.2, * (|| between alternatives)',
        details: { range },
      });
    }
    return (parsed as Comparator[][]).flat();
  });
  return v !== undefined && sets.some((set) => set.every((c) => passes(v, c)));
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

/** Fetches and parses zoo.json from a URL (in Node, any URL fetch takes: http(s), or a `file:` URL is refused by
 * fetch). */
export async function fetchZoo(url: string | URL, init?: RequestInit): Promise<Zoo> {
  const response = await fetch(url, init);
  if (!response.ok)
    throw new TsmError('network', 'E_HTTP', `${String(url)}: HTTP ${response.status}`, {
      details: { url: String(url), status: response.status },
    });
  return parseZooDocument(await response.json(), String(url));
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
export function resolveModel(zoo: Zoo, query: ModelQuery): ZooEntry {
  const found = findModels(zoo, query);
  if (!found.length) {
    const known = [
      ...new Set(
        zoo.models
          .filter((m) => m.status === 'published' || query.published === false)
          .map((m) => `${m.id}@${m.version}`),
      ),
    ];
    throw new TsmError('usage', 'E_ZOO_NO_MATCH', `no model in the zoo matches ${JSON.stringify(query)}`, {
      hint: `available: ${known.join(', ') || 'none'}`,
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
 * Where to fetch an entry's artifact: its `url` when the zoo records where it is served, else its `path` resolved
 * against the zoo's own address.
 */
export function artifactUrl(entry: ZooEntry, zooUrl: string | URL): string {
  const a = onnxArtifact(entry);
  if (a.url) return a.url;
  if (!a.path)
    throw new TsmError(
      'usage',
      'E_ZOO_NO_ARTIFACT',
      `${entry.id}@${entry.version} records neither a url nor a path for its artifact`,
    );
  return new URL(a.path, zooUrl).href;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Checks bytes against the entry's artifact: size and sha256. Throws E_CHECKSUM (exit 8) naming both digests. */
export async function checkArtifact(entry: ZooEntry, bytes: Uint8Array, from = 'artifact'): Promise<void> {
  const a = onnxArtifact(entry);
  const sha = await sha256Hex(bytes);
  if (sha !== a.sha256 || bytes.byteLength !== a.bytes) {
    throw new TsmError(
      'network',
      'E_CHECKSUM',
      `${from}: ${bytes.byteLength} bytes with sha256 ${sha}, but ${entry.id}@${entry.version} records ${a.bytes} ` +
        `bytes with sha256 ${a.sha256}`,
      {
        details: { id: entry.id, version: entry.version, expected: a.sha256, found: sha, url: from },
      },
    );
  }
}

/** Fetches an entry's ONNX bytes and checks them; nothing unchecked is ever returned. */
export async function fetchArtifact(entry: ZooEntry, zooUrl: string | URL, init?: RequestInit): Promise<Uint8Array> {
  const url = artifactUrl(entry, zooUrl);
  const response = await fetch(url, init);
  if (!response.ok)
    throw new TsmError('network', 'E_HTTP', `${url}: HTTP ${response.status}`, {
      details: { url, status: response.status },
    });
  const bytes = new Uint8Array(await response.arrayBuffer());
  await checkArtifact(entry, bytes, url);
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
