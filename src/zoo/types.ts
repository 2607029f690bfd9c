/**
 * Types of zoo.json, mirroring zoo.schema.json (the schema is the contract; test/zoo/schema.test.ts checks that
 * values built with these types validate against it). Accuracies are fractions in [0, 1].
 */
import type { Preprocessing } from '../model/preprocessing.js';
import type { ComputeDtype } from '../model/spec.js';
import type { StreamingProtocol } from '../model/streaming.js';

export interface ZooIo {
  readonly name: string;
  readonly shape: ReadonlyArray<number | string>;
}

export interface ZooArch {
  readonly name: string;
  readonly kind: 'tsm' | 'tsn' | 'image' | 'online';
  readonly backbone: string;
  readonly widthMultiplier?: number;
  readonly segments: number;
  readonly shiftDiv: number;
  readonly shiftPlace: 'blockres' | 'block' | 'none';
  readonly shiftLayout?: string;
  readonly shiftedBlocks?: number;
  readonly numClasses: number;
  readonly consensus: 'avg';
  readonly inputSize: number;
  readonly temporalPool?: boolean;
  readonly nonLocal?: boolean;
  readonly modality?: 'RGB' | 'Flow';
}

/** The model's own preprocessing (its `tsm.preprocessing`), and the test-time sampling it was verified with. */
export interface ZooPreprocessing extends Preprocessing {
  readonly sampling: 'uniform' | 'twice' | 'dense';
}

export interface ZooSource {
  readonly fileName: string;
  readonly urls: readonly string[];
  readonly sha256: string | null;
  /** the sha256's first hex digits as the publisher's file name gives them (MMAction2: 8), checked on download */
  readonly sha256Prefix?: string;
  readonly bytes: number | null;
  readonly format: 'legacy' | 'zip' | 'tar' | 'safetensors' | null;
  readonly origin?: string;
  readonly note?: string;
}

export type { ComputeDtype };

export interface ZooArtifact {
  readonly kind: 'onnx';
  readonly path?: string;
  readonly url?: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly opset: number;
  /** what the graph computes in (the model's tsm.compute_dtype); float32 when absent (entries before it was recorded)
   * */
  readonly computeDtype?: ComputeDtype;
  readonly inputs: readonly ZooIo[];
  readonly outputs: readonly ZooIo[];
}

export interface ZooVerification {
  readonly dataset: string;
  readonly split: string;
  readonly clips: number;
  readonly top1: number;
  readonly top5: number;
  readonly meanClassAccuracy: number;
  readonly protocol: {
    readonly segments: number;
    readonly sampling: 'uniform' | 'twice' | 'dense' | 'stream';
    readonly crops: 1 | 3 | 10;
    readonly scaleShortSide: number;
    readonly cropSize: number;
    /** online models: how the clips were streamed and what counted */
    readonly streaming?: ZooStreaming;
    /** class pairs whose scores were swapped for flipped views */
    readonly flipLabelMap?: ReadonlyArray<readonly [number, number]>;
  };
  readonly parity: {
    readonly reference: string;
    readonly maxAbsLogitDelta: number;
    readonly samePredictionFraction: number;
  } | null;
  readonly date: string;
  readonly toolVersion: string;
}

/** How an online model is fed (src/model/streaming.ts); in a verification, whether the model declared it. */
export type ZooStreaming = StreamingProtocol & { readonly declaredByModel?: boolean };

export type ZooStatus = 'published' | 'source-only' | 'unsupported';
export type ZooTask = 'gesture-recognition' | 'action-recognition' | 'image-classification';

export interface ZooEntry {
  readonly id: string;
  readonly version: string;
  readonly status: ZooStatus;
  readonly title?: string;
  readonly task: ZooTask;
  readonly dataset: string;
  readonly labels: readonly string[] | null;
  readonly arch: ZooArch;
  readonly preprocessing: ZooPreprocessing;
  /** online models: how to feed them */
  readonly streaming?: ZooStreaming;
  readonly source: ZooSource;
  readonly artifacts: readonly ZooArtifact[];
  readonly verification: ZooVerification | null;
  readonly reported?: {
    readonly top1: number;
    readonly top5?: number;
    readonly protocol?: string;
    readonly source?: string;
  };
  readonly card?: string;
  readonly license: string;
  readonly paper: string;
  readonly notes?: string;
}

export interface Zoo {
  readonly $schema?: string;
  readonly schemaVersion: 1;
  readonly models: readonly ZooEntry[];
}
