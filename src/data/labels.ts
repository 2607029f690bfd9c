/**
 * The datasets' official annotation files → `category.txt` and `*_videofolder.txt`, as the upstream tools write them
 * (docs/upstream-tsm-family.md §4: gen_label_jester / sthv1 / sthv2 / kinetics): category order, label sanitising,
 * `<id> <frames> <label>` lines joined by '\n' without a trailing newline, frame counts by counting each clip's folder.
 * Where the upstream scripts crash (a missing folder) tsm skips the clip and reports it instead. Plain functions over
 * the files' texts and a folder counter, so each dataset is testable without a file system.
 */
import { TsmError } from '../errors.js';

export type LabelDataset = 'jester' | 'something' | 'somethingv2' | 'kinetics';

export interface ListOutput {
  /** e.g. `val_videofolder.txt` */
  readonly file: string;
  readonly lines: readonly string[];
  /** clip folders that do not exist (skipped) */
  readonly missing: readonly string[];
  /** clips with fewer than 3 frames: TSM's list reader drops them */
  readonly short: ReadonlyArray<{ readonly id: string; readonly frames: number }>;
  /** list entries read from the annotation file */
  readonly entries: number;
}

export interface LabelFiles {
  readonly categories: readonly string[];
  readonly lists: readonly ListOutput[];
  /** kinetics: `missing_<list>` files, as gen_label_kinetics writes them */
  readonly extra: ReadonlyArray<{ readonly file: string; readonly text: string }>;
}

/** What the annotation files of a dataset are called (as the datasets ship them) and where its frames go. */
export const ANNOTATIONS: Readonly<
  Record<
    LabelDataset,
    { readonly labels: string; readonly splits: ReadonlyArray<readonly [string, string]>; readonly frames: string }
  >
> = Object.freeze({
  jester: {
    labels: 'jester-v1-labels.csv',
    splits: [
      ['jester-v1-validation.csv', 'val_videofolder.txt'],
      ['jester-v1-train.csv', 'train_videofolder.txt'],
    ],
    frames: '20bn-jester-v1',
  },
  something: {
    labels: 'something-something-v1-labels.csv',
    splits: [
      ['something-something-v1-validation.csv', 'val_videofolder.txt'],
      ['something-something-v1-train.csv', 'train_videofolder.txt'],
    ],
    frames: '20bn-something-something-v1',
  },
  somethingv2: {
    labels: 'something-something-v2-labels.json',
    splits: [
      ['something-something-v2-validation.json', 'val_videofolder.txt'],
      ['something-something-v2-train.json', 'train_videofolder.txt'],
      ['something-something-v2-test.json', 'test_videofolder.txt'],
    ],
    frames: '20bn-something-something-v2-frames',
  },
  kinetics: {
    labels: 'kinetics_label_map.txt',
    splits: [
      ['labels/kinetics_val.csv', 'val_videofolder.txt'],
      ['labels/kinetics_train.csv', 'train_videofolder.txt'],
    ],
    frames: 'images',
  },
});

/** Counts the entries of a clip folder (every entry, as `len(os.listdir(...))`), or undefined when it is missing. */
export type FolderCounter = (relative: string) => number | undefined;

const SHORT = 3;

function build(file: string, rows: ReadonlyArray<{ id: string; label: number }>, count: FolderCounter): ListOutput {
  const lines: string[] = [];
  const missing: string[] = [];
  const short: Array<{ id: string; frames: number }> = [];
  for (const r of rows) {
    const frames = count(r.id);
    if (frames === undefined) {
      missing.push(r.id);
      continue;
    }
    if (frames < SHORT) short.push({ id: r.id, frames });
    lines.push(`${r.id} ${frames} ${r.label}`);
  }
  return { file, lines, missing, short, entries: rows.length };
}

const nonEmptyLines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => l.length > 0);

/** Python's sorted() on str: by code point. */
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function unknownLabel(file: string, line: number, label: string): TsmError {
  return new TsmError('input', 'E_UNKNOWN_LABEL', `${file} line ${line}: label '${label}' is not in the label file`, {
    details: { file, line, label },
  });
}

/** Jester (the embedded_TSM fork's gen_label_jester) and Something-Something v1: `id;label` lines, categories sorted.
 * */
