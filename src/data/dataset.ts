/**
 * Video-folder datasets in the TSM layout (docs/upstream-tsm.md §3): frames under `<root>/<frames dir>/<video id>/`, a
 * list file of `<id> <num_frames> <label>` lines, and `category.txt` (one class a line, index = line number).
 */
import { join } from 'node:path';
import { TsmError } from '../errors.js';
import { readInputText } from '../io.js';

export interface DatasetConfig {
  readonly name: string;
  readonly framesDir: string;
  /** Python-style template with one `{:05d}`-like field, e.g. `{:05d}.jpg`, `img_{:05d}.jpg` */
  readonly imageTemplate: string;
  readonly list: string;
  readonly categories: string;
  readonly classes?: number;
  /** where the dataset's optical-flow frames are (docs/upstream-tsm-family.md §5); absent where upstream has none */
  readonly flow?: FlowLayoutConfig;
}

/**
 * A dataset's flow frames. The template decides how they are stored, as upstream's loader decides it:
 * `flow_{}_{:05d}.jpg` a grey x and y image per index in the clip folder; `{:06d}-{}_{:05d}.jpg` the same in a folder
 * named by the zero-padded id, with the list's frame counts halved; a one-field template one RGB image per index
 * with x in red and y in green.
 */
export interface FlowLayoutConfig {
  readonly framesDir: string;
  readonly template: string;
  readonly list: string;
  /** upstream has no flow layout for this dataset: the defaults are a convention, said in a warning */
  readonly undocumented?: boolean;
}

const FLOW_LIST = 'val_videofolder_flow.txt';
/** UCF101's and HMDB51's flow frames: flow_x_00001.jpg and flow_y_00001.jpg beside the RGB frames */
const FLOW_PAIRS_IN_IMAGES: FlowLayoutConfig = { framesDir: 'images', template: 'flow_{}_{:05d}.jpg', list: FLOW_LIST };

/** Defaults per dataset, as TSM's ops/dataset_config.py lays them out. */
export const DATASETS: Readonly<Record<string, DatasetConfig>> = Object.freeze({
  jester: {
    name: 'jester',
    framesDir: '20bn-jester-v1',
    imageTemplate: '{:05d}.jpg',
    list: 'val_videofolder.txt',
    categories: 'category.txt',
    classes: 27,
  },
  something: {
    name: 'something',
    framesDir: '20bn-something-something-v1',
    imageTemplate: '{:05d}.jpg',
    list: 'val_videofolder.txt',
    categories: 'category.txt',
    classes: 174,
    flow: { framesDir: '20bn-something-something-v1-flow', template: '{:06d}-{}_{:05d}.jpg', list: FLOW_LIST },
  },
  somethingv2: {
    name: 'somethingv2',
    framesDir: '20bn-something-something-v2-frames',
    imageTemplate: '{:06d}.jpg',
    list: 'val_videofolder.txt',
    categories: 'category.txt',
    classes: 174,
    flow: { framesDir: '20bn-something-something-v2-flow', template: '{:06d}.jpg', list: FLOW_LIST },
  },
  kinetics: {
    name: 'kinetics',
    framesDir: 'images',
    imageTemplate: 'img_{:05d}.jpg',
    list: 'val_videofolder.txt',
    categories: 'category.txt',
    classes: 400,
    flow: { ...FLOW_PAIRS_IN_IMAGES, undocumented: true },
  },
  ucf101: {
    name: 'ucf101',
    framesDir: 'images',
    imageTemplate: 'img_{:05d}.jpg',
    list: 'val_videofolder.txt',
    categories: 'category.txt',
    classes: 101,
    flow: FLOW_PAIRS_IN_IMAGES,
  },
  hmdb51: {
    name: 'hmdb51',
    framesDir: 'images',
    imageTemplate: 'img_{:05d}.jpg',
    list: 'val_videofolder.txt',
    categories: 'category.txt',
    classes: 51,
    flow: FLOW_PAIRS_IN_IMAGES,
  },
});

export interface ClipRecord {
  readonly id: string;
  readonly frames: number;
  readonly label: number;
  /** 1-based line number in the list file */
  readonly line: number;
}

