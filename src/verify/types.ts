/** What `tsm verify` takes and gives (its --json payload). */
import type { BadLine } from '../data/dataset.js';
import type { MissingFrame } from '../frames/clip.js';
import type { LoaderThread } from '../frames/clip-loader.js';
import type { UnreadableClip } from '../frames/clip-set.js';
import type { FlowStorage } from '../frames/flow.js';
import type { SamplingMode } from '../frames/sampling.js';
import type { CropCount, ResizeMethod } from '../frames/transforms.js';
import type { Runner } from '../inference/runner.js';
import type { MmActionAveraging, MmActionCropKind, MmActionTestProtocol } from '../model/mmaction2-protocol.js';
import type { StreamingProtocol } from '../model/streaming.js';
import type { Metrics } from './metrics.js';
import type { Parity } from './parity.js';
import type { ClipPrediction } from './scoring.js';

export type { ClipPrediction, MissingFrame, Parity, UnreadableClip };

export interface VerifyOptions {
  readonly model: string;
  readonly dataset: string;
  readonly root: string;
  readonly list?: string;
  readonly categories?: string;
  readonly imageTemplate?: string;
  readonly segments?: number;
  readonly crops?: CropCount;
  readonly sampling?: SamplingMode;
  readonly fullRes?: boolean;
  /** frame scaling: `pillow` (exact, default) or `sharp` (libvips linear) */
  readonly resize?: ResizeMethod;
  readonly batch?: number;
  readonly threads?: number;
  readonly maxNum?: number;
  /** a JSON of reference outputs (tools/reference/eval_jester.py) to compare with, clip by clip */
  readonly reference?: string;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * flipped views (--crops 10): read their scores through the flip label map of the category names (Left ↔ Right);
   * without it a flipping protocol on a dataset with such classes gets a warning
   */
  readonly flipLabels?: boolean;
  /** the list's ids are video files (relative to `root`), decoded by ffmpeg with the same sampling */
  readonly videos?: boolean;
  /** ffmpeg for `videos` */
  readonly ffmpeg?: string;
  /** score only clip k of the list where k mod count = index (a deterministic partition, stable under re-runs) */
  readonly shard?: { readonly index: number; readonly count: number };
  /** online models: overrides of the model's declared streaming protocol */
  readonly streaming?: Partial<StreamingProtocol>;
  /** for tests and benchmarks: a runner instead of onnxruntime-node */
  readonly runner?: Runner;
  /**
   * where clips are loaded: a worker thread (when tsm runs compiled) or the main thread; `auto` (the default) takes
   * the worker only when the session's threads leave a core free (chooseLoaderThread)
   */
  readonly loaderThread?: 'worker' | 'main' | 'auto';
  /**
   * the test protocol: `tsm` (test_models.py) or `mmaction2` (MMAction2's test loop); default `mmaction2` for a
   * model with `tsm.mmaction2` metadata, `tsm` otherwise
   */
  readonly protocol?: 'tsm' | 'mmaction2';
  /** `mmaction2` protocol: overrides of the model's `tsm.mmaction2` settings */
  readonly mmaction2?: MmActionOverrides;
}

/** What the flags change in a model's MMAction2 test protocol (docs/protocols.md). */
export interface MmActionOverrides {
  /** SampleFrames' num_clips (--num-clips) */
  readonly numClips?: number;
  /** twice_sample (--twice / --no-twice) */
  readonly twiceSample?: boolean;
  /** the crop op (--crop); its size is the model's input */
  readonly crop?: MmActionCropKind;
  /** average_clips (--average) */
  readonly average?: Exclude<MmActionAveraging, 'none'>;
  /** the first frame's index (--start-index; default 0 for videos, 1 for frame folders) */
  readonly startIndex?: number;
  /** Resize to this short side (--short-side) */
  readonly shortSide?: number;
}

export interface VerifyResult extends Omit<Metrics, 'confusion'> {
  readonly model: string;
  readonly dataset: string;
  readonly root: string;
  readonly labels: readonly string[];
  readonly protocol: {
    /** which protocol ran (absent in results written before there were two: tsm's) */
    readonly name?: 'tsm' | 'mmaction2';
    readonly segments: number;
    /** `stream`: an online model fed clip by clip, frame by frame (src/verify/online.ts) */
    readonly sampling: SamplingMode | 'stream';
    readonly crops: CropCount;
    readonly scaleShortSide: number;
    readonly cropSize: number;
    readonly resize: string;
    readonly viewsPerClip: number;
    /** online models: how the clips were streamed and what counted */
    readonly streaming?: StreamingProtocol & { readonly declaredByModel: boolean };
    /** the MMAction2 protocol's settings as this run used them, and whether they came from the model or defaults */
    readonly mmaction2?: MmActionTestProtocol & {
      readonly startIndex: number;
      readonly averageClips: 'prob' | 'score';
      readonly source: 'model' | 'defaults';
    };
    /** class pairs whose scores were swapped for flipped views */
    readonly flipLabelMap?: ReadonlyArray<readonly [number, number]>;
    /** Flow models: which flow frames were read and how many a segment stacks */
    readonly flow?: {
      readonly template: string;
      readonly framesDir: string;
      readonly storage: FlowStorage;
      readonly newLength: number;
    };
  };
  /** what the user should know about the numbers (e.g. a flipping protocol on left/right classes) */
  readonly warnings: readonly string[];
  readonly confusion: readonly (readonly number[])[];
  /** wall time of the whole call, set-up included */
  readonly seconds: number;
  /** the steady-state rate: clips after the first batch (which pays for warm-up) over their time */
  readonly clipsPerSecond: number;
  /** fixed costs apart from the steady state */
  readonly timing: VerifyTiming;
  readonly inferenceSeconds: number;
  readonly missingFrames: { readonly count: number; readonly first: readonly MissingFrame[] };
  readonly unreadableClips: readonly UnreadableClip[];
  readonly badLines: readonly BadLine[];
  readonly predictions: readonly ClipPrediction[];
  readonly parity?: Parity;
}

export interface VerifyTiming {
  /** reading the model (converting a checkpoint), creating the session */
  readonly setupSeconds: number;
  /** the first batch: its clips' loading plus the runtime's first-run planning */
  readonly firstBatchSeconds: number;
  /** clips over the whole run, set-up included: what a one-off run of this size costs */
  readonly overallClipsPerSecond: number;
  /** where the clips were loaded */
  readonly loaderThread: LoaderThread;
}
