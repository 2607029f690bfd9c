/**
 * How an online model expects to be fed, carried in its metadata (`tsm.streaming`) and zoo entry so that `tsm stream`,
 * `tsm verify` and the browser demo feed it the way it was trained, without flags.
 */
export interface StreamingProtocol {
  /** feed every `stride`-th source frame: the spacing of the training clips' segments */
  readonly stride: number;
  /** logits averaged over this many fed frames */
  readonly window: number;
  /** a gesture is reported once it has led this many fed frames in a row */
  readonly stableFrames: number;
  /** frame rate of the source frames (timestamps; the browser feeds one frame every 1000·stride/fps ms) */
  readonly fps: number;
  /** segments of the training clips: stride × segments source frames is the span one training clip covered */
  readonly trainedSegments: number;
  /** what a streamed clip is scored by */
  readonly counted: 'last-reported-gesture';
}

/**
 * Jester: ~36 frames a clip at 12 fps, trained with 8 segments ⇒ one segment every ~4.5 frames; stride 4, and a window
 * of half the training segments. On the 80 mini clips this reports the right last gesture on 80 %, against 12.5 % with
 * stride 1, window 12, stable 2 (bench:stream).
 */
export const JESTER_STREAMING: StreamingProtocol = Object.freeze({
  stride: 4,
  window: 4,
  stableFrames: 1,
  fps: 12,
  trainedSegments: 8,
  counted: 'last-reported-gesture',
});

/** What stream falls back to for a model without `tsm.streaming` (an export older than the field). */
export const UNDECLARED_STREAMING: StreamingProtocol = Object.freeze({
  stride: 1,
  window: 12,
  stableFrames: 2,
  fps: 12,
  trainedSegments: 8,
  counted: 'last-reported-gesture',
});

export function parseStreamingProtocol(text: string | undefined): StreamingProtocol | undefined {
  if (!text) return undefined;
  try {
    const p = JSON.parse(text) as Partial<StreamingProtocol>;
    const positive = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x > 0;
    if (
      !positive(p.stride) ||
      !positive(p.window) ||
      !positive(p.stableFrames) ||
      !(typeof p.fps === 'number' && p.fps > 0)
    )
      return undefined;
    return { ...JESTER_STREAMING, ...p } as StreamingProtocol;
  } catch {
    return undefined;
  }
}
