/**
 * `tsm prepare frames`: videos → JPEG frame folders with the upstream tools' ffmpeg settings
 * (docs/upstream-tsm-family.md §4):
 * Kinetics `scale=-1:331` into `img_%05d.jpg`, Something v2 `scale=-1:256` into `%06d.jpg`, `-q:v 0`, native frame
 * rate, numbered from 1, one single-threaded ffmpeg per video. Runs a pool of workers; a clip folder counts as done
 * only once a marker written after a successful decode is there, so a killed run never leaves a half folder that looks
 * finished: the next run clears such a folder and decodes it again. The marker records which ffmpeg (path, version)
 * made the frames: JPEGs of different ffmpeg builds differ, so a dataset's frames say what made them.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { TsmError } from '../errors.js';
import { testPoint } from '../test-points.js';
import { type FfmpegInfo, ffmpegInfo } from './ffmpeg.js';

/** Written into a clip folder after ffmpeg succeeded; `prepare labels` does not count it as a frame. */
export const DONE_MARKER = '.tsm-frames-done';

/** What a done marker holds (one JSON object; markers of older tsm versions hold only the frame count). */
export interface DoneMarker {
  readonly frames: number;
  readonly ffmpeg: { readonly path: string; readonly version: string; readonly source: FfmpegInfo['source'] };
  readonly filter: string | null;
  readonly template: string;
}

/** A folder's done marker, or undefined for an older tsm's (a bare frame count) or an unreadable one. */
export function readDoneMarker(folder: string): DoneMarker | undefined {
  try {
    const marker = JSON.parse(readFileSync(join(folder, DONE_MARKER), 'utf8'));
    return typeof marker === 'object' && marker !== null && typeof marker.ffmpeg?.version === 'string'
      ? marker
      : undefined;
  } catch {
    return undefined;
  }
}

export const FRAME_LAYOUTS = Object.freeze({
  kinetics: { scale: 'scale=-1:331', template: 'img_%05d.jpg' },
  somethingv2: { scale: 'scale=-1:256', template: '%06d.jpg' },
  // Jester ships its frames; its videos (or any made from them) keep their size
  jester: { scale: undefined, template: '%05d.jpg' },
} as const);
export type FrameLayout = keyof typeof FRAME_LAYOUTS;

const VIDEO = /\.(mp4|webm|avi|mkv|mov|m4v|gif)$/i;

