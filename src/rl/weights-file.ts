/**
 * Q-network weights as a NumPy .npz, the format numpy-rl-engine uses: `np.savez(file, *params)`,
 * entries arr_0, arr_1, ... = W1, b1, W2, b2, ... with W shaped (in, out) and b (1, out), float64.
 * Reading accepts float32 or float64 and biases shaped (out,) or (1, out), and checks every shape
 * against the network before anything is overwritten. Browser-safe (no Node APIs).
 *
 * Files written here also hold one more entry, `network` (WEIGHTS_META_ENTRY): the network they
 * belong to (layer widths, activation, dueling head, quantiles, env) as UTF-8 JSON bytes, so weights trained
 * with one activation are never evaluated with another. numpy-rl-engine's loader reads arr_0.. by
 * index and never looks at it; in NumPy, `json.loads(np.load(f)['network'].tobytes())` reads it.
 * Files without it (numpy-rl-engine's own) still load, their layout inferred from the W shapes.
 */
import { ACTIVATIONS, type Activation, type FloatArray } from '../backend/backend.js';
import { InvalidArgumentError, ShapeError, formatShape } from '../errors.js';
import { CHECKPOINT_META_ENTRY } from '../io/checkpoint.js';
import { WEIGHTS_META_ENTRY } from '../io/mlp-weights.js';
import type { NdArray, NpyArrayHeader } from '../io/npy.js';
import { npyEntryHeader, openNpz, readNpyEntry, writeNpz } from '../io/npz.js';
import { listNames, type ZipArchive } from '../io/zip-read.js';
import type { DqnConfig } from './config.js';
import { envDims } from '../envs/registry.js';
import { sameValue, showValue } from './config-values.js';
import { MAX_HIDDEN_LAYERS, qNetworkWeightShapes } from './q-network.js';

/** The network a weights file belongs to, as its `network` entry records it. */
export interface NetworkRecord {
  obsDim: number;
  nActions: number;
  hidden: number[];
  activation: Activation;
  dueling: boolean;
  /** Outputs per action: 1, or QR-DQN's quantiles (files that do not record it: 1). */
  quantiles: number;
  /** The env the weights were trained on (informative). */
  env?: string;
}

/** The config fields a weights file records and so decides when it is loaded (the rest are the run's). */
export const RECORDED_NETWORK_FIELDS = ['hidden', 'activation', 'dueling', 'quantiles'] as const;

/** The network a run of `config` trains, on an env with these dimensions, as its weights file records it. */
export function networkRecord(config: Pick<DqnConfig, 'env' | 'hidden' | 'activation' | 'dueling' | 'quantiles'>, obsDim: number, nActions: number): NetworkRecord {
  const { env, hidden, activation, dueling, quantiles } = config;
  return { obsDim, nActions, hidden: [...hidden], activation, dueling, quantiles, env };
}

/** The format tag of the `network` entry. */
const NETWORK_FORMAT = 'webgpu-rl-engine-q-network';

/** Encodes parameter arrays (flat, row-major) with their (rows, cols) shapes, and the network they belong to. */
export function encodeWeightsNpz(arrays: readonly FloatArray[], shapes: readonly (readonly [number, number])[], network?: NetworkRecord): Uint8Array {
  if (arrays.length !== shapes.length) throw new ShapeError(`encodeWeightsNpz: ${arrays.length} arrays but ${shapes.length} shapes`);
  const entries: Record<string, NdArray> = {};
  arrays.forEach((data, i) => {
    const [rows, cols] = shapes[i];
    if (data.length !== rows * cols) throw new ShapeError(`encodeWeightsNpz: arr_${i} has ${data.length} values, shape ${formatShape([rows, cols])} needs ${rows * cols}`);
    checkFinite(data, `encodeWeightsNpz: arr_${i}`);
    entries[`arr_${i}`] = { dtype: '<f8', shape: [rows, cols], data: Float64Array.from(data) };
  });
  if (network !== undefined) {
    // quantiles 1 is left out, as files from before QR-DQN have it (and read it as 1).
    const { quantiles, ...rest } = network;
    const json = JSON.stringify({ format: NETWORK_FORMAT, version: 1, ...rest, ...(quantiles > 1 ? { quantiles } : {}) });
    const bytes = new TextEncoder().encode(json);
    entries[WEIGHTS_META_ENTRY] = { dtype: '|u1', shape: [bytes.length], data: bytes };
  }
  return writeNpz(entries);
}

