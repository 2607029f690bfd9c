/**
 * Minimal zip reader for torch's zip checkpoints (PKWARE APPNOTE 6.3: EOCD, zip64 EOCD, central directory).
 * torch writes stored (uncompressed) entries with data descriptors, so sizes come from the central directory and a
 * stored entry's data is a view into the file's bytes: no copy. A checkpoint re-zipped by another tool has deflated
 * entries (method 8), which torch.load reads too: those are inflated through jszip (its pako-backed inflate worker,
 * driven synchronously), never past the size the central directory declares. Every entry's CRC-32 is checked.
 */
import { createRequire } from 'node:module';
import { crc32 } from 'node:zlib';
import { TsmError } from '../errors.js';

export interface ZipEntry {
  readonly name: string;
  readonly method: number; // 0 stored, 8 deflate
  /** general purpose bit flag (bit 0: encrypted) */
  readonly flags: number;
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
  return readCentralEntries(bytes, view, findCentralDirectory(view, bytes.length, source), source);
}

function badZip(source: string, message: string, offset: number): never {
  throw new TsmError('input', 'E_BAD_ZIP', `${source}: ${message} (byte ${offset})`, {
    details: { file: source, offset },
  });
}

interface CentralDirectory {
  readonly count: number;
  readonly size: number;
  readonly offset: number;
}

/** The end-of-central-directory record, and the zip64 one when a field of it overflows: where the directory is. */
function findCentralDirectory(view: DataView, length: number, source: string): CentralDirectory {
  // EOCD is 22 bytes plus a comment of up to 65535 bytes at the end.
  let eocd = -1;
  for (let p = length - 22; p >= Math.max(0, length - 22 - 0xffff); p--) {
    if (view.getUint32(p, true) === EOCD_SIG) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) {
    throw new TsmError(
      'input',
      'E_TRUNCATED',
      `${source}: zip end-of-central-directory record not found; the file is truncated or not a zip`,
      {
        details: { file: source, size: length },
      },
    );
  }
  let count = view.getUint16(eocd + 10, true);
  let size = view.getUint32(eocd + 12, true);
  let offset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || offset === 0xffffffff || size === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== ZIP64_LOCATOR_SIG)
      badZip(source, 'zip64 values without a zip64 locator', eocd);
    const z64 = Number(view.getBigUint64(locator + 8, true));
    if (z64 + 56 > length || view.getUint32(z64, true) !== ZIP64_EOCD_SIG)
      badZip(source, 'zip64 end-of-central-directory record missing', z64);
    count = Number(view.getBigUint64(z64 + 32, true));
    size = Number(view.getBigUint64(z64 + 40, true));
    offset = Number(view.getBigUint64(z64 + 48, true));
  }
  if (offset + size > length)
    badZip(
      source,
      `central directory (${size} bytes at ${offset}) runs past the end of the file (${length} bytes)`,
      offset,
    );
  return { count, size, offset };
}

/** The directory's entries in order; names must be unique and stay inside the archive. */
function readCentralEntries(bytes: Uint8Array, view: DataView, dir: CentralDirectory, source: string): ZipEntry[] {
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let p = dir.offset;
  const decoder = new TextDecoder('utf-8', { fatal: false });
  for (let i = 0; i < dir.count; i++) {
    const { entry, recordBytes } = readCentralEntry(bytes, view, p, i, source, decoder);
    const { name } = entry;
    if (names.has(name)) badZip(source, `duplicate zip entry '${name}'`, p);
    if (entry.method === 0 && entry.size !== entry.compressedSize)
      badZip(source, `stored entry '${name}' claims ${entry.size} bytes but holds ${entry.compressedSize}`, p);
    if (name.startsWith('/') || name.split(/[\\/]/).includes('..'))
      badZip(source, `entry name '${name}' escapes the archive`, p);
    names.add(name);
    entries.push(entry);
    p += recordBytes;
  }
  return entries;
}

