/**
 * Minimal zip reader for torch's zip checkpoints (PKWARE APPNOTE 6.3: EOCD, zip64 EOCD, central directory).
 * torch writes stored (uncompressed) entries with data descriptors, so sizes come from the central directory and
 * entry data is returned as a view into the file's bytes: no copy, no inflate. Compressed entries (a checkpoint
 * re-zipped by another tool) are reported so the caller can fall back to jszip.
 */
import { TsmError } from '../errors.js';

export interface ZipEntry {
  readonly name: string;
  readonly method: number; // 0 stored, 8 deflate
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
  readonly dataOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export function readZipDirectory(bytes: Uint8Array, source: string): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (message: string, offset: number): never => {
    throw new TsmError('input', 'E_BAD_ZIP', `${source}: ${message} (byte ${offset})`, { details: { file: source, offset } });
  };
  // EOCD is 22 bytes plus a comment of up to 65535 bytes at the end.
  let eocd = -1;
  for (let p = bytes.length - 22; p >= Math.max(0, bytes.length - 22 - 0xffff); p--) {
    if (view.getUint32(p, true) === EOCD_SIG) { eocd = p; break; }
  }
  if (eocd < 0) {
    throw new TsmError('input', 'E_TRUNCATED', `${source}: zip end-of-central-directory record not found; the file is truncated or not a zip`, {
      details: { file: source, size: bytes.length },
    });
  }
  let count = view.getUint16(eocd + 10, true);
  let dirSize = view.getUint32(eocd + 12, true);
  let dirOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || dirOffset === 0xffffffff || dirSize === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== ZIP64_LOCATOR_SIG) bad('zip64 values without a zip64 locator', eocd);
    const z64 = Number(view.getBigUint64(locator + 8, true));
    if (z64 + 56 > bytes.length || view.getUint32(z64, true) !== ZIP64_EOCD_SIG) bad('zip64 end-of-central-directory record missing', z64);
    count = Number(view.getBigUint64(z64 + 32, true));
    dirSize = Number(view.getBigUint64(z64 + 40, true));
    dirOffset = Number(view.getBigUint64(z64 + 48, true));
  }
  if (dirOffset + dirSize > bytes.length) bad(`central directory (${dirSize} bytes at ${dirOffset}) runs past the end of the file (${bytes.length} bytes)`, dirOffset);

  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let p = dirOffset;
  const decoder = new TextDecoder('utf-8', { fatal: false });
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== CENTRAL_SIG) bad(`central directory entry ${i} has a bad signature`, p);
    const method = view.getUint16(p + 10, true);
    const crc32 = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localHeaderOffset = view.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen > bytes.length) bad(`central directory entry ${i} runs past the end of the file`, p);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // zip64 extended information extra field (0x0001): only the fields that were 0xffffffff are present.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        const take = () => { const v = Number(view.getBigUint64(q, true)); q += 8; return v; };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      e += 4 + len;
    }
    if (localHeaderOffset + 30 > bytes.length || view.getUint32(localHeaderOffset, true) !== LOCAL_SIG) {
      bad(`entry '${name}' points to a local header at ${localHeaderOffset} that is not there`, p);
    }
    const localNameLen = view.getUint16(localHeaderOffset + 26, true);
    const localExtraLen = view.getUint16(localHeaderOffset + 28, true);
    const dataOffset = localHeaderOffset + 30 + localNameLen + localExtraLen;
    if (dataOffset + compressedSize > bytes.length) {
      throw new TsmError('input', 'E_TRUNCATED', `${source}: entry '${name}' needs ${compressedSize} bytes at ${dataOffset} but the file ends at ${bytes.length}`, {
        details: { file: source, offset: dataOffset, entry: name },
      });
    }
    if (names.has(name)) bad(`duplicate zip entry '${name}'`, p);
    if (method === 0 && size !== compressedSize) bad(`stored entry '${name}' claims ${size} bytes but holds ${compressedSize}`, p);
    if (name.startsWith('/') || name.split(/[\\/]/).includes('..')) bad(`entry name '${name}' escapes the archive`, p);
    names.add(name);
    entries.push({ name, method, crc32, compressedSize, size, localHeaderOffset, dataOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}
