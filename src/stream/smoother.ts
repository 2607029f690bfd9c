/**
 * What a stream of logits says, as TSM's online demo reads it: a gesture is reported once the average of the last
 * `window` logits has put it first for `stableFrames` frames in a row; a clip's scores are that window's average.
 */

export interface SmoothingOptions {
  /** logits averaged over this many recent frames */
  readonly window: number;
  /** a gesture is reported once it has led for this many consecutive frames */
  readonly stableFrames: number;
}

export interface GestureEvent {
  readonly frame: number;
  readonly timeSeconds: number;
  readonly index: number;
  readonly label: string;
}

/** The demo's smoothing: average the last `window` logits, report a class once it has led `stableFrames` in a row. */
export class GestureSmoother {
  private readonly history: Float32Array[] = [];
  private candidate = -1;
  private run = 0;
  private current = -1;
  constructor(private readonly options: SmoothingOptions) {}

  /** Returns the newly reported class index, or -1 when nothing changed. */
  push(logits: Float32Array): number {
    this.history.push(logits);
    if (this.history.length > this.options.window) this.history.shift();
    const sum = new Float32Array(logits.length);
    for (const h of this.history) for (let k = 0; k < sum.length; k++) sum[k] += h[k];
    let best = 0;
    for (let k = 1; k < sum.length; k++) if (sum[k] > sum[best]) best = k;
    this.run = best === this.candidate ? this.run + 1 : 1;
    this.candidate = best;
    if (this.run >= this.options.stableFrames && best !== this.current) {
      this.current = best;
      return best;
    }
    return -1;
  }
}

/** A clip's stream as one result: the gesture reported last (-1 for none) and the logits of the last window averaged.
 * */
export class ClipTracker {
  private readonly smoother: GestureSmoother;
  private readonly recent: Float32Array[] = [];
  /** the class reported last, -1 before any */
  last = -1;
  constructor(private readonly options: SmoothingOptions) {
    this.smoother = new GestureSmoother(options);
  }

  /** Returns the newly reported class index, or -1 when nothing changed. */
  push(logits: Float32Array): number {
    this.recent.push(logits);
    if (this.recent.length > this.options.window) this.recent.shift();
    const changed = this.smoother.push(logits);
    if (changed >= 0) this.last = changed;
    return changed;
  }

  /** The last window's logits averaged, class by class. */
  windowMean(classes: number): number[] {
    return Array.from({ length: classes }, (_, k) => this.recent.reduce((a, l) => a + l[k], 0) / this.recent.length);
  }
}
