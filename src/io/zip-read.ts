/**
 * Reading zip archives (.npz files and checkpoints) defensively, browser-safe. Opening an archive
 * reads its central directory and local headers only, and refuses, before a byte is inflated:
 * offsets and sizes that fall outside the file, entries whose bytes overlap each other (one
 * stream shared by several entries: a zip bomb), names that are not plain relative paths (listing
 * the names found), more entries than the caller allows, and declared sizes beyond what deflate
 * can produce (at most 1032:1) or beyond `maxTotalBytes`. The caller can then look at each entry's
 * name, declared size and first bytes (a .npy header, say: `head`) before reading it in full.
 * Reading inflates into exactly the declared size: a stream that produces more is stopped as soon
 * as it does, one that produces less is refused, and the content's CRC-32 is checked.
 *
 * The central directory is the authority for names, sizes and CRCs (NumPy's np.savez writes
 * 0xFFFFFFFF sizes with a zip64 extra field into local headers; the central directory has the real
 * ones). Stored (0) and deflated (8) entries are read; encryption, other methods and multi-disk
 * archives are refused. Errors are InvalidArgumentErrors that start with `fileName`.
 */
import { Inflate, inflateSync } from 'fflate';
import { InvalidArgumentError } from '../errors.js';
import { crc32 } from './crc32.js';

/** Limits of {@link ZipArchive.open}. */
export interface ZipLimits {
  /** The most bytes all entries may hold together once decompressed (default 4 GiB - 1, a typed array's limit). */
  maxTotalBytes?: number;
  /** The most entries the archive may list (default 2^20; zip64 archives list more than 65,535). */
  maxEntries?: number;
}

/** An entry of an opened archive, as its central directory describes it (checked against the file). */
export interface ZipEntry {
  readonly name: string;
  /** Bytes once decompressed, as declared: a read produces exactly these or is refused. */
  readonly size: number;
  readonly compressedSize: number;
}

/** The most a deflate stream can expand: 258 bytes from one 2-bit code at best, about 1032:1. */
const DEFLATE_MAX_RATIO = 1032;
const DEFAULT_MAX_TOTAL_BYTES = 2 ** 32 - 1;
/**
 * Entries an archive may list unless its reader says otherwise. Each takes at least 46 bytes of the
 * file, so the file's size bounds the count too; this bounds the directory's objects (tens of MB).
 */
const DEFAULT_MAX_ENTRIES = 2 ** 20;
/**
 * How far a stream may run past the bytes wanted before it is stopped. Inflated in one go, a
 * stream runs on through at most MAX_OVERSHOOT bytes (writing none of them). Fed to the inflater a
 * step at a time, each step is no longer than what cannot expand beyond the bytes still wanted
 * plus as many again as wanted (at least 64 KiB, at most MAX_OVERSHOOT), even at deflate's best
 * ratio, and at most 1 MiB.
 */
const MIN_OVERSHOOT = 64 * 1024;
const MAX_OVERSHOOT = 8 * 1024 * 1024;
const MAX_INFLATE_STEP = 1024 * 1024;
/** Entries up to this size are read whole (size and CRC checked) when only their first bytes are wanted: as cheap, and simpler. */
const WHOLE_HEAD_BYTES = 64 * 1024;
/** How many names an error message lists before "and N more". */
const LISTED_NAMES = 12;

const EOCD_SIGNATURE = 0x06054b50;
const EOCD64_LOCATOR_SIGNATURE = 0x07064b50;
const EOCD64_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const ZIP64_EXTRA_ID = 0x0001;

/** One entry with what reading it needs. */
interface LocatedEntry extends ZipEntry {
  method: number;
  crc: number;
  localOffset: number;
  /** Where its compressed bytes start (after the local header, its name and extra field). */
  dataStart: number;
}

/** True when `bytes` starts like a zip archive (a local header or an empty archive's end record). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6);
}

/** Names as messages list them: quoted, control characters escaped, the first few and a count of the rest. */
export function listNames(names: readonly string[]): string {
  const shown = names.slice(0, LISTED_NAMES).map(quoteName).join(', ');
  return names.length > LISTED_NAMES ? `${shown} and ${names.length - LISTED_NAMES} more` : shown;
}

function quoteName(name: string): string {
  return `'${JSON.stringify(name).slice(1, -1)}'`;
}

