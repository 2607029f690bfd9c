/**
 * `tsm zoo publish`: convert, verify (when a dataset is given), write zoo/<id>/<version>/{model.onnx, card.md,
 * verify.json} into a staging folder renamed into place, then add the entry to zoo.json under a lock.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import semver from 'semver';
import { parseTsmFileName } from '../arch/naming.js';
import { type ExportedModel, exportOnnxModel } from '../convert/convert.js';
import { type CalibrationOptions, exportInt8Model } from '../convert/quantize.js';
import { TsmError } from '../errors.js';
import { processAlive, writeFileAtomically } from '../onnx/write.js';
import { testPoint } from '../test-points.js';
import { type VerifyResult, verifyModel } from '../verify/verify.js';
import { TSM_VERSION } from '../version.js';
import { renderModelCard } from './cards.js';
import { loadZoo } from './index.js';
import { updateZoo } from './store.js';
import type { ZooEntry, ZooSource, ZooTask, ZooVerification } from './types.js';

export type Bump = 'patch' | 'minor' | 'major';

export interface PublishOptions {
  readonly file: string;
  readonly id: string;
  readonly version?: string;
  readonly bump?: Bump;
  readonly zooPath?: string;
  readonly dataset?: string;
  readonly root?: string;
  /** how the zoo names the dataset (default: `dataset`) */
  readonly datasetLabel?: string;
  readonly task?: ZooTask;
  readonly title?: string;
  readonly license?: string;
  readonly paper?: string;
  readonly notes?: string;
  readonly reference?: string;
  readonly segments?: number;
  /** ONNX opset of the artifact (default 13; 10 for OpenCV DNN), recorded as the artifact's `opset` */
  readonly opset?: number;
  /** publish a streaming export (tsm convert --online); it is verified by streaming each clip
   * (src/stream/verify-online.ts) */
  readonly online?: boolean;
  /** publish the int8 export (tsm convert --int8), calibrated on these clips */
  readonly int8?: CalibrationOptions;
  /** where the zoo/ folder will be served: the artifact records `<baseUrl>/<id>/<version>/model.onnx` beside its path
   * */
  readonly baseUrl?: string;
  /** which split of the dataset the verification ran on, as the entry records it (default `val`) */
  readonly split?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface PublishResult {
  readonly entry: ZooEntry;
  readonly folder: string;
  readonly files: readonly string[];
}

const ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

