/**
 * MMAction2's test protocol (facts: MMACTION2-FACTS §5): the clip's views made by MMAction2's pipeline
 * (src/frames/mmaction2-clip.ts), each view's logits the exported model's, and `average_clips` over them: 'prob' and
 * 'score' as the model's head averages them (mmaction2-average.ts). Top-1/top-5 come from
 * the averaged scores. The graph is the one tsm's own protocol runs; only the pixels and the averaging differ.
 */
import type { ClipRecord } from '../../data/dataset.js';
import { TsmError } from '../../errors.js';
import type { ClipJob } from '../../frames/clip.js';
import type { ClipSet } from '../../frames/clip-set.js';
import { mmActionCropCount, mmActionViewsPerClip } from '../../frames/mmaction2-geometry.js';
import type { ModelInfo } from '../../inference/runner.js';
import { topK } from '../../inference/scores.js';
import type { ClipPrediction } from '../scoring.js';
import type { VerifyOptions } from '../types.js';
import { averageViews } from './mmaction2-average.js';
import { resolveMmActionSettings } from './mmaction2-settings.js';
import type { ClipProtocol } from './protocol.js';
import { videoPath } from './video-path.js';

/** Flags of tsm's protocol that MMAction2's has no use for (each with what it would take instead). */
function refuseTsmFlags(options: VerifyOptions): void {
  const given: Array<[boolean, string, string]> = [
    [(options.crops ?? 1) !== 1, `--crops ${options.crops}`, '--crop center|three|ten'],
    [options.sampling === 'dense', '--dense', '--num-clips'],
    [options.fullRes === true, '--full-res', '--short-side and a model exported at the crop size'],
    [options.flipLabels === true, '--flip-labels', 'nothing: MMAction2 scores flipped views as they are'],
    [options.resize === 'sharp', '--resize sharp', 'nothing: MMAction2 resizes with OpenCV'],
  ];
  const hit = given.find(([on]) => on);
  if (hit) {
    throw new TsmError(
      'usage',
      'E_FLAG_CONFLICT',
      `${hit[1]} belongs to --protocol tsm; --protocol mmaction2 takes ${hit[2]}`,
      {
        details: { flag: hit[1].split(' ')[0], protocol: 'mmaction2' },
      },
    );
  }
}

export function mmactionProtocol(options: VerifyOptions, info: ModelInfo, inputs: ClipSet): ClipProtocol {
  refuseTsmFlags(options);
  if (inputs.flow) {
    throw new TsmError('usage', 'E_MMA_PROTOCOL', `${options.model} is a Flow model: --protocol mmaction2 reads RGB`, {
      details: { model: options.model },
    });
  }
  const videos = options.videos === true;
  const settings = resolveMmActionSettings(info, options.model, options.mmaction2 ?? {}, videos);
  const { protocol, startIndex, averageClips } = settings;
  const T = info.segments;
  const S = info.size;
  const viewsPerClip = mmActionViewsPerClip(protocol.sampling, protocol.crop.kind, T);
  const K = inputs.categories.length;
  const spec = { sampling: protocol.sampling, startIndex, resize: protocol.resize, crop: protocol.crop };
  const jobOf = (record: ClipRecord): ClipJob => ({
    root: options.root,
    config: inputs.config,
    id: record.id,
    frames: record.frames,
    segments: T,
    size: S,
    scale: 'shortSide' in protocol.resize ? protocol.resize.shortSide : protocol.resize.height,
    crops: mmActionCropCount(protocol.crop.kind),
    sampling: protocol.sampling.twiceSample ? 'twice' : 'uniform',
    resize: 'pillow',
    mmaction2: { ...spec, mean: protocol.mean, std: protocol.std },
    ...(videos ? { video: { path: videoPath(options.root, record.id), ffmpeg: options.ffmpeg } } : {}),
  });
  const score = (record: ClipRecord, logits: Float32Array): ClipPrediction => {
    const scores = averageViews(logits, viewsPerClip, K, averageClips, protocol.head);
    const top5 = topK(scores, Math.min(5, K));
    return { id: record.id, line: record.line, label: record.label, prediction: top5[0], top5, scores };
  };
  const resizeText =
    'shortSide' in protocol.resize
      ? `short side ${protocol.resize.shortSide}`
      : `${protocol.resize.width}×${protocol.resize.height}`;
  return {
    name: 'mmaction2',
    viewsPerClip,
    warnings:
      settings.source === 'defaults'
        ? [
            `${options.model} carries no tsm.mmaction2 protocol: MMAction2's defaults are used ` +
              `(${protocol.sampling.numClips} clips, ${resizeText}, ${protocol.crop.kind} crop ` +
              `${protocol.crop.size}, '${averageClips}' averaging)`,
          ]
        : [],
    report: {
      name: 'mmaction2',
      segments: T,
      sampling: protocol.sampling.twiceSample ? 'twice' : 'uniform',
      crops: mmActionCropCount(protocol.crop.kind),
      scaleShortSide:
        'shortSide' in protocol.resize
          ? protocol.resize.shortSide
          : Math.min(protocol.resize.width, protocol.resize.height),
      cropSize: S,
      resize: `OpenCV-exact INTER_LINEAR, ${resizeText} (no antialiasing)`,
      viewsPerClip,
      mmaction2: { ...protocol, startIndex, averageClips, source: settings.source },
    },
    jobOf,
    score,
  };
}
