/**
 * TSM's test protocol (test_models.py, docs/protocols.md): the model's segments, uniform/twice/dense sampling, the
 * short side scaled to the model's declared scale with Pillow-exact bilinear (or sharp), 1/3/10 crops, views
 * averaged as raw logits, flipped views optionally read through the flip label map.
 */
import type { ClipRecord } from '../../data/dataset.js';
import { type ClipJob, viewsPerClip as countViews } from '../../frames/clip.js';
import type { ClipSet } from '../../frames/clip-set.js';
import type { ModelInfo } from '../../inference/runner.js';
import { scaleShortSideOf } from '../../model/preprocessing.js';
import { viewScoring } from '../scoring.js';
import type { VerifyOptions } from '../types.js';
import type { ClipProtocol } from './protocol.js';
import { videoPath } from './video-path.js';

export function tsmProtocol(options: VerifyOptions, info: ModelInfo, inputs: ClipSet): ClipProtocol {
  const warnings: string[] = [];
  const { config, flow } = inputs;
  const crops = options.crops ?? 1;
  const sampling = options.sampling ?? 'uniform';
  const T = info.segments;
  const S = info.size;
  // --full-res: upstream's input_size = scale_size, a crop of the whole scaled frame
  const declared = options.fullRes ? undefined : scaleShortSideOf(info.metadata, S, options.model);
  if (declared?.warning) warnings.push(declared.warning);
  const scale = declared ? declared.scaleShortSide : S;
  const resize = options.resize ?? 'pillow';
  const viewsPerClip = countViews({ segments: T, sampling, crops });
  const scoring = viewScoring(inputs.categories, {
    crops,
    viewsPerClip,
    flipLabels: options.flipLabels,
    scale,
    cropSize: S,
  });
  warnings.push(...scoring.warnings);
  const jobOf = (record: ClipRecord): ClipJob => ({
    root: options.root,
    config,
    id: record.id,
    frames: record.frames,
    segments: T,
    size: S,
    scale,
    crops,
    sampling,
    resize,
    ...(flow ? { flow: { layout: flow.layout, newLength: flow.newLength } } : {}),
    ...(options.videos ? { video: { path: videoPath(options.root, record.id), ffmpeg: options.ffmpeg } } : {}),
  });
  return {
    name: 'tsm',
    viewsPerClip,
    warnings,
    report: {
      name: 'tsm',
      segments: T,
      sampling,
      crops,
      scaleShortSide: scale,
      cropSize: S,
      resize: resize === 'pillow' ? 'Pillow-exact bilinear' : 'sharp (libvips) linear',
      viewsPerClip,
      ...(scoring.flipLabelMap ? { flipLabelMap: scoring.flipLabelMap } : {}),
      ...(flow
        ? {
            flow: {
              template: flow.layout.template,
              framesDir: flow.layout.framesDir,
              storage: flow.storage,
              newLength: flow.newLength,
            },
          }
        : {}),
    },
    jobOf,
    score: scoring.score,
  };
}
