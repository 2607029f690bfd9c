/**
 * bytes → Checkpoint: detects the weights format by content and hands the bytes to its reader — torch.save's zip
 * archive (zip-checkpoint.ts) or legacy stream (legacy.ts), or safetensors. Format facts: torch/serialization.py
 * (`_save`, `_legacy_save`).
 */
import { TsmError } from '../errors.js';
import { readInputBytes } from '../io.js';
import type { Checkpoint, CheckpointFormat } from './checkpoint.js';
import { looksLikeLegacy, readLegacyCheckpoint } from './legacy.js';
import { looksLikeSafetensors, readSafetensors } from './safetensors.js';
import { looksLikeTar, readTarEntries } from './tar.js';
import { DEFAULT_MAX_INFLATED_BYTES, looksLikeZip } from './zip.js';
import { readZipCheckpoint } from './zip-checkpoint.js';

export type { Checkpoint, CheckpointFormat, MetadataValue, Scalar } from './checkpoint.js';

export interface ReadOptions {
  /** name used in messages; defaults to the path */
  source?: string;
  /** cap on what a zip checkpoint's deflated entries may inflate to, all together (default 4 GiB) */
  maxInflatedBytes?: number;
  /** globals read as data outside the state dict (`--allow-global`, torch's add_safe_globals) */
  allowGlobals?: readonly string[];
}

export function readCheckpointFile(path: string, options: ReadOptions = {}): Checkpoint {
  return readCheckpoint(readInputBytes(path, 'checkpoint'), { ...options, source: options.source ?? path });
}

export function detectFormat(bytes: Uint8Array): CheckpointFormat | undefined {
  if (looksLikeZip(bytes)) return 'zip';
  if (looksLikeLegacy(bytes)) return 'legacy';
  if (looksLikeTar(bytes)) return 'tar';
  if (looksLikeSafetensors(bytes)) return 'safetensors';
  return undefined;
}

export function readCheckpoint(bytes: Uint8Array, options: ReadOptions = {}): Checkpoint {
  const source = options.source ?? '<buffer>';
  const format = detectFormat(bytes);
  switch (format) {
    case 'zip':
      return readZipCheckpoint(bytes, source, options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES, options);
    case 'legacy':
      return readLegacyCheckpoint(bytes, source, options);
    case 'tar':
      return readTar(bytes, source);
    case 'safetensors':
      return fromSafetensors(bytes, source);
    default:
      throw new TsmError(
        'input',
        'E_NOT_CHECKPOINT',
        `${source}: not a weights file (neither a torch zip archive, a legacy torch.save stream nor safetensors)`,
        {
          hint: 'expected a file written by torch.save (.pth, .pth.tar, .pt) or safetensors (.safetensors)',
          details: { file: source, head: Buffer.from(bytes.subarray(0, 8)).toString('hex') },
        },
      );
  }
}

/** A safetensors file as a bare state dict, `__metadata__` as the metadata. */
function fromSafetensors(bytes: Uint8Array, source: string): Checkpoint {
  const file = readSafetensors(bytes, source);
  const stateDict = new Map(file.tensors.map(({ name, tensor }) => [name, tensor] as const));
  if (!stateDict.size)
    throw new TsmError('unsupported', 'E_NO_STATE_DICT', `${source}: the safetensors file holds no tensors`, {
      details: { file: source },
    });
  return {
    file: source,
    format: 'safetensors',
    byteOrder: 'little',
    metadata: { ...file.metadata },
    stateDictKey: '',
    stateDict,
    otherEntries: [],
  };
}

function readTar(bytes: Uint8Array, source: string): Checkpoint {
  const entries = readTarEntries(bytes, source);
  throw new TsmError(
    'unsupported',
    'E_TAR_FORMAT',
    `${source}: the torch ≤ 0.1 tar format (${entries.map((e) => e.name).join(', ')}) is recognised but not read yet`,
    {
      hint: 'load and re-save it with a newer torch (torch.save) to get the zip format',
      details: { file: source },
    },
  );
}
