/** Recognises the torch ≤ 0.1 tar checkpoint (POSIX ustar with `sys_info`, `pickle`, `tensors`, `storages`). */
import { TsmError } from '../errors.js';

export interface TarEntry {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}

export function looksLikeTar(bytes: Uint8Array): boolean {
  return bytes.length >= 512 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar';
}

export function readTarEntries(bytes: Uint8Array, source: string): TarEntry[] {
  const entries: TarEntry[] = [];
  const text = new TextDecoder();
  for (let p = 0; p + 512 <= bytes.length; ) {
    const name = text.decode(bytes.subarray(p, p + 100)).replace(/\0.*$/s, '');
    if (!name) break;
    const size = parseInt(
      text
        .decode(bytes.subarray(p + 124, p + 136))
        .replace(/\0.*$/s, '')
        .trim() || '0',
      8,
    );
    if (!Number.isSafeInteger(size) || p + 512 + size > bytes.length) {
      throw new TsmError('input', 'E_TRUNCATED', `${source}: tar member '${name}' needs ${size} bytes at ${p + 512}`, {
        details: { file: source, offset: p },
      });
    }
    entries.push({ name, offset: p + 512, size });
    p += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}
