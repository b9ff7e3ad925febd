/**
 * Q-network weights as a NumPy .npz, the format numpy-rl-engine uses: `np.savez(file, *params)`,
 * entries arr_0, arr_1, ... = W1, b1, W2, b2, ... with W shaped (in, out) and b (1, out), float64.
 * Reading accepts float32 or float64 and biases shaped (out,) or (1, out), and checks every shape
 * against the network before anything is overwritten. Browser-safe (no Node APIs).
 *
 * Files written here also hold one more entry, `network` (WEIGHTS_META_ENTRY): the network they
 * belong to (layer widths, activation, dueling head, quantiles, LayerNorm, env, a Box env's action
 * bounds) as UTF-8 JSON bytes, so weights trained with one activation are never evaluated with
 * another, and a reader without the env (the policy runtime) knows how to play them.
 *
 * A network with LayerNorm (PQN's) holds, per hidden layer, W (in, out), b (1, out), the
 * LayerNorm's gamma (1, out) and beta (1, out), in that order (Dense -> LayerNorm -> activation),
 * then the head's W and b; its record says `"norm": "layer"` and the LayerNorm's `"normEps"`. numpy-rl-engine's loader reads arr_0.. by
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
import { OP_DEFAULTS } from '../backend/op-defaults.js';
import { NORMALIZE_CLIP, NORMALIZE_EPSILON } from './rollout-normalizer.js';
import { isBox, type ActionSpace } from '../envs/spaces.js';
import { MAX_HIDDEN_LAYERS, ppoPolicyShapes, qNetworkWeightShapes } from './network-layout.js';

/**
 * A Q-network's architecture: what its weights file records and what decides the shapes of its
 * arrays (with the env's observation and action counts). Each algorithm maps its config to one
 * (AlgorithmEntry.architecture) and says which it can train.
 */
export interface NetworkArchitecture {
  hidden: number[];
  activation: Activation;
  dueling: boolean;
  /** Outputs per action: 1, or QR-DQN's quantiles (files that do not record it: 1). */
  quantiles: number;
  /** Dense -> LayerNorm -> activation per hidden layer (PQN); files that do not record a norm: false. */
  layerNorm: boolean;
  /**
   * What the file holds: 'q-network' (DQN, PQN: arr_0.. the Q-network) or 'actor-critic' (PPO:
   * arr_0.. the actor, critic_0.. the critic, log_std for a Gaussian policy); files that do not record it: 'q-network'.
   */
  policy: NetworkPolicy;
  /**
   * An actor-critic trained on normalised observations (PPO's normalizeObservation): the file then
   * also holds `obs_mean` and `obs_var` (1, obsDim), and its record `"obsNorm": {"epsilon", "clip"}`;
   * the actor reads clip((obs - obs_mean) / sqrt(obs_var + epsilon), -clip, clip). Absent: false.
   */
  normalizeObservation?: boolean;
}

export const NETWORK_POLICIES = ['q-network', 'actor-critic'] as const;
export type NetworkPolicy = (typeof NETWORK_POLICIES)[number];

/** The network a weights file belongs to, as its `network` entry records it. */
export interface NetworkRecord extends NetworkArchitecture {
  obsDim: number;
  /** Discrete actions: their number; Box actions: the action's length. */
  nActions: number;
  /** The env the weights were trained on (informative). */
  env?: string;
  /** The algorithm that trained them ('dqn', 'pqn', 'ppo'; informative, written by files since PPO). */
  algorithm?: string;
  /** The env's action space: an actor-critic's head is categorical over 'discrete', a Gaussian over 'box' (informative). */
  actionSpace?: 'discrete' | 'box';
  /** A custom env's module (its absolute path, or a package specifier: loadEnvModule's source), so --mode eval finds the env again; absent for built-in envs. */
  envSource?: string;
  /**
   * A Box action space's bounds (nActions values each, low <= high), which greedy play clips the
   * actor's mean to; written by Box-action files since the policy runtime, absent in older files and
   * in Discrete ones.
   */
  actionLow?: number[];
  actionHigh?: number[];
}

