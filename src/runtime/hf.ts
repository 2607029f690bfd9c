/**
 * A Hugging Face export folder (tsm zoo export --format hf) as a model source: its config.json names the entry and
 * records each ONNX file's size and sha256, which are checked before use. Browser-safe.
 */
import { TsmError } from '../errors.js';
import { checkArtifact, readUrl } from '../zoo/client.js';
import type { ZooEntry } from '../zoo/types.js';
import type { ModelBytes } from './classifier.js';

interface HfTsmConfig {
  readonly tsm?: {
    readonly id: string;
    readonly version: string;
    readonly files: Record<string, { bytes: number; sha256: string }>;
  };
}

/** The folder's onnx/model.onnx, checked against its config.json; undefined when the folder has no tsm config.json. */
export async function readHfFolder(folder: URL): Promise<ModelBytes | undefined> {
  const configBytes = await readUrl(new URL('config.json', folder)).catch(() => undefined);
  if (!configBytes) return undefined;
  const config = JSON.parse(new TextDecoder().decode(configBytes)) as HfTsmConfig;
  const record = config.tsm?.files?.['onnx/model.onnx'];
  if (!config.tsm || !record) return undefined;
  const { id, version } = config.tsm;
  const url = new URL('onnx/model.onnx', folder);
  const bytes = await readUrl(url);
  if (!bytes)
    throw new TsmError('network', 'E_ARTIFACT_UNREACHABLE', `${id}@${version}'s artifact: ${url.href} not found`, {
      details: { id, version, url: url.href },
    });
  // the same size and sha256 checks as a zoo artifact's, against what config.json records
  const entry = { id, version, status: 'published', artifacts: [{ kind: 'onnx', ...record }] } as unknown as ZooEntry;
  await checkArtifact(entry, bytes, url.href);
  return { bytes, name: `${id}@${version}`, zoo: folder.href, artifact: url.href };
}
