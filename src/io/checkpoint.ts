/**
 * A full training checkpoint: named arrays plus a JSON metadata object in one zip, browser-safe.
 *
 * Layout: `checkpoint.json` holds `{ format, version, meta, arrays: [names] }`; each array is a
 * `.npy` entry under `arrays/<name>.npy`, so `np.load` can open the file too. Readers reject
 * other formats and other versions with a message that says which was found.
 */
import { InvalidArgumentError } from '../errors.js';
import { fromTypedArray, writeNpy, type NdArray, type NpyArrayHeader, type NpyData } from './npy.js';
import { npyEntryHeader, readNpyEntry } from './npz.js';
import { listNames, looksLikeZip, ZipArchive } from './zip-read.js';
import { writeZip, type ZipWriteEntry } from './zip-write.js';

/** The format tag written into every checkpoint. */
export const CHECKPOINT_FORMAT = 'webgpu-rl-engine-checkpoint';
/** The version this code writes and the only one it reads. */
export const CHECKPOINT_VERSION = 1;

/** JSON-compatible metadata (numbers, strings, booleans, null, arrays and objects of them). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What a checkpoint holds. Bare typed arrays are stored 1-D with their natural dtype. */
export interface Checkpoint<M extends JsonValue = JsonValue> {
  arrays: Record<string, NdArray | NpyData>;
  meta: M;
}

/** A decoded checkpoint: every array as an NdArray. */
export interface DecodedCheckpoint<M extends JsonValue = JsonValue> {
  arrays: Map<string, NdArray>;
  meta: M;
}

/** The entry that holds the metadata (and marks a zip as a checkpoint). */
export const CHECKPOINT_META_ENTRY = 'checkpoint.json';
/**
 * The most bytes checkpoint.json may declare; it is read before anything else. It holds counters,
 * generator states, each env's open episode (fewer actions than the env's step limit) and a front
 * end's own record: the CLI's metrics rows, about 115 bytes per episode as written. A preset's
 * whole run (120,000 steps, 8-step episodes at the shortest) writes at most 1.7 MB; 16 MiB is some
 * 140,000 episodes, and parsing that much JSON takes well under a second.
 */
export const MAX_CHECKPOINT_META_BYTES = 16 * 1024 * 1024;
const NAME = /^[A-Za-z0-9_.\-/]+$/;

/** Options for {@link encodeCheckpoint}. */
export interface CheckpointWriteOptions {
  /** Deflate entries (default true: replay buffers compress well). */
  compress?: boolean;
}

/**
 * Encodes a checkpoint. Array names may hold letters, digits, `_ . - /`. Non-finite numbers in
 * `meta` are rejected (JSON would silently turn them into null).
 */
export function encodeCheckpoint(checkpoint: Checkpoint, options: CheckpointWriteOptions = {}): Uint8Array {
  const files: ZipWriteEntry[] = [];
  const names = Object.keys(checkpoint.arrays);
  for (const name of names) {
    if (!NAME.test(name) || name.includes('..')) {
      throw new InvalidArgumentError(`encodeCheckpoint: bad array name '${name}' (letters, digits, _ . - / only)`);
    }
    const value = checkpoint.arrays[name];
    const array = ArrayBuffer.isView(value) ? fromTypedArray(value) : value;
    files.push({ name: arrayEntry(name), data: writeNpy(array) });
  }
  checkFinite(checkpoint.meta, 'meta');
  const header = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, meta: checkpoint.meta, arrays: names };
  files.push({ name: CHECKPOINT_META_ENTRY, data: new TextEncoder().encode(JSON.stringify(header, null, 1)) });
  return writeZip(files, { level: options.compress === false ? 0 : 6 });
}

function checkFinite(value: JsonValue, path: string): void {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new InvalidArgumentError(`encodeCheckpoint: ${path} is ${value}, which JSON cannot hold`);
  }
  if (Array.isArray(value)) value.forEach((v, i) => checkFinite(v, `${path}[${i}]`));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) checkFinite(v, `${path}.${k}`);
  }
}

/**
 * What a reader expects of a checkpoint's arrays, decided from its metadata: called with the
 * metadata (format and version checked) and the array names it lists, before any array is read;
 * it returns the check each array's .npy header (dtype, shape) must pass before that array's data
 * is inflated. Both throw to refuse the file.
 */
export type CheckpointExpectations<M extends JsonValue = JsonValue> = (meta: M, names: readonly string[]) => (name: string, header: NpyArrayHeader) => void;

/** A checkpoint whose metadata is read and whose entries are listed, no array inflated yet (openCheckpoint). */
export interface OpenedCheckpoint {
  fileName: string;
  /** The metadata as parsed (a reader checks it before trusting any field). */
  meta: unknown;
  /** The arrays checkpoint.json lists, each with its entry present. */
  names: readonly string[];
  archive: ZipArchive;
}

