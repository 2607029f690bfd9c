/**
 * tsm/runtime in Node: the browser API (index.ts) with onnxruntime-node, clips given by path (a video file, an
 * animated GIF/WebP or a folder of frames, decoded as `tsm predict` decodes them), and zoos and artifacts read from
 * files or fetched into the cache with size and sha256 checked.
 */
import { readFileSync } from 'node:fs';
import { decodeImage } from '../frames/decode.js';
import { openFrameSource } from '../frames/source.js';
import { fetchModel } from '../zoo/cache.js';
import { locateZoo } from '../zoo/locate.js';
import { createClassifier, type RuntimeEnv } from './classifier.js';
import { queryOf } from './index.js';
import type { Classifier, LoadOptions } from './types.js';

export { queryOf, zooUrlOf } from './index.js';
export type * from './types.js';

// onnxruntime-node 1.30 sends usage telemetry unless this is set before its first session (docs/commands.md)
process.env.ORT_DISABLE_TELEMETRY ??= '1';

export const NODE_ENV: RuntimeEnv = {
  ort: {
    name: 'onnxruntime-node',
    install: 'npm install --ignore-scripts onnxruntime-node (skips its CUDA download)',
    load: () => import('onnxruntime-node'),
  },
  decodeImage,
  openPath: (path) => openFrameSource(path),
};

export async function loadClassifier(options: LoadOptions): Promise<Classifier> {
  const zoo = locateZoo(options.zoo === undefined ? undefined : String(options.zoo));
  const fetched = await fetchModel(queryOf(options), { zoo: zoo.location, cacheDir: options.cache });
  const { entry } = fetched;
  return createClassifier(
    NODE_ENV,
    {
      bytes: readFileSync(fetched.path),
      name: `${entry.id}@${entry.version}`,
      entry,
      zoo: zoo.location,
      artifact: fetched.path,
    },
    options,
  );
}
