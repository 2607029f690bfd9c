import { Args, Flags } from '@oclif/core';
import { TsmCommand } from '../cli/base-command.js';
import { DEFAULT_STREAM_THREADS } from '../inference/online.js';
import { type StreamResult, streamFrames } from '../stream/stream.js';

const PROTOCOL_SOURCE = {
  model: "the model's tsm.streaming",
  'model+flags': "the model's tsm.streaming, with flags",
  flags: 'flags; the model declares no tsm.streaming',
  fallback: 'the model declares no tsm.streaming: every frame, window 12; pass --stride to match its training',
} as const;

export default class Stream extends TsmCommand {
  static override description =
    'Run an online model (tsm convert --online) frame by frame and print gesture events with timestamps';
  static override examples = [
    '<%= config.bin %> stream online.onnx --frames fixtures/jester-mini/20bn-jester-v1/100001',
    '<%= config.bin %> stream online.onnx --video clip.gif --window 12 --stable 3 --json',
  ];
  static override args = { model: Args.string({ description: 'online ONNX model', required: true }) };
  static override flags = {
    frames: Flags.string({ description: 'folder of frames, in file-name order', exclusive: ['video'] }),
    video: Flags.string({
      description: 'a video file (anything ffmpeg decodes) or an animated GIF/WebP',
      exclusive: ['frames'],
    }),
    ffmpeg: Flags.string({
      description:
        'ffmpeg for --video (default: TSM_FFMPEG, else the first ffmpeg on PATH, else the one installed with tsm)',
    }),
    fps: Flags.integer({
      description: "frame rate of the source, for timestamps (default: the model's tsm.streaming, Jester 12)",
      min: 1,
    }),
    stride: Flags.integer({
      description: "feed every N-th frame (default: the model's tsm.streaming, the spacing it was trained on)",
      min: 1,
    }),
    window: Flags.integer({
      description: "logits averaged over this many fed frames (default: the model's tsm.streaming)",
      min: 1,
    }),
    stable: Flags.integer({
      description: "fed frames a gesture must lead before it is reported (default: the model's tsm.streaming)",
      min: 1,
    }),
    threads: Flags.integer({
      description: 'onnxruntime intra-op threads (1: lowest p99; 2: lower median)',
      default: DEFAULT_STREAM_THREADS,
      min: 1,
    }),
  };

  async run(): Promise<StreamResult> {
    const { args, flags } = await this.parse(Stream);
    const result = await streamFrames({
      model: args.model,
      frames: flags.frames,
      video: flags.video,
      fps: flags.fps,
      stride: flags.stride,
      window: flags.window,
      stableFrames: flags.stable,
      threads: flags.threads,
      ffmpeg: flags.ffmpeg,
    });
    if (!this.jsonEnabled()) {
      for (const w of result.warnings) this.warn(w);
      this.log(
        `stride ${result.stride}, window ${result.smoothing.window}, stable ${result.smoothing.stableFrames}, ` +
          `${result.fps} fps (${PROTOCOL_SOURCE[result.protocolSource]})`,
      );
      for (const e of result.events)
        this.log(`${e.timeSeconds.toFixed(2).padStart(7)} s  frame ${String(e.frame).padStart(4)}  ${e.label}`);
      const { inference, perFrame, firstFrame } = result.latencyMs;
      this.log(
        `${result.frames} frames; inference p50 ${inference.p50.toFixed(2)} ms, p99 ${inference.p99.toFixed(2)} ms; ` +
          `per frame with decoding p50 ${perFrame.p50.toFixed(2)} ms, p99 ${perFrame.p99.toFixed(2)} ms (the first ` +
          `frame, with JIT warm-up: ${firstFrame.toFixed(1)} ms)`,
      );
    }
    return result;
  }
}