/** Central directory entry `i` at byte `p`, checked against its local header and the file's length. */
function readCentralEntry(
  bytes: Uint8Array,
  view: DataView,
  p: number,
  i: number,
  source: string,
  decoder: TextDecoder,
): { entry: ZipEntry; recordBytes: number } {
  if (p + 46 > bytes.length || view.getUint32(p, true) !== CENTRAL_SIG)
    badZip(source, `central directory entry ${i} has a bad signature`, p);
  const flags = view.getUint16(p + 8, true);
  const method = view.getUint16(p + 10, true);
  const crc = view.getUint32(p + 16, true);
  const nameLen = view.getUint16(p + 28, true);
  const extraLen = view.getUint16(p + 30, true);
  const commentLen = view.getUint16(p + 32, true);
  if (p + 46 + nameLen + extraLen > bytes.length)
    badZip(source, `central directory entry ${i} runs past the end of the file`, p);
  const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen));
  const { size, compressedSize, localHeaderOffset } = withZip64Extra(view, p + 46 + nameLen, extraLen, {
    compressedSize: view.getUint32(p + 20, true),
    size: view.getUint32(p + 24, true),
    localHeaderOffset: view.getUint32(p + 42, true),
  });
  if (localHeaderOffset + 30 > bytes.length || view.getUint32(localHeaderOffset, true) !== LOCAL_SIG) {
    badZip(source, `entry '${name}' points to a local header at ${localHeaderOffset} that is not there`, p);
  }
  const localNameLen = view.getUint16(localHeaderOffset + 26, true);
  const localExtraLen = view.getUint16(localHeaderOffset + 28, true);
  const dataOffset = localHeaderOffset + 30 + localNameLen + localExtraLen;
  if (dataOffset + compressedSize > bytes.length) {
    throw new TsmError(
      'input',
      'E_TRUNCATED',
      `${source}: entry '${name}' needs ${compressedSize} bytes at ${dataOffset} but the file ends at ${bytes.length}`,
      {
        details: { file: source, offset: dataOffset, entry: name },
      },
    );
  }
  return {
    entry: { name, method, flags, crc32: crc, compressedSize, size, localHeaderOffset, dataOffset },
    recordBytes: 46 + nameLen + extraLen + commentLen,
  };
}

