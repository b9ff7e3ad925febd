/**
 * NumPy .npz archives (a zip of .npy files), browser-safe.
 *
 * `np.savez` stores entries uncompressed and `np.savez_compressed` deflates them; both read.
 * We write stored entries by default (like `np.savez`), deflated with `{ compress: true }`.
 */
import { formatShape, InvalidArgumentError } from '../errors.js';
import { npyHeaderBytes, readNpy, readNpyArrayHeader, writeNpy, type NdArray, type NpyArrayHeader } from './npy.js';
import { looksLikeZip, ZipArchive, type ZipLimits } from './zip-read.js';
import { writeZip, type ZipWriteEntry } from './zip-write.js';

/** One named array of an archive; the name is stored as `name + '.npy'`. */
export interface NpzEntry {
  name: string;
  array: NdArray;
}

/** Options for {@link writeNpz}. */
export interface NpzWriteOptions {
  /** Deflate entries like `np.savez_compressed` (default false: stored, like `np.savez`). */
  compress?: boolean;
}

/**
 * Writes arrays as a .npz archive. A plain list of arrays gets NumPy's positional names
 * `arr_0`, `arr_1`, ... exactly as `np.savez(file, *arrays)` would. 65,535 arrays or more, or
 * sizes or offsets past 4 GiB, make it a zip64 archive (zip-write.ts), which NumPy reads.
 */
export function writeNpz(
  arrays: readonly NdArray[] | readonly NpzEntry[] | Readonly<Record<string, NdArray>>,
  options: NpzWriteOptions = {},
): Uint8Array {
  const entries: NpzEntry[] = Array.isArray(arrays)
    ? (arrays as readonly (NdArray | NpzEntry)[]).map((a, i) =>
        'array' in a && 'name' in a ? a : { name: `arr_${i}`, array: a },
      )
    : Object.entries(arrays as Readonly<Record<string, NdArray>>).map(([name, array]) => ({ name, array }));
  const files: ZipWriteEntry[] = [];
  const names = new Set<string>();
  for (const { name, array } of entries) {
    if (name.length === 0) throw new InvalidArgumentError('writeNpz: empty entry name');
    const file = `${name}.npy`;
    if (names.has(file)) throw new InvalidArgumentError(`writeNpz: duplicate entry name '${name}'`);
    names.add(file);
    files.push({ name: file, data: writeNpy(array) });
  }
  // Dated 1980-01-01 (zip-write.ts) so that the same arrays always give the same bytes.
  return writeZip(files, { level: options.compress ? 6 : 0 });
}

/**
 * Opens a .npz archive without inflating anything (see ZipArchive.open); a file that is not a zip
 * is refused with what it looks like instead.
 */
export function openNpz(bytes: Uint8Array, fileName: string, limits: ZipLimits = {}): ZipArchive {
  if (!looksLikeZip(bytes)) {
    if (bytes.length >= 6 && bytes[0] === 0x93 && bytes[1] === 0x4e) {
      throw new InvalidArgumentError(`${fileName}: this is a single .npy file, not a .npz archive`);
    }
    throw new InvalidArgumentError(`${fileName}: not a zip archive (.npz files are zips of .npy files)`);
  }
  return ZipArchive.open(bytes, fileName, limits);
}

/**
 * The most bytes an entry's .npy header may take. NumPy reads at most 10,000 by default
 * (np.load's max_header_size); ours pass 64 KiB only for arrays of some 10,000 dimensions.
 */
const MAX_ENTRY_HEADER_BYTES = 1024 * 1024;

/**
 * The .npy header of an archive's entry, read from its first bytes alone (nothing more is
 * inflated), and checked: the entry's declared size must be exactly what the header's dtype and
 * shape imply, so that reading it can never produce more than the header says.
 */
export function npyEntryHeader(archive: ZipArchive, file: string): NpyArrayHeader {
  const what = `${archive.fileName}: entry '${file}'`;
  const size = archive.get(file)?.size ?? 0;
  // Headers are 128 bytes or so: one read mostly does; a longer one is read again in full.
  const first = archive.head(file, 1024);
  const length = npyHeaderBytes(first) ?? first.length;
  if (length > MAX_ENTRY_HEADER_BYTES) throw new InvalidArgumentError(`${what}: a .npy header of ${length} bytes, more than the ${MAX_ENTRY_HEADER_BYTES} read`);
  const header = readNpyArrayHeader(length <= first.length ? first : archive.head(file, length), what);
  const need = header.byteLength - header.dataOffset;
  const shape = `shape ${formatShape(header.shape)} of ${header.descr}`;
  if (size < header.byteLength) throw new InvalidArgumentError(`${what}: truncated data: ${shape} needs ${need} bytes, the entry holds ${size - header.dataOffset}`);
  if (size > header.byteLength) throw new InvalidArgumentError(`${what}: holds ${size - header.dataOffset} bytes of data, its header's ${shape} needs ${need}`);
  return header;
}

/**
 * An .npy entry's array: its header checked first (npyEntryHeader, unless `checked` is what it
 * returned), then its data inflated into exactly the declared size.
 */
export function readNpyEntry(archive: ZipArchive, file: string, checked?: NpyArrayHeader): NdArray {
  if (checked === undefined) npyEntryHeader(archive, file);
  return readNpy(archive.read(file), `${archive.fileName}: entry '${file}'`);
}

/**
 * Reads a .npz archive (stored or deflated) into a map from entry name (without `.npy`) to
 * array, in archive order. `fileName` appears in error messages. A corrupt archive (a flipped
 * bit, a truncation, an impossible size, overlapping entries) is refused with an
 * InvalidArgumentError, and every entry's header is checked before any entry's data is inflated.
 */
export function readNpz(bytes: Uint8Array, fileName = 'npz'): Map<string, NdArray> {
  const archive = openNpz(bytes, fileName);
  const files = archive.entries.map((entry) => entry.name);
  const headers = files.map((file) => npyEntryHeader(archive, file));
  return new Map(files.map((file, i) => [file.endsWith('.npy') ? file.slice(0, -4) : file, readNpyEntry(archive, file, headers[i])]));
}
