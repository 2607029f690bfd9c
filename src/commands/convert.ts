import { Args, Flags } from '@oclif/core';
import { archFeatureNames } from '../cli/arch-text.js';
import { TsmCommand } from '../cli/base-command.js';
import { progressBar } from '../cli/progress.js';
import { type ConvertOptions, type ConvertResult, convertCheckpoint } from '../convert/convert.js';
import { DEFAULT_CALIBRATION_CLIPS, type QuantizeResult, quantizeCheckpoint } from '../convert/quantize.js';
import { DATASETS } from '../data/dataset.js';
import { TsmError } from '../errors.js';

export type { ConvertResult, QuantizeResult };

export default class Convert extends TsmCommand {
  static override description =
    'Convert a TSN/TSM checkpoint to ONNX (temporal shift as Slice/Pad/Concat, BatchNorm folded)';
  static override examples = [
    '<%= config.bin %> convert pretrained/TSM_jester_RGB_mobilenetv2_shift8_blockres_avg_segment8_e25.pth',
    '<%= config.bin %> convert model.pth -o model.onnx --segments 8 --shift-div 8 --labels category.txt --json',
    '<%= config.bin %> convert model.pth --int8 --calibration dataset/jester --calibration-clips 100',
    '<%= config.bin %> convert model.pth --opset 10 -o model.opencv.onnx',
  ];
  static override args = {
    file: Args.string({ description: 'checkpoint (.pth, .pth.tar, .pt) or .safetensors', required: true }),
  };
  static override flags = {
    output: Flags.string({
      char: 'o',
      description:
        'output .onnx path (default: next to the checkpoint, its extension replaced: x.pth.tar → x.onnx; ' +
        'with --int8 x.int8.onnx)',
    }),
    arch: Flags.string({
      description: 'expected backbone (resnet18/34/50/101/152, mobilenetv2); an error if the weights disagree',
    }),
    segments: Flags.integer({
      description: "segments T (default: from the TSM file name, or its run folder's name, else 8)",
      min: 1,
    }),
    'shift-div': Flags.integer({
      description: "shift fold divisor (default: from the TSM file name, or its run folder's name, else 8)",
      min: 1,
    }),
    'shift-place': Flags.string({
      description: 'expected shift place; an error if the weights disagree',
      options: ['blockres', 'block', 'none'],
    }),
    'num-classes': Flags.integer({ description: 'expected number of classes; an error if the head disagrees', min: 1 }),
    labels: Flags.string({ description: 'category.txt: one label a line, index = line number' }),
    'allow-global': Flags.string({
      description:
        "a pickle global read as data outside the weights (repeatable; torch's add_safe_globals), e.g. " +
        'mmengine.logging.history_buffer.HistoryBuffer in an MMAction2 work-dir checkpoint',
      multiple: true,
    }),
    size: Flags.integer({ description: 'input crop size', default: 224, min: 32 }),
    opset: Flags.integer({
      description: 'ONNX opset (10–17; 10 for OpenCV DNN, which reads Clip and Pad only with attributes)',
      default: 13,
    }),
    softmax: Flags.boolean({ description: 'add a `probabilities` output (softmax of the logits)' }),
    fp16: Flags.boolean({
      description: 'store weights as fp16 (half the file; computed in fp32 after a Cast the runtime folds at load)',
    }),
    'fp16-compute': Flags.boolean({
      description:
        'weights and activations in fp16, float32 in and out (for GPU/WebGPU/ARM runtimes; onnxruntime on x86 CPUs ' +
        'casts back to fp32 and runs slower)',
      exclusive: ['int8'],
    }),
    online: Flags.boolean({
      description:
        'streaming MobileNetV2: one frame in, shift buffers in and out (one-directional shift of the online demo)',
    }),
    'stream-stride': Flags.integer({
      description:
        'with --online: feed every N-th source frame, the spacing of the training segments (recorded in ' +
        'tsm.streaming; default 4, Jester)',
      min: 1,
      dependsOn: ['online'],
    }),
    'stream-window': Flags.integer({
      description: 'with --online: logits averaged over this many fed frames (default 4)',
      min: 1,
      dependsOn: ['online'],
    }),
    'stream-stable': Flags.integer({
      description: 'with --online: fed frames a gesture must lead before it is reported (default 1)',
      min: 1,
      dependsOn: ['online'],
    }),
    'stream-fps': Flags.integer({
      description: 'with --online: frame rate of the source frames (default 12, Jester)',
      min: 1,
      dependsOn: ['online'],
    }),
    int8: Flags.boolean({
      description:
        'static int8 (QDQ: uint8 activations, per-channel int8 weights), calibrated on --calibration clips (online: ' +
        'streamed frame by frame)',
      exclusive: ['fp16', 'fp16-compute'],
    }),
    calibration: Flags.string({
      description: 'with --int8: a dataset folder in the layout verify reads (e.g. dataset/jester)',
    }),
    'calibration-dataset': Flags.string({
      description: 'layout of the calibration folder (a Flow model reads its flow frames)',
      default: 'jester',
      options: Object.keys(DATASETS),
    }),
    'calibration-list': Flags.string({
      description:
        'clip list to calibrate on (default: <calibration>/val_videofolder.txt); use a train list to keep val clean',
    }),
    'calibration-clips': Flags.integer({
      description: 'calibrate on the first N clips of the list',
      default: DEFAULT_CALIBRATION_CLIPS,
      min: 1,
    }),
  };

