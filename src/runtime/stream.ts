/** `classifier.stream()`: frames pushed one at a time, every stride-th stepped, smoothed as `tsm stream` smooths. */
import {
  cropBoxes,
  type FrameRequest,
  type Normalization,
  scaleDecodedSource,
  writeNormalizedCrop,
} from '../frames/pixels.js';
import { softmax } from '../inference/scores.js';
import type { StreamingProtocol } from '../model/streaming.js';
import { GestureSmoother } from '../stream/smoother.js';
import { type FrameSupply, pixelsOf } from './frames.js';
import type { ClassifierStream, StreamEvent } from './types.js';

interface Stepper {
  step(frame: Float32Array): Promise<Float32Array>;
  reset(): void;
}

export interface StreamSetup {
  readonly request: FrameRequest;
  readonly norm: Normalization;
  readonly protocol: StreamingProtocol;
  readonly labels: readonly string[];
  readonly size: number;
}

export function openStream(env: FrameSupply, stepper: Stepper, setup: StreamSetup): ClassifierStream {
  const { protocol, size } = setup;
  const input = new Float32Array(3 * size * size);
  let smoother = new GestureSmoother(protocol);
  let recent: Float32Array[] = [];
  let pushed = 0;
  return {
    async push(frame) {
      const index = pushed++;
      if (index % protocol.stride !== 0) return undefined;
      const p = await pixelsOf(env, frame, index);
      const source = scaleDecodedSource(p.data, p.width, p.height, setup.request, p.channels);
      writeNormalizedCrop(source, cropBoxes(source.fullWidth, source.fullHeight, size, 1)[0], input, 0, setup.norm);
      const logits = await stepper.step(input);
      recent.push(logits);
      if (recent.length > protocol.window) recent.shift();
      const changed = smoother.push(logits);
      if (changed < 0) return undefined;
      const mean = Array.from(logits, (_, k) => recent.reduce((a, l) => a + l[k], 0) / recent.length);
      const event: StreamEvent = {
        frame: index,
        timeSeconds: index / protocol.fps,
        index: changed,
        label: setup.labels[changed] ?? `class_${changed}`,
        score: softmax(mean)[changed],
      };
      return event;
    },
    reset() {
      stepper.reset();
      smoother = new GestureSmoother(protocol);
      recent = [];
      pushed = 0;
    },
  };
}
