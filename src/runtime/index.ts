/**
 * tsm/runtime in a browser (and the API's types): a zoo model as a classifier, run by onnxruntime-web. The Node build
 * (node.ts, chosen by the package's `node` export condition) is the same API with files, videos and
 * onnxruntime-node. Nothing here imports a `node:` module, so a bundler takes it as it is.
 */
import { TsmError } from '../errors.js';
import type { DecodedPixels } from '../frames/pixels.js';
import { fetchArtifact, fetchZoo, type ModelQuery, readUrl, resolveModel } from '../zoo/client.js';
import { createClassifier, type RuntimeEnv } from './classifier.js';
import { readHfFolder } from './hf.js';
import type { Classifier, LoadOptions } from './types.js';

export type * from './types.js';
export type { ModelQuery };

/** A JPEG (or any image the browser decodes) through the browser's own decoder, as RGBA. */
async function decodeInBrowser(bytes: Uint8Array): Promise<DecodedPixels> {
  const g = globalThis as unknown as {
    createImageBitmap?: (b: Blob) => Promise<{ width: number; height: number; close(): void }>;
    OffscreenCanvas?: new (
      w: number,
      h: number,
    ) => {
      getContext(kind: '2d'): {
        drawImage(i: unknown, x: number, y: number): void;
        getImageData(...a: number[]): { data: Uint8ClampedArray };
      };
    };
  };
  if (!g.createImageBitmap || !g.OffscreenCanvas)
    throw new TsmError('unsupported', 'E_RUNTIME_INPUT', 'no image decoder here (createImageBitmap, OffscreenCanvas)');
  const bitmap = await g.createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  const { width, height } = bitmap;
  const context = new g.OffscreenCanvas(width, height).getContext('2d');
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { data: context.getImageData(0, 0, width, height).data, width, height, channels: 4 };
}

const BROWSER: RuntimeEnv = {
  ort: { name: 'onnxruntime-web', install: 'npm install onnxruntime-web', load: () => import('onnxruntime-web') },
  decodeImage: decodeInBrowser,
};

/** The package's own zoo.json, next to dist/ (a bundler that does not copy it needs `{ zoo: url }`). */
const PACKAGE_ZOO = new URL('../../zoo.json', import.meta.url);

/** The query the options name: an id (and version range), or a query object; published models unless said. */
export function queryOf(options: LoadOptions): ModelQuery {
  if (!options.id && !options.query)
    throw new TsmError('usage', 'E_USAGE', 'loadClassifier needs { id } or { query } naming a zoo model');
  return {
    ...options.query,
    ...(options.id ? { id: options.id } : {}),
    ...(options.version ? { version: options.version } : {}),
  };
}

/** A zoo location as a URL: a folder's zoo.json, relative to the page. */
export function zooUrlOf(zoo: string | URL | undefined, base: string | URL): URL {
  const url = new URL(zoo ?? PACKAGE_ZOO, base);
  if (!url.pathname.endsWith('.json')) url.pathname = `${url.pathname.replace(/\/?$/, '/')}zoo.json`;
  return url;
}

export async function loadClassifier(options: LoadOptions): Promise<Classifier> {
  const base = (globalThis as { location?: { href: string } }).location?.href ?? PACKAGE_ZOO;
  const zooUrl = zooUrlOf(options.zoo, base);
  // a folder without zoo.json may be a Hugging Face export (tsm zoo export --format hf)
  const given = options.zoo === undefined ? '' : String(options.zoo);
  if (given && !given.endsWith('.json')) {
    const hf = (await readUrl(zooUrl).catch(() => undefined)) ? undefined : await readHfFolder(new URL('./', zooUrl));
    if (hf) return createClassifier(BROWSER, hf, options);
  }
  const zoo = await fetchZoo(zooUrl);
  const entry = resolveModel(zoo, queryOf(options), zooUrl.href);
  const bytes = await fetchArtifact(entry, zooUrl);
  const name = `${entry.id}@${entry.version}`;
  return createClassifier(BROWSER, { bytes, name, entry, zoo: zooUrl.href }, options);
}
