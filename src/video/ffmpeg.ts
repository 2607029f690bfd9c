/**
 * Videos through ffmpeg: the user's (--ffmpeg PATH, TSM_FFMPEG), else the first `ffmpeg` on PATH (as upstream's
 * vid2img tools run it: a current ffmpeg's frames are what theirs are), else the binary that comes with `npm ci`
 * (@ffmpeg-installer, docs/upstream-tsm-family.md §0b: a 2018 build whose JPEGs and decoded frames differ from a
 * current ffmpeg's).
 * Frames are piped as raw RGB into memory: no temporary JPEGs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { TsmError } from '../errors.js';

/** The lines of ffmpeg's stderr that describe the streams, not a failure. */
const FFMPEG_BANNER = new RegExp(
  '^\\s*(Input|Metadata|Duration|Stream|At least one output|Output|Press|frame=|encoder|handler_name|major_brand|' +
    'minor_version|compatible_brands|creation_time|Side data|\\w+\\s*:)',
);

export interface DecodedVideo {
  readonly width: number;
  readonly height: number;
  /** frames per second as ffmpeg reports the stream (0 when unknown) */
  readonly fps: number;
  /** rgb24 frames in display order, each width × height × 3 bytes */
  readonly frames: readonly Uint8Array[];
}

/** Which ffmpeg runs, and why that one: `flag` (--ffmpeg), `env` (TSM_FFMPEG), `path` (PATH), `bundled` (npm). */
export interface FfmpegChoice {
  readonly path: string;
  readonly source: 'flag' | 'env' | 'path' | 'bundled';
}

/** A chosen ffmpeg with the version it reports (`ffmpeg -version`: "ffmpeg version 5.1.6-0+deb12u1 …" →
 * "5.1.6-0+deb12u1"). */
export interface FfmpegInfo extends FfmpegChoice {
  readonly version: string;
}

