import { Args, Flags } from '@oclif/core';
import { TsmCommand } from '../../cli/base-command.js';
import { progressBar } from '../../cli/progress.js';
import { DEFAULT_CALIBRATION_CLIPS } from '../../convert/quantize.js';
import { TsmError } from '../../errors.js';
import { type Bump, type PublishResult, publishModel } from '../../zoo/publish.js';

export default class ZooPublish extends TsmCommand {
  static override description =
    'Convert, verify and publish a checkpoint as a new version in zoo.json (never overwrites a version)';
  static override examples = [
    '<%= config.bin %> zoo publish fixtures/models/TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e14.pth ' +
      '--id tsm-mobilenetv2-jester-mini --version 1.0.0 --dataset jester --root fixtures/jester-mini',
    '<%= config.bin %> zoo publish model.pth --id my-model --bump patch',
  ];
  static override args = { file: Args.string({ description: 'checkpoint', required: true }) };
  static override flags = {
    id: Flags.string({ description: 'model id (lower case)', required: true }),
    version: Flags.string({ description: 'semantic version X.Y.Z', exclusive: ['bump'] }),
    bump: Flags.string({
      description: 'next version after the highest published one',
      options: ['patch', 'minor', 'major'],
      exclusive: ['version'],
    }),
    dataset: Flags.string({
      description: 'verify on this dataset layout (with --root)',
      options: ['jester', 'something', 'somethingv2', 'kinetics', 'ucf101'],
    }),
    root: Flags.string({ description: 'dataset folder for verification' }),
    'dataset-label': Flags.string({ description: 'dataset name recorded in the zoo (default: --dataset)' }),
    split: Flags.string({
      description: 'the split of the dataset verified on, as the entry records it',
      default: 'val',
    }),
    reference: Flags.string({ description: 'PyTorch reference outputs to record parity against' }),
    title: Flags.string({ description: 'title for the model card' }),
    license: Flags.string({ description: 'license of the weights', default: 'unknown' }),
    notes: Flags.string({ description: 'notes recorded in the entry and the card' }),
    segments: Flags.integer({ description: 'segments (default: from the file name)', min: 1 }),
    opset: Flags.integer({
      description:
        'ONNX opset of the artifact (10–17; 10 for OpenCV DNN, which reads Clip and Pad only with attributes)',
      default: 13,
    }),
    online: Flags.boolean({ description: 'publish the streaming export (tsm convert --online)' }),
    int8: Flags.boolean({
      description: 'publish the int8 export (tsm convert --int8), calibrated on --calibration clips',
    }),
    calibration: Flags.string({
      description: 'with --int8: dataset folder to calibrate on (layout as verify reads it)',
    }),
    'calibration-clips': Flags.integer({
      description: 'calibrate on the first N clips of the list',
      default: DEFAULT_CALIBRATION_CLIPS,
      min: 1,
    }),
    'base-url': Flags.string({
      description:
        'where the zoo/ folder will be served (a release page, a bucket): the artifact records ' +
        '<URL>/<id>/<version>/model.onnx beside its path, for `tsm zoo fetch` and the tsm/zoo client',
    }),
    zoo: Flags.string({ description: 'zoo index', default: 'zoo.json' }),
  };

  async run(): Promise<PublishResult> {
    const { args, flags } = await this.parse(ZooPublish);
    if (Boolean(flags.int8) !== Boolean(flags.calibration)) {
      throw new TsmError(
        'usage',
        'E_BAD_FLAG',
        flags.int8 ? '--int8 needs --calibration DIR' : '--calibration is only used with --int8',
      );
    }
    const bar = progressBar(!this.jsonEnabled(), 'verify |{bar}| {value}/{total} clips');
    const result = await publishModel({
      file: args.file,
      id: flags.id,
      version: flags.version,
      bump: flags.bump as Bump | undefined,
      zooPath: flags.zoo,
      dataset: flags.dataset,
      root: flags.root,
      datasetLabel: flags['dataset-label'],
      reference: flags.reference,
      split: flags.split,
      baseUrl: flags['base-url'],
      title: flags.title,
      license: flags.license,
      notes: flags.notes,
      segments: flags.segments,
      opset: flags.opset,
      online: flags.online,
      int8: flags.calibration
        ? { root: flags.calibration, dataset: flags.dataset, clips: flags['calibration-clips'] }
        : undefined,
      onProgress: (done, total) => bar.update(done, total),
    }).finally(() => bar.stop());
    if (!this.jsonEnabled()) {
      const v = result.entry.verification;
      const how = v
        ? ` (top-1 ${(v.top1 * 100).toFixed(2)} % on ${v.clips} clips)`
        : ' (not verified: give --dataset and --root)';
      this.log(`published ${result.entry.id}@${result.entry.version} → ${result.folder}${how}`);
    }
    return result;
  }
}