/**
 * The most entries a weights file may hold: two parameter arrays per layer of the deepest network a
 * config allows (MAX_HIDDEN_LAYERS hidden layers and the head), four more for a dueling head, and the record.
 */
const MAX_WEIGHTS_ENTRIES = 2 * (MAX_HIDDEN_LAYERS + 1) + 4 + 1;
/** The most bytes the network record may hold (it is some 200 bytes of JSON). */
const MAX_NETWORK_RECORD_BYTES = 64 * 1024;
const NETWORK_FILE = `${WEIGHTS_META_ENTRY}.npy`;

/** A weights file opened for reading: what it declares, checked; no parameter's data inflated yet. */
export interface WeightsFile {
  /** The parameter entries (arr_0, arr_1, ...) as their .npy headers describe them (dtype, shape). */
  entries: Map<string, NpyArrayHeader>;
  /** The network the file records, or null when it records none. */
  network: NetworkRecord | null;
  /** Where the parameters are read from (by weightsForShapes, once their headers fit). */
  archive: ZipArchive;
}

/**
 * Opens a weights .npz: its entry names (arr_0.. and `network`, nothing else), its `network`
 * record, read and checked, and its parameters' headers. Errors name the file and the entry.
 */
export function readWeightsFile(bytes: Uint8Array, fileName: string): WeightsFile {
  const archive = openNpz(bytes, fileName, { maxEntries: MAX_WEIGHTS_ENTRIES });
  const files = archive.entries.map((entry) => entry.name);
  if (archive.get(CHECKPOINT_META_ENTRY)) {
    throw new InvalidArgumentError(`${fileName}: this is a checkpoint: use --resume to continue its run (--load and the page's upload take a weights .npz)`);
  }
  const parameters = files.filter((file) => file !== NETWORK_FILE);
  // Names are unique: k entries are arr_0..arr_{k-1} when each of those is there.
  if (parameters.some((_, i) => !archive.get(`arr_${i}.npy`))) {
    throw new InvalidArgumentError(`${fileName}: not a weights file: it holds ${listNames(files)}; a weights file holds arr_0.npy, arr_1.npy, ... (each layer's W and b) and ${NETWORK_FILE}`);
  }
  const entries = new Map(parameters.map((_, i) => [`arr_${i}`, npyEntryHeader(archive, `arr_${i}.npy`)]));
  return { entries, network: archive.get(NETWORK_FILE) ? readNetwork(archive, fileName) : null, archive };
}

/** The `network` record: a small uint8 entry of JSON, its header checked before it is read. */
function readNetwork(archive: ZipArchive, fileName: string): NetworkRecord {
  const bad = (why: string): never => {
    throw new InvalidArgumentError(`${fileName}: its '${WEIGHTS_META_ENTRY}' entry ${why}`);
  };
  const header = npyEntryHeader(archive, NETWORK_FILE);
  if (header.dtype !== '|u1' || header.shape.length !== 1) bad(`must be UTF-8 JSON bytes (uint8, 1-D), got ${header.dtype} ${formatShape(header.shape)}`);
  if (header.shape[0] > MAX_NETWORK_RECORD_BYTES) bad(`holds ${header.shape[0]} bytes, more than the ${MAX_NETWORK_RECORD_BYTES} a network record may`);
  return parseNetwork(readNpyEntry(archive, NETWORK_FILE, header).data as Uint8Array, bad);
}

