/** `tsm stream`: frames of a folder (or an animated GIF/WebP) through an online model, one at a time, with smoothing.
 * */
import { statSync } from 'node:fs';
import { TsmError } from '../errors.js';
import { openFrameSource } from '../frames/source.js';
import { openOnlineModel } from '../inference/online.js';
import { UNDECLARED_STREAMING } from '../model/streaming.js';
import { streamClip } from './loop.js';
import { type GestureEvent, GestureSmoother, type SmoothingOptions } from './smoother.js';

export interface StreamOptions extends Partial<SmoothingOptions> {
  readonly model: string;
  readonly frames?: string;
  readonly video?: string;
  /** frame rate of the source, for timestamps (default: the model's `tsm.streaming`) */
  readonly fps?: number;
  /** feed every `stride`-th frame (default: the model's `tsm.streaming`, the spacing it was trained on) */
  readonly stride?: number;
  readonly threads?: number;
  /** ffmpeg for --video files (default: TSM_FFMPEG, else the first on PATH, else the bundled one) */
  readonly ffmpeg?: string;
  /** after each frame: its index, the gesture reported so far, and its latencies */
  readonly onFrame?: (frame: FrameTiming) => void;
}

export interface FrameTiming {
  readonly index: number;
  readonly gesture?: string;
  /** from the end of the previous frame: read, decode, scale, normalise, infer */
  readonly perFrameMs: number;
  readonly inferenceMs: number;
}

export interface LatencyStats {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

export interface StreamResult {
  readonly model: string;
  /** frames fed to the model */
  readonly frames: number;
  readonly stride: number;
  readonly fps: number;
  /** where stride, window, stable frames and fps came from: the model's metadata, flags, or fallbacks */
  readonly protocolSource: 'model' | 'model+flags' | 'flags' | 'fallback';
  readonly events: readonly GestureEvent[];
  /**
   * Percentiles over the frames after the first; the first frame, which also pays for compiling the frame pipeline
   * (JIT), is `firstFrame`. The model itself is warmed up before any frame.
   */
  readonly latencyMs: {
    readonly inference: LatencyStats;
    readonly perFrame: LatencyStats;
    readonly firstFrame: number;
  };
  readonly smoothing: SmoothingOptions;
  /** the short side frames were scaled to (the model's `tsm.preprocessing`, else the rule) before the centre crop */
  readonly scaleShortSide: number;
  readonly cropSize: number;
  /** e.g. a scale the model declares that is not upstream's */
  readonly warnings: readonly string[];
}

const isDirectory = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

const afterFirst = (xs: readonly number[]) => (xs.length > 1 ? xs.slice(1) : xs);

export function percentiles(xs: readonly number[]): LatencyStats {
  if (!xs.length) return { p50: 0, p99: 0, mean: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { p50: at(0.5), p99: at(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

export async function streamFrames(options: StreamOptions): Promise<StreamResult> {
  if (!options.frames === !options.video)
    throw new TsmError('usage', 'E_USAGE', 'give exactly one of --frames DIR or --video FILE');
  if (options.frames && !isDirectory(options.frames))
    throw new TsmError('input', 'E_NOT_FOUND', `${options.frames}: frames folder not found`, {
      details: { file: options.frames },
    });
  const model = await openOnlineModel(options.model, { threads: options.threads });
  try {
    const scale = model.scale.scaleShortSide;
    const declared = model.streaming;
    const base = declared ?? UNDECLARED_STREAMING;
    const given = [options.stride, options.window, options.stableFrames, options.fps].some((x) => x !== undefined);
    const smoothing: SmoothingOptions = {
      window: options.window ?? base.window,
      stableFrames: options.stableFrames ?? base.stableFrames,
    };
    const fps = options.fps ?? base.fps;
    const smoother = new GestureSmoother(smoothing);
    const inference: number[] = [];
    const perFrame: number[] = [];
    const events: GestureEvent[] = [];
    const label = (k: number) => model.labels?.[k] ?? `class_${k}`;
    let gesture: string | undefined;
    const stride = options.stride ?? base.stride;
    const source = await openFrameSource((options.frames ?? options.video) as string, { ffmpeg: options.ffmpeg });
    const { fed: n } = await streamClip(
      model,
      source,
      { stride, unreadable: 'fail' },
      ({ index, logits, frameMs, inferenceMs }) => {
        inference.push(inferenceMs);
        perFrame.push(frameMs);
        const changed = smoother.push(logits);
        if (changed >= 0) {
          gesture = label(changed);
          events.push({ frame: index, timeSeconds: index / fps, index: changed, label: gesture });
        }
        options.onFrame?.({ index, gesture, perFrameMs: frameMs, inferenceMs });
      },
    );
    if (!n)
      throw new TsmError('input', 'E_NO_FRAMES', `${options.frames ?? options.video}: no frames decoded`, {
        details: { file: options.frames ?? options.video },
      });
    return {
      model: options.model,
      frames: n,
      stride,
      fps,
      protocolSource: declared ? (given ? 'model+flags' : 'model') : given ? 'flags' : 'fallback',
      events,
      latencyMs: {
        inference: percentiles(afterFirst(inference)),
        perFrame: percentiles(afterFirst(perFrame)),
        firstFrame: perFrame[0] ?? 0,
      },
      smoothing,
      scaleShortSide: scale,
      cropSize: model.size,
      warnings: model.scale.warning ? [model.scale.warning] : [],
    };
  } finally {
    await model.close();
  }
}
