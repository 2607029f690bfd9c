/**
 * Calibration of an online (streaming) export: clips of a video-folder dataset are streamed frame by frame through
 * the calibration graph with openOnlineModel (the shift buffers carried as `tsm stream` carries them), and every
 * activation point's range is observed on every frame.
 */
import { join } from 'node:path';
import { TsmError } from '../errors.js';
import { RangeObserver, type ActivationRange } from '../onnx/qdq.js';
import { DATASETS, framePath, readCategories, readClipList } from '../data/dataset.js';
import { topK } from '../verify/metrics.js';
import { cropBoxes, loadScaledFrame, writeNormalizedCrop } from '../frames/transforms.js';
import { openOnlineModel } from '../inference/online.js';

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

export async function calibrateOnlineActivations(onnx: Uint8Array, points: readonly string[], options: OnlineCalibrationOptions): Promise<{ ranges: ActivationRange[]; clips: number; floatTop1: number; seconds: number }> {
  const started = performance.now();
  const config = DATASETS[options.dataset ?? 'jester'];
  if (!config) throw new TsmError('usage', 'E_UNKNOWN_DATASET', `unknown dataset '${options.dataset}'`, { hint: `known: ${Object.keys(DATASETS).join(', ')}` });
  const categories = readCategories(join(options.root, config.categories));
  const clips = readClipList(options.list ?? join(options.root, config.list), categories.length).clips.slice(0, options.clips);
  const observer = new RangeObserver(points.length);
  const model = await openOnlineModel(onnx, {
    threads: options.threads ?? 2,
    onOutputs: (out) => points.forEach((name, i) => observer.observe(i, out[name].data as Float32Array)),
  });
  const S = model.size;
  const input = new Float32Array(3 * S * S);
  const stride = options.stride ?? 1;
  let correct = 0;
  let streamed = 0;
  try {
    for (const clip of clips) {
      model.reset();
      const sum = new Float64Array(model.classes);
      let frames = 0;
      for (let index = 1; index <= clip.frames; index += stride) {
        let frame;
        try {
          frame = await loadScaledFrame(framePath(options.root, config, clip.id, index), { scale: model.scale.scaleShortSide, cropSize: S, crops: 1 });
        } catch {
          continue; // an unreadable frame is skipped: calibration only needs representative activations
        }
        writeNormalizedCrop(frame, cropBoxes(frame.fullWidth, frame.fullHeight, S, 1)[0], input, 0);
        const logits = await model.step(input);
        for (let k = 0; k < sum.length; k++) sum[k] += logits[k];
        frames++;
      }
      if (frames) {
        streamed++;
        if (topK(Array.from(sum), 1)[0] === clip.label) correct++;
      }
      options.onProgress?.(streamed, clips.length);
    }
  } finally {
    await model.close();
  }
  if (!streamed) throw new TsmError('input', 'E_NO_CLIPS', `no calibration clip could be read under ${options.root}`);
  return { ranges: observer.ranges(), clips: streamed, floatTop1: correct / streamed, seconds: (performance.now() - started) / 1000 };
}