function parseNetwork(bytes: Uint8Array, bad: (why: string) => never): NetworkRecord {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    return bad(`is not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad('is not a JSON object');
  const v = value as Record<string, unknown>;
  if (v.format !== NETWORK_FORMAT) bad(`has format ${JSON.stringify(v.format)}, expected '${NETWORK_FORMAT}'`);
  if (v.version !== 1) bad(`has version ${JSON.stringify(v.version)}, this build reads version 1`);
  const positive = (key: string): number => {
    const x = v[key];
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 1) bad(`field '${key}' must be a positive integer, got ${JSON.stringify(x)}`);
    return x as number;
  };
  const hidden = v.hidden;
  if (!Array.isArray(hidden) || hidden.length === 0 || hidden.some((h) => typeof h !== 'number' || !Number.isSafeInteger(h) || h < 1)) {
    bad(`field 'hidden' must be a list of positive layer widths, got ${JSON.stringify(hidden)}`);
  }
  if (typeof v.activation !== 'string' || !(ACTIVATIONS as readonly string[]).includes(v.activation)) {
    bad(`field 'activation' must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(v.activation)}`);
  }
  if (typeof v.dueling !== 'boolean') bad(`field 'dueling' must be true or false, got ${JSON.stringify(v.dueling)}`);
  const quantiles = v.quantiles === undefined ? 1 : positive('quantiles');
  if (v.env !== undefined && typeof v.env !== 'string') bad(`field 'env' must be a string, got ${JSON.stringify(v.env)}`);
  return {
    obsDim: positive('obsDim'),
    nActions: positive('nActions'),
    hidden: [...(hidden as number[])],
    activation: v.activation as Activation,
    dueling: v.dueling as boolean,
    quantiles,
    ...(typeof v.env === 'string' ? { env: v.env } : {}),
  };
}

/**
 * Decodes weights for a network whose parameters have `shapes` (W (in, out), b (1, out)), in
 * order. Errors name the file, the entry and both shapes; non-finite values (NaN, Infinity: the
 * weights of a diverged run) are refused with the entry and index.
 */
export function decodeWeightsNpz(bytes: Uint8Array, shapes: readonly (readonly [number, number])[], fileName: string): Float64Array[] {
  return weightsForShapes(readWeightsFile(bytes, fileName), shapes);
}

/**
 * The parameters of a weights file for a network whose parameters have `shapes`: every entry's
 * dtype and shape is checked against them first, then the data is read; see decodeWeightsNpz.
 */
export function weightsForShapes(file: WeightsFile, shapes: readonly (readonly [number, number])[]): Float64Array[] {
  const { entries, archive } = file;
  const fileName = archive.fileName;
  const expected = shapes.map(([r, c]) => formatShape([r, c])).join(', ');
  if (entries.size !== shapes.length) {
    const found = entries.size > 0 ? ` (${listNames([...entries.keys()])})` : '';
    throw new ShapeError(`${fileName}: holds ${entries.size} arrays${found}, the network needs ${shapes.length} [${expected}]`);
  }
  shapes.forEach(([rows, cols], i) => {
    const name = `arr_${i}`;
    const { dtype, shape: s } = entries.get(name) as NpyArrayHeader;
    if (dtype !== '<f8' && dtype !== '<f4') throw new InvalidArgumentError(`${fileName}: ${name} has dtype ${dtype}; weights must be float32 or float64`);
    const matches = (s.length === 2 && s[0] === rows && s[1] === cols) || (rows === 1 && s.length === 1 && s[0] === cols);
    if (!matches) {
      throw new ShapeError(`${fileName}: ${name} has shape ${formatShape(s)}, the network needs ${formatShape([rows, cols])} (all: [${expected}])`);
    }
  });
  return shapes.map((_, i) => {
    const name = `arr_${i}`;
    const values = Float64Array.from(readNpyEntry(archive, `${name}.npy`, entries.get(name)).data as Float32Array | Float64Array);
    checkFinite(values, `${fileName}: ${name}`);
    return values;
  });
}

/** Throws InvalidArgumentError naming `what` and the first index that holds NaN or an infinity. */
export function checkFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new InvalidArgumentError(`${what} holds ${values[i]} at index ${i}: weights must be finite (a diverged run's?)`);
    }
  }
}

