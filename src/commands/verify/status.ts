import { Args } from '@oclif/core';
import { TsmCommand } from '../../cli/base-command.js';
import { missingShardsError, type ShardStatus, shardStatus } from '../../verify/shards.js';

export default class VerifyStatus extends TsmCommand {
  static override description =
    'Which shards of a sharded verify run are done, for each run whose parts are in a folder; exits 3 ' +
    '(E_SHARDS_MISSING, with this status) while any is missing';
  static override args = { dir: Args.string({ description: 'folder of part files', required: true }) };

  async run(): Promise<{ runs: readonly ShardStatus[] }> {
    const { args } = await this.parse(VerifyStatus);
    const runs = shardStatus(args.dir);
    if (!this.jsonEnabled()) {
      for (const r of runs) {
        const missing = `${r.missing.slice(0, 30).join(', ')}${r.missing.length > 30 ? ', …' : ''}`;
        const state = r.complete ? ' — complete, ready for tsm verify merge' : `; missing ${missing}`;
        this.log(`${r.model} on ${r.list}: ${r.done.length}/${r.count} shards done${state}`);
      }
    }
    const missing = missingShardsError(args.dir, runs);
    if (missing) throw missing;
    return { runs };
  }
}
