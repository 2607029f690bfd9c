import { Args, Flags } from '@oclif/core';
import { TsmCommand } from '../../cli/base-command.js';
import { zooFlag } from '../../cli/zoo-flag.js';
import { defaultCacheDir } from '../../zoo/cache.js';
import { exportHf, type HfExportResult } from '../../zoo/hf.js';
import { locateZoo } from '../../zoo/locate.js';

export default class ZooExport extends TsmCommand {
  static override description =
    'Write a zoo entry as a Hugging Face model repo folder: README.md with front matter and model-index, ' +
    'config.json, preprocessor_config.json, onnx/model.onnx (and model_fp16 / model_quantized where the zoo has them)';
  static override examples = ['<%= config.bin %> zoo export tsm-mobilenetv2-jester-mini --format hf --out hf/jester'];
  static override args = { id: Args.string({ description: 'model id, optionally @version-range', required: true }) };
  static override flags = {
    format: Flags.string({ description: 'layout of the folder', options: ['hf'], default: 'hf' }),
    out: Flags.string({ description: 'folder to create (refused when it exists and is not empty)', required: true }),
    zoo: zooFlag(),
    cache: Flags.string({ description: 'cache folder for served artifacts (default: $TSM_CACHE, else ~/.cache/tsm)' }),
  };

  async run(): Promise<HfExportResult> {
    const { args, flags } = await this.parse(ZooExport);
    const r = await exportHf({
      model: args.id,
      out: flags.out,
      zoo: locateZoo(flags.zoo).location,
      cacheDir: flags.cache ?? defaultCacheDir(),
    });
    if (!this.jsonEnabled()) this.log(`${r.out}: ${r.id}@${r.version} as a Hugging Face repo (${r.files.join(', ')})`);
    return r;
  }
}