/** The config fields a weights file can decide: the network's, and the env it was trained on. */
export type NetworkFields = Pick<DqnConfig, 'env' | (typeof RECORDED_NETWORK_FIELDS)[number]>;

/** A weights file's arrays, decoded for the network settled against a config. */
export interface ResolvedWeights {
  arrays: Float64Array[];
  /** The config's network fields, with the file's where the caller did not fix them. */
  network: NetworkFields;
}

/**
 * Settles which network a weights file is loaded into, and decodes its arrays for it: the one rule
 * the CLI's --load and the page's upload share. A field the file records takes the file's value
 * unless the caller fixed it (`fixed(key)`: a flag the user gave); a fixed field with another
 * value is refused, naming both (`name` spells fields: the CLI's flags). A file that records no
 * network (numpy-rl-engine's) gets its widths from its W shapes, the rest from the config. The env
 * is the file's unless fixed; its observation and action counts must be the file's. Errors start
 * with `source` ("--load 'w.npz'", or the file's name) and say what to do.
 */
export function resolveWeightsNetwork(
  file: WeightsFile,
  source: string,
  config: DqnConfig,
  fixed: (key: keyof DqnConfig) => boolean,
  name: (key: keyof DqnConfig) => string = (key) => key,
): ResolvedWeights {
  const network: NetworkFields = { env: config.env, hidden: [...config.hidden], activation: config.activation, dueling: config.dueling, quantiles: config.quantiles };
  const recorded = file.network;
  if (recorded !== null) {
    const conflicts: string[] = [];
    for (const key of RECORDED_NETWORK_FIELDS) {
      if (!fixed(key)) (network as Record<string, unknown>)[key] = Array.isArray(recorded[key]) ? [...(recorded[key] as number[])] : recorded[key];
      else if (!sameValue(config[key], recorded[key])) conflicts.push(`${name(key)} ${showValue(config[key])} (the file's network has ${showValue(recorded[key])})`);
    }
    if (conflicts.length > 0) throw new InvalidArgumentError(`${source} does not fit ${conflicts.join(', ')}; leave the flag out to use the file's value`);
    if (recorded.env !== undefined && !fixed('env')) network.env = recorded.env;
  } else if (!config.dueling) {
    const inferred = hiddenWidthsOf(file.entries);
    if (inferred !== null) {
      if (fixed('hidden') && !sameValue(inferred, config.hidden)) throw new InvalidArgumentError(`${source} holds a ${inferred.join(',')} network; it does not fit ${name('hidden')} ${config.hidden.join(',')}`);
      network.hidden = inferred;
    }
  }
  const { obsDim, nActions } = envDims(network.env);
  if (recorded !== null && (recorded.obsDim !== obsDim || recorded.nActions !== nActions)) {
    throw new ShapeError(`${source} holds weights for ${recorded.obsDim} observations and ${recorded.nActions} actions${recorded.env ? ` (${recorded.env})` : ''}; ${network.env} has ${obsDim} and ${nActions}`);
  }
  return { arrays: weightsForShapes(file, qNetworkWeightShapes({ ...network, obsDim, nActions })), network };
}

/**
 * Hidden layer widths of a plain-MLP Q-network saved as `bytes` (W1 (obs, h1), b1, W2 (h1, h2),
 * ..., the last W's width being the action count), read from the W shapes; null when the file
 * holds fewer than two weight matrices (nothing to infer). Dueling files are not handled.
 */
export function inferMlpHiddenWidths(bytes: Uint8Array, fileName: string): number[] | null {
  return hiddenWidthsOf(readWeightsFile(bytes, fileName).entries);
}

/** The hidden widths the W shapes of a plain MLP's entries (their headers) imply (see inferMlpHiddenWidths). */
export function hiddenWidthsOf(entries: Map<string, { shape: number[] }>): number[] | null {
  const widths: number[] = [];
  for (let i = 0; i < entries.size; i += 2) {
    const w = entries.get(`arr_${i}`);
    if (w && w.shape.length === 2) widths.push(w.shape[1]);
  }
  return widths.length >= 2 ? widths.slice(0, -1) : null;
}
