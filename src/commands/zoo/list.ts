import { Flags } from '@oclif/core';
import { TsmCommand } from '../../cli/base-command.js';
import { TsmError } from '../../errors.js';
import { findModels, loadZoo, type ZooEntry } from '../../zoo/index.js';

export interface ZooListResult {
  readonly models: ReadonlyArray<Pick<ZooEntry, 'id' | 'version' | 'status' | 'task' | 'dataset'> & { arch: string; top1: number | null; reportedTop1: number | null }>;
}

export default class ZooList extends TsmCommand {
  static override description = 'List the models in zoo.json (published ones; --all for upstream sources too)';
  static override flags = {
    zoo: Flags.string({ description: 'zoo index', default: 'zoo.json' }),
    all: Flags.boolean({ description: 'include source-only and unsupported entries' }),
    task: Flags.string({ description: 'only this task', options: ['gesture-recognition', 'action-recognition', 'image-classification'] }),
    dataset: Flags.string({ description: 'only this dataset' }),
  };

  async run(): Promise<ZooListResult> {
    const { flags } = await this.parse(ZooList);
    const zoo = loadZoo(flags.zoo);
    const found = findModels(zoo, { published: !flags.all, task: flags.task as never, dataset: flags.dataset });
    if (!found.length) {
      const filters = [!flags.all && 'status published', flags.task && `task ${flags.task}`, flags.dataset && `dataset ${flags.dataset}`].filter(Boolean).join(', ');
      const datasets = [...new Set(zoo.models.map((m) => m.dataset))].sort();
      throw new TsmError('usage', 'E_ZOO_NO_MATCH', `${flags.zoo}: none of its ${zoo.models.length} entries matches ${filters || 'the query'}`, {
        hint: `datasets in the zoo: ${datasets.join(', ')}${flags.all ? '' : '; --all lists unpublished entries too'}`,
        details: { zoo: flags.zoo, entries: zoo.models.length, task: flags.task, dataset: flags.dataset, all: flags.all },
      });
    }
    const models = found.map((m) => ({
      id: m.id, version: m.version, status: m.status, task: m.task, dataset: m.dataset, arch: m.arch.name,
      top1: m.verification?.top1 ?? null, reportedTop1: m.reported?.top1 ?? null,
    }));
    if (!this.jsonEnabled()) {
      const w = Math.max(2, ...models.map((m) => `${m.id}@${m.version}`.length));
      this.log(`${'model'.padEnd(w)}  ${'status'.padEnd(11)}  ${'arch'.padEnd(16)}  ${'dataset'.padEnd(22)}  top-1`);
      for (const m of models) {
        const acc = m.top1 !== null ? `${(m.top1 * 100).toFixed(1)} % (verified)` : m.reportedTop1 !== null ? `${(m.reportedTop1 * 100).toFixed(1)} % (reported)` : '–';
        this.log(`${`${m.id}@${m.version}`.padEnd(w)}  ${m.status.padEnd(11)}  ${m.arch.padEnd(16)}  ${m.dataset.padEnd(22)}  ${acc}`);
      }
    }
    return { models };
  }
}
