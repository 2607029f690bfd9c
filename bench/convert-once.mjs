// Converts one checkpoint in a fresh process; prints {seconds, peakRssBytes, bytes}.
import { convertCheckpoint } from '../dist/convert/convert.js';

const t0 = performance.now();
const r = convertCheckpoint({ input: process.argv[2], output: process.argv[3] });
console.log(
  JSON.stringify({
    seconds: (performance.now() - t0) / 1000,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    bytes: r.bytes,
    weightBytes: r.checkpointFloatBytes,
  }),
);
