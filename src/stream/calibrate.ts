/**
 * Calibration of an online (streaming) export: clips of a video-folder dataset are streamed frame by frame through
 * the calibration graph with openOnlineModel (the shift buffers carried as `tsm stream` carries them), and every
 * activation point's range is observed on every frame.
 */
import { TsmError } from '../errors.js';
import { readClipSet } from '../frames/clip-set.js';
import { datasetClipFrames } from '../frames/source.js';
import { openOnlineModel } from '../inference/online.js';
import { topK } from '../inference/scores.js';
import { type ActivationRange, RangeObserver } from '../onnx/qdq.js';
import { streamClip } from './loop.js';

export interface OnlineCalibrationOptions {
  readonly root: string;
  readonly dataset?: string;
  readonly list?: string;
  readonly clips: number;
  /** feed every `stride`-th frame, as the model will be fed */
  readonly stride?: number;
  readonly threads?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export async function calibrateOnlineActivations(
  onnx: Uint8Array,
  points: readonly string[],
  options: OnlineCalibrationOptions,
): Promise<{ ranges: ActivationRange[]; clips: number; floatTop1: number; seconds: number }> {
  const started = performance.now();
  const { config, clips } = readClipSet(
    {
      model: '<calibration graph>',
      dataset: options.dataset ?? 'jester',
      root: options.root,
      list: options.list,
      maxNum: options.clips,
    },
    false,
    [],
  );
  const observer = new RangeObserver(points.length);
  const model = await openOnlineModel(onnx, {
    threads: options.threads ?? 2,
    onOutputs: (out) => {
      for (const [i, name] of points.entries()) observer.observe(i, out[name].data as Float32Array);
    },
  });
  let correct = 0;
  let streamed = 0;
  try {
    for (const clip of clips) {
      model.reset();
      const sum = new Float64Array(model.classes);
      // an unreadable frame is skipped: calibration only needs representative activations
      const feed = datasetClipFrames(options.root, config, clip.id, clip.frames);
      const { fed } = await streamClip(
        model,
        feed,
        { stride: options.stride ?? 1, unreadable: 'skip' },
        ({ logits }) => {
          for (let k = 0; k < sum.length; k++) sum[k] += logits[k];
        },
      );
      if (fed) {
        streamed++;
        if (topK(Array.from(sum), 1)[0] === clip.label) correct++;
      }
      options.onProgress?.(streamed, clips.length);
    }
  } finally {
    await model.close();
  }
  if (!streamed) throw new TsmError('input', 'E_NO_CLIPS', `no calibration clip could be read under ${options.root}`);
  return {
    ranges: observer.ranges(),
    clips: streamed,
    floatTop1: correct / streamed,
    seconds: (performance.now() - started) / 1000,
  };
}
