/**
 * Writing zip archives (.npz files and checkpoints), browser-safe. Entries are stored or deflated
 * (fflate), named in UTF-8, dated 1980-01-01 00:00 so that the same contents always give the same
 * bytes; archives that fit the classic format are byte for byte what fflate's zipSync writes.
 *
 * Zip64 (APPNOTE 6.3.x, 4.3.14-4.3.15 and 4.5.3), as Python's zipfile writes it and NumPy reads it:
 * when the entry count or the central directory's size or offset does not fit its end-record field,
 * that field holds 0xFFFF or 0xFFFFFFFF and a zip64 end record and its locator come before the end
 * record. An entry whose size or compressed size does not fit 32 bits holds 0xFFFFFFFF in both, in
 * both headers, with both 64-bit sizes in a zip64 extra field; one whose local header starts past
 * 32 bits holds 0xFFFFFFFF as its offset in the central directory, with the offset in the extra
 * field. Such entries say version 4.5 (zip64) where the others say 2.0.
 *
 * The archive is measured first and written into one allocation: nothing is built twice.
 */
import { deflateSync } from 'fflate';
import { InvalidArgumentError } from '../errors.js';
import { crc32 } from './crc32.js';

/** One file of an archive to write. */
export interface ZipWriteEntry {
  name: string;
  data: Uint8Array;
}

/** Options of {@link writeZip}. */
export interface ZipWriteOptions {
  /** Deflate level 1-9, or 0 (the default) to store entries as they are. */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
}

/**
 * From which value on the classic fields cannot be used: the entry count of the end record
 * (0xFFFF, which itself marks zip64, so 65,535 entries already take it), and every 32-bit size and
 * offset (0xFFFFFFFF). writeZip takes others so that tests can reach zip64 with small archives.
 */
export interface ZipLimits {
  entries: number;
  bytes: number;
}

/** The limits the format sets. */
export const ZIP_LIMITS: Readonly<ZipLimits> = { entries: 0xffff, bytes: 0xffffffff };

const LOCAL_SIGNATURE = 0x04034b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const EOCD_SIGNATURE = 0x06054b50;
const EOCD64_SIGNATURE = 0x06064b50;
const EOCD64_LOCATOR_SIGNATURE = 0x07064b50;
const LOCAL_SIZE = 30;
const CENTRAL_SIZE = 46;
const EOCD_SIZE = 22;
const EOCD64_SIZE = 56;
const EOCD64_LOCATOR_SIZE = 20;
const ZIP64_EXTRA_ID = 0x0001;
/** Version 2.0 (deflate) and 4.5 (zip64), "made by" MS-DOS (0), as fflate and Python write. */
const VERSION_CLASSIC = 20;
const VERSION_ZIP64 = 45;
const FLAG_UTF8 = 0x0800;
/** 1980-01-01 00:00:00 in MS-DOS date and time fields. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;
const NARROW = 0xffffffff;

/** One entry as laid out: its bytes and what its headers need. */
interface Placed {
  name: Uint8Array;
  utf8: boolean;
  method: 0 | 8;
  crc: number;
  size: number;
  stored: Uint8Array;
  offset: number;
  /** Sizes in the zip64 extra fields (local and central), 0xFFFFFFFF in the 32-bit fields. */
  wideSizes: boolean;
  /** The local header's offset in the central zip64 extra field, 0xFFFFFFFF in the 32-bit field. */
  wideOffset: boolean;
}

/**
 * Writes `entries`, in order, as a zip archive; zip64 where `limits` (the format's, unless a test
 * lowers them) say a count, size or offset does not fit. Names must be unique (not checked here)
 * and at most 65,535 bytes of UTF-8.
 */