export interface BadLine {
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

export interface ClipList {
  readonly clips: readonly ClipRecord[];
  readonly bad: readonly BadLine[];
}

const LAYOUT_HINT =
  'expected the TSM layout: <root>/20bn-jester-v1/<id>/00001.jpg, <root>/category.txt, <root>/val_videofolder.txt';
const readText = (path: string, what: string) => readInputText(path, what, LAYOUT_HINT);

export function readCategories(path: string): string[] {
  const labels = readText(path, 'category list')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (!labels.length)
    throw new TsmError('input', 'E_EMPTY_CATEGORIES', `${path}: no categories`, { details: { file: path } });
  return labels;
}

/** Parses a video-folder list; malformed lines are collected with their line number, never fatal. */
export function parseClipList(text: string, classes: number): ClipList {
  const clips: ClipRecord[] = [];
  const bad: BadLine[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = i + 1;
    const t = raw.trim();
    if (!t) continue;
    const parts = t.split(/\s+/);
    if (parts.length < 3) {
      bad.push({
        line,
        text: raw,
        reason: `expected '<id> <num_frames> <label>', found ${parts.length} field(s)`,
      });
      continue;
    }
    // Ids may contain spaces in some lists (something-something); the last two fields are numbers.
    const label = Number(parts[parts.length - 1]);
    const frames = Number(parts[parts.length - 2]);
    const id = parts.slice(0, -2).join(' ');
    if (!Number.isInteger(frames) || frames < 1) {
      bad.push({
        line,
        text: raw,
        reason: `frame count '${parts[parts.length - 2]}' is not a positive integer`,
      });
      continue;
    }
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      bad.push({ line, text: raw, reason: `label '${parts[parts.length - 1]}' is not in 0..${classes - 1}` });
      continue;
    }
    clips.push({ id, frames, label, line });
  }
  return { clips, bad };
}

/**
 * Parses a list of video files: MMAction2's `<path> <label>` lines (VideoDataset's format) or tsm's
 * `<path> <num_frames> <label>` (the count is not used: a video's frames are counted as it is decoded). A line whose
 * second-to-last field is an integer is read as tsm's; paths may hold spaces. `frames` is 0 for MMAction2's lines.
 */
export function parseVideoList(text: string, classes: number): ClipList {
  const clips: ClipRecord[] = [];
  const bad: BadLine[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = i + 1;
    const parts = raw.trim().split(/\s+/).filter(Boolean);
    if (!parts.length) continue;
    if (parts.length < 2) {
      bad.push({
        line,
        text: raw,
        reason: "expected '<path> <label>' (or '<path> <num_frames> <label>'), found 1 field",
      });
      continue;
    }
    const label = Number(parts[parts.length - 1]);
    const counted = parts.length >= 3 && /^\d+$/.test(parts[parts.length - 2]);
    const id = parts.slice(0, counted ? -2 : -1).join(' ');
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      bad.push({ line, text: raw, reason: `label '${parts[parts.length - 1]}' is not in 0..${classes - 1}` });
      continue;
    }
    clips.push({ id, frames: counted ? Number(parts[parts.length - 2]) : 0, label, line });
  }
  return { clips, bad };
}

export function readVideoList(path: string, classes: number): ClipList {
  return parseVideoList(readText(path, 'video list'), classes);
}

export function readClipList(path: string, classes: number): ClipList {
  return parseClipList(readText(path, 'clip list'), classes);
}

/** Formats Python's `'{:05d}.jpg'.format(i)` (and `{:d}`, `{}`) templates. */
export function formatFrameName(template: string, index: number): string {
  return formatTemplate(template, [index]);
}

const FIELD = /\{(?::0?(\d*)d)?\}/g;

/** Python's positional `str.format` for `{}` and `{:0Nd}` fields, e.g. `'{:06d}-{}_{:05d}.jpg'.format(12, 'x', 3)`. */
export function formatTemplate(template: string, args: ReadonlyArray<number | string>): string {
  let i = 0;
  return template.replace(FIELD, (_m, width: string | undefined) => {
    const v = args[i++];
    const text = String(v);
    return width && typeof v === 'number' ? text.padStart(Number(width), '0') : text;
  });
}

/** How many fields a template has. */
export function templateFields(template: string): number {
  return template.match(FIELD)?.length ?? 0;
}

export function framePath(root: string, config: DatasetConfig, clipId: string, index: number): string {
  return join(root, config.framesDir, clipId, formatFrameName(config.imageTemplate, index));
}
