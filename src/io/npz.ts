/**
 * NumPy .npz archives (a zip of .npy files), browser-safe.
 *
 * `np.savez` stores entries uncompressed and `np.savez_compressed` deflates them; both read.
 * We write stored entries by default (like `np.savez`), deflated with `{ compress: true }`.
 */
import { InvalidArgumentError } from '../errors.js';
import { readNpy, writeNpy, type NdArray } from './npy.js';
import { looksLikeZip, readZipEntries } from './zip-read.js';
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
 * Reads a .npz archive (stored or deflated) into a map from entry name (without `.npy`) to
 * array, in archive order. `fileName` appears in error messages. A corrupt archive (a flipped
 * bit, a truncation, an impossible size) is refused with an InvalidArgumentError.
 */
export function readNpz(bytes: Uint8Array, fileName = 'npz'): Map<string, NdArray> {
  if (!looksLikeZip(bytes)) {
    if (bytes.length >= 6 && bytes[0] === 0x93 && bytes[1] === 0x4e) {
      throw new InvalidArgumentError(`${fileName}: this is a single .npy file, not a .npz archive`);
    }
    throw new InvalidArgumentError(`${fileName}: not a zip archive (.npz files are zips of .npy files)`);
  }
  // Sizes, offsets and every entry's CRC-32 are checked as NumPy does (zip-read.ts).
  const files = readZipEntries(bytes, fileName);
  const out = new Map<string, NdArray>();
  for (const [file, content] of files) {
    const name = file.endsWith('.npy') ? file.slice(0, -4) : file;
    out.set(name, readNpy(content, `${fileName}: entry '${file}'`));
  }
  return out;
}
