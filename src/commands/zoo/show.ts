import { Args, Flags } from '@oclif/core';
import { TsmCommand } from '../../cli/base-command.js';
import { loadZoo, resolveModel, type ZooEntry } from '../../zoo/index.js';

export default class ZooShow extends TsmCommand {
  static override description = 'Show one zoo entry (ID or ID@RANGE; the highest matching version)';
  static override args = { id: Args.string({ description: 'model id, optionally @semver-range', required: true }) };
  static override flags = { zoo: Flags.string({ description: 'zoo index', default: 'zoo.json' }) };

  async run(): Promise<ZooEntry> {
    const { args, flags } = await this.parse(ZooShow);
    const [id, range] = args.id.split('@');
    const entry = resolveModel(loadZoo(flags.zoo), { id, version: range, published: false });
    if (!this.jsonEnabled()) this.log(JSON.stringify(entry, null, 2));
    return entry;
  }
}