/** What trained a network, as its record states it: the algorithm, the env's action space (a Box's bounds included) and, for a custom env, its module. */
export interface TrainedBy {
  algorithm: string;
  actionSpace: 'discrete' | 'box';
  actionLow?: number[];
  actionHigh?: number[];
  envSource?: string;
}

/** The record's words for `algorithm` training on an env with `actionSpace` (a Box's bounds as plain numbers), from the module `envSource` (a custom env's; null for a built-in one). */
export function trainedBy(algorithm: string, actionSpace: ActionSpace, envSource: string | null = null): TrainedBy {
  const source = envSource !== null ? { envSource } : {};
  if (!isBox(actionSpace)) return { algorithm, actionSpace: 'discrete', ...source };
  return { algorithm, actionSpace: 'box', actionLow: Array.from(actionSpace.low), actionHigh: Array.from(actionSpace.high), ...source };
}

/** The architecture's fields a weights file records, and so decides when it is loaded. */
export const RECORDED_NETWORK_FIELDS = ['hidden', 'activation', 'dueling', 'quantiles', 'layerNorm', 'policy', 'normalizeObservation'] as const;

/** A network trained on an env: its architecture and the env's id. */
export type NetworkFields = NetworkArchitecture & { env: string };

/** The network of `architecture` on `env` (with these dimensions), as its weights file records it. */
export function networkRecord(network: NetworkFields, obsDim: number, nActions: number, trainer?: TrainedBy): NetworkRecord {
  const { env, hidden, activation, dueling, quantiles, layerNorm, policy, normalizeObservation } = network;
  return { obsDim, nActions, hidden: [...hidden], activation, dueling, quantiles, layerNorm, policy, ...(normalizeObservation === true ? { normalizeObservation } : {}), env, ...(trainer ?? {}) };
}

/** The LayerNorm epsilon every LayerNorm of this engine uses, as a network record states it. */
const NORM_EPS = OP_DEFAULTS.layerNormEps;

/** The format tag of the `network` entry. */
const NETWORK_FORMAT = 'webgpu-rl-engine-q-network';

/**
 * The (rows, cols) of a network's parameter arrays in the trainer's order (Trainer.weightShapes):
 * a Q-network's, or an actor-critic's actor, critic, (Gaussian policy, `continuous`) log-std and
 * (normalizeObservation) the observation mean and variance.
 */
export function networkWeightShapes(network: NetworkArchitecture, obsDim: number, nActions: number, continuous = false): [number, number][] {
  if (network.policy === 'q-network') return qNetworkWeightShapes({ ...network, obsDim, nActions });
  return ppoPolicyShapes(obsDim, nActions, network.hidden, continuous ? 'gaussian' : 'categorical', network.normalizeObservation === true);
}

/**
 * The file's entry names of a network's `count` arrays, in the trainer's order: arr_0, arr_1, ...
 * for a Q-network (numpy-rl-engine's layout); for an actor-critic the actor's arr_0.., the
 * critic's critic_0.., then what follows them: `log_std` (one array), `obs_mean` and `obs_var`
 * (two), or all three.
 */
export function weightEntryNames(network: Pick<NetworkArchitecture, 'policy' | 'hidden'>, count: number): string[] {
  if (network.policy === 'q-network') return Array.from({ length: count }, (_, i) => `arr_${i}`);
  const perNetwork = 2 * (network.hidden.length + 1);
  const after = count - 2 * perNetwork;
  const tail = after === 1 ? ['log_std'] : after === 2 ? ['obs_mean', 'obs_var'] : after === 3 ? ['log_std', 'obs_mean', 'obs_var'] : [];
  return Array.from({ length: count }, (_, i) => (i < perNetwork ? `arr_${i}` : i < 2 * perNetwork ? `critic_${i - perNetwork}` : (tail[i - 2 * perNetwork] ?? `extra_${i}`)));
}