/**
 * Opens a checkpoint: its format tag and version, its metadata (bounded by
 * MAX_CHECKPOINT_META_BYTES) and the arrays it lists, which must be exactly its other entries.
 * Nothing else is inflated, so a reader can decide from the metadata (its kind: which algorithm
 * wrote it) how to check and read the rest (readCheckpointArrays). `fileName` appears in errors.
 */
export function openCheckpoint(bytes: Uint8Array, fileName = 'checkpoint'): OpenedCheckpoint {
  if (!looksLikeZip(bytes)) {
    throw new InvalidArgumentError(`${fileName}: not a checkpoint (not a zip archive)`);
  }
  // Sizes, offsets, names, overlaps (zip-read.ts); CRC-32s as each entry is read.
  const archive = ZipArchive.open(bytes, fileName);
  const metaEntry = archive.get(CHECKPOINT_META_ENTRY);
  if (!metaEntry) throw new InvalidArgumentError(`${fileName}: not a checkpoint (no ${CHECKPOINT_META_ENTRY}; a weights .npz?)`);
  if (metaEntry.size > MAX_CHECKPOINT_META_BYTES) {
    throw new InvalidArgumentError(`${fileName}: ${CHECKPOINT_META_ENTRY} declares ${metaEntry.size} bytes, more than the ${MAX_CHECKPOINT_META_BYTES} a checkpoint's metadata may hold`);
  }
  const metaBytes = archive.read(CHECKPOINT_META_ENTRY);
  let header: { format?: unknown; version?: unknown; meta?: unknown; arrays?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(metaBytes)) as typeof header;
  } catch (error) {
    throw new InvalidArgumentError(`${fileName}: ${CHECKPOINT_META_ENTRY} is not valid JSON: ${(error as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new InvalidArgumentError(`${fileName}: ${CHECKPOINT_META_ENTRY} holds ${header === null ? 'null' : typeof header}, not an object`);
  }
  if (header.format !== CHECKPOINT_FORMAT) {
    throw new InvalidArgumentError(`${fileName}: format '${String(header.format)}', expected '${CHECKPOINT_FORMAT}'`);
  }
  if (header.version !== CHECKPOINT_VERSION) {
    throw new InvalidArgumentError(
      `${fileName}: checkpoint version ${String(header.version)}, this build reads version ${CHECKPOINT_VERSION}`,
    );
  }
  const listed: unknown[] = Array.isArray(header.arrays) ? header.arrays : [];
  const names = new Set<string>();
  for (const name of listed) {
    if (typeof name !== 'string' || names.has(name)) throw new InvalidArgumentError(`${fileName}: ${CHECKPOINT_META_ENTRY} lists a bad array name ${JSON.stringify(name)}`);
    names.add(name);
  }
  for (const name of names) if (!archive.get(arrayEntry(name))) throw new InvalidArgumentError(`${fileName}: missing entry '${arrayEntry(name)}'`);
  const wanted = new Set([CHECKPOINT_META_ENTRY, ...[...names].map(arrayEntry)]);
  const extra = archive.entries.map((e) => e.name).filter((name) => !wanted.has(name));
  if (extra.length > 0) throw new InvalidArgumentError(`${fileName}: holds entries ${CHECKPOINT_META_ENTRY} does not list: ${listNames(extra)}`);
  return { fileName, meta: header.meta, names: [...names], archive };
}

/** The zip entry of a checkpoint array. */
function arrayEntry(name: string): string {
  return `arrays/${name}.npy`;
}

/**
 * Reads an opened checkpoint's arrays: every array's .npy header is checked (by `expect`, given
 * the metadata and the names) before any array's data is inflated.
 */
export function readCheckpointArrays<M extends JsonValue = JsonValue>(opened: OpenedCheckpoint, expect?: CheckpointExpectations<M>): DecodedCheckpoint<M> {
  const { archive, names } = opened;
  const check = expect?.(opened.meta as M, names);
  const headers = new Map<string, NpyArrayHeader>();
  for (const name of names) {
    const npy = npyEntryHeader(archive, arrayEntry(name));
    check?.(name, npy);
    headers.set(name, npy);
  }
  const arrays = new Map([...headers].map(([name, npy]) => [name, readNpyEntry(archive, arrayEntry(name), npy)]));
  return { arrays, meta: opened.meta as M };
}

/**
 * Decodes a checkpoint (openCheckpoint, then readCheckpointArrays): nothing but checkpoint.json is
 * inflated before every entry's name and .npy header have been checked: the entries must be
 * exactly the arrays the metadata lists, each of the size its header implies, and each header
 * must pass `expect`.
 */
export function decodeCheckpoint<M extends JsonValue = JsonValue>(bytes: Uint8Array, fileName = 'checkpoint', expect?: CheckpointExpectations<M>): DecodedCheckpoint<M> {
  return readCheckpointArrays(openCheckpoint(bytes, fileName), expect);
}