/** Staging folders (`.<version>.staging-<pid>`) of publishes that were killed: their process is gone. */
function removeStaleStaging(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const m = /^\.[^/]+\.staging-(\d+)$/.exec(entry);
    if (m && !processAlive(Number(m[1]))) rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

export function nextVersion(existing: readonly string[], bump: Bump): string {
  const latest = existing.filter((v) => semver.valid(v)).sort(semver.rcompare)[0];
  return latest ? (semver.inc(latest, bump) as string) : '1.0.0';
}

function taskFor(dataset: string | undefined): ZooTask {
  if (dataset?.startsWith('jester')) return 'gesture-recognition';
  if (dataset === 'imagenet') return 'image-classification';
  return 'action-recognition';
}

/** The version to publish: given, or the next after the zoo's latest of this id by `bump`; never one that exists. */
function chooseVersion(zooPath: string, options: PublishOptions): string {
  const existing = existsSync(zooPath)
    ? loadZoo(zooPath)
        .models.filter((m) => m.id === options.id)
        .map((m) => m.version)
    : [];
  const version = options.version ?? (options.bump ? nextVersion(existing, options.bump) : undefined);
  if (!version) throw new TsmError('usage', 'E_NO_VERSION', 'give --version X.Y.Z or --bump patch|minor|major');
  if (!semver.valid(version))
    throw new TsmError('usage', 'E_BAD_VERSION', `'${version}' is not a semantic version (X.Y.Z)`);
  if (existing.includes(version)) {
    throw new TsmError(
      'conflict',
      'E_VERSION_EXISTS',
      `${options.id}@${version} is already published; published versions are never overwritten`,
      { hint: 'publish with --bump patch (or a higher --version)' },
    );
  }
  return version;
}

function checkOptions(options: PublishOptions): void {
  if (options.baseUrl !== undefined && !/^https?:\/\/[^/]/i.test(options.baseUrl)) {
    throw new TsmError('usage', 'E_BAD_FLAG_VALUE', `--base-url '${options.baseUrl}' is not an http(s) URL`, {
      details: { flag: '--base-url', value: options.baseUrl },
    });
  }
  if (!ID_PATTERN.test(options.id)) {
    throw new TsmError(
      'usage',
      'E_BAD_ID',
      `model id '${options.id}' must be lower-case letters, digits, '.', '_' or '-'`,
    );
  }
}

/** The model to publish: the float export, or the int8 one calibrated as asked (and said so in the notes). */
async function exportForZoo(options: PublishOptions): Promise<{ exported: ExportedModel; notes: string }> {
  const convertOptions = {
    input: options.file,
    opset: options.opset,
    overrides: { segments: options.segments, online: options.online },
  };
  const int8 = options.int8 ? await exportInt8Model({ ...convertOptions, calibration: options.int8 }) : undefined;
  const calibration = int8?.quantization.calibration;
  const int8Note = calibration
    ? `int8 (QDQ: uint8 activations, per-channel int8 weights), calibrated (${calibration.method}) on ` +
      `${calibration.clips} clips of ${calibration.root}.`
    : undefined;
  return {
    exported: int8 ?? exportOnnxModel(convertOptions),
    notes: [int8Note, options.notes].filter(Boolean).join(' '),
  };
}

/** What a verify run measured, as the zoo entry records it. */
function verificationOf(verified: VerifyResult, dataset: string, split: string): ZooVerification {
  return {
    dataset,
    split,
    clips: verified.clips,
    top1: verified.top1,
    top5: verified.top5,
    meanClassAccuracy: verified.meanClassAccuracy,
    protocol: {
      segments: verified.protocol.segments,
      sampling: verified.protocol.sampling,
      crops: verified.protocol.crops,
      scaleShortSide: verified.protocol.scaleShortSide,
      cropSize: verified.protocol.cropSize,
      ...(verified.protocol.streaming ? { streaming: verified.protocol.streaming } : {}),
    },
    parity: verified.parity
      ? {
          reference: basename(verified.parity.reference),
          maxAbsLogitDelta: verified.parity.maxAbsScoreDelta,
          samePredictionFraction: verified.parity.samePredictionFraction,
        }
      : null,
    date: new Date().toISOString().slice(0, 10),
    toolVersion: TSM_VERSION,
  };
}

interface EntryParts {
  readonly version: string;
  readonly exported: ExportedModel;
  readonly notes: string;
  readonly verified?: VerifyResult;
  /** the artifact and card, relative to zoo.json */
  readonly artifactPath: string;
  readonly cardPath: string;
}

function zooEntry(options: PublishOptions, parts: EntryParts): ZooEntry {
  const { version, exported, verified, notes } = parts;
  // the TSM name the config came from (the file's, or upstream main.py's run folder's) names the dataset
  const named = exported.configName ? parseTsmFileName(exported.configName.name) : undefined;
  const dataset = options.datasetLabel ?? options.dataset ?? named?.dataset ?? 'unknown';
  const entry: ZooEntry = {
    id: options.id,
    version,
    status: verified ? 'published' : 'source-only',
    ...(options.title ? { title: options.title } : {}),
    task: options.task ?? taskFor(dataset),
    dataset,
    labels: exported.labels,
    arch: exported.arch,
    preprocessing: { ...exported.preprocessing, sampling: 'uniform' },
    ...(exported.streaming ? { streaming: exported.streaming } : {}),
    source: {
      fileName: basename(options.file),
      urls: [],
      sha256: exported.source.sha256,
      bytes: null,
      format: exported.source.format as ZooSource['format'],
    },
    artifacts: [
      {
        kind: 'onnx',
        // relative to zoo.json, so the zoo travels; absolute (with the file's path beside it) when served elsewhere
        ...(options.baseUrl
          ? {
              path: parts.artifactPath,
              url: `${options.baseUrl.replace(/\/+$/, '')}/${options.id}/${version}/model.onnx`,
            }
          : { url: parts.artifactPath }),
        sha256: createHash('sha256').update(exported.onnx).digest('hex'),
        bytes: exported.onnx.byteLength,
        opset: exported.opset,
        computeDtype: exported.computeDtype,
        inputs: exported.inputs,
        outputs: exported.outputs,
      },
    ],
    verification: verified ? verificationOf(verified, dataset, options.split ?? 'val') : null,
    card: parts.cardPath,
    license: options.license ?? 'unknown',
    paper:
      options.paper ??
      'arXiv:1811.08383 — Lin, Gan, Han: TSM: Temporal Shift Module for Efficient Video Understanding (ICCV 2019)',
    ...(notes ? { notes } : {}),
  };
  // drop undefined optional fields so the schema sees plain data
  return JSON.parse(JSON.stringify(entry)) as ZooEntry;
}

/** Moves the staged version folder into place and adds its entry, under zoo.json's lock. */
async function commitVersion(zooPath: string, staging: string, folder: string, entry: ZooEntry): Promise<void> {
  await updateZoo(zooPath, (zoo) => {
    if (zoo.models.some((m) => m.id === entry.id && m.version === entry.version)) {
      throw new TsmError(
        'conflict',
        'E_VERSION_EXISTS',
        `${entry.id}@${entry.version} was published meanwhile by another process`,
      );
    }
    // A version folder the index does not name was left by a publish killed between its rename and the index
    // write; no live publish can be at that point while we hold the lock.
    if (existsSync(folder)) rmSync(folder, { recursive: true, force: true });
    mkdirSync(dirname(folder), { recursive: true });
    renameSync(staging, folder); // the folder appears whole, under the lock, right before the index names it
    testPoint('publish:renamed');
    return { zoo: { ...zoo, models: [...zoo.models, entry] }, result: undefined };
  });
}

export async function publishModel(options: PublishOptions): Promise<PublishResult> {
  const zooPath = options.zooPath ?? 'zoo.json';
  checkOptions(options);
  const version = chooseVersion(zooPath, options);
  const { exported, notes } = await exportForZoo(options);
  const zooDir = dirname(zooPath);
  const folder = join(zooDir, 'zoo', options.id, version);
  removeStaleStaging(join(zooDir, 'zoo', options.id));
  const staging = join(zooDir, 'zoo', options.id, `.${version}.staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    writeFileAtomically(join(staging, 'model.onnx'), exported.onnx);
    let verified: VerifyResult | undefined;
    if (options.dataset && options.root) {
      verified = await verifyModel({
        model: join(staging, 'model.onnx'),
        dataset: options.dataset,
        root: options.root,
        reference: options.reference,
        segments: options.segments,
        onProgress: options.onProgress,
      });
      const { predictions: _p, ...summary } = verified;
      writeFileAtomically(join(staging, 'verify.json'), `${JSON.stringify(summary, null, 2)}\n`);
    }
    const relativeToZoo = (file: string) => relative(zooDir, join(folder, file)).split('\\').join('/');
    const entry = zooEntry(options, {
      version,
      exported,
      notes,
      verified,
      artifactPath: relativeToZoo('model.onnx'),
      cardPath: relativeToZoo('card.md'),
    });
    writeFileAtomically(
      join(staging, 'card.md'),
      renderModelCard(entry, { perClass: verified?.perClass, artifactPath: 'model.onnx' }),
    );
    testPoint('publish:staged');
    await commitVersion(zooPath, staging, folder, entry);
    const files = ['model.onnx', 'card.md', ...(verified ? ['verify.json'] : [])];
    return { entry, folder, files: files.map((f) => join(folder, f)) };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