/** Encodes parameter arrays (flat, row-major) with their (rows, cols) shapes, and the network they belong to (which names the entries: weightEntryNames). */
export function encodeWeightsNpz(arrays: readonly FloatArray[], shapes: readonly (readonly [number, number])[], network?: NetworkRecord): Uint8Array {
  if (arrays.length !== shapes.length) throw new ShapeError(`encodeWeightsNpz: ${arrays.length} arrays but ${shapes.length} shapes`);
  const entries: Record<string, NdArray> = {};
  const names = weightEntryNames(network ?? { policy: 'q-network', hidden: [] }, arrays.length);
  arrays.forEach((data, i) => {
    const [rows, cols] = shapes[i];
    if (data.length !== rows * cols) throw new ShapeError(`encodeWeightsNpz: ${names[i]} has ${data.length} values, shape ${formatShape([rows, cols])} needs ${rows * cols}`);
    checkFinite(data, `encodeWeightsNpz: ${names[i]}`);
    entries[names[i]] = { dtype: '<f8', shape: [rows, cols], data: Float64Array.from(data) };
  });
  if (network !== undefined) {
    // quantiles 1, no norm and a Q-network are left out, as files from before QR-DQN, PQN and PPO have them (and read them so).
    const { quantiles, layerNorm, policy, normalizeObservation, ...rest } = network;
    const json = JSON.stringify({
      format: NETWORK_FORMAT,
      version: 1,
      ...rest,
      ...(quantiles > 1 ? { quantiles } : {}),
      ...(layerNorm ? { norm: 'layer', normEps: NORM_EPS } : {}),
      ...(policy !== 'q-network' ? { policy } : {}),
      ...(normalizeObservation === true ? { obsNorm: { epsilon: NORMALIZE_EPSILON, clip: NORMALIZE_CLIP } } : {}),
    });
    const bytes = new TextEncoder().encode(json);
    entries[WEIGHTS_META_ENTRY] = { dtype: '|u1', shape: [bytes.length], data: bytes };
  }
  return writeNpz(entries);
}

/** What trainedWeightsFile reads of a trainer: its env (id) and sizes, and its arrays' shapes. */
export interface TrainedNetworkSource {
  readonly config: { readonly env: string };
  readonly envs: { readonly obsDim: number; readonly nActions: number; readonly actionSpace: ActionSpace };
  weightShapes(): [number, number][];
}

/**
 * The weights file (.npz) of a trainer's `weights` (in its weightShapes' order), as --save, the
 * page and Trainer.weightsFile write it: the arrays, and the record of `architecture` on the
 * trainer's env, trained by `algorithm`; `envSource` the custom env's module (registry's envSource), or null.
 */
export function trainedWeightsFile(trainer: TrainedNetworkSource, algorithm: string, architecture: NetworkArchitecture, weights: readonly FloatArray[], envSource: string | null = null): Uint8Array {
  const { obsDim, nActions, actionSpace } = trainer.envs;
  const network = networkRecord({ env: trainer.config.env, ...architecture }, obsDim, nActions, trainedBy(algorithm, actionSpace, envSource));
  return encodeWeightsNpz(weights, trainer.weightShapes(), network);
}

/**
 * The most entries a weights file may hold: two parameter arrays per layer of the deepest networks a
 * config allows (MAX_HIDDEN_LAYERS hidden layers and the head; an actor and a critic), a log-std
 * and the observation statistics, four more for a dueling head, and the record.
 */