  async run(): Promise<ConvertResult | QuantizeResult> {
    const { args, flags } = await this.parse(Convert);
    const options: ConvertOptions = {
      input: args.file,
      output: flags.output,
      labelsFile: flags.labels,
      allowGlobals: flags['allow-global'],
      opset: flags.opset,
      softmax: flags.softmax,
      fp16Weights: flags.fp16,
      fp16Compute: flags['fp16-compute'],
      streaming: JSON.parse(
        JSON.stringify({
          stride: flags['stream-stride'],
          window: flags['stream-window'],
          stableFrames: flags['stream-stable'],
          fps: flags['stream-fps'],
        }),
      ),
      overrides: {
        arch: flags.arch,
        segments: flags.segments,
        shiftDiv: flags['shift-div'],
        shiftPlace: flags['shift-place'] as 'blockres' | 'block' | 'none' | undefined,
        numClasses: flags['num-classes'],
        size: flags.size,
        online: flags.online,
      },
    };
    if (flags.calibration && !flags.int8)
      throw new TsmError('usage', 'E_BAD_FLAG', '--calibration is only used with --int8');
    let result: ConvertResult | QuantizeResult;
    if (flags.int8) {
      if (!flags.calibration) {
        throw new TsmError(
          'usage',
          'E_BAD_FLAG',
          '--int8 needs --calibration DIR: activation ranges are measured on real clips',
          { hint: 'e.g. --calibration dataset/jester (or fixtures/jester-mini)' },
        );
      }
      const bar = progressBar(!this.jsonEnabled(), 'calibrate |{bar}| {value}/{total} clips');
      result = await quantizeCheckpoint({
        ...options,
        calibration: {
          root: flags.calibration,
          dataset: flags['calibration-dataset'],
          list: flags['calibration-list'],
          clips: flags['calibration-clips'],
          onProgress: (done, total) => bar.update(done, total),
        },
      }).finally(() => bar.stop());
    } else {
      result = convertCheckpoint(options);
    }
    if (!this.jsonEnabled()) {
      // where the model went comes first, before any warning: without -o it lands beside the checkpoint
      this.log(
        `${result.output}  ` +
          `${flags.output ? '' : '(no -o: next to the checkpoint)  '}${(result.bytes / 1e6).toFixed(1)} MB  sha256 ` +
          `${result.sha256.slice(0, 16)}…`,
      );
      for (const w of result.warnings) this.warn(w);
      const a = result.arch;
      const shape = [
        `${a.segments} segments`,
        `shift ${a.shiftPlace}${a.shiftLayout ? ` (${a.shiftLayout})` : ''} 1/${a.shiftDiv} on ` +
          `${a.shiftedBlocks} blocks`,
        ...archFeatureNames(a),
        `${a.numClasses} classes`,
        `${a.inputSize}px`,
        `opset ${result.opset}`,
      ];
      this.log(
        `  ${a.name}${a.widthMultiplier && a.widthMultiplier !== 1 ? ` ×${a.widthMultiplier}` : ''}: ` +
          `${shape.join(', ')}`,
      );
      if (result.configName?.from === 'folder')
        this.log(`  config from the folder name ${result.configName.name} (the file name carries none)`);
      if ('quantization' in result) {
        const c = result.quantization.calibration;
        this.log(
          `  int8 (QDQ): ${c.activationPoints} activations calibrated (${c.method}) on ${c.clips} clips of ${c.root} ` +
            `in ${c.seconds.toFixed(1)} s`,
        );
      }
      this.log(
        `  inputs ${result.inputs.map((i) => `${i.name} [${i.shape.join(', ')}]`).join(', ')} → outputs ` +
          `${result.outputs.map((o) => `${o.name} [${o.shape.join(', ')}]`).join(', ')}`,
      );
    }
    return result;
  }
}
