/**
 * What a weights file's policy is, for the ONNX export: the network it records (or, for a file
 * without a record, numpy-rl-engine's plain Q-network read from its W shapes), its arrays by entry
 * name, checked against that network (weights-file.ts: shapes, dtypes, finite values), and for a
 * Gaussian policy the Box bounds its action is clipped to. Needs no backend and no registered env:
 * a custom env's file exports as well; a registered env only supplies bounds a file lacks.
 */
import { ACTIVATIONS, type Activation } from '../backend/backend.js';
import { InvalidArgumentError, checkName } from '../errors.js';
import { WEIGHTS_META_ENTRY } from '../io/mlp-weights.js';
import { CHECKPOINT_META_ENTRY } from '../io/checkpoint.js';
import { openNpz, readNpyEntry } from '../io/npz.js';
import { envSizes, registeredEnvIds } from '../envs/registry.js';
import { hiddenWidthsOf, networkWeightShapes, readWeightsFile, weightsForShapes, type NetworkArchitecture, type NetworkRecord } from '../rl/weights-file.js';

/** How the policy's outputs are read: Q-values (or QR-DQN's quantiles), or an actor's logits or Gaussian mean. */
export type PolicyKind = 'q-network' | 'categorical' | 'gaussian';

/** The Box bounds a Gaussian policy's action is clipped to, and where they came from. */
export interface ActionBounds {
  low: Float32Array;
  high: Float32Array;
  source: string;
}

export interface ExportedPolicy {
  fileName: string;
  kind: PolicyKind;
  network: NetworkArchitecture;
  obsDim: number;
  /** Discrete actions: their number; a Gaussian policy: the action's length. */
  nActions: number;
  /** The file's `network` record as written (JSON text), or, for a file without one, the record of the network read from its shapes. */
  recordJson: string;
  /** The record's algorithm, or the one a file without it implies ('dqn', 'pqn', 'ppo'). */
  algorithm: string;
  /** The record's env, or null when the file records none. */
  env: string | null;
  /** Every parameter array of the file by entry name (arr_0, ..., critic_0, ..., log_std, obs_mean, obs_var), float64, row-major. */
  arrays: Map<string, Float64Array>;
  /** A Gaussian policy's bounds, or null (a Q-network, a categorical policy, or a Box env whose bounds are unknown). */
  bounds: ActionBounds | null;
  /** What a reader of the model should know (bounds not found, an activation assumed). */
  notes: string[];
}

const NETWORK_FILE = `${WEIGHTS_META_ENTRY}.npy`;

/**
 * Reads the policy of a weights .npz. `activation` is the hidden activation of a file that records
 * no network (numpy-rl-engine's, default relu); a file's record always decides its own. Throws
 * (InvalidArgumentError, ShapeError) naming the file and why it is not a policy.
 */
export function readPolicy(bytes: Uint8Array, fileName: string, options: { activation?: Activation } = {}): ExportedPolicy {
  if (openNpz(bytes, fileName).get(CHECKPOINT_META_ENTRY)) {
    throw new InvalidArgumentError(`${fileName}: this is a checkpoint, not a policy's weights file: export the weights .npz its run saved (--save; the run folder keeps a copy, <algo>_weights.npz)`);
  }
  const file = readWeightsFile(bytes, fileName);
  const notes: string[] = [];
  const record = file.network;
  let network: NetworkArchitecture;
  let obsDim: number;
  let nActions: number;
  let kind: PolicyKind;
  let raw: Record<string, unknown>;
  if (record !== null) {
    ({ obsDim, nActions } = record);
    network = record;
    kind = record.policy === 'q-network' ? 'q-network' : file.entries.has('log_std') ? 'gaussian' : 'categorical';
    const space = kind === 'gaussian' ? 'box' : kind === 'categorical' ? 'discrete' : null;
    if (space !== null && record.actionSpace !== undefined && record.actionSpace !== space) {
      throw new InvalidArgumentError(`${fileName}: its record says actionSpace '${record.actionSpace}' but it ${space === 'box' ? 'holds' : 'has no'} log_std (a Gaussian policy's)`);
    }
    raw = rawRecord(file.archive, fileName);
  } else {
    const activation = checkName('activation', options.activation ?? 'relu', ACTIVATIONS);
    const hidden = hiddenWidthsOf(file.entries);
    const first = file.entries.get('arr_0');
    const head = file.entries.get(`arr_${file.entries.size - 2}`);
    if (hidden === null || first === undefined || head === undefined || first.shape.length !== 2 || head.shape.length !== 2) {
      const held = file.entries.size === 0 ? 'no arrays' : `${file.entries.size} array(s) without a W (in, out) per layer`;
      throw new InvalidArgumentError(`${fileName}: not a policy: it holds ${held} and no '${WEIGHTS_META_ENTRY}' record; a Q-network's weights file holds arr_0, arr_1, ... (W (in, out) and b of at least one hidden layer and the head)`);
    }
    obsDim = first.shape[0];
    nActions = head.shape[1];
    network = { hidden, activation, dueling: false, quantiles: 1, layerNorm: false, policy: 'q-network' };
    kind = 'q-network';
    raw = { obsDim, nActions, ...network };
    notes.push(`${fileName} records no network (numpy-rl-engine's layout): a plain ${activation} Q-network is assumed, its widths read from the W shapes`);
  }
  const shapes = networkWeightShapes(network, obsDim, nActions, kind === 'gaussian');
  const values = weightsForShapes(file, shapes);
  const arrays = new Map([...file.entries.keys()].map((name, i) => [name, values[i]]));
  const env = record?.env ?? null;
  const bounds = kind === 'gaussian' ? actionBounds(record, nActions, fileName, notes) : null;
  return { fileName, kind, network, obsDim, nActions, recordJson: JSON.stringify(raw), algorithm: record?.algorithm ?? impliedAlgorithm(network), env, arrays, bounds, notes };
}

/** The algorithm that writes such a network, for a file that does not say. */
function impliedAlgorithm(network: NetworkArchitecture): string {
  return network.policy === 'actor-critic' ? 'ppo' : network.layerNorm ? 'pqn' : 'dqn';
}

/** The `network` record as the file holds it (readWeightsFile has checked it), every field kept. */
function rawRecord(archive: ReturnType<typeof readWeightsFile>['archive'], fileName: string): Record<string, unknown> {
  const bytes = readNpyEntry(archive, NETWORK_FILE).data as Uint8Array;
  const value = JSON.parse(new TextDecoder('utf-8').decode(bytes)) as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgumentError(`${fileName}: its '${WEIGHTS_META_ENTRY}' entry is not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * A Gaussian policy's bounds: the record's actionLow / actionHigh when it has them (readWeightsFile
 * has checked them), else the registered env's Box, else null with a note.
 */
function actionBounds(record: NetworkRecord | null, k: number, fileName: string, notes: string[]): ActionBounds | null {
  if (record?.actionLow !== undefined && record.actionHigh !== undefined) {
    return { low: Float32Array.from(record.actionLow), high: Float32Array.from(record.actionHigh), source: `the file's record (actionLow, actionHigh)` };
  }
  const env = record?.env ?? null;
  if (env !== null && registeredEnvIds().includes(env)) {
    const box = envSizes(env).box;
    if (box !== null && box.low.length === k) return { low: box.low, high: box.high, source: `the registered env ${env}'s action space` };
  }
  notes.push(`the action is the Gaussian mean unclipped: ${fileName} records no action bounds (actionLow, actionHigh) and ${env === null ? 'no env' : `its env '${env}' is not a registered Box env of length ${k}`}; clip it to your env's bounds`);
  return null;
}
