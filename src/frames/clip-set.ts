/**
 * The clips a run over a video-folder dataset reads (verify, int8 calibration): the dataset's layout (a Flow model
 * its flow frames), the categories, and the list's clips, cut to the first N and to one shard. An empty work set
 * fails here, naming what was looked for and where.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BadLine,
  type ClipRecord,
  DATASETS,
  type DatasetConfig,
  type FlowLayoutConfig,
  formatFrameName,
  readCategories,
  readClipList,
  readVideoList,
} from '../data/dataset.js';
import { TsmError } from '../errors.js';
import { FLOW_NEW_LENGTH } from '../model/spec.js';
import { type FlowStorage, flowFrameCount, flowFrameExample, flowStorage } from './flow.js';

/** What selects a run's clips. */
export interface ClipSetOptions {
  /** the model, as messages name it */
  readonly model: string;
  readonly dataset: string;
  readonly root: string;
  readonly list?: string;
  readonly categories?: string;
  /** the frame file template, instead of the dataset's */
  readonly imageTemplate?: string;
  /** the first N clips of the list */
  readonly maxNum?: number;
  /** clip k of the list where k mod count = index (a deterministic partition, stable under re-runs) */
  readonly shard?: { readonly index: number; readonly count: number };
  /** the list's ids are video files (a Flow model cannot read them) */
  readonly videos?: boolean;
}

/** A clip that could not be read, and why. */
export interface UnreadableClip {
  readonly clip: string;
  /** 1-based line of the list */
  readonly line: number;
  readonly reason: string;
}

function datasetConfig(options: ClipSetOptions): DatasetConfig {
  const base = DATASETS[options.dataset];
  if (!base) {
    throw new TsmError('usage', 'E_UNKNOWN_DATASET', `unknown dataset '${options.dataset}'`, {
      hint: `known: ${Object.keys(DATASETS).join(', ')}`,
    });
  }
  return { ...base, imageTemplate: options.imageTemplate ?? base.imageTemplate };
}

/** A Flow model reads the dataset's flow layout: its frames folder, template and list (docs/upstream-tsm-family.md
 * §5). */
export interface FlowInput {
  readonly layout: FlowLayoutConfig;
  readonly newLength: number;
  readonly storage: FlowStorage;
  /** one frame's path in this layout, for messages */
  readonly example: string;
}

function flowInput(options: ClipSetOptions, base: DatasetConfig, warnings: string[]): FlowInput {
  if (options.videos)
    throw new TsmError(
      'usage',
      'E_FLOW_VIDEOS',
      `${options.model} is a Flow model: it reads flow frames (x/y images), not --videos`,
      { details: { model: options.model } },
    );
  const template = options.imageTemplate ?? base.flow?.template;
  if (!template) {
    throw new TsmError(
      'usage',
      'E_NO_FLOW_LAYOUT',
      `${options.model} is a Flow model but upstream defines no flow frames for ${base.name}`,
      {
        hint:
          "pass --template (e.g. 'flow_{}_{:05d}.jpg' for flow_x_00001.jpg / flow_y_00001.jpg in each clip " +
          'folder) and --list',
        details: { dataset: base.name },
      },
    );
  }
  const layout: FlowLayoutConfig = {
    framesDir: base.flow?.framesDir ?? base.framesDir,
    list: base.flow?.list ?? base.list,
    template,
  };
  if (base.flow?.undocumented && !options.imageTemplate) {
    warnings.push(
      `upstream documents no ${base.name} flow layout; reading ${flowFrameExample(layout)} and ${layout.list} (pass ` +
        `--template and --list for another)`,
    );
  }
  return {
    layout,
    newLength: FLOW_NEW_LENGTH,
    storage: flowStorage(layout.template),
    example: flowFrameExample(layout),
  };
}

export interface ClipSet {
  /** the dataset's layout, a Flow model's flow frames folder, template and list in place of the RGB ones */
  readonly config: DatasetConfig;
  readonly flow?: FlowInput;
  readonly categories: readonly string[];
  readonly listPath: string;
  /** the clips this run scores (--max-num, then the shard) */
  readonly clips: readonly ClipRecord[];
  readonly bad: readonly BadLine[];
}

