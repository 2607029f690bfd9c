/**
 * A test protocol as verify runs it: how a listed clip becomes a loader job (the views the model sees) and how the
 * model's per-view logits become the clip's scores, and what the report says about it. One protocol a file: tsm.ts
 * (TSM's test_models.py), mmaction2.ts (MMAction2's test loop); choose.ts picks one for a model and the flags.
 */
import type { ClipRecord } from '../../data/dataset.js';
import type { ClipJob } from '../../frames/clip.js';
import type { ClipPrediction } from '../scoring.js';
import type { VerifyResult } from '../types.js';

export type ProtocolName = 'tsm' | 'mmaction2';

export interface ClipProtocol {
  readonly name: ProtocolName;
  /** views (model passes) a clip */
  readonly viewsPerClip: number;
  /** what the user should know about the numbers */
  readonly warnings: readonly string[];
  /** verify's `protocol` record: the settings this run used */
  readonly report: VerifyResult['protocol'];
  readonly jobOf: (record: ClipRecord) => ClipJob;
  readonly score: (record: ClipRecord, logits: Float32Array) => ClipPrediction;
}
