import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { TsmCommand } from '../../cli/base-command.js';
import { ANNOTATIONS, type LabelDataset, labelLists } from '../../data/labels.js';
import { TsmError } from '../../errors.js';
import { readInputText } from '../../io.js';
import { writeFileAtomically } from '../../onnx/write.js';
import { DONE_MARKER } from '../../video/extract.js';

export interface PrepareLabelsResult {
  readonly dataset: LabelDataset;
  readonly root: string;
  readonly framesDir: string;
  readonly categories: number;
  readonly files: readonly string[];
  readonly lists: ReadonlyArray<{
    readonly file: string;
    readonly entries: number;
    readonly written: number;
    readonly missing: number;
    readonly firstMissing: readonly string[];
    readonly short: number;
    readonly firstShort: ReadonlyArray<{ id: string; frames: number }>;
  }>;
}

export default class PrepareLabels extends TsmCommand {
  static override description =
    "Write category.txt and the *_videofolder.txt lists from a dataset's official annotation files, as the upstream " +
    'gen_label tools do';
  static override examples = [
    '<%= config.bin %> prepare labels jester --root dataset/jester',
    '<%= config.bin %> prepare labels kinetics --root dataset/kinetics --frames images256 --json',
  ];
  static override args = {
    dataset: Args.string({
      description: 'dataset whose annotation files are in --root',
      required: true,
      options: ['jester', 'something', 'somethingv2', 'kinetics'],
    }),
  };
  static override flags = {
    root: Flags.string({
      description: 'folder with the annotation files (the lists are written here too)',
      required: true,
    }),
    frames: Flags.string({
      description: 'frames folder under --root, one folder per clip (default per dataset, e.g. 20bn-jester-v1)',
    }),
  };

  async run(): Promise<PrepareLabelsResult> {
    const { args, flags } = await this.parse(PrepareLabels);
    const dataset = args.dataset as LabelDataset;
    const spec = ANNOTATIONS[dataset];
    const framesDir = flags.frames ?? spec.frames;
    const hint = `${dataset} ships ${spec.labels} and ${spec.splits.map(([f]) => f).join(', ')}`;
    const labels = readInputText(join(flags.root, spec.labels), 'label file', hint);
    const splits: Record<string, string | undefined> = {};
    for (const [file] of spec.splits) {
      try {
        splits[file] = readInputText(join(flags.root, file), 'annotation file');
      } catch (err) {
        if ((err as TsmError).code !== 'E_NOT_FOUND') throw err;
      }
    }
    if (Object.values(splits).every((t) => t === undefined)) {
      throw new TsmError(
        'input',
        'E_NO_ANNOTATIONS',
        `${flags.root}: none of ${spec.splits.map(([f]) => f).join(', ')} found`,
        { hint, details: { root: flags.root } },
      );
    }
    const count = (relative: string): number | undefined => {
      try {
        return readdirSync(join(flags.root, framesDir, relative)).filter((e) => e !== DONE_MARKER).length;
      } catch {
        return undefined;
      }
    };
    const out = labelLists(dataset, { labels, splits }, count);
    const written = out.lists.reduce((a, l) => a + l.lines.length, 0);
    if (!written) {
      const looked = out.lists.reduce((a, l) => a + l.entries, 0);
      throw new TsmError(
        'input',
        'E_NO_CLIPS',
        `none of the ${looked} clip(s) of the annotation files has a frames folder under ` +
          `${join(flags.root, framesDir)}`,
        {
          hint: 'extract frames first (e.g. tsm prepare frames), or point --frames at the folder that holds them',
          details: { root: flags.root, framesDir },
        },
      );
    }
    const files = [join(flags.root, 'category.txt')];
    writeFileAtomically(files[0], out.categories.join('\n'));
    for (const l of out.lists) {
      files.push(join(flags.root, l.file));
      writeFileAtomically(join(flags.root, l.file), l.lines.join('\n'));
    }
    for (const e of out.extra) {
      files.push(join(flags.root, e.file));
      writeFileAtomically(join(flags.root, e.file), e.text);
    }
    const result: PrepareLabelsResult = {
      dataset,
      root: flags.root,
      framesDir,
      categories: out.categories.length,
      files,
      lists: out.lists.map((l) => ({
        file: l.file,
        entries: l.entries,
        written: l.lines.length,
        missing: l.missing.length,
        firstMissing: l.missing.slice(0, 5),
        short: l.short.length,
        firstShort: l.short.slice(0, 5),
      })),
    };
    if (!this.jsonEnabled()) {
      this.log(`${dataset}: ${out.categories.length} categories → ${files[0]}`);
      for (const l of result.lists) {
        const missing = l.missing
          ? `; ${l.missing} without a frames folder (skipped), e.g. ${l.firstMissing.join(', ')}`
          : '';
        const shortOnes = l.firstShort.map((s) => `${s.id} (${s.frames})`).join(', ');
        const short = l.short
          ? `; ${l.short} with fewer than 3 frames, which TSM's reader drops, e.g. ${shortOnes}`
          : '';
        this.log(`${l.file}: ${l.written} of ${l.entries} clips${missing}${short}`);
      }
    }
    return result;
  }
}
