/**
 * tsm/runtime in Node: the browser API (index.ts) with onnxruntime-node, clips given by path (a video file, an
 * animated GIF/WebP or a folder of frames, decoded as `tsm predict` decodes them), and zoos and artifacts read from
 * files or fetched into the cache with size and sha256 checked.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decodeImage } from '../frames/decode.js';
import { openFrameSource } from '../frames/source.js';
import { fetchModel } from '../zoo/cache.js';
import '../zoo/client-node.js'; // file: URLs read from disk
import { locateZoo } from '../zoo/locate.js';
import { createClassifier, type RuntimeEnv } from './classifier.js';
import { readHfFolder } from './hf.js';
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

/** A folder holding a Hugging Face export (config.json, no zoo.json), as a folder URL. */
function hfFolderOf(zoo: string | URL | undefined): URL | undefined {
  if (zoo === undefined) return undefined;
  const path = zoo instanceof URL || /^file:/i.test(zoo) ? fileURLToPath(zoo) : /^https?:/i.test(zoo) ? '' : zoo;
  if (!path || !existsSync(join(path, 'config.json')) || existsSync(join(path, 'zoo.json'))) return undefined;
  return pathToFileURL(`${resolve(path)}/`);
}

export async function loadClassifier(options: LoadOptions): Promise<Classifier> {
  const hf = hfFolderOf(options.zoo);
  const fromHf = hf && (await readHfFolder(hf));
  if (fromHf) return createClassifier(NODE_ENV, fromHf, options);
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
