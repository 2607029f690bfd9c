#!/usr/bin/env node
// An app that classifies a video file (anything ffmpeg decodes; tsm brings ffmpeg with it) with a model from the zoo:
// the clip is sampled and preprocessed by the model's own protocol, and the top classes are printed.
//
//   node examples/classify-video.mjs VIDEO [--model tsm-mobilenetv2-jester-mini] [--zoo zoo.json]
import { predict } from 'tsm';

// onnxruntime-node 1.30 sends usage telemetry unless this is set before its first session (docs/commands.md, Environment)
process.env.ORT_DISABLE_TELEMETRY ??= '1';
const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const video = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (!video) {
  console.error('usage: node examples/classify-video.mjs VIDEO [--model ID] [--zoo zoo.json]');
  process.exit(2);
}
const result = await predict({
  model: flag('--model', 'tsm-mobilenetv2-jester-mini'),
  input: video,
  zoo: flag('--zoo', 'zoo.json'),
  top: 3,
});
console.log(
  JSON.stringify({
    model: result.model,
    video,
    frames: result.frames,
    sampled: result.sampled,
    top: result.top.map((p) => ({ label: p.label, score: Number(p.score.toFixed(4)) })),
  }),
);
