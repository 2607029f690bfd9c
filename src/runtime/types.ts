/** What tsm/runtime takes and gives: the same in Node and in browsers. */
import type { ModelQuery } from '../zoo/client.js';
import type { ZooEntry } from '../zoo/types.js';
import type { OrtSessionOptions } from './ort.js';

/** A decoded frame: RGB or RGBA bytes, row after row (`channels` is inferred from the length when not given). */
export interface RawFrame {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  readonly channels?: 3 | 4;
}

/** One frame: decoded pixels, or the bytes of a JPEG (or, in Node, any image sharp reads). */
export type FrameInput = RawFrame | Uint8Array | ArrayBuffer;

/** A clip: its frames in time order; in Node also a video file or a folder of frames, by path. */
export type ClipInput = string | readonly FrameInput[];

export interface LoadOptions {
  /** a zoo id (optionally with `version`, an npm-style range) */
  readonly id?: string;
  readonly version?: string;
  /** any zoo query (task, dataset, kind, …) instead of an id: the best verified match */
  readonly query?: ModelQuery;
  /**
   * the zoo: a zoo.json path or URL (http(s), file:), its folder, or a Hugging Face export folder (tsm zoo export
   * --format hf). Default: in Node TSM_ZOO, else ./zoo.json, else the package's own; in a browser the package's
   */
  readonly zoo?: string | URL;
  /** Node: where artifacts served over http(s) are kept (default TSM_CACHE, else ~/.cache/tsm) */
  readonly cache?: string;
  /** onnxruntime execution providers, e.g. ['webgpu', 'wasm'] or ['cpu'] */
  readonly executionProviders?: readonly unknown[];
  /** onnxruntime intra-op threads (Node) */
  readonly threads?: number;
  /** any other onnxruntime session options */
  readonly sessionOptions?: OrtSessionOptions;
}

export interface Ranked {
  readonly label: string;
  readonly index: number;
  /** softmax probability over the classes */
  readonly score: number;
}

export interface Classification {
  readonly top: readonly Ranked[];
  /** clip models: the model's logits; online models: the last window's logits averaged */
  readonly logits: Float32Array;
  /** 0-based indices of the frames the model saw */
  readonly sampled: readonly number[];
  /** online models: the gesture reported last while streaming the clip (undefined when none was) */
  readonly lastGesture?: string;
}

export interface StreamEvent {
  /** 0-based index of the pushed frame at which the gesture was reported */
  readonly frame: number;
  readonly timeSeconds: number;
  readonly index: number;
  readonly label: string;
  /** softmax probability of the gesture in the averaged window */
  readonly score: number;
}

export interface ClassifierStream {
  /** Feeds one source frame (every `stride`-th reaches the model); a newly reported gesture, or undefined. */
  push(frame: FrameInput): Promise<StreamEvent | undefined>;
  /** back to the state before the first frame */
  reset(): void;
}

export interface Classifier {
  /** `id@version` for a zoo model, else where it was read from */
  readonly name: string;
  readonly entry?: ZooEntry;
  /** where the model came from: the zoo's location and the artifact's */
  readonly zoo?: string;
  readonly artifact?: string;
  readonly kind: 'clip' | 'online';
  readonly labels: readonly string[];
  readonly segments: number;
  readonly scaleShortSide: number;
  readonly cropSize: number;
  classify(input: ClipInput, options?: { readonly top?: number }): Promise<Classification>;
  /** online models only */
  stream(): ClassifierStream;
  close(): Promise<void>;
}
