/**
 * Reading zip archives (.npz files and checkpoints) defensively, browser-safe: every offset and
 * size is checked against the file before it is used, every entry's CRC-32 is checked against its
 * content, and no more memory is allocated than the entries' declared sizes, each bounded by what
 * its compressed bytes could hold (deflate expands at most 1032:1) and by `maxTotalBytes`.
 *
 * The central directory is the authority for names, sizes and CRCs (NumPy's np.savez writes
 * 0xFFFFFFFF sizes with a zip64 extra field into local headers; the central directory has the real
 * ones). Stored (0) and deflated (8) entries are read; encryption, other methods and multi-disk
 * archives are refused. Errors are InvalidArgumentErrors that start with `fileName`.
 */
import { inflateSync } from 'fflate';
import { InvalidArgumentError } from '../errors.js';
import { crc32 } from './crc32.js';

/** Options of {@link readZipEntries}. */
export interface ZipReadOptions {
  /** The most bytes all entries may hold together once decompressed (default 4 GiB - 1, a typed array's limit). */
  maxTotalBytes?: number;
}

/** The most a deflate stream can expand: 258 bytes from one 2-bit code at best, about 1032:1. */
const DEFLATE_MAX_RATIO = 1032;
const DEFAULT_MAX_TOTAL_BYTES = 2 ** 32 - 1;

const EOCD_SIGNATURE = 0x06054b50;
const EOCD64_LOCATOR_SIGNATURE = 0x07064b50;
const EOCD64_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const ZIP64_EXTRA_ID = 0x0001;

/** One entry as the central directory describes it. */
interface CentralEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** True when `bytes` starts like a zip archive (a local header or an empty archive's end record). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6);
}

/**
 * The entries of a zip archive, in central-directory order, decompressed and CRC-checked.
 * Folder entries (names ending in '/') are left out.
 */
export function readZipEntries(bytes: Uint8Array, fileName: string, options: ZipReadOptions = {}): Map<string, Uint8Array> {
  const corrupt = (why: string): never => {
    throw new InvalidArgumentError(`${fileName}: corrupt or truncated zip: ${why}`);
  };
  const maxTotal = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndRecord(bytes, view);
  if (eocd < 0) corrupt(bytes.length < EOCD_SIZE ? `only ${bytes.length} bytes` : 'no end-of-central-directory record (truncated?)');
  const disk = view.getUint16(eocd + 4, true);
  const cdDisk = view.getUint16(eocd + 6, true);
  let entriesOnDisk: number = view.getUint16(eocd + 8, true);
  let entryCount: number = view.getUint16(eocd + 10, true);
  let cdSize: number = view.getUint32(eocd + 12, true);
  let cdOffset: number = view.getUint32(eocd + 16, true);
  let cdEnd = eocd;
  if (entryCount === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const z64 = readZip64End(bytes, view, eocd, corrupt);
    entriesOnDisk = z64.entriesOnDisk;
    entryCount = z64.entryCount;
    cdSize = z64.cdSize;
    cdOffset = z64.cdOffset;
    cdEnd = z64.recordOffset;
  }
  if (disk !== 0 || cdDisk !== 0 || entriesOnDisk !== entryCount) corrupt('multi-disk archives are not supported');
  if (cdOffset + cdSize > cdEnd) corrupt(`central directory (offset ${cdOffset}, ${cdSize} bytes) runs past its end record at ${cdEnd}`);
  if (entryCount * CENTRAL_SIZE > cdSize) corrupt(`${entryCount} entries cannot fit in a ${cdSize}-byte central directory`);

  const entries: CentralEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < entryCount; i++) {
    if (at + CENTRAL_SIZE > cdOffset + cdSize || view.getUint32(at, true) !== CENTRAL_SIGNATURE) corrupt(`central directory entry ${i} is damaged`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    let compressedSize: number = view.getUint32(at + 20, true);
    let size: number = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let localOffset: number = view.getUint32(at + 42, true);
    const next = at + CENTRAL_SIZE + nameLength + extraLength + commentLength;
    if (next > cdOffset + cdSize) corrupt(`central directory entry ${i} runs past the directory`);
    const name = decodeName(bytes.subarray(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLength));
    if (size === 0xffffffff || compressedSize === 0xffffffff || localOffset === 0xffffffff) {
      const wide = readZip64Extra(view, at + CENTRAL_SIZE + nameLength, extraLength, { size, compressedSize, localOffset });
      if (wide === null) corrupt(`entry '${name}' lacks its zip64 sizes`);
      ({ size, compressedSize, localOffset } = wide as { size: number; compressedSize: number; localOffset: number });
    }
    if (flags & 1) corrupt(`entry '${name}' is encrypted`);
    if (method !== 0 && method !== 8) corrupt(`entry '${name}' uses compression method ${method} (only stored and deflate are read)`);
    entries.push({ name, method, crc, compressedSize, size, localOffset });
    at = next;
  }

  const out = new Map<string, Uint8Array>();
  let total = 0;
  for (const entry of entries) {
    const { name, method, compressedSize, size, localOffset } = entry;
    if (localOffset + LOCAL_SIZE > cdOffset || view.getUint32(localOffset, true) !== LOCAL_SIGNATURE) corrupt(`entry '${name}': no local header at offset ${localOffset}`);
    const dataStart = localOffset + LOCAL_SIZE + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataStart + compressedSize > cdOffset) corrupt(`entry '${name}': its ${compressedSize} bytes run past the end of the data (truncated?)`);
    if (method === 0 && size !== compressedSize) corrupt(`entry '${name}' is stored with ${compressedSize} bytes but declares ${size}`);
    if (method === 8 && size > compressedSize * DEFLATE_MAX_RATIO + 1024) corrupt(`entry '${name}' declares ${size} bytes, more than ${compressedSize} deflated bytes can hold`);
    total += size;
    if (total > maxTotal) corrupt(`the entries declare ${total} bytes or more, above the limit of ${maxTotal}`);
    if (name.endsWith('/')) continue;
    if (out.has(name)) corrupt(`entry '${name}' appears twice`);
    const raw = bytes.subarray(dataStart, dataStart + compressedSize);
    let content: Uint8Array;
    if (method === 0) {
      content = new Uint8Array(raw); // a copy (Buffer.prototype.slice would share the memory)
    } else {
      content = new Uint8Array(size);
      let produced: Uint8Array;
      try {
        produced = inflateSync(raw, { out: content });
      } catch (error) {
        return corrupt(`entry '${name}': bad deflate data (${(error as Error).message})`);
      }
      if (produced.length !== size) corrupt(`entry '${name}' inflates to ${produced.length} bytes, its header says ${size}`);
    }
    const actual = crc32(content);
    if (actual !== entry.crc) {
      corrupt(`entry '${name}' fails its CRC-32 check (stored ${hex(entry.crc)}, content ${hex(actual)})`);
    }
    out.set(name, content);
  }
  return out;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/** UTF-8 names (zip's flag 11), which also reads the ASCII names every writer here uses. */
