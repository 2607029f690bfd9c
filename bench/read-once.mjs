// Reads one checkpoint in a fresh process and prints {seconds, peakRssBytes, baselineRssBytes, tensors}.
import { readCheckpointFile } from '../dist/index.js';

const baseline = process.resourceUsage().maxRSS * 1024;
const t0 = performance.now();
const ckpt = readCheckpointFile(process.argv[2]);
const seconds = (performance.now() - t0) / 1000;
console.log(
  JSON.stringify({
    seconds,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    baselineRssBytes: baseline,
    tensors: ckpt.stateDict.size,
  }),
);