const MAX_WEIGHTS_ENTRIES = 2 * 2 * (MAX_HIDDEN_LAYERS + 1) + 3 + 4 + 1;
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
  const network = archive.get(NETWORK_FILE) ? readNetwork(archive, fileName) : null;
  const parameters = files.filter((file) => file !== NETWORK_FILE);
  const hidden = network?.hidden ?? [];
  const policy = network?.policy ?? 'q-network';
  const names = weightEntryNames({ policy, hidden }, parameters.length);
  // Names are unique: the k entries are the layout's first k names when each of those is there.
  if (names.some((name) => !archive.get(`${name}.npy`))) {
    const layout =
      policy === 'q-network'
        ? "arr_0.npy, arr_1.npy, ... (each layer's W and b)"
        : `the actor's arr_0.npy, arr_1.npy, ..., the critic's critic_0.npy, ... (each layer's W and b), log_std.npy (Box actions)${network?.normalizeObservation === true ? ', obs_mean.npy, obs_var.npy (its record has obsNorm)' : ''}`;
    throw new InvalidArgumentError(`${fileName}: not a weights file: it holds ${listNames(files)}; a weights file holds ${layout} and ${NETWORK_FILE}`);
  }
  const entries = new Map(names.map((name) => [name, npyEntryHeader(archive, `${name}.npy`)]));
  return { entries, network, archive };
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
  if (v.norm !== undefined && v.norm !== 'layer') bad(`field 'norm' must be 'layer' (or absent: no normalisation), got ${JSON.stringify(v.norm)}`);
  const layerNorm = v.norm === 'layer';
  if (layerNorm && v.normEps !== NORM_EPS) bad(`field 'normEps' must be ${NORM_EPS}, the LayerNorm epsilon of this engine, got ${JSON.stringify(v.normEps)}`);
  if (v.env !== undefined && typeof v.env !== 'string') bad(`field 'env' must be a string, got ${JSON.stringify(v.env)}`);
  if (v.envSource !== undefined && (typeof v.envSource !== 'string' || v.envSource === '')) bad(`field 'envSource' must be a non-empty string (the env's module), got ${JSON.stringify(v.envSource)}`);
  if (v.algorithm !== undefined && typeof v.algorithm !== 'string') bad(`field 'algorithm' must be a string, got ${JSON.stringify(v.algorithm)}`);
  if (v.actionSpace !== undefined && v.actionSpace !== 'discrete' && v.actionSpace !== 'box') bad(`field 'actionSpace' must be 'discrete' or 'box', got ${JSON.stringify(v.actionSpace)}`);
  if (v.policy !== undefined && !(NETWORK_POLICIES as readonly unknown[]).includes(v.policy)) {
    bad(`field 'policy' must be one of ${NETWORK_POLICIES.join(', ')} (or absent: a Q-network), got ${JSON.stringify(v.policy)}`);
  }
  const obsNorm = v.obsNorm as Record<string, unknown> | undefined;
  if (obsNorm !== undefined && (obsNorm === null || typeof obsNorm !== 'object' || obsNorm.epsilon !== NORMALIZE_EPSILON || obsNorm.clip !== NORMALIZE_CLIP)) {
    bad(`field 'obsNorm' must be {"epsilon": ${NORMALIZE_EPSILON}, "clip": ${NORMALIZE_CLIP}}, this engine's observation normalisation, got ${JSON.stringify(obsNorm)}`);
  }
  const obsDim = positive('obsDim');
  const nActions = positive('nActions');
  const bounds = parseActionBounds(v, nActions, bad);
  return {
    obsDim,
    nActions,
    hidden: [...(hidden as number[])],
    activation: v.activation as Activation,
    dueling: v.dueling as boolean,
    quantiles,
    layerNorm,
    policy: (v.policy as NetworkPolicy | undefined) ?? 'q-network',
    ...(v.policy === 'actor-critic' ? { normalizeObservation: obsNorm !== undefined } : {}),
    ...(typeof v.env === 'string' ? { env: v.env } : {}),
    ...(typeof v.envSource === 'string' ? { envSource: v.envSource } : {}),
    ...(typeof v.algorithm === 'string' ? { algorithm: v.algorithm } : {}),
    ...(v.actionSpace === 'discrete' || v.actionSpace === 'box' ? { actionSpace: v.actionSpace } : {}),
    ...bounds,
  };
}

