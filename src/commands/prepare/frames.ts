import { cpus } from 'node:os';
import { Args, Flags } from '@oclif/core';
import { TsmCommand } from '../../cli/base-command.js';
import { progressBar } from '../../cli/progress.js';
import { TsmError } from '../../errors.js';
import { type ExtractResult, extractFrames, type FrameLayout } from '../../video/extract.js';

export default class PrepareFrames extends TsmCommand {
  static override description =
    'Extract JPEG frames from videos with the upstream settings (Kinetics scale=-1:331 img_%05d.jpg, Something v2 ' +
    'scale=-1:256 %06d.jpg, -q:v 0, native rate), in parallel and resumable';
  static override examples = [
    '<%= config.bin %> prepare frames videos/kinetics --out dataset/kinetics/images --dataset kinetics',
    '<%= config.bin %> prepare frames videos/ --out frames/ --dataset jester --workers 4 --json',
  ];
  static override args = {
    videos: Args.string({
      description: 'a folder of videos (searched recursively; sub-folders are kept) or one video',
      required: true,
    }),
  };
  static override flags = {
    out: Flags.string({ description: 'where the clip folders go: <out>/<sub-folder>/<video name>/', required: true }),
    dataset: Flags.string({
      description: 'settings of the upstream tool for this dataset (jester: native size, %05d.jpg)',
      options: ['kinetics', 'somethingv2', 'jester'],
      default: 'kinetics',
    }),
    'short-side': Flags.integer({
      description: "scale the short side to N instead of the dataset's fixed height",
      min: 16,
    }),
    template: Flags.string({ description: 'frame file names, an ffmpeg pattern (default per dataset)' }),
    workers: Flags.integer({ description: 'videos decoded at once (default: the cores)', min: 1 }),
    ffmpeg: Flags.string({
      description:
        'ffmpeg to run (default: TSM_FFMPEG, else the first ffmpeg on PATH, else the one installed with tsm)',
    }),
  };

  async run(): Promise<ExtractResult> {
    const { args, flags } = await this.parse(PrepareFrames);
    const bar = progressBar(!this.jsonEnabled(), 'frames |{bar}| {value}/{total} videos | ETA {eta_formatted}');
    const r = await extractFrames({
      videos: args.videos,
      out: flags.out,
      dataset: flags.dataset as FrameLayout,
      shortSide: flags['short-side'],
      template: flags.template,
      workers: flags.workers ?? cpus().length,
      ffmpeg: flags.ffmpeg,
      onProgress: (done, total) => bar.update(done, total),
    }).finally(() => bar.stop());
    if (r.failures.length) {
      for (const f of r.failures) if (!this.jsonEnabled()) process.stderr.write(`tsm: ${f.video}: ${f.reason}\n`);
      throw new TsmError(
        'input',
        'E_VIDEOS_FAILED',
        `${r.failures.length} of ${r.videos} video(s) could not be decoded: ${r.failures
          .slice(0, 5)
          .map((f) => f.video)
          .join(', ')}${r.failures.length > 5 ? ', …' : ''}`,
        {
          details: { ...r },
        },
      );
    }
    if (!this.jsonEnabled()) {
      for (const w of r.warnings) this.warn(w);
      this.log(
        `${r.videos} videos → ${flags.out}: ${r.extracted} extracted (${r.frames} frames, ` +
          `${(r.frames / Math.max(r.seconds, 1e-9)).toFixed(0)} frames/s), ${r.skipped} already ` +
          `done${r.redone ? `, ${r.redone} interrupted ones redone` : ''}; ${r.settings.filter ?? 'native size'}, ` +
          `${r.settings.template}; ffmpeg ${r.ffmpeg.version} (${r.ffmpeg.path}, from ${r.ffmpeg.source})`,
      );
    }
    return r;
  }
}