function decodeName(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

/** Offset of the end-of-central-directory record, searched backwards over the longest comment; -1 when absent. */
function findEndRecord(bytes: Uint8Array, view: DataView): number {
  const last = bytes.length - EOCD_SIZE;
  const first = Math.max(0, last - 0xffff);
  for (let i = last; i >= first; i--) {
    if (bytes[i] === 0x50 && view.getUint32(i, true) === EOCD_SIGNATURE && i + EOCD_SIZE + view.getUint16(i + 20, true) <= bytes.length) return i;
  }
  return -1;
}

/** A little-endian 64-bit field as a number, or null beyond 2^53. */
function uint64(view: DataView, at: number): number | null {
  const low = view.getUint32(at, true);
  const high = view.getUint32(at + 4, true);
  if (high >= 0x200000) return null;
  return high * 0x100000000 + low;
}

function readZip64End(bytes: Uint8Array, view: DataView, eocd: number, corrupt: (why: string) => never) {
  const locator = eocd - 20;
  if (locator < 0 || view.getUint32(locator, true) !== EOCD64_LOCATOR_SIGNATURE) corrupt('the end record points to a zip64 record that is missing');
  const recordOffset = uint64(view, locator + 8);
  if (recordOffset === null || recordOffset + 56 > locator || view.getUint32(recordOffset, true) !== EOCD64_SIGNATURE) corrupt('the zip64 end record is damaged');
  const at = recordOffset as number;
  const fields = [uint64(view, at + 24), uint64(view, at + 32), uint64(view, at + 40), uint64(view, at + 48)];
  if (fields.some((f) => f === null || f > bytes.length)) corrupt('the zip64 end record holds impossible sizes');
  const [entriesOnDisk, entryCount, cdSize, cdOffset] = fields as number[];
  return { entriesOnDisk, entryCount, cdSize, cdOffset, recordOffset: at };
}

/** The zip64 extra field's values for the 32-bit fields that are 0xFFFFFFFF (in the order the format fixes), or null. */
function readZip64Extra(
  view: DataView,
  start: number,
  length: number,
  narrow: { size: number; compressedSize: number; localOffset: number },
): { size: number; compressedSize: number; localOffset: number } | null {
  let at = start;
  const end = start + length;
  while (at + 4 <= end) {
    const id = view.getUint16(at, true);
    const dataLength = view.getUint16(at + 2, true);
    const dataEnd = at + 4 + dataLength;
    if (dataEnd > end) return null;
    if (id === ZIP64_EXTRA_ID) {
      let p = at + 4;
      const take = (value: number): number | null => {
        if (value !== 0xffffffff) return value;
        if (p + 8 > dataEnd) return null;
        const wide = uint64(view, p);
        p += 8;
        return wide;
      };
      const size = take(narrow.size);
      const compressedSize = take(narrow.compressedSize);
      const localOffset = take(narrow.localOffset);
      if (size === null || compressedSize === null || localOffset === null) return null;
      return { size, compressedSize, localOffset };
    }
    at = dataEnd;
  }
  return null;
}