const isExecutableFile = (path: string) => {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The first executable `name` in a PATH-style list of folders, as a shell finds it. */
export function findOnPath(name: string, pathList = process.env.PATH ?? ''): string | undefined {
  const names = process.platform === 'win32' ? [`${name}.exe`, name] : [name];
  for (const dir of pathList.split(delimiter)) {
    if (!dir) continue;
    for (const n of names) if (isExecutableFile(join(dir, n))) return join(dir, n);
  }
  return undefined;
}

function bundledFfmpeg(): string {
  let path: string;
  try {
    path = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch (err) {
    throw new TsmError(
      'usage',
      'E_NO_FFMPEG',
      `no ffmpeg: none on PATH, and the bundled @ffmpeg-installer/ffmpeg has no binary for ` +
        `${process.platform}-${process.arch} (${String(err)})`,
      {
        hint: 'install ffmpeg (apt-get install ffmpeg), or pass --ffmpeg PATH or set TSM_FFMPEG',
      },
    );
  }
  try {
    accessSync(path, constants.X_OK);
  } catch {
    // npm ≥ 11 does not run the package's `chmod u+x` install step
    chmodSync(path, statSync(path).mode | 0o100);
  }
  return path;
}

/**
 * The ffmpeg to run: `explicit` (--ffmpeg; a bare name is looked up on PATH), TSM_FFMPEG, the first `ffmpeg` on PATH,
 * or the npm-shipped binary (made executable if npm left it not).
 */
export function chooseFfmpeg(explicit?: string, env: NodeJS.ProcessEnv = process.env): FfmpegChoice {
  const given = explicit
    ? { value: explicit, source: 'flag' as const, what: '--ffmpeg' }
    : env.TSM_FFMPEG
      ? { value: env.TSM_FFMPEG, source: 'env' as const, what: 'TSM_FFMPEG' }
      : undefined;
  if (given) {
    const path = /[/\\]/.test(given.value) ? given.value : (findOnPath(given.value, env.PATH) ?? given.value);
    if (!existsSync(path))
      throw new TsmError('usage', 'E_NO_FFMPEG', `ffmpeg not found at ${given.value} (${given.what})`, {
        details: { file: given.value },
      });
    return { path, source: given.source };
  }
  const onPath = findOnPath('ffmpeg', env.PATH);
  return onPath ? { path: onPath, source: 'path' } : { path: bundledFfmpeg(), source: 'bundled' };
}

/** The ffmpeg's path alone (see chooseFfmpeg). */
export function resolveFfmpeg(explicit?: string): string {
  return chooseFfmpeg(explicit).path;
}

const versions = new Map<string, string>();

/** chooseFfmpeg plus the version the binary reports; a file that does not answer `-version` as ffmpeg is refused. */
export function ffmpegInfo(explicit?: string, env: NodeJS.ProcessEnv = process.env): FfmpegInfo {
  const choice = chooseFfmpeg(explicit, env);
  let version = versions.get(choice.path);
  if (version === undefined) {
    let banner = '';
    try {
      banner = execFileSync(choice.path, ['-version'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 30_000,
      });
    } catch (err) {
      throw new TsmError(
        'usage',
        'E_NO_FFMPEG',
        `${choice.path} (${choice.source}) does not run as ffmpeg: ${(err as Error).message.split('\n')[0]}`,
        { details: { file: choice.path } },
      );
    }
    const m = /^ffmpeg version (\S+)/m.exec(banner);
    if (!m)
      throw new TsmError(
        'usage',
        'E_NO_FFMPEG',
        `${choice.path} (${choice.source}) is not ffmpeg: \`-version\` printed ` +
          `${JSON.stringify(banner.split('\n')[0].slice(0, 80))}`,
        { details: { file: choice.path } },
      );
    version = m[1];
    versions.set(choice.path, version);
  }
  return { ...choice, version };
}

const VIDEO_STREAM = /Stream #\d+:\d+.*?: Video: [^\n]*?, (\d{1,5})x(\d{1,5})[^\n]*/;

/**
 * Every frame of a video as rgb24, at its native size and rate. One ffmpeg process: the input's size is read from
 * what ffmpeg prints about the input stream, the frames from its stdout (short clips are dominated by process start,
 * so no separate probe run).
 */
export async function decodeVideo(path: string, options: { ffmpeg?: string } = {}): Promise<DecodedVideo> {
  if (!existsSync(path))
    throw new TsmError('input', 'E_NOT_FOUND', `${path}: video not found`, { details: { file: path } });
  const ffmpeg = resolveFfmpeg(options.ffmpeg);
  const child = spawn(
    ffmpeg,
    ['-hide_banner', '-nostdin', '-i', path, '-map', '0:v:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) chunks.push(chunk);
  const code: number = await new Promise((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.on('close', (c) => resolve(c ?? 1)),
  );
  // the input's stream line comes before the output's (which is rawvideo at the same size)
  const input = stderr.slice(0, stderr.search(/\nOutput #0|$/));
  const m = VIDEO_STREAM.exec(input);
  const reason = () =>
    stderr
      .trim()
      .split('\n')
      .filter((l) => !FFMPEG_BANNER.test(l))
      .pop()
      ?.trim();
  if (!m)
    throw new TsmError('input', 'E_VIDEO', `${path}: ffmpeg finds no video stream (${reason() ?? 'no video stream'})`, {
      details: { file: path },
    });
  const width = Number(m[1]);
  const height = Number(m[2]);
  const fps = Number(/(\d+(?:\.\d+)?) fps/.exec(m[0])?.[1] ?? /(\d+(?:\.\d+)?) tbr/.exec(m[0])?.[1] ?? 0);
  const data = Buffer.concat(chunks);
  const frameBytes = width * height * 3;
  const frames = Array.from({ length: Math.floor(data.length / frameBytes) }, (_, i) =>
    data.subarray(i * frameBytes, (i + 1) * frameBytes),
  );
  if (code !== 0 || !frames.length) {
    throw new TsmError(
      'input',
      'E_VIDEO',
      `${path}: ffmpeg could not decode it (${reason() ?? (frames.length ? `exit code ${code}` : 'no frames')})`,
      { details: { file: path, exitCode: code } },
    );
  }
  return { width, height, fps, frames };
}
