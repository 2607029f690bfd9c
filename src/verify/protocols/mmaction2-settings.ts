/**
 * The MMAction2 test protocol a verify run uses: the model's `tsm.mmaction2` metadata (MMACTION2_DEFAULT_PROTOCOL
 * when it has none), checked field by field, then the flags' overrides, then checked against the model's input. A bad
 * value is a TsmError naming where it came from: the flag, or the metadata key and field.
 */
import { TsmError } from '../../errors.js';
import { mmActionFramesPerCrop } from '../../frames/mmaction2-geometry.js';
import type { ModelInfo } from '../../inference/runner.js';
import {
  MMACTION2_DEFAULT_PROTOCOL,
  MMACTION2_PROTOCOL_KEY,
  type MmActionTestProtocol,
} from '../../model/mmaction2-protocol.js';
import { scaleSizeFor } from '../../model/preprocessing.js';
import type { MmActionOverrides } from '../types.js';

export interface MmActionSettings {
  readonly protocol: MmActionTestProtocol;
  /** where the base settings came from: the model's metadata, or the defaults (the model has none) */
  readonly source: 'model' | 'defaults';
  readonly startIndex: number;
  readonly averageClips: 'prob' | 'score';
}

const isInt = (v: unknown, min: number) => Number.isInteger(v) && (v as number) >= min;
const isTriple = (v: unknown, positive: boolean) =>
  Array.isArray(v) &&
  v.length === 3 &&
  v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));

/** The first field of a parsed `tsm.mmaction2` value that is not what the contract says, or undefined. */
function badField(p: Record<string, unknown>): string | undefined {
  const s = (p.sampling ?? {}) as Record<string, unknown>;
  const r = (p.resize ?? {}) as Record<string, unknown>;
  const c = (p.crop ?? {}) as Record<string, unknown>;
  const checks: Array<[string, boolean]> = [
    ['sampling.clipLen (an integer ≥ 1)', isInt(s.clipLen, 1)],
    ['sampling.frameInterval (an integer ≥ 1)', isInt(s.frameInterval, 1)],
    ['sampling.numClips (an integer ≥ 1)', isInt(s.numClips, 1)],
    ['sampling.twiceSample (true or false)', typeof s.twiceSample === 'boolean'],
    ['startIndex (an integer ≥ 0)', p.startIndex === undefined || isInt(p.startIndex, 0)],
    [
      'resize ({shortSide} or {width, height}, integers ≥ 1)',
      'shortSide' in r ? isInt(r.shortSide, 1) : isInt(r.width, 1) && isInt(r.height, 1),
    ],
    ["crop.kind ('center', 'three' or 'ten')", ['center', 'three', 'ten'].includes(c.kind as string)],
    ['crop.size (an integer ≥ 1)', isInt(c.size, 1)],
    ['mean (3 numbers)', isTriple(p.mean, false)],
    ['std (3 numbers > 0)', isTriple(p.std, true)],
    ["averageClips ('prob', 'score' or 'none')", ['prob', 'score', 'none'].includes(p.averageClips as string)],
    ["head ('TSMHead' or 'TSNHead')", p.head === undefined || ['TSMHead', 'TSNHead'].includes(p.head as string)],
  ];
  return checks.find(([, ok]) => !ok)?.[0];
}

/** The model's MMAction2 protocol from its metadata, checked; undefined when the key is absent. */
export function readMmActionProtocol(
  metadata: Readonly<Record<string, string>>,
  model: string,
): MmActionTestProtocol | undefined {
  const raw = metadata[MMACTION2_PROTOCOL_KEY];
  if (raw === undefined) return undefined;
  const fail = (what: string) =>
    new TsmError('input', 'E_MMA_PROTOCOL', `${model}: its ${MMACTION2_PROTOCOL_KEY} metadata is not valid: ${what}`, {
      hint: 'convert the MMAction2 checkpoint again, or verify with --protocol tsm',
      details: { file: model, key: MMACTION2_PROTOCOL_KEY },
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw fail(`not JSON (${(err as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail('not a JSON object');
  const bad = badField(parsed as Record<string, unknown>);
  if (bad) throw fail(`expected ${bad}`);
  return parsed as MmActionTestProtocol;
}

function usage(message: string, details: Record<string, unknown>, hint?: string): TsmError {
  return new TsmError('usage', 'E_MMA_PROTOCOL', message, { details, ...(hint ? { hint } : {}) });
}

/** The protocol this run uses: the model's (or the defaults), the flags over it, checked against the model. */
export function resolveMmActionSettings(
  info: ModelInfo,
  model: string,
  overrides: MmActionOverrides,
  videos: boolean,
): MmActionSettings {
  const declared = readMmActionProtocol(info.metadata, model);
  // without the model's own settings, the defaults follow its input size: crop S, short side S·256/224
  const base = declared ?? {
    ...MMACTION2_DEFAULT_PROTOCOL,
    resize: { shortSide: scaleSizeFor(info.size) },
    crop: { ...MMACTION2_DEFAULT_PROTOCOL.crop, size: info.size },
  };
  const from = (flag: string, given: unknown, field: string) =>
    given !== undefined
      ? `--${flag} ${given}`
      : `the ${declared ? `model's ${MMACTION2_PROTOCOL_KEY}` : 'default'} ${field}`;
  const protocol: MmActionTestProtocol = {
    ...base,
    sampling: {
      ...base.sampling,
      numClips: overrides.numClips ?? base.sampling.numClips,
      twiceSample: overrides.twiceSample ?? base.sampling.twiceSample,
    },
    resize: overrides.shortSide !== undefined ? { shortSide: overrides.shortSide } : base.resize,
    crop: { kind: overrides.crop ?? base.crop.kind, size: base.crop.size },
    averageClips: overrides.average ?? base.averageClips,
  };
  const T = info.segments;
  const perCrop = mmActionFramesPerCrop(protocol.sampling);
  if (perCrop % T !== 0) {
    const numClips = from('num-clips', overrides.numClips, 'sampling.numClips');
    throw usage(
      `${numClips} takes ${perCrop} frame(s) a crop (num_clips × clip_len` +
        `${protocol.sampling.twiceSample ? ' × 2' : ''}), not a multiple of the model's ${T} segments`,
      { segments: T, framesPerCrop: perCrop },
      `pass --num-clips ${T} (or a multiple of it)`,
    );
  }
  if (protocol.crop.size !== info.size) {
    throw usage(
      `${from('crop', undefined, 'crop.size')} is ${protocol.crop.size} but ${model}'s input is ` +
        `${info.size}×${info.size}`,
      { expected: protocol.crop.size, found: info.size },
      `convert the checkpoint with --size ${protocol.crop.size}`,
    );
  }
  if (protocol.averageClips === 'none') {
    throw usage(
      `${from('average', overrides.average, 'averageClips')}: 'none' leaves a clip's views unaveraged, and verify ` +
        'scores one result a clip',
      { averageClips: 'none' },
      'pass --average prob or --average score',
    );
  }
  // start_index belongs to the data: VideoDataset's 0, RawFrameDataset's 1 unless its config says otherwise
  const startIndex = overrides.startIndex ?? (videos ? 0 : (protocol.startIndex ?? 1));
  return { protocol, source: declared ? 'model' : 'defaults', startIndex, averageClips: protocol.averageClips };
}