export function writeZip(entries: readonly ZipWriteEntry[], options: ZipWriteOptions = {}, limits: Readonly<ZipLimits> = ZIP_LIMITS): Uint8Array {
  const level = options.level ?? 0;
  const encoder = new TextEncoder();
  const placed: Placed[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = encoder.encode(name);
    if (nameBytes.length > 0xffff) throw new InvalidArgumentError(`writeZip: entry name of ${nameBytes.length} bytes, more than a zip holds (65,535)`);
    const stored = level === 0 ? data : deflateSync(data, { level });
    const wideSizes = data.length >= limits.bytes || stored.length >= limits.bytes;
    placed.push({
      name: nameBytes,
      utf8: nameBytes.length !== name.length,
      method: level === 0 ? 0 : 8,
      crc: crc32(data),
      size: data.length,
      stored,
      offset,
      wideSizes,
      wideOffset: offset >= limits.bytes,
    });
    offset += LOCAL_SIZE + nameBytes.length + extraSize(wideSizes ? 2 : 0) + stored.length;
  }
  const cdOffset = offset;
  let cdSize = 0;
  for (const entry of placed) cdSize += CENTRAL_SIZE + entry.name.length + extraSize(zip64Values(entry, true).length);
  const zip64 = placed.length >= limits.entries || cdSize >= limits.bytes || cdOffset >= limits.bytes;

  const out = new Uint8Array(cdOffset + cdSize + (zip64 ? EOCD64_SIZE + EOCD64_LOCATOR_SIZE : 0) + EOCD_SIZE);
  const view = new DataView(out.buffer);
  for (const entry of placed) {
    const at = writeLocalHeader(out, view, entry);
    out.set(entry.stored, at);
  }
  let at = cdOffset;
  for (const entry of placed) at = writeCentralHeader(out, view, at, entry);
  if (zip64) {
    view.setUint32(at, EOCD64_SIGNATURE, true);
    setUint64(view, at + 4, EOCD64_SIZE - 12); // the record's size after this field
    view.setUint16(at + 12, VERSION_ZIP64, true);
    view.setUint16(at + 14, VERSION_ZIP64, true);
    // disk numbers (at + 16, at + 20) stay 0
    setUint64(view, at + 24, placed.length);
    setUint64(view, at + 32, placed.length);
    setUint64(view, at + 40, cdSize);
    setUint64(view, at + 48, cdOffset);
    const locator = at + EOCD64_SIZE;
    view.setUint32(locator, EOCD64_LOCATOR_SIGNATURE, true);
    setUint64(view, locator + 8, at); // the zip64 end record's offset, on disk 0 (locator + 4)
    view.setUint32(locator + 16, 1, true); // one disk in all
    at = locator + EOCD64_LOCATOR_SIZE;
  }
  const count = placed.length >= limits.entries ? 0xffff : placed.length;
  view.setUint32(at, EOCD_SIGNATURE, true);
  view.setUint16(at + 8, count, true);
  view.setUint16(at + 10, count, true);
  view.setUint32(at + 12, cdSize >= limits.bytes ? NARROW : cdSize, true);
  view.setUint32(at + 16, cdOffset >= limits.bytes ? NARROW : cdOffset, true);
  return out;
}

/** The length of a zip64 extra field holding `count` values (none: no field). */
function extraSize(count: number): number {
  return count === 0 ? 0 : 4 + 8 * count;
}

/** The fields local and central headers share, from "version needed" (at `at`) to the extra field's length. */
function writeCommonFields(view: DataView, at: number, entry: Placed, extraLength: number): void {
  view.setUint16(at, entry.wideSizes || entry.wideOffset ? VERSION_ZIP64 : VERSION_CLASSIC, true);
  view.setUint16(at + 2, entry.utf8 ? FLAG_UTF8 : 0, true);
  view.setUint16(at + 4, entry.method, true);
  view.setUint16(at + 6, DOS_TIME, true);
  view.setUint16(at + 8, DOS_DATE, true);
  view.setUint32(at + 10, entry.crc, true);
  view.setUint32(at + 14, entry.wideSizes ? NARROW : entry.stored.length, true);
  view.setUint32(at + 18, entry.wideSizes ? NARROW : entry.size, true);
  view.setUint16(at + 22, entry.name.length, true);
  view.setUint16(at + 24, extraLength, true);
}

/** Writes a zip64 extra field at `at` holding `values` (in the format's order); returns its end. */
function writeZip64Extra(view: DataView, at: number, values: readonly number[]): number {
  view.setUint16(at, ZIP64_EXTRA_ID, true);
  view.setUint16(at + 2, 8 * values.length, true);
  values.forEach((value, i) => setUint64(view, at + 4 + 8 * i, value));
  return at + 4 + 8 * values.length;
}

/** The zip64 extra field's values: both sizes (uncompressed first) where they are wide, then the offset where it is. */
function zip64Values(entry: Placed, withOffset: boolean): number[] {
  const values = entry.wideSizes ? [entry.size, entry.stored.length] : [];
  if (withOffset && entry.wideOffset) values.push(entry.offset);
  return values;
}

/** Writes an entry's local header; returns where its data goes. */
function writeLocalHeader(out: Uint8Array, view: DataView, entry: Placed): number {
  const at = entry.offset;
  const extra = zip64Values(entry, false);
  view.setUint32(at, LOCAL_SIGNATURE, true);
  writeCommonFields(view, at + 4, entry, extraSize(extra.length));
  out.set(entry.name, at + LOCAL_SIZE);
  const end = at + LOCAL_SIZE + entry.name.length;
  return extra.length > 0 ? writeZip64Extra(view, end, extra) : end;
}

/** Writes an entry's central directory header at `at`; returns where the next one goes. */
function writeCentralHeader(out: Uint8Array, view: DataView, at: number, entry: Placed): number {
  const extra = zip64Values(entry, true);
  view.setUint32(at, CENTRAL_SIGNATURE, true);
  view.setUint16(at + 4, entry.wideSizes || entry.wideOffset ? VERSION_ZIP64 : VERSION_CLASSIC, true); // made by
  writeCommonFields(view, at + 6, entry, extraSize(extra.length));
  // comment length, disk number, internal and external attributes (at + 32 to at + 41) stay 0
  view.setUint32(at + 42, entry.wideOffset ? NARROW : entry.offset, true);
  out.set(entry.name, at + CENTRAL_SIZE);
  const end = at + CENTRAL_SIZE + entry.name.length;
  return extra.length > 0 ? writeZip64Extra(view, end, extra) : end;
}

/** A little-endian 64-bit field from a safe integer. */
function setUint64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value % 0x100000000, true);
  view.setUint32(at + 4, Math.floor(value / 0x100000000), true);
}
