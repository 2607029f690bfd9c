import { Args, Flags } from '@oclif/core';
import { TsmCommand } from '../../cli/base-command.js';
import { progressBar } from '../../cli/progress.js';
import { zooFlag } from '../../cli/zoo-flag.js';
import { type CachedArtifact, defaultCacheDir, fetchModel } from '../../zoo/cache.js';
import { locateZoo, type ZooLocation } from '../../zoo/locate.js';

export type ZooFetchResult = Omit<CachedArtifact, 'entry'> & {
  readonly id: string;
  readonly version: string;
  readonly zoo: ZooLocation;
};

/** Where a fetched artifact came from, as the summary line says it (a download names its URL). */
const WHERE: Record<string, string> = { local: 'next to the zoo index', cache: 'from the cache' };

export default class ZooFetch extends TsmCommand {
  static override description =
    'Resolve a zoo model to a local ONNX file: its artifact next to zoo.json, or downloaded once into the cache from ' +
    'where the zoo says it is served; size and sha256 checked either way';
  static override examples = [
    '<%= config.bin %> zoo fetch tsm-mobilenetv2-jester-mini',
    '<%= config.bin %> zoo fetch tsm-mobilenetv2-jester-online-mini@^1.1.0 --zoo ' +
      'https://example.org/tsm/zoo.json --json',
  ];
  static override args = { id: Args.string({ description: 'model id, optionally @version-range', required: true }) };
  static override flags = {
    zoo: zooFlag(),
    cache: Flags.string({ description: 'cache folder (default: $TSM_CACHE, else ~/.cache/tsm)' }),
  };

  async run(): Promise<ZooFetchResult> {
    const { args, flags } = await this.parse(ZooFetch);
    const [id, range] = args.id.split('@');
    const bar = progressBar(!this.jsonEnabled(), `${id} |{bar}| {percentage}% | {value}/{total} bytes`);
    const zoo = locateZoo(flags.zoo);
    const r = await fetchModel(
      { id, version: range, published: false },
      {
        zoo: zoo.location,
        cacheDir: flags.cache ?? defaultCacheDir(),
        onProgress: (got, total) => bar.update(got, total ?? got),
      },
    ).finally(() => bar.stop());
    const { entry, ...rest } = r;
    if (!this.jsonEnabled())
      this.log(
        `${r.path}  (${entry.id}@${entry.version}, ${r.bytes} bytes, sha256 ${r.sha256.slice(0, 16)}… ` +
          `checked; ${WHERE[r.from] ?? `downloaded from ${r.url}`})`,
      );
    return { id: entry.id, version: entry.version, zoo, ...rest };
  }
}