/**
 * The dataset, categories and clips a run reads; `flowModel`: the model takes flow frames (10 channels a segment).
 * Warnings (an undocumented flow layout) go to `warnings`.
 */
export function readClipSet(options: ClipSetOptions, flowModel: boolean, warnings: string[]): ClipSet {
  const base = datasetConfig(options);
  const flow = flowModel ? flowInput(options, base, warnings) : undefined;
  const config: DatasetConfig = flow
    ? { ...base, framesDir: flow.layout.framesDir, imageTemplate: flow.layout.template, list: flow.layout.list }
    : base;
  const categories = readCategories(options.categories ?? join(options.root, config.categories));
  const listPath = options.list ?? join(options.root, config.list);
  // video files: MMAction2's `path label` lines as well as tsm's `path frames label`
  const read = (options.videos ? readVideoList : readClipList)(listPath, categories.length);
  const bad = read.bad;
  // the padded-pair flow layout counts x and y files: upstream halves the listed count
  const allClips = flow
    ? read.clips.map((c) => ({ ...c, frames: flowFrameCount(c.frames, flow.storage) }))
    : read.clips;
  const listed = options.maxNum !== undefined ? allClips.slice(0, options.maxNum) : allClips;
  const shard = options.shard;
  const clips = shard ? listed.filter((_, k) => k % shard.count === shard.index) : listed;
  if (shard && listed.length && !clips.length) {
    throw new TsmError(
      'usage',
      'E_EMPTY_SHARD',
      `shard ${shard.index}/${shard.count} of ${listPath} holds no clip: the list has ${listed.length}`,
      {
        hint: `use at most ${listed.length} shards`,
        details: { list: listPath, shard, clips: listed.length },
      },
    );
  }
  if (!clips.length) {
    throw new TsmError(
      'input',
      'E_NO_CLIPS',
      `${listPath}: no usable clips (${allClips.length + bad.length} list ` +
        `line(s) read${bad.length ? `, ${bad.length} bad; first: line ${bad[0].line}: ${bad[0].reason}` : ''})`,
      {
        details: { list: listPath, linesRead: allClips.length + bad.length, badLines: bad.length },
      },
    );
  }
  return { config, flow, categories, listPath, clips, bad };
}

/**
 * Every listed clip was unreadable: scoring nothing is a failure, never "0 clips, top-1 0 %". The message names the
 * folder and template tried and, when the root holds another dataset's frames folder, that dataset.
 */
export function noClipReadError(
  root: string,
  config: DatasetConfig,
  listPath: string,
  listed: number,
  unreadable: readonly UnreadableClip[],
  flowExample?: string,
): TsmError {
  const where = flowExample
    ? join(root, flowExample)
    : join(root, config.framesDir, '<id>', formatFrameName(config.imageTemplate, 1));
  const others = Object.values(DATASETS).filter(
    (d) => d.framesDir !== config.framesDir && existsSync(join(root, d.framesDir)),
  );
  const first = unreadable[0];
  return new TsmError(
    'input',
    'E_NO_CLIPS_READ',
    `none of the ${listed} clip(s) of ${listPath} could be ` +
      `read from ${where}${first ? ` (first: clip ${first.clip}: ${first.reason})` : ''}`,
    {
      hint: others.length
        ? `${root} holds ${others.map((d) => `${d.framesDir}/ (--dataset ${d.name})`).join(', ')}; --dataset ` +
          `${config.name} reads ${config.framesDir}/ with frames named like ${formatFrameName(config.imageTemplate, 1)}`
        : `check --root, --dataset and --template (frames named like ${formatFrameName(config.imageTemplate, 1)})`,
      details: {
        list: listPath,
        clips: listed,
        framesDir: join(root, config.framesDir),
        template: config.imageTemplate,
      },
    },
  );
}