export function semicolonLists(
  dataset: 'jester' | 'something',
  texts: { labels: string; splits: Record<string, string | undefined> },
  count: FolderCounter,
): LabelFiles {
  const categories = nonEmptyLines(texts.labels)
    .map((l) => l.trim())
    .sort(byCodePoint);
  const index = new Map(categories.map((c, i) => [c, i]));
  const lists: ListOutput[] = [];
  for (const [input, output] of ANNOTATIONS[dataset].splits) {
    const text = texts.splits[input];
    if (text === undefined) continue;
    const rows = nonEmptyLines(text).map((l, i) => {
      const [id, label] = l.split(';');
      const k = index.get(label ?? '');
      if (k === undefined) throw unknownLabel(input, i + 1, label ?? '');
      return { id, label: k };
    });
    lists.push(build(output, rows, count));
  }
  return { categories, lists, extra: [] };
}

/** Something-Something v2: a JSON label map in index order; templates with '[' and ']' removed; test entries label 0.
 * */
export function somethingV2Lists(
  texts: { labels: string; splits: Record<string, string | undefined> },
  count: FolderCounter,
): LabelFiles {
  const map = parseJson(texts.labels, ANNOTATIONS.somethingv2.labels) as Record<string, string>;
  const categories = Object.keys(map);
  categories.forEach((name, i) => {
    if (Number(map[name]) !== i)
      throw new TsmError(
        'input',
        'E_LABEL_ORDER',
        `${ANNOTATIONS.somethingv2.labels}: '${name}' has index ${map[name]} but stands at position ${i}`,
        { details: { label: name } },
      );
  });
  const lists: ListOutput[] = [];
  for (const [input, output] of ANNOTATIONS.somethingv2.splits) {
    const text = texts.splits[input];
    if (text === undefined) continue;
    const entries = parseJson(text, input) as Array<{ id: string; template?: string }>;
    if (!Array.isArray(entries))
      throw new TsmError('input', 'E_ANNOTATIONS', `${input}: expected a list of {id, template}`, {
        details: { file: input },
      });
    const rows = entries.map((e, i) => {
      if (output === 'test_videofolder.txt') return { id: String(e.id), label: 0 };
      const template = (e.template ?? '').replace(/[[\]]/g, '');
      const k = map[template];
      if (k === undefined) throw unknownLabel(input, i + 1, template);
      return { id: String(e.id), label: Number(k) };
    });
    lists.push(build(output, rows, count));
  }
  return { categories, lists, extra: [] };
}

/** gen_label_kinetics's sanitising: strip, spaces → '_', drop `"`, `(`, `)` and `'`. */
export function sanitizeKineticsLabel(name: string): string {
  return name
    .trim()
    .replace(/ /g, '_')
    .replace(/["()']/g, '');
}

/**
 * Kinetics: the label map's order gives the index (sanitised names); CSVs with a header, split naively on ',';
 * folder `<label>/<youtube_id>_<time_start>`; missing folders skipped and listed in `missing_<list>`.
 */
export function kineticsLists(
  texts: { labels: string; splits: Record<string, string | undefined> },
  count: FolderCounter,
): LabelFiles {
  const categories = nonEmptyLines(texts.labels).map(sanitizeKineticsLabel);
  const index = new Map(categories.map((c, i) => [c, i]));
  const lists: ListOutput[] = [];
  const extra: Array<{ file: string; text: string }> = [];
  for (const [input, output] of ANNOTATIONS.kinetics.splits) {
    const text = texts.splits[input];
    if (text === undefined) continue;
    const rows = nonEmptyLines(text)
      .slice(1)
      .map((l, i) => {
        const items = l.split(',');
        const label = sanitizeKineticsLabel(items[0] ?? '');
        const k = index.get(label);
        if (k === undefined) throw unknownLabel(input, i + 2, label);
        return { id: `${label}/${items[1]}_${items[2]}`, label: k };
      });
    const list = build(output, rows, count);
    lists.push(list);
    if (list.missing.length) extra.push({ file: `missing_${output}`, text: list.missing.join('\n') });
  }
  return { categories, lists, extra };
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new TsmError('input', 'E_ANNOTATIONS', `${file}: not JSON (${(err as Error).message})`, {
      details: { file },
    });
  }
}

export function labelLists(
  dataset: LabelDataset,
  texts: { labels: string; splits: Record<string, string | undefined> },
  count: FolderCounter,
): LabelFiles {
  if (dataset === 'somethingv2') return somethingV2Lists(texts, count);
  if (dataset === 'kinetics') return kineticsLists(texts, count);
  return semicolonLists(dataset, texts, count);
}