export interface ExtractOptions {
  readonly videos: string;
  readonly out: string;
  readonly dataset?: FrameLayout;
  /** scale the short side to N instead of the dataset's fixed height */
  readonly shortSide?: number;
  /** frame file name (ffmpeg pattern, e.g. img_%05d.jpg) */
  readonly template?: string;
  readonly workers?: number;
  readonly ffmpeg?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ExtractResult {
  readonly videos: number;
  readonly extracted: number;
  /** already complete from an earlier run */
  readonly skipped: number;
  /** folders of an interrupted run, cleared and decoded again */
  readonly redone: number;
  readonly frames: number;
  readonly seconds: number;
  readonly failures: ReadonlyArray<{ readonly video: string; readonly reason: string }>;
  readonly settings: { readonly filter: string | null; readonly template: string };
  /** the ffmpeg this run decoded with (also in each folder's done marker) */
  readonly ffmpeg: FfmpegInfo;
  /** e.g. folders of an earlier run, kept, that another ffmpeg made */
  readonly warnings: readonly string[];
}

/** Video files under `dir` (recursively, sorted), with the clip folder each goes to: <out>/<relative dir>/<name>. */
export function findVideos(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (VIDEO.test(e.name)) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

function runFfmpeg(ffmpeg: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', (err) => resolve({ code: 127, stderr: String(err) }));
    p.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

export async function extractFrames(options: ExtractOptions): Promise<ExtractResult> {
  const started = performance.now();
  const plan = planExtraction(options);
  const tally: Tally = {
    extracted: 0,
    skipped: 0,
    redone: 0,
    frames: 0,
    done: 0,
    failures: [],
    keptFromOthers: new Map(),
  };
  await runWorkers(plan, tally, options.onProgress);
  return report(plan, tally, started);
}

/** What a run decodes and how: the videos, the clip folder of each, the ffmpeg and its settings. */
interface ExtractionPlan {
  readonly videos: readonly string[];
  readonly folderOf: (video: string) => string;
  readonly info: FfmpegInfo;
  readonly filter: string | null;
  readonly template: string;
  readonly workers: number;
}

/** What the workers found and did, counted as they go. */
interface Tally {
  extracted: number;
  skipped: number;
  redone: number;
  frames: number;
  done: number;
  readonly failures: Array<{ video: string; reason: string }>;
  /** folders kept from an earlier run that another ffmpeg made: how many by which */
  readonly keptFromOthers: Map<string, number>;
}

/** The videos (a folder's, or one file), the ffmpeg, its filter and file names; refuses two videos sharing a folder. */
function planExtraction(options: ExtractOptions): ExtractionPlan {
  let isDir = false;
  try {
    isDir = statSync(options.videos).isDirectory();
  } catch {
    throw new TsmError('input', 'E_NOT_FOUND', `${options.videos}: videos folder not found`, {
      details: { file: options.videos },
    });
  }
  const videos = isDir ? findVideos(options.videos) : [options.videos];
  if (!videos.length)
    throw new TsmError(
      'input',
      'E_NO_VIDEOS',
      `${options.videos}: no video files (.mp4, .webm, .avi, .mkv, .mov, .gif) in it or below it`,
      { details: { file: options.videos } },
    );
  const info = ffmpegInfo(options.ffmpeg);
  const layout = FRAME_LAYOUTS[options.dataset ?? 'kinetics'];
  const filter = options.shortSide
    ? `scale='if(gt(iw,ih),-2,${options.shortSide})':'if(gt(iw,ih),${options.shortSide},-2)'`
    : (layout.scale ?? null);
  const folderOf = (video: string) =>
    join(options.out, isDir ? relative(options.videos, join(video, '..')) : '', basename(video, extname(video)));
  checkDistinctFolders(videos, folderOf);
  return {
    videos,
    folderOf,
    info,
    filter,
    template: options.template ?? layout.template,
    workers: Math.max(1, options.workers ?? 2),
  };
}

function checkDistinctFolders(videos: readonly string[], folderOf: (video: string) => string): void {
  const seen = new Map<string, string>();
  for (const v of videos) {
    const f = folderOf(v);
    const other = seen.get(f);
    if (other)
      throw new TsmError('usage', 'E_DUPLICATE_CLIP', `${other} and ${v} would both go to ${f}`, {
        hint: 'give the videos distinct names (without their extensions), or extract them in separate runs',
        details: { folder: f, videos: [other, v] },
      });
    seen.set(f, v);
  }
}

/** A pool of workers, each taking the next video until none is left. */
async function runWorkers(plan: ExtractionPlan, tally: Tally, onProgress: ExtractOptions['onProgress']): Promise<void> {
  let next = 0;
  const work = async () => {
    for (;;) {
      const i = next++;
      if (i >= plan.videos.length) return;
      const video = plan.videos[i];
      const folder = plan.folderOf(video);
      // a done folder is counted without awaiting anything, so a rerun's skips take no turns between workers
      if (existsSync(join(folder, DONE_MARKER))) countKept(folder, plan.info, tally);
      else await decodeClip(video, folder, plan, tally);
      tally.done++;
      onProgress?.(tally.done, plan.videos.length);
      testPoint(`prepare-frames:done:${tally.done}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(plan.workers, plan.videos.length) }, work));
}

/** A folder an earlier run finished: kept, and noted when another ffmpeg made it. */
function countKept(folder: string, info: FfmpegInfo, tally: Tally): void {
  tally.skipped++;
  const madeBy = readDoneMarker(folder)?.ffmpeg;
  // by version: the same build found under another path (/bin vs /usr/bin) writes the same frames
  if (madeBy?.version !== info.version) {
    const who = madeBy ? `ffmpeg ${madeBy.version} (${madeBy.path})` : 'an unrecorded ffmpeg (an older tsm)';
    tally.keptFromOthers.set(who, (tally.keptFromOthers.get(who) ?? 0) + 1);
  }
}

/** One video into a fresh folder; the done marker is written only once ffmpeg succeeded and wrote frames. */
async function decodeClip(video: string, folder: string, plan: ExtractionPlan, tally: Tally): Promise<void> {
  if (existsSync(folder)) {
    rmSync(folder, { recursive: true, force: true }); // an interrupted decode: never trust its frames
    tally.redone++;
  }
  mkdirSync(folder, { recursive: true });
  const args = [
    '-v',
    'error',
    '-i',
    video,
    '-threads',
    '1',
    ...(plan.filter ? ['-vf', plan.filter] : []),
    '-q:v',
    '0',
    join(folder, plan.template),
  ];
  const r = await runFfmpeg(plan.info.path, args);
  const written = readdirSync(folder).length;
  if (r.code !== 0 || !written) {
    rmSync(folder, { recursive: true, force: true });
    tally.failures.push({
      video,
      reason: r.stderr.trim().split('\n').pop() || `ffmpeg exited with ${r.code} and wrote no frame`,
    });
    return;
  }
  const { info } = plan;
  const marker: DoneMarker = {
    frames: written,
    ffmpeg: { path: info.path, version: info.version, source: info.source },
    filter: plan.filter,
    template: plan.template,
  };
  writeFileSync(join(folder, DONE_MARKER), `${JSON.stringify(marker)}\n`);
  tally.extracted++;
  tally.frames += written;
}

function report(plan: ExtractionPlan, tally: Tally, started: number): ExtractResult {
  const { info } = plan;
  const warnings = [...tally.keptFromOthers].map(
    ([who, n]) =>
      `${n} folder(s) already done were kept as ${who} made them, not ffmpeg ${info.version} (${info.path}) as this ` +
      `run; delete them to decode them again`,
  );
  return {
    videos: plan.videos.length,
    extracted: tally.extracted,
    skipped: tally.skipped,
    redone: tally.redone,
    frames: tally.frames,
    seconds: (performance.now() - started) / 1000,
    failures: tally.failures,
    settings: { filter: plan.filter, template: plan.template },
    ffmpeg: info,
    warnings,
  };
}
