import { Args, Flags } from '@oclif/core';
import { TsmCommand } from '../cli/base-command.js';
import { progressBar } from '../cli/progress.js';
import { zooFlag } from '../cli/zoo-flag.js';
import { isTsmError, TsmError } from '../errors.js';
import { DEFAULT_CHECKPOINT_DIR, type DownloadResult, downloadFile } from '../zoo/download.js';
import { loadZoo, type ZooEntry } from '../zoo/index.js';
import { locateZoo } from '../zoo/locate.js';
import { updateZoo } from '../zoo/store.js';

export interface DownloadCommandResult {
  readonly downloads: ReadonlyArray<DownloadResult & { id: string; recordedSha256: boolean }>;
}

export default class Download extends TsmCommand {
  static override description = 'Download upstream checkpoints listed in zoo.json (resumable, retried, sha256-checked)';
  static override examples = [
    '<%= config.bin %> download tsm-resnet50-kinetics-8f',
    '<%= config.bin %> download --all --dir pretrained --mirror https://example.org/tsm',
  ];
  static override strict = false;
  static override args = { ids: Args.string({ description: 'zoo ids (see `tsm zoo list --all`)' }) };
  static override flags = {
    all: Flags.boolean({ description: 'every entry with a download address' }),
    dir: Flags.string({ description: 'where checkpoints go', default: DEFAULT_CHECKPOINT_DIR }),
    mirror: Flags.string({ description: 'base URL tried first: <mirror>/<file name>' }),
    zoo: zooFlag(),
    retries: Flags.integer({ description: 'retries per address', default: 4, min: 0 }),
  };

  async run(): Promise<DownloadCommandResult> {
    const { argv, flags } = await this.parse(Download);
    const where = locateZoo(flags.zoo);
    const zoo = loadZoo(where.location);
    const ids = argv as string[];
    if (!ids.length && !flags.all) throw new TsmError('usage', 'E_USAGE', 'name one or more zoo ids, or --all');
    // a source-only entry without addresses was never released upstream (e.g. the tpool entry): no mirror has it either
    const entries = flags.all
      ? zoo.models.filter((m) => m.source.urls.length || (flags.mirror && m.status !== 'source-only'))
      : ids.map((id) => {
          const found = zoo.models.filter((m) => m.id === id);
          if (!found.length)
            throw new TsmError('usage', 'E_ZOO_NO_MATCH', `no zoo entry '${id}'`, { hint: 'see `tsm zoo list --all`' });
          return found[found.length - 1];
        });
    if (!entries.length)
      throw new TsmError('usage', 'E_ZOO_NO_MATCH', `${where.location}: no entry has a download address`, {
        hint: 'pass --mirror URL to fetch every entry from one place',
      });
    const downloads: Array<DownloadResult & { id: string; recordedSha256: boolean }> = [];
    const failures: Array<{ id: string; code: string; message: string; cause?: unknown }> = [];
    for (const entry of entries) {
      try {
        downloads.push(
          await this.downloadOne(entry, { ...flags, zoo: where.from === 'package' ? undefined : where.location }),
        );
      } catch (err) {
        // One failed entry does not stop the others; each is reported, and the exit code says some failed.
        if (!isTsmError(err) || err.kind === 'bug' || entries.length === 1) throw err;
        failures.push({ id: entry.id, code: err.code, message: err.message, cause: err.details.cause });
        if (!this.jsonEnabled()) process.stderr.write(`tsm: ${entry.id}: ${err.message}\n`);
      }
    }
    if (failures.length) {
      throw new TsmError(
        'network',
        'E_DOWNLOAD_SOME',
        `${failures.length} of ${entries.length} download(s) failed: ${failures.map((f) => f.id).join(', ')}`,
        {
          details: { failures, downloads },
        },
      );
    }
    return { downloads };
  }

  private async downloadOne(
    entry: ZooEntry,
    /** zoo: the index to record a new checksum in (none for the package's own, which is not the user's to edit) */
    flags: { dir: string; mirror?: string; retries: number; zoo?: string },
  ): Promise<DownloadResult & { id: string; recordedSha256: boolean }> {
    {
      const bar = progressBar(
        !this.jsonEnabled(),
        `${entry.source.fileName} |{bar}| {percentage}% | {value}/{total} bytes`,
      );
      const result = await downloadFile(entry.source, {
        dir: flags.dir,
        mirror: flags.mirror,
        retries: flags.retries,
        onProgress: (received, total) => bar.update(received, total ?? received),
      }).finally(() => bar.stop());
      let recorded = false;
      if (!entry.source.sha256 && flags.zoo) {
        // First download of a file whose checksum the zoo did not know: record it, so later downloads are checked.
        await updateZoo(flags.zoo, (z) => ({
          zoo: {
            ...z,
            models: z.models.map((m) =>
              m.source.fileName === entry.source.fileName && !m.source.sha256
                ? { ...m, source: { ...m.source, sha256: result.sha256, bytes: result.bytes } }
                : m,
            ),
          },
          result: undefined,
        }));
        recorded = true;
      }
      if (!this.jsonEnabled())
        this.log(
          `${result.alreadyPresent ? 'already present' : 'downloaded'} ${result.path} (${result.bytes} bytes, sha256 ` +
            `${result.sha256.slice(0, 16)}…${result.resumed ? ', resumed' : ''}` +
            `${recorded ? ', checksum recorded in the zoo' : ''})`,
        );
      return { ...result, id: entry.id, recordedSha256: recorded };
    }
  }
}
