/**
 * A full training checkpoint: named arrays plus a JSON metadata object in one zip, browser-safe.
 *
 * Layout: `checkpoint.json` holds `{ format, version, meta, arrays: [names] }`; each array is a
 * `.npy` entry under `arrays/<name>.npy`, so `np.load` can open the file too. Readers reject
 * other formats and other versions with a message that says which was found.
 */
import { InvalidArgumentError } from '../errors.js';
import { fromTypedArray, readNpy, writeNpy, type NdArray, type NpyData } from './npy.js';
import { looksLikeZip, readZipEntries } from './zip-read.js';
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

const META_ENTRY = 'checkpoint.json';
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
    files.push({ name: `arrays/${name}.npy`, data: writeNpy(array) });
  }
  checkFinite(checkpoint.meta, 'meta');
  const header = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, meta: checkpoint.meta, arrays: names };
  files.push({ name: META_ENTRY, data: new TextEncoder().encode(JSON.stringify(header, null, 1)) });
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

/** Decodes a checkpoint, checking its format tag and version. `fileName` appears in errors. */
export function decodeCheckpoint<M extends JsonValue = JsonValue>(bytes: Uint8Array, fileName = 'checkpoint'): DecodedCheckpoint<M> {
  if (!looksLikeZip(bytes)) {
    throw new InvalidArgumentError(`${fileName}: not a checkpoint (not a zip archive)`);
  }
  // Sizes, offsets and every entry's CRC-32 are checked (zip-read.ts).
  const files = readZipEntries(bytes, fileName);
  const metaBytes = files.get(META_ENTRY);
  if (!metaBytes) throw new InvalidArgumentError(`${fileName}: not a checkpoint (no ${META_ENTRY}; a weights .npz?)`);
  let header: { format?: unknown; version?: unknown; meta?: unknown; arrays?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(metaBytes)) as typeof header;
  } catch (error) {
    throw new InvalidArgumentError(`${fileName}: ${META_ENTRY} is not valid JSON: ${(error as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new InvalidArgumentError(`${fileName}: ${META_ENTRY} holds ${header === null ? 'null' : typeof header}, not an object`);
  }
  if (header.format !== CHECKPOINT_FORMAT) {
    throw new InvalidArgumentError(`${fileName}: format '${String(header.format)}', expected '${CHECKPOINT_FORMAT}'`);
  }
  if (header.version !== CHECKPOINT_VERSION) {
    throw new InvalidArgumentError(
      `${fileName}: checkpoint version ${String(header.version)}, this build reads version ${CHECKPOINT_VERSION}`,
    );
  }
  const names: unknown[] = Array.isArray(header.arrays) ? header.arrays : [];
  const arrays = new Map<string, NdArray>();
  for (const name of names) {
    if (typeof name !== 'string' || arrays.has(name)) throw new InvalidArgumentError(`${fileName}: ${META_ENTRY} lists a bad array name ${JSON.stringify(name)}`);
    const entry = `arrays/${name}.npy`;
    const content = files.get(entry);
    if (!content) throw new InvalidArgumentError(`${fileName}: missing entry '${entry}'`);
    arrays.set(name, readNpy(content, `${fileName}: entry '${entry}'`));
  }
  return { arrays, meta: header.meta as M };
}
