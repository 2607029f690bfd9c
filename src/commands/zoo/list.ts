import { Flags } from '@oclif/core';
import { TsmCommand } from '../../cli/base-command.js';
import { zooFlag } from '../../cli/zoo-flag.js';
import { TsmError } from '../../errors.js';
import { findModels, loadZoo, type ZooEntry } from '../../zoo/index.js';
import { describeZoo, locateZoo, type ZooLocation } from '../../zoo/locate.js';

export interface ZooListResult {
  /** the zoo read, and why that one (--zoo, TSM_ZOO, the working folder, or tsm's own) */
  readonly zoo: ZooLocation;
  readonly models: ReadonlyArray<
    Pick<ZooEntry, 'id' | 'version' | 'status' | 'task' | 'dataset'> & {
      arch: string;
      top1: number | null;
      reportedTop1: number | null;
    }
  >;
}

export default class ZooList extends TsmCommand {
  static override description = 'List the models in zoo.json (published ones; --all for upstream sources too)';
  static override flags = {
    zoo: zooFlag(),
    all: Flags.boolean({ description: 'include source-only and unsupported entries' }),
    task: Flags.string({
      description: 'only this task',
      options: ['gesture-recognition', 'action-recognition', 'image-classification'],
    }),
    dataset: Flags.string({ description: 'only this dataset' }),
  };

  async run(): Promise<ZooListResult> {
    const { flags } = await this.parse(ZooList);
    const where = locateZoo(flags.zoo);
    const zoo = loadZoo(where.location);
    const found = findModels(zoo, { published: !flags.all, task: flags.task as never, dataset: flags.dataset });
    if (!found.length) {
      const filters = [
        !flags.all && 'status published',
        flags.task && `task ${flags.task}`,
        flags.dataset && `dataset ${flags.dataset}`,
      ]
        .filter(Boolean)
        .join(', ');
      const datasets = [...new Set(zoo.models.map((m) => m.dataset))].sort();
      throw new TsmError(
        'usage',
        'E_ZOO_NO_MATCH',
        `${where.location}: none of its ${zoo.models.length} entries matches ${filters || 'the query'}`,
        {
          hint:
            `datasets in the zoo: ` +
            `${datasets.join(', ')}${flags.all ? '' : '; --all lists unpublished entries too'}`,
          details: {
            zoo: where.location,
            entries: zoo.models.length,
            task: flags.task,
            dataset: flags.dataset,
            all: flags.all,
          },
        },
      );
    }
    const models = found.map((m) => ({
      id: m.id,
      version: m.version,
      status: m.status,
      task: m.task,
      dataset: m.dataset,
      arch: m.arch.name,
      top1: m.verification?.top1 ?? null,
      reportedTop1: m.reported?.top1 ?? null,
    }));
    if (!this.jsonEnabled()) {
      this.log(`zoo: ${describeZoo(where)}`);
      const acc = (m: (typeof models)[number]) =>
        m.top1 !== null
          ? `${(m.top1 * 100).toFixed(1)} % (verified)`
          : m.reportedTop1 !== null
            ? `${(m.reportedTop1 * 100).toFixed(1)} % (reported)`
            : '–';
      const rows = [
        ['model', 'status', 'arch', 'dataset', 'top-1'],
        ...models.map((m) => [`${m.id}@${m.version}`, m.status, m.arch, m.dataset, acc(m)]),
      ];
      // every column as wide as its longest cell, so long ids and names never push the others out of line
      const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
      for (const r of rows)
        this.log(r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  '));
    }
    return { zoo: where, models };
  }
}
