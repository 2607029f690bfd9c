#!/usr/bin/env node
// An app that consumes the zoo: picks the best published gesture model for a dataset from zoo.json with tsm's zoo
// client (`tsm/zoo`, which also runs in a browser), checks the artifact's size and sha256, and classifies one clip (a
// folder of frames) with onnxruntime-node, preprocessed as the entry says.
//
//   node examples/classify-clip.mjs [CLIP_DIR] [--zoo zoo.json] [--dataset jester-mini]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { clipTensor } from 'tsm';
import { checkArtifact, onnxArtifact, parseZooDocument, resolveModel } from 'tsm/zoo';

// onnxruntime-node 1.30 sends usage telemetry unless this is set before its first session (docs/commands.md, Environment)
process.env.ORT_DISABLE_TELEMETRY ??= '1';
const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const zooPath = flag('--zoo', 'zoo.json');
const clipDir = args[0] && !args[0].startsWith('--') ? args[0] : 'fixtures/jester-mini/20bn-jester-v1/100001';

const zoo = parseZooDocument(JSON.parse(readFileSync(zooPath, 'utf8')), zooPath);
const entry = resolveModel(zoo, {
  task: 'gesture-recognition',
  dataset: flag('--dataset', 'jester-mini'),
  kind: 'tsm',
});
const modelUrl = new URL(onnxArtifact(entry).path, pathToFileURL(zooPath));
const bytes = readFileSync(modelUrl);
await checkArtifact(entry, bytes, modelUrl.pathname); // throws E_CHECKSUM on a mismatch

const frames = readdirSync(clipDir)
  .filter((f) => f.endsWith('.jpg'))
  .sort()
  .map((f) => join(clipDir, f));
const p = entry.preprocessing;
const input = await clipTensor(frames, p);
const session = await ort.InferenceSession.create(bytes);
const { logits } = await session.run({
  [session.inputNames[0]]: new ort.Tensor('float32', input, [1, p.segments, 3, p.cropSize, p.cropSize]),
});
const scores = Array.from(logits.data);
const best = scores.indexOf(Math.max(...scores));
console.log(
  JSON.stringify({
    model: `${entry.id}@${entry.version}`,
    clip: clipDir,
    frames: frames.length,
    label: entry.labels[best],
    index: best,
  }),
);
