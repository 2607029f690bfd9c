// npm run bench:stream [-- MODEL.onnx] — an online model streamed over every mini Jester val clip (every 4th frame,
// the spacing of 8 segments over ~36 frames): accuracy of the last reported gesture, and per-frame latency.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { percentiles, streamFrames } from '../dist/stream/stream.js';
import { JESTER_LABELS } from '../dist/index.js';

const here = import.meta.dirname;
const root = join(here, '../fixtures/jester-mini');
const model = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? join(here, '../zoo/tsm-mobilenetv2-jester-online-mini/1.0.0/model.onnx');
const clips = readFileSync(join(root, 'val_videofolder.txt'), 'utf8').trim().split('\n').map((l) => l.split(' '));
let correct = 0;
const inference = [];
const perFrame = [];
for (const [id, , label] of clips) {
  const r = await streamFrames({ model, frames: join(root, '20bn-jester-v1', id), fps: 12, stride: 4, window: 4, stableFrames: 1 });
  const last = r.events[r.events.length - 1];
  if (last && last.label === JESTER_LABELS[Number(label)]) correct++;
  inference.push(r.latencyMs.inference.p50);
  perFrame.push(r.latencyMs.perFrame.p50);
}
const result = { model, clips: clips.length, accuracyOfLastGesture: correct / clips.length, inferenceMsP50OfClips: percentiles(inference), perFrameMsP50OfClips: percentiles(perFrame) };
if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
else console.log(`${model}: last reported gesture right on ${correct}/${clips.length} clips (${(100 * result.accuracyOfLastGesture).toFixed(1)} %); inference p50 ${result.inferenceMsP50OfClips.p50.toFixed(2)} ms (p99 over clips ${result.inferenceMsP50OfClips.p99.toFixed(2)}), per frame with decoding ${result.perFrameMsP50OfClips.p50.toFixed(2)} ms`);
