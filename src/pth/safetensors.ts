/**
 * safetensors → tensors: an 8-byte little-endian header length N, N bytes of JSON `{name: {dtype, shape,
 * data_offsets: [begin, end]}, "__metadata__": {str: str}}`, then the data buffer, which the offsets (relative to its
 * start) must tile exactly: no overlap, no gap, ending at the end of the file. Every bound is checked against the
 * file's length before anything is parsed or sliced; tensors are views of the file's bytes (no copy).
 */
import { TsmError } from '../errors.js';
import { DTYPES, type DType, SAFETENSORS_DTYPES } from './dtypes.js';
import { contiguousStrides, numelOf, type Tensor } from './tensor.js';

/** The format's own limit on the header (safetensors refuses larger ones). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsFile {
  /** tensors in the order of their data offsets, names as stored */
  readonly tensors: ReadonlyArray<{ readonly name: string; readonly tensor: Tensor }>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly headerBytes: number;
}

/**
 * A header that starts like a JSON object right after the 8-byte length. The length itself is not trusted here:
 * readSafetensors checks it against the file and names what is wrong. A header that is a JSON array breaks the
 * format (its header is an object) but is still a safetensors file gone wrong, so it is taken too when the length
 * fits the file and the array closes there: readSafetensors then names the header, not "not a weights file".
 */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 9) return false;
  if (bytes[8] === 0x7b) return true; // '{'
  if (bytes[8] !== 0x5b) return false; // '['
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared < 2n || declared > BigInt(bytes.length - 8)) return false;
  let last = 8 + Number(declared) - 1;
  while (last > 8 && bytes[last] === 0x20) last--; // the format pads headers with spaces
  return bytes[last] === 0x5d; // ']'
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export function readSafetensors(bytes: Uint8Array, source: string): SafetensorsFile {
  const { header, headerBytes } = readHeader(bytes, source);
  const buffer = bytes.subarray(8 + headerBytes);
  const metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') Object.assign(metadata, readMetadata(raw, source));
    else entries.push(readTensorEntry(name, raw, buffer.length, source));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkTiling(entries, buffer.length, source);
  return {
    headerBytes,
    metadata,
    tensors: entries.map((e) => {
      const numel = numelOf(e.shape);
      const storage = { key: e.name, dtype: e.dtype, numel, bytes: buffer.subarray(e.begin, e.end) };
      return {
        name: e.name,
        tensor: {
          dtype: e.dtype,
          shape: Object.freeze(e.shape),
          strides: Object.freeze(contiguousStrides(e.shape)),
          offset: 0,
          storage,
        },
      };
    }),
  };
}

function badHeader(source: string, message: string, details: Record<string, unknown> = {}): TsmError {
  return new TsmError('input', 'E_BAD_SAFETENSORS', `${source}: ${message}`, { details: { file: source, ...details } });
}

/** The length field checked against the format's limit and the file, then the header parsed as a JSON object. */
function readHeader(bytes: Uint8Array, source: string): { header: Record<string, unknown>; headerBytes: number } {
  if (bytes.length < 8)
    throw new TsmError(
      'input',
      'E_TRUNCATED',
      `${source}: truncated: ${bytes.length} bytes, shorter than the 8-byte header length`,
      { details: { file: source, size: bytes.length } },
    );
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES))
    throw badHeader(source, `header length ${declared} exceeds the format's limit of ${MAX_HEADER_BYTES} bytes`, {
      headerBytes: String(declared),
    });
  const n = Number(declared);
  if (8 + n > bytes.length) {
    throw new TsmError(
      'input',
      'E_TRUNCATED',
      `${source}: truncated: the header claims ${n} bytes but only ${bytes.length - 8} follow the length field`,
      { details: { file: source, headerBytes: n, size: bytes.length } },
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    throw badHeader(source, `header (bytes 8–${8 + n}) is not JSON: ${(err as Error).message}`);
  }
  if (Array.isArray(header))
    throw badHeader(
      source,
      `header is a JSON array, not an object (bytes 8–${8 + n}): safetensors maps each tensor name to ` +
        `{dtype, shape, data_offsets}`,
    );
  if (!header || typeof header !== 'object') throw badHeader(source, 'header is not a JSON object');
  return { header: header as Record<string, unknown>, headerBytes: n };
}

function readMetadata(raw: unknown, source: string): Record<string, string> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw badHeader(source, '__metadata__ is not an object of strings');
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw badHeader(source, `__metadata__.${k} is not a string`, { key: k });
    metadata[k] = v;
  }
  return metadata;
}

interface TensorEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: number[];
  /** byte range in the data buffer */
  readonly begin: number;
  readonly end: number;
}

/** One tensor's header entry: a dtype tsm reads, a shape, and data offsets inside the buffer that fit the shape. */
function readTensorEntry(name: string, raw: unknown, bufferBytes: number, source: string): TensorEntry {
  const bad = (message: string, details: Record<string, unknown> = {}) => badHeader(source, message, details);
  const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (!e || typeof e !== 'object') throw bad(`tensor '${name}': entry is not an object`, { key: name });
  if (typeof e.dtype !== 'string') throw bad(`tensor '${name}': dtype is not a string`, { key: name });
  const dtype = SAFETENSORS_DTYPES[e.dtype];
  if (!dtype) {
    throw new TsmError(
      'unsupported',
      'E_DTYPE_UNSUPPORTED',
      `${source}: tensor '${name}' has dtype ${e.dtype}, which tsm does not read`,
      {
        hint: `readable: ${Object.keys(SAFETENSORS_DTYPES).join(', ')}`,
        details: { file: source, key: name, dtype: e.dtype },
      },
    );
  }
  if (!Array.isArray(e.shape) || !e.shape.every(isCount))
    throw bad(`tensor '${name}': shape must be a list of non-negative integers`, { key: name });
  const offsets = e.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount))
    throw bad(`tensor '${name}': data_offsets must be [begin, end]`, { key: name });
  const [begin, end] = offsets as number[];
  if (begin > end || end > bufferBytes)
    throw bad(`tensor '${name}': data_offsets [${begin}, ${end}] lie outside the ${bufferBytes}-byte data buffer`, {
      key: name,
      begin,
      end,
      size: bufferBytes,
    });
  const shape = e.shape as number[];
  const need = numelOf(shape) * DTYPES[dtype].itemSize;
  if (need !== end - begin)
    throw bad(
      `tensor '${name}': ${e.dtype} [${shape.join(', ')}] needs ${need} bytes but data_offsets span ${end - begin}`,
      { key: name, expected: need, found: end - begin },
    );
  return { name, dtype, shape, begin, end };
}

/** Entries sorted by offset must tile the data buffer exactly: no overlap, no gap, nothing after the last. */
function checkTiling(sorted: readonly TensorEntry[], bufferBytes: number, source: string): void {
  let at = 0;
  for (const e of sorted) {
    if (e.begin < at)
      throw badHeader(
        source,
        `tensor '${e.name}' (bytes ${e.begin}–${e.end}) overlaps the tensor before it (ending at ${at})`,
        { key: e.name },
      );
    if (e.begin > at)
      throw badHeader(source, `bytes ${at}–${e.begin} of the data buffer belong to no tensor (before '${e.name}')`, {
        key: e.name,
      });
    at = e.end;
  }
  if (at !== bufferBytes)
    throw badHeader(source, `the tensors end at byte ${at} of the data buffer, which has ${bufferBytes}`, {
      size: bufferBytes,
    });
}
