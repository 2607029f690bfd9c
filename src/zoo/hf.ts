/**
 * `tsm zoo export ID --format hf --out DIR`: a zoo entry as a folder one can push as a Hugging Face model repo —
 * README.md (front matter, then the model card), config.json, preprocessor_config.json, onnx/model.onnx, and
 * onnx/model_fp16.onnx / onnx/model_quantized.onnx when the zoo has the entry's fp16 / int8 sibling. Written into a
 * temp folder beside DIR and renamed into place; an existing non-empty DIR is refused.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { TsmError } from '../errors.js';
import { fetchModel, openZoo } from './cache.js';
import { renderModelCard } from './cards.js';
import { computeDtypeOf, findModels } from './client.js';
import { frontMatter, hfConfig, hfPreprocessorConfig, toYaml } from './hf-card.js';
import type { ZooEntry } from './types.js';

export interface HfExportOptions {
  /** the entry: `id` or `id@range` */
  readonly model: string;
  readonly out: string;
  readonly zoo: string;
  readonly cacheDir?: string;
}

export interface HfExportResult {
  readonly id: string;
  readonly version: string;
  readonly out: string;
  /** the files written, relative to `out` */
  readonly files: readonly string[];
}

/** The entry's reduced-precision siblings in the zoo: `<id>-fp16` / `<id>-int8` computing in float16 / int8. */
function siblings(zoo: Awaited<ReturnType<typeof openZoo>>, entry: ZooEntry) {
  const pick = (suffix: string, dtype: string) =>
    findModels(zoo, { id: `${entry.id}-${suffix}` }).find((m) => computeDtypeOf(m) === dtype);
  return [
    ['onnx/model_fp16.onnx', pick('fp16', 'float16')],
    ['onnx/model_quantized.onnx', pick('int8', 'int8')],
  ] as const;
}

function refuseNonEmpty(out: string): void {
  if (existsSync(out) && readdirSync(out).length) {
    throw new TsmError('conflict', 'E_OUT_NOT_EMPTY', `${out}: not empty; the export writes a new folder`, {
      hint: 'pass a new or empty --out folder',
      details: { file: out },
    });
  }
}

export async function exportHf(options: HfExportOptions): Promise<HfExportResult> {
  const out = resolve(options.out);
  refuseNonEmpty(out);
  const [id, range] = options.model.split('@');
  const fetch = (query: { id: string; version?: string }) =>
    fetchModel({ ...query, published: false }, { zoo: options.zoo, cacheDir: options.cacheDir });
  const main = await fetch({ id, version: range });
  const entry = main.entry;
  const models: Array<[string, string]> = [['onnx/model.onnx', main.path]];
  for (const [name, sibling] of siblings(await openZoo(options.zoo), entry)) {
    if (sibling) models.push([name, (await fetch({ id: sibling.id, version: sibling.version })).path]);
  }
  const temp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(join(temp, 'onnx'), { recursive: true });
  try {
    const files: Record<string, { bytes: number; sha256: string }> = {};
    for (const [name, path] of models) {
      copyFileSync(path, join(temp, name));
      const bytes = readFileSync(path);
      files[name] = { bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
    }
    const card = renderModelCard(entry, { artifactPath: 'onnx/model.onnx' });
    writeFileSync(join(temp, 'README.md'), `---\n${toYaml(frontMatter(entry))}---\n\n${card}`);
    writeFileSync(join(temp, 'config.json'), `${JSON.stringify(hfConfig(entry, files), null, 2)}\n`);
    writeFileSync(join(temp, 'preprocessor_config.json'), `${JSON.stringify(hfPreprocessorConfig(entry), null, 2)}\n`);
    refuseNonEmpty(out); // again: another process may have filled it meanwhile
    rmSync(out, { recursive: true, force: true }); // empty (or absent): rename needs it gone
    mkdirSync(dirname(out), { recursive: true });
    renameSync(temp, out);
    const written = ['README.md', 'config.json', 'preprocessor_config.json', ...models.map(([name]) => name)];
    return { id: entry.id, version: entry.version, out, files: written };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
