#!/usr/bin/env node
// An app that consumes the zoo through tsm/runtime: picks the best published gesture model for a dataset, checks its
// artifact's size and sha256, and classifies one clip (a folder of frames or a video), preprocessed as the model says.
//
//   node examples/classify-clip.mjs [CLIP] [--zoo zoo.json] [--dataset jester-mini]
import { loadClassifier } from 'tsm/runtime';

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const clip = args[0] && !args[0].startsWith('--') ? args[0] : 'fixtures/jester-mini/20bn-jester-v1/100001';

const clf = await loadClassifier({
  zoo: flag('--zoo', undefined),
  query: { task: 'gesture-recognition', dataset: flag('--dataset', 'jester-mini'), kind: 'tsm' },
});
const { top } = await clf.classify(clip, { top: 1 });
console.log(JSON.stringify({ model: clf.name, clip, label: top[0].label, index: top[0].index, score: top[0].score }));
await clf.close();
