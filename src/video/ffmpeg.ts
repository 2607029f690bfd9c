/**
 * Videos through ffmpeg: the binary that comes with `npm ci` (@ffmpeg-installer, TSM-FACTS-2 §0b), or one the user
 * names (--ffmpeg PATH, TSM_FFMPEG). Frames are piped as raw RGB into memory: no temporary JPEGs.
 */
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TsmError } from '../errors.js';

export interface DecodedVideo {
  readonly width: number;
  readonly height: number;
  /** frames per second as ffmpeg reports the stream (0 when unknown) */
  readonly fps: number;
  /** rgb24 frames in display order, each width × height × 3 bytes */
  readonly frames: readonly Uint8Array[];
}

/** The ffmpeg to run: an explicit path, TSM_FFMPEG, or the npm-shipped binary (made executable if npm left it not). */
export function resolveFfmpeg(explicit?: string): string {
  const chosen = explicit ?? process.env.TSM_FFMPEG;
  if (chosen) {
    if (!existsSync(chosen)) throw new TsmError('usage', 'E_NO_FFMPEG', `ffmpeg not found at ${chosen}`, { details: { file: chosen } });
    return chosen;
  }
  let path: string;
  try {
    path = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch (err) {
    throw new TsmError('usage', 'E_NO_FFMPEG', `no ffmpeg: the bundled @ffmpeg-installer/ffmpeg has no binary for ${process.platform}-${process.arch} (${String(err)})`, {
      hint: 'pass --ffmpeg PATH or set TSM_FFMPEG to an ffmpeg on this machine',
    });
  }
  try {
    accessSync(path, constants.X_OK);
  } catch {
    // npm ≥ 11 does not run the package's `chmod u+x` install step
    chmodSync(path, statSync(path).mode | 0o100);
  }
  return path;
}

const VIDEO_STREAM = /Stream #\d+:\d+.*?: Video: [^\n]*?, (\d{1,5})x(\d{1,5})[^\n]*/;

/**
 * Every frame of a video as rgb24, at its native size and rate. One ffmpeg process: the input's size is read from
 * what ffmpeg prints about the input stream, the frames from its stdout (short clips are dominated by process start,
 * so no separate probe run).
 */
export async function decodeVideo(path: string, options: { ffmpeg?: string } = {}): Promise<DecodedVideo> {
  if (!existsSync(path)) throw new TsmError('input', 'E_NOT_FOUND', `${path}: video not found`, { details: { file: path } });
  const ffmpeg = resolveFfmpeg(options.ffmpeg);
  const child = spawn(ffmpeg, ['-hide_banner', '-nostdin', '-i', path, '-map', '0:v:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) chunks.push(chunk);
  const code: number = await new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('close', (c) => resolve(c ?? 1))));
  // the input's stream line comes before the output's (which is rawvideo at the same size)
  const input = stderr.slice(0, stderr.search(/\nOutput #0|$/));
  const m = VIDEO_STREAM.exec(input);
  const reason = () => stderr.trim().split('\n').filter((l) => !/^\s*(Input|Metadata|Duration|Stream|At least one output|Output|Press|frame=|encoder|handler_name|major_brand|minor_version|compatible_brands|creation_time|Side data|\w+\s*:)/.test(l)).pop()?.trim();
  if (!m) throw new TsmError('input', 'E_VIDEO', `${path}: ffmpeg finds no video stream (${reason() ?? 'no video stream'})`, { details: { file: path } });
  const width = Number(m[1]);
  const height = Number(m[2]);
  const fps = Number(/(\d+(?:\.\d+)?) fps/.exec(m[0])?.[1] ?? /(\d+(?:\.\d+)?) tbr/.exec(m[0])?.[1] ?? 0);
  const data = Buffer.concat(chunks);
  const frameBytes = width * height * 3;
  const frames = Array.from({ length: Math.floor(data.length / frameBytes) }, (_, i) => data.subarray(i * frameBytes, (i + 1) * frameBytes));
  if (code !== 0 || !frames.length) {
    throw new TsmError('input', 'E_VIDEO', `${path}: ffmpeg could not decode it (${reason() ?? (frames.length ? `exit code ${code}` : 'no frames')})`, { details: { file: path, exitCode: code } });
  }
  return { width, height, fps, frames };
}
