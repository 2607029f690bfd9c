/** Versions and npm-style ranges of zoo entries (node-semver's grammar without pre-releases). Browser-safe. */
import { TsmError } from '../errors.js';

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