/**
 * Whether `name` is a plain relative path: parts separated by '/', none empty, '.' or '..', no
 * backslash, drive letter, control character or undecodable byte (a trailing '/' marks a folder).
 */
function isPlainName(name: string): boolean {
  const path = name.endsWith('/') ? name.slice(0, -1) : name;
  if (path === '' || /[\\\u0000-\u001f\u007f\ufffd]/.test(path) || /^[A-Za-z]:/.test(path)) return false;
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** A zip archive opened for reading: its entries listed and checked, none inflated yet. */
export class ZipArchive {
  /** The file entries in central-directory order (folder entries, names ending in '/', left out). */
  readonly entries: readonly ZipEntry[];
  private readonly byName: Map<string, LocatedEntry>;

  private constructor(
    readonly fileName: string,
    private readonly bytes: Uint8Array,
    entries: LocatedEntry[],
  ) {
    this.entries = entries;
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  /** Reads and checks the central directory and local headers of `bytes` (see the module note). */
  static open(bytes: Uint8Array, fileName: string, limits: ZipLimits = {}): ZipArchive {
    const corrupt = (why: string): never => {
      throw new InvalidArgumentError(`${fileName}: corrupt or truncated zip: ${why}`);
    };
    const maxTotal = limits.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
    const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
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
    // 0xFFFF entries is a real count in a classic archive (Python writes one), and zip64's marker
    // when a zip64 locator precedes the end record.
    const zip64Locator = eocd >= 20 && view.getUint32(eocd - 20, true) === EOCD64_LOCATOR_SIGNATURE;
    if ((entryCount === 0xffff && zip64Locator) || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
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
    if (entryCount > maxEntries) throw new InvalidArgumentError(`${fileName}: the archive lists ${entryCount} entries, more than the ${maxEntries} such a file holds`);

    const entries: LocatedEntry[] = [];
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
      entries.push({ name, method, crc, compressedSize, size, localOffset, dataStart: 0 });
      at = next;
    }
    // A directory with more entries than its end record counts (a writer that counted modulo 65,536) would lose the rest silently.
    if (at !== cdOffset + cdSize) corrupt(`the central directory holds more than the ${entryCount} entries its end record counts (${cdOffset + cdSize - at} bytes left over)`);
    const unsafe = entries.find(({ name }) => !isPlainName(name));
    if (unsafe !== undefined) {
      throw new InvalidArgumentError(`${fileName}: entry ${quoteName(unsafe.name)} is not a plain relative name; the archive holds ${listNames(entries.map((e) => e.name))}`);
    }

    let total = 0;
    const seen = new Set<string>();
    for (const entry of entries) {
      const { name, method, compressedSize, size, localOffset } = entry;
      if (localOffset + LOCAL_SIZE > cdOffset || view.getUint32(localOffset, true) !== LOCAL_SIGNATURE) corrupt(`entry '${name}': no local header at offset ${localOffset}`);
      entry.dataStart = localOffset + LOCAL_SIZE + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
      if (entry.dataStart + compressedSize > cdOffset) corrupt(`entry '${name}': its ${compressedSize} bytes run past the end of the data (truncated?)`);
      if (method === 0 && size !== compressedSize) corrupt(`entry '${name}' is stored with ${compressedSize} bytes but declares ${size}`);
      if (method === 8 && size > compressedSize * DEFLATE_MAX_RATIO + 1024) corrupt(`entry '${name}' declares ${size} bytes, more than ${compressedSize} deflated bytes can hold`);
      total += size;
      if (total > maxTotal) corrupt(`the entries declare ${total} bytes or more, above the limit of ${maxTotal}`);
      if (seen.has(name)) corrupt(`entry '${name}' appears twice`);
      seen.add(name);
    }
    // Each entry's bytes (local header to the end of its data) must be its own.
    const byOffset = [...entries].sort((a, b) => a.localOffset - b.localOffset);
    for (let i = 1; i < byOffset.length; i++) {
      const [before, after] = [byOffset[i - 1], byOffset[i]];
      if (after.localOffset < before.dataStart + before.compressedSize) {
        corrupt(`entries '${before.name}' and '${after.name}' share bytes (from offset ${after.localOffset}): each entry must have its own`);
      }
    }
    return new ZipArchive(fileName, bytes, entries.filter((e) => !e.name.endsWith('/')));
  }

  /** The entry named `name`, or undefined. */
  get(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /**
   * The first `length` bytes of an entry (all of it when shorter), inflating no more than that:
   * for reading a header before deciding whether to read the rest. Not CRC-checked (that needs
   * the whole entry; `read` checks it), unless the entry is small enough to be read whole.
   */
  head(name: string, length: number): Uint8Array {
    const entry = this.located(name);
    if (entry.size <= WHOLE_HEAD_BYTES) return this.read(name).subarray(0, length);
    return this.inflate(entry, Math.min(length, entry.size), false).bytes;
  }

  /**
   * An entry's content: inflated into exactly its declared size (a stream that produces more is
   * stopped as soon as it does, and refused; so is one that produces less), CRC-checked.
   */
  read(name: string): Uint8Array {
    const entry = this.located(name);
    const { bytes, overflow } = this.inflate(entry, entry.size, true);
    if (overflow) this.corrupt(`entry '${name}' inflates to more than the ${entry.size} bytes the directory declares`);
    if (bytes.length !== entry.size) this.corrupt(`entry '${name}' inflates to ${bytes.length} bytes, the directory declares ${entry.size}`);
    const actual = crc32(bytes);
    if (actual !== entry.crc) this.corrupt(`entry '${name}' fails its CRC-32 check (stored ${hex(entry.crc)}, content ${hex(actual)})`);
    return bytes;
  }

  /** Throws `${fileName}: corrupt or truncated zip: ${why}`. */
  private corrupt(why: string): never {
    throw new InvalidArgumentError(`${this.fileName}: corrupt or truncated zip: ${why}`);
  }

  private located(name: string): LocatedEntry {
    const entry = this.byName.get(name);
    if (entry === undefined) throw new InvalidArgumentError(`${this.fileName}: no entry '${name}'`);
    return entry;
  }

  /**
   * The entry's first `limit` bytes (all of them when it has fewer), and whether its stream had
   * more to give, found out without producing much more (see MAX_OVERSHOOT). A stream
   * that cannot run on further than that even at deflate's best ratio is inflated in one go, when
   * the caller wants `all` of it (fflate's fastest way); any other is fed to the inflater a step
   * at a time, each step too short to expand past that, and stopped once it has given `limit`.
   */
  private inflate(entry: LocatedEntry, limit: number, all: boolean): { bytes: Uint8Array; overflow: boolean } {
    const raw = this.bytes.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
    // Uint8Array.prototype.slice copies also for a Node Buffer (whose own slice shares memory).
    if (entry.method === 0) return { bytes: Uint8Array.prototype.slice.call(raw, 0, limit), overflow: raw.length > limit };
    const overshoot = Math.min(MAX_OVERSHOOT, Math.max(MIN_OVERSHOOT, limit));
    try {
      if (all && raw.length * DEFLATE_MAX_RATIO <= limit + MAX_OVERSHOOT) {
        // fflate writes nothing past `out` (a stored block that would throws a RangeError), so one
        // byte more than wanted shows a stream that runs on.
        const out = new Uint8Array(limit + 1);
        let produced = limit + 1;
        try {
          produced = inflateSync(raw, { out }).length;
        } catch (error) {
          if (!(error instanceof RangeError)) throw error;
        }
        return { bytes: out.subarray(0, Math.min(produced, limit)), overflow: produced > limit };
      }
      const out = new Uint8Array(limit);
      let produced = 0;
      let overflow = false;
      const inflater = new Inflate((chunk) => {
        const room = limit - produced;
        if (chunk.length > room) overflow = true;
        out.set(chunk.length > room ? chunk.subarray(0, room) : chunk, produced);
        produced += Math.min(room, chunk.length);
      });
      for (let at = 0; at < raw.length && !overflow; ) {
        const end = Math.min(raw.length, at + Math.min(MAX_INFLATE_STEP, Math.floor((limit - produced + overshoot) / DEFLATE_MAX_RATIO)));
        inflater.push(raw.subarray(at, end), end === raw.length);
        at = end;
      }
      return { bytes: out.subarray(0, produced), overflow };
    } catch (error) {
      return this.corrupt(`entry '${entry.name}': bad deflate data (${(error as Error).message})`);
    }
  }
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/** UTF-8 names (zip's flag 11), which also reads the ASCII names every writer here uses; bytes that are not UTF-8 read as U+FFFD (and are refused). */
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