interface EntryExtent {
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

/**
 * The zip64 extended information extra field (0x0001) replaces the 32-bit fields that read 0xffffffff: only those
 * are present in it, in this order.
 */
function withZip64Extra(view: DataView, start: number, length: number, fields: EntryExtent): EntryExtent {
  let { size, compressedSize, localHeaderOffset } = fields;
  let e = start;
  const extraEnd = start + length;
  while (e + 4 <= extraEnd) {
    const id = view.getUint16(e, true);
    const len = view.getUint16(e + 2, true);
    if (id === 0x0001) {
      let q = e + 4;
      const take = () => {
        const v = Number(view.getBigUint64(q, true));
        q += 8;
        return v;
      };
      if (size === 0xffffffff) size = take();
      if (compressedSize === 0xffffffff) compressedSize = take();
      if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
    }
    e += 4 + len;
  }
  return { compressedSize, size, localHeaderOffset };
}

/** jszip's inflate worker (lib/flate.js): a pako Inflate whose output chunks arrive as `data` events, synchronously. */
interface InflateWorker {
  on(event: 'data', listener: (chunk: { data: Uint8Array }) => void): InflateWorker;
  processChunk(chunk: { data: Uint8Array; meta: object }): void;
  flush(): void;
  /** pako's state: its zlib message once a stream went wrong */
  readonly _pako?: { readonly msg?: string } | null;
}
const jszipFlate = createRequire(import.meta.url)('jszip/lib/flate.js') as { uncompressWorker(): InflateWorker };

/** Deflate's densest output: 258 bytes from 2 bits (so ≤ 1032:1), plus a little for block headers of tiny streams. */
const MAX_DEFLATE_RATIO = 1032;
const DEFLATE_SLACK = 1024;

/** How many inflated bytes one checkpoint read may still produce (a deflate bomb ends here as an input error). */
export interface InflateBudget {
  remaining: number;
  readonly limit: number;
}

/** Default cap on what one checkpoint's deflated entries may inflate to: ~20× the largest released TSM file. */
export const DEFAULT_MAX_INFLATED_BYTES = 4 * 1024 ** 3;

/**
 * An entry's bytes: a view into `bytes` when stored, inflated through jszip when deflated; either way CRC-checked.
 * Other methods (bzip2, LZMA, zstd…) and encrypted entries are refused by name: torch's reader (miniz) refuses them
 * too.
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, source: string, budget: InflateBudget): Uint8Array {
  const details = { file: source, entry: entry.name, offset: entry.dataOffset };
  if (entry.flags & 1) {
    throw new TsmError('unsupported', 'E_ZIP_ENCRYPTED', `${source}: zip entry '${entry.name}' is encrypted`, {
      hint: 'decrypt the archive (unzip it) and save it again with torch.save',
      details,
    });
  }
  let data: Uint8Array;
  if (entry.method === 0) {
    if (entry.size !== entry.compressedSize)
      throw new TsmError(
        'input',
        'E_BAD_ZIP',
        `${source}: stored entry '${entry.name}' has size ${entry.size} but ${entry.compressedSize} bytes of data`,
        { details },
      );
    data = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.size);
  } else if (entry.method === 8) {
    data = inflateEntry(bytes, entry, source, budget);
  } else {
    throw new TsmError(
      'unsupported',
      'E_ZIP_COMPRESSED',
      `${source}: entry '${entry.name}' is compressed with method ${entry.method}; tsm reads stored (0) and deflated ` +
        `(8) entries, as torch does`,
      {
        hint:
          're-save the checkpoint with torch.save, or unzip it and zip it again with `zip -0` ' +
          '(stored) or plain deflate',
        details: { ...details, method: entry.method },
      },
    );
  }
  // Like torch's own reader (miniz), trust no record whose CRC-32 disagrees: a flipped bit in a weight is caught here.
  const computed = crc32(data);
  if (computed !== entry.crc32) {
    throw new TsmError(
      'input',
      'E_CRC',
      `${source}: zip entry '${entry.name}' fails its CRC-32 check (stored ${entry.crc32.toString(16)}, computed ` +
        `${computed.toString(16)}); the file is corrupt`,
      { details },
    );
  }
  return data;
}

function inflateEntry(bytes: Uint8Array, entry: ZipEntry, source: string, budget: InflateBudget): Uint8Array {
  const details = { file: source, entry: entry.name, offset: entry.dataOffset };
  const bad = (message: string): never => {
    throw new TsmError(
      'input',
      'E_BAD_DEFLATE',
      `${source}: deflated entry '${entry.name}' (${entry.compressedSize} bytes at byte ` +
        `${entry.dataOffset}) ${message}`,
      { details: { ...details, compressedSize: entry.compressedSize, size: entry.size } },
    );
  };
  if (entry.size > MAX_DEFLATE_RATIO * entry.compressedSize + DEFLATE_SLACK)
    bad(`declares ${entry.size} bytes, more than deflate can make of it`);
  if (entry.size > budget.remaining) {
    throw new TsmError(
      'input',
      'E_INFLATE_LIMIT',
      `${source}: deflated entry '${entry.name}' declares ${entry.size} bytes, past the ${budget.limit}-byte limit ` +
        `on what one checkpoint may inflate to (${budget.limit - budget.remaining} used so far)`,
      {
        hint:
          'a real checkpoint this large: unzip it and save it again with torch.save (stored ' +
          'entries are read in place)',
        details: { ...details, size: entry.size, limit: budget.limit },
      },
    );
  }
  const out = new Uint8Array(entry.size);
  let written = 0;
  const worker = jszipFlate.uncompressWorker();
  worker.on('data', ({ data }) => {
    // a stream that inflates past its declared size is stopped here, one pako chunk (16 KiB) past at most
    if (written + data.length > out.length) bad(`inflates past the ${entry.size} bytes it declares`);
    out.set(data, written);
    written += data.length;
  });
  // a plain Uint8Array (not a Buffer), which jszip hands to pako without copying
  worker.processChunk({
    data: new Uint8Array(bytes.buffer, bytes.byteOffset + entry.dataOffset, entry.compressedSize),
    meta: {},
  });
  worker.flush();
  const reason = worker._pako?.msg;
  if (written !== entry.size)
    bad(
      `inflates to ${written} bytes, not the ` +
        `${entry.size} it declares${reason ? ` (${reason})` : ' (the stream ends early)'}`,
    );
  budget.remaining -= entry.size;
  return out;
}
