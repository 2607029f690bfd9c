import { Args, Flags } from '@oclif/core';
import { TsmCommand } from '../cli/base-command.js';
import { zooFlag } from '../cli/zoo-flag.js';
import { type PredictResult, predict } from '../predict/predict.js';

export default class Predict extends TsmCommand {
  static override description =
    'Classify one clip — a video file, an animated GIF/WebP or a folder of frames — with a model (.onnx, a ' +
    "checkpoint, or a zoo id), sampled and preprocessed by the model's protocol";
  static override examples = [
    '<%= config.bin %> predict tsm-mobilenetv2-jester-mini clip.mp4',
    '<%= config.bin %> predict model.onnx fixtures/jester-mini/20bn-jester-v1/100001 --top 3 --json',
  ];
  static override args = {
    model: Args.string({
      description: 'model: .onnx, checkpoint (.pth, .pth.tar, .safetensors), or zoo id[@range]',
      required: true,
    }),
    input: Args.string({
      description: 'video file (anything ffmpeg decodes), animated GIF/WebP, or folder of frames',
      required: true,
    }),
  };
  static override flags = {
    top: Flags.integer({ description: 'how many classes to show', default: 5, min: 1 }),
    zoo: zooFlag('zoo index for a model given by id'),
    ffmpeg: Flags.string({
      description:
        'ffmpeg to decode videos with (default: TSM_FFMPEG, else the first ffmpeg on PATH, else ' +
        'the one installed with tsm)',
    }),
    threads: Flags.integer({ description: 'onnxruntime intra-op threads', default: 2, min: 1 }),
  };

  async run(): Promise<PredictResult> {
    const { args, flags } = await this.parse(Predict);
    const r = await predict({
      model: args.model,
      input: args.input,
      top: flags.top,
      zoo: flags.zoo,
      ffmpeg: flags.ffmpeg,
      threads: flags.threads,
    });
    if (!this.jsonEnabled()) {
      for (const w of r.warnings) this.warn(w);
      const how =
        r.protocol.kind === 'stream'
          ? `streamed every ${r.protocol.streaming?.stride}th frame`
          : `${r.protocol.segments} segments (frames ${r.sampled.join(', ')})`;
      this.log(
        `${r.input} (${r.source}, ${r.frames} frames) → ${r.model}, ${how}, ${r.protocol.scaleShortSide} ` +
          `→ ${r.protocol.cropSize}`,
      );
      if (r.protocol.kind === 'stream') this.log(`last gesture reported: ${r.lastGesture ?? 'none'}`);
      const w = Math.max(...r.top.map((p) => p.label.length));
      for (const p of r.top) this.log(`  ${p.label.padEnd(w)}  ${(p.score * 100).toFixed(1).padStart(5)} %`);
    }
    return r;
  }
}
