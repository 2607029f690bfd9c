/**
 * What a Hugging Face model repo says about a zoo entry: the README's YAML front matter (license, library, pipeline
 * tag, tags, datasets, base model, and a model-index with the verified metrics and their protocol, in the shape the
 * Hub documents), config.json and preprocessor_config.json. Plain data; hf.ts writes the folder.
 */
import type { ZooEntry } from './types.js';

type Yaml = string | number | boolean | null | readonly Yaml[] | { readonly [key: string]: Yaml };

/** Block-style YAML for plain data; strings JSON-quoted (a YAML double-quoted scalar), so nothing needs escaping. */
export function toYaml(value: Yaml, indent = ''): string {
  const scalar = (v: Yaml) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
  const isBlock = (v: Yaml) => typeof v === 'object' && v !== null && Object.keys(v).length > 0;
  if (Array.isArray(value)) {
    return value
      .map((v) =>
        isBlock(v) ? `${indent}-${toYaml(v, `${indent}  `).slice(indent.length + 1)}` : `${indent}- ${scalar(v)}\n`,
      )
      .join('');
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([k, v]) =>
        isBlock(v)
          ? `${indent}${k}:\n${toYaml(v, `${indent}  `)}`
          : `${indent}${k}: ${Array.isArray(v) ? '[]' : scalar(v)}\n`,
      )
      .join('');
  }
  return `${indent}${scalar(value)}\n`;
}

/** The Hub's license identifiers for the licences zoo entries name; anything else is `other`. */
function hubLicense(license: string): Record<string, string> {
  if (/^mit\b/i.test(license)) return { license: 'mit' };
  if (/^apache/i.test(license)) return { license: 'apache-2.0' };
  return { license: 'other', license_name: license };
}

/** The README's front matter as data. */
export function frontMatter(entry: ZooEntry): Record<string, Yaml> {
  const v = entry.verification;
  const p = v?.protocol;
  const protocol = p
    ? `${p.segments} segments, ${p.sampling} sampling, ${p.crops} crop(s), short side ${p.scaleShortSide} → ` +
      `${p.cropSize}${p.streaming ? `, streamed every ${p.streaming.stride}th frame` : ''}`
    : undefined;
  const results = v
    ? [
        {
          task: { type: 'video-classification', name: 'Video Classification' },
          dataset: { name: v.dataset, type: v.dataset, split: v.split },
          metrics: [
            { type: 'accuracy', value: v.top1, name: `top-1 accuracy (${protocol}; ${v.clips} clips)` },
            { type: 'top-5-accuracy', value: v.top5, name: 'top-5 accuracy' },
            { type: 'mean-class-accuracy', value: v.meanClassAccuracy, name: 'mean class accuracy' },
          ],
          source: {
            name: `tsm verify ${v.toolVersion} (${v.date})`,
            url: 'https://github.com/mit-han-lab/temporal-shift-module',
          },
        },
      ]
    : [];
  return {
    ...hubLicense(entry.license),
    library_name: 'onnx',
    pipeline_tag: 'video-classification',
    tags: [
      ...new Set([
        'video-classification',
        'onnx',
        'tsm',
        'temporal-shift-module',
        entry.arch.backbone,
        entry.arch.kind,
      ]),
    ],
    datasets: [entry.dataset],
    base_model: entry.source.origin ?? 'mit-han-lab/temporal-shift-module',
    'model-index': [{ name: entry.id, results }],
  };
}

/** config.json: labels both ways, frames, image size, and the arch spec the graph was built from. */
export function hfConfig(entry: ZooEntry, files: Record<string, { bytes: number; sha256: string }>) {
  const labels = entry.labels ?? Array.from({ length: entry.arch.numClasses }, (_, k) => `class_${k}`);
  return {
    model_type: 'tsm',
    architectures: [entry.arch.name],
    id2label: Object.fromEntries(labels.map((l, k) => [String(k), l])),
    label2id: Object.fromEntries(labels.map((l, k) => [l, k])),
    num_frames: entry.preprocessing.segments,
    image_size: entry.preprocessing.cropSize,
    num_channels: 3,
    tsm: {
      id: entry.id,
      version: entry.version,
      arch: entry.arch,
      ...(entry.streaming ? { streaming: entry.streaming } : {}),
      /** what the runtime checks each ONNX file against */
      files,
    },
  };
}

/** preprocessor_config.json, in the keys of the Hub's video image processors (VideoMAE's). */
export function hfPreprocessorConfig(entry: ZooEntry) {
  const p = entry.preprocessing;
  return {
    image_processor_type: 'VideoMAEImageProcessor',
    do_resize: true,
    size: { shortest_edge: p.scaleShortSide },
    resample: 2, // PIL.Image.BILINEAR, as TSM's test transform scales
    do_center_crop: true,
    crop_size: { height: p.cropSize, width: p.cropSize },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: p.mean,
    image_std: p.std,
    num_frames: p.segments,
    sampling: p.sampling,
  };
}