/**
 * A record's Box bounds: both or neither, nActions numbers each, low <= high, on a 'box' action
 * space; {} when absent. An unbounded side is written as JSON writes an infinity, null, and read
 * back as -Infinity (actionLow) or Infinity (actionHigh).
 */
function parseActionBounds(v: Record<string, unknown>, nActions: number, bad: (why: string) => never): { actionLow?: number[]; actionHigh?: number[] } {
  if (v.actionLow === undefined && v.actionHigh === undefined) return {};
  if (v.actionSpace !== 'box') bad(`fields 'actionLow' and 'actionHigh' belong to a Box action space, but 'actionSpace' is ${JSON.stringify(v.actionSpace)}`);
  const list = (key: string, unbounded: number): number[] => {
    const x = v[key];
    if (!Array.isArray(x) || x.length !== nActions || x.some((e) => e !== null && (typeof e !== 'number' || !Number.isFinite(e)))) {
      bad(`field '${key}' must be a list of ${nActions} numbers, or null for an unbounded side (one per action dimension), got ${JSON.stringify(x)}`);
    }
    return (x as (number | null)[]).map((e) => e ?? unbounded);
  };
  const actionLow = list('actionLow', -Infinity);
  const actionHigh = list('actionHigh', Infinity);
  const crossed = actionLow.findIndex((low, i) => !(low <= actionHigh[i]));
  if (crossed >= 0) bad(`field 'actionLow' exceeds 'actionHigh' at index ${crossed} (${actionLow[crossed]} > ${actionHigh[crossed]})`);
  return { actionLow, actionHigh };
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
  // The entries in the file's layout order (readWeightsFile named them), one per shape.
  const names = [...entries.keys()];
  shapes.forEach(([rows, cols], i) => {
    const name = names[i];
    const { dtype, shape: s } = entries.get(name) as NpyArrayHeader;
    if (dtype !== '<f8' && dtype !== '<f4') throw new InvalidArgumentError(`${fileName}: ${name} has dtype ${dtype}; weights must be float32 or float64`);
    const matches = (s.length === 2 && s[0] === rows && s[1] === cols) || (rows === 1 && s.length === 1 && s[0] === cols);
    if (!matches) {
      throw new ShapeError(`${fileName}: ${name} has shape ${formatShape(s)}, the network needs ${formatShape([rows, cols])} (all: [${expected}])`);
    }
  });
  return names.map((name) => {
    const values = Float64Array.from(readNpyEntry(archive, `${name}.npy`, entries.get(name)).data as Float32Array | Float64Array);
    checkFinite(values, `${fileName}: ${name}`);
    // The observation variance an actor-critic's inputs are divided by the square root of.
    const negative = name === 'obs_var' ? values.findIndex((v) => v < 0) : -1;
    if (negative >= 0) throw new InvalidArgumentError(`${fileName}: obs_var holds ${values[negative]} at index ${negative}: a variance must be >= 0`);
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

/**
 * Hidden layer widths of a plain-MLP Q-network saved as `bytes` (W1 (obs, h1), b1, W2 (h1, h2),
 * ..., the last W's width being the action count), read from the W shapes; null when the file
 * holds fewer than two weight matrices (nothing to infer). Dueling files are not handled.
 */
export function inferMlpHiddenWidths(bytes: Uint8Array, fileName: string): number[] | null {
  return hiddenWidthsOf(readWeightsFile(bytes, fileName).entries);
}

/**
 * The hidden widths the W shapes of an MLP's entries (their headers) imply (see
 * inferMlpHiddenWidths): `perLayer` arrays per hidden layer (2: W, b; 4 with LayerNorm's gamma and beta).
 */
export function hiddenWidthsOf(entries: Map<string, { shape: number[] }>, perLayer = 2): number[] | null {
  const widths: number[] = [];
  for (let i = 0; i < entries.size; i += perLayer) {
    const w = entries.get(`arr_${i}`);
    if (w && w.shape.length === 2) widths.push(w.shape[1]);
  }
  return widths.length >= 2 ? widths.slice(0, -1) : null;
}
