// npm run bench:stream [-- MODEL.onnx] — an online model streamed over every mini Jester val clip with its declared
// protocol (tsm.streaming: stride, window, stable frames; what `tsm stream` uses without flags), and for comparison
// with every frame fed (stride 1, window 12, stable 2: stream's defaults before models declared a protocol):
// accuracy of the last reported gesture; and latency over every frame of
// every clip streamed back to back as one feed (~2,800 frames): per frame (read, decode, scale, normalise, infer)
// and inference alone, p50/p99, the first frame (JIT warm-up) apart. Target: per-frame p99 ≤ 5 ms at 224 px.
import './launch.mjs';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { JESTER_LABELS } from '../dist/index.js';
import { streamFrames } from '../dist/stream/stream.js';

const here = import.meta.dirname;
const root = join(here, '../fixtures/jester-mini');
const model =
  process.argv.slice(2).find((a) => !a.startsWith('--')) ??
  join(here, '../zoo/tsm-mobilenetv2-jester-online-mini/1.1.0/model.onnx');
const clips = readFileSync(join(root, 'val_videofolder.txt'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => l.split(' '));
// Latency first, in a fresh process: one continuous stream of every frame of every clip, back to back (a folder of
// links, in order), as a
// camera feed would run: one session, warmed up once.
const long = join(here, '.generated/long-stream');
rmSync(long, { recursive: true, force: true });
mkdirSync(long, { recursive: true });
let k = 0;
for (const [id] of clips) {
  const dir = join(root, '20bn-jester-v1', id);
  for (const f of readdirSync(dir).sort()) symlinkSync(join(dir, f), join(long, `${String(k++).padStart(6, '0')}.jpg`));
}
const perFrame = [];
const inference = [];
const r = await streamFrames({
  model,
  frames: long,
  fps: 12,
  stride: 1,
  window: 4,
  stableFrames: 1,
  onFrame: (f) => {
    perFrame.push(f.perFrameMs);
    inference.push(f.inferenceMs);
  },
});
async function lastGestureAccuracy(settings) {
  let correct = 0;
  let protocol;
  for (const [id, , label] of clips) {
    const r = await streamFrames({ model, frames: join(root, '20bn-jester-v1', id), ...settings });
    protocol = {
      stride: r.stride,
      window: r.smoothing.window,
      stableFrames: r.smoothing.stableFrames,
      source: r.protocolSource,
    };
    const last = r.events[r.events.length - 1];
    if (last && last.label === JESTER_LABELS[Number(label)]) correct++;
  }
  return { correct, accuracy: correct / clips.length, protocol };
}
const declared = await lastGestureAccuracy({});
const everyFrame = await lastGestureAccuracy({ stride: 1, window: 12, stableFrames: 2 });
const correct = declared.correct;
const result = {
  model,
  clips: clips.length,
  accuracyOfLastGesture: declared.accuracy,
  protocol: declared.protocol,
  everyFrame: { accuracyOfLastGesture: everyFrame.accuracy, protocol: everyFrame.protocol },
  latencyMs: { frames: r.frames, ...r.latencyMs },
};
if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  const l = result.latencyMs;
  const p = result.protocol;
  console.log(
    `${model}: last reported gesture right on ${correct}/${clips.length} clips ` +
      `(${(100 * result.accuracyOfLastGesture).toFixed(1)} %) with the protocol from ${p.source} (stride ` +
      `${p.stride}, window ${p.window}, stable ${p.stableFrames})`,
  );
  console.log(
    `  every frame fed (stride 1, window 12, stable 2): ` +
      `${(100 * result.everyFrame.accuracyOfLastGesture).toFixed(1)} %`,
  );
  console.log(
    `latency over ${l.frames} frames: per frame p50 ${l.perFrame.p50.toFixed(2)} ms, p99 ` +
      `${l.perFrame.p99.toFixed(2)} ms (target ≤ 5); inference p50 ${l.inference.p50.toFixed(2)} ms, p99 ` +
      `${l.inference.p99.toFixed(2)} ms; first frame ${l.firstFrame.toFixed(1)} ms`,
  );
}
