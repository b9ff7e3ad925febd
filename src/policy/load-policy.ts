/**
 * The policy runtime: a weights .npz (the CLI's --save, the page's download, numpy-rl-engine's
 * files) read into a function from observations to actions, with nothing of the training code
 * (no backend, no WASM, no trainers, no envs): what a page or a Node program that only plays needs.
 *
 * What it plays is what `--mode eval` plays (playable-network.ts): a Q-network (DQN, dueling,
 * QR-DQN, PQN) the argmax of its Q-values (QR-DQN: the mean of each action's quantiles); an
 * actor-critic (PPO) the argmax of its actor's logits, or on Box actions its mean clipped to the
 * bounds its file records, on observations normalised by the file's obs_mean and obs_var where it
 * holds them. Files that record no network (numpy-rl-engine's) are plain relu MLPs whose widths
 * come from their W shapes, as the engine reads them.
 */
import type { Activation } from '../backend/backend.js';
import { OP_DEFAULTS } from '../backend/op-defaults.js';
import { clipIntoBounds } from '../envs/spaces.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { argmaxRow, quantileMeans } from '../rl/network-layout.js';
import { normalizeObservationsInto } from '../rl/rollout-normalizer.js';
import { hiddenWidthsOf, networkWeightShapes, readWeightsFile, weightsForShapes, type NetworkRecord, type WeightsFile } from '../rl/weights-file.js';
import { MlpForward, type DenseStep, type ForwardStep } from './mlp-forward.js';

/** What every policy has. Arrays it returns are its own, overwritten by its next call of the same batch size: copy what you keep. */
interface PolicyBase {
  /** The network its file records, or for a file that records none the plain relu Q-network its W shapes imply. */
  readonly network: NetworkRecord;
  /** Values per observation. */
  readonly obsDim: number;
  /** Discrete: the number of actions; Box: the action's length. */
  readonly nActions: number;
  /** Q-values (QR-DQN: each action's mean over its quantiles), or the actor's logits (Discrete) or mean (Box), before any clipping: nActions values. */
  outputs(observation: ArrayLike<number>): Float32Array;
  /** outputs() of `rows` observations (rows * obsDim values, row-major): rows * nActions values. */
  outputsBatch(observations: ArrayLike<number>, rows: number): Float32Array;
}

/** A policy over Discrete actions: it plays the argmax of its outputs (the first maximum). */
export interface DiscretePolicy extends PolicyBase {
  readonly actionSpace: 'discrete';
  act(observation: ArrayLike<number>): number;
  /** The action of each of `rows` observations. */
  actBatch(observations: ArrayLike<number>, rows: number): Int32Array;
}

/** A policy over Box actions (PPO's Gaussian actor): it plays its mean clipped to the bounds. */
export interface BoxPolicy extends PolicyBase {
  readonly actionSpace: 'box';
  /** The bounds the file records (network.actionLow / actionHigh), or null for a file from before they were recorded: its means are then played unclipped. */
  readonly actionLow: Float32Array | null;
  readonly actionHigh: Float32Array | null;
  act(observation: ArrayLike<number>): Float32Array;
  /** The actions of `rows` observations: rows * nActions values. */
  actBatch(observations: ArrayLike<number>, rows: number): Float32Array;
}

export type Policy = DiscretePolicy | BoxPolicy;

/**
 * Reads a weights .npz (its bytes, or the ArrayBuffer `fetch` gives) into the policy it holds.
 * Throws an InvalidArgumentError or ShapeError that starts with `fileName` and says why when the
 * bytes are not a weights file (a checkpoint, another archive, a damaged zip), its arrays do not
 * fit its network, or a value is not finite.
 */
export function loadPolicy(bytes: Uint8Array | ArrayBuffer, fileName = 'weights.npz'): Policy {
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) {
    throw new InvalidArgumentError(`${fileName}: loadPolicy takes the file's bytes (a Uint8Array or an ArrayBuffer), got ${bytes === null ? 'null' : typeof bytes === 'object' ? (bytes as object).constructor?.name ?? 'an object' : typeof bytes}`);
  }
  const file = readWeightsFile(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), fileName);
  const network = file.network ?? inferredNetwork(file, fileName);
  const box = network.policy === 'actor-critic' && (network.actionSpace === 'box' || (network.actionSpace === undefined && file.entries.has('log_std')));
  const values = weightsForShapes(file, networkWeightShapes(network, network.obsDim, network.nActions, box));
  // Parameters as the engine's float32 tensors hold them; the observation statistics stay float64, as its normaliser keeps them.
  const forward = new MlpForward(forwardSteps(network, values.map((a) => Float32Array.from(a))), network.obsDim);
  const statistics = network.policy === 'actor-critic' && network.normalizeObservation === true ? { mean: values[values.length - 2], variance: values[values.length - 1] } : null;
  return box ? new BoxRuntime(network, forward, statistics) : new DiscreteRuntime(network, forward, statistics);
}

/** The network of a file that records none: numpy-rl-engine's plain relu MLP (arr_0.. = W1, b1, ...), its widths from its W shapes. */
function inferredNetwork(file: WeightsFile, fileName: string): NetworkRecord {
  const hidden = hiddenWidthsOf(file.entries);
  const first = file.entries.get('arr_0');
  const last = file.entries.get(`arr_${file.entries.size - 2}`);
  if (hidden === null || first === undefined || last === undefined || first.shape.length !== 2 || last.shape.length !== 2 || file.entries.size % 2 !== 0) {
    throw new InvalidArgumentError(`${fileName}: records no network and its arrays are not an MLP's (W1 (obs, h1), b1, ..., W (h, actions), b with at least one hidden layer)`);
  }
  return { obsDim: first.shape[0], nActions: last.shape[1], hidden, activation: 'relu', dueling: false, quantiles: 1, layerNorm: false, policy: 'q-network' };
}

/** The file's arrays (in its order: networkWeightShapes') as the steps of the network that plays: a Q-network, or an actor-critic's actor. */
function forwardSteps(network: NetworkRecord, arrays: Float32Array[]): ForwardStep[] {
  const { obsDim, nActions, hidden, activation, dueling, quantiles, layerNorm } = network;
  const steps: ForwardStep[] = [];
  let at = 0;
  const dense = (inputs: number, outputs: number, act: Activation): DenseStep => ({ kind: 'dense', w: arrays[at++], b: arrays[at++], inputs, outputs, activation: act });
  const sizes = [obsDim, ...hidden];
  const normed = network.policy === 'q-network' && layerNorm;
  for (let i = 0; i + 1 < sizes.length; i++) {
    steps.push(dense(sizes[i], sizes[i + 1], normed ? 'identity' : activation));
    if (normed) steps.push({ kind: 'norm', gamma: arrays[at++], beta: arrays[at++], width: sizes[i + 1], eps: OP_DEFAULTS.layerNormEps, activation });
  }
  const width = sizes[sizes.length - 1];
  if (network.policy === 'q-network' && dueling) {
    steps.push({ kind: 'dueling', value: dense(width, 1, 'identity'), advantage: dense(width, nActions, 'identity') });
  } else {
    // An actor's head has nActions outputs (its logits or mean); a Q-network's, nActions x quantiles.
    steps.push(dense(width, network.policy === 'q-network' ? nActions * quantiles : nActions, 'identity'));
  }
  return steps;
}

/** The observation statistics an actor normalises its inputs by, or null. */
type Statistics = { mean: Float64Array; variance: Float64Array } | null;

/** Per batch size: the outputs (with QR-DQN's quantile means) and the actions. */
interface Batch<A> {
  outputs: Float32Array;
  actions: A;
}

abstract class PolicyRuntime<A extends Int32Array | Float32Array> implements PolicyBase {
  readonly obsDim: number;
  readonly nActions: number;
  private readonly batches = new Map<number, Batch<A>>();
  private readonly quantiles: number;

  constructor(
    readonly network: NetworkRecord,
    private readonly forward: MlpForward,
    private readonly statistics: Statistics,
  ) {
    this.obsDim = network.obsDim;
    this.nActions = network.nActions;
    this.quantiles = network.policy === 'q-network' ? network.quantiles : 1;
  }

  outputs(observation: ArrayLike<number>): Float32Array {
    return this.outputsBatch(observation, 1);
  }

  outputsBatch(observations: ArrayLike<number>, rows: number): Float32Array {
    if (!Number.isInteger(rows) || rows < 1 || observations === null || typeof observations !== 'object' || observations.length !== rows * this.obsDim) {
      const given = observations !== null && typeof observations === 'object' && typeof observations.length === 'number' ? `${observations.length} values` : String(observations);
      throw new ShapeError(`policy: ${rows} observation${rows === 1 ? '' : 's'} of ${this.obsDim} values need ${rows * this.obsDim} values, got ${given}`);
    }
    const input = this.forward.inputFor(rows);
    const n = rows * this.obsDim;
    if (this.statistics !== null) normalizeObservationsInto(observations, n, this.statistics.mean, this.statistics.variance, input);
    else for (let i = 0; i < n; i++) input[i] = observations[i];
    const head = this.forward.run(rows);
    const batch = this.batch(rows);
    if (this.quantiles > 1) quantileMeans(head, batch.outputs, rows * this.nActions, this.quantiles);
    else batch.outputs.set(head);
    return batch.outputs;
  }

  actBatch(observations: ArrayLike<number>, rows: number): A {
    const outputs = this.outputsBatch(observations, rows);
    const { actions } = this.batch(rows);
    this.actionsInto(outputs, rows, actions);
    return actions;
  }

  protected abstract newActions(rows: number): A;
  protected abstract actionsInto(outputs: Float32Array, rows: number, actions: A): void;

  private batch(rows: number): Batch<A> {
    let batch = this.batches.get(rows);
    if (batch === undefined) {
      batch = { outputs: new Float32Array(rows * this.nActions), actions: this.newActions(rows) };
      this.batches.set(rows, batch);
    }
    return batch;
  }
}

class DiscreteRuntime extends PolicyRuntime<Int32Array> implements DiscretePolicy {
  readonly actionSpace = 'discrete';

  act(observation: ArrayLike<number>): number {
    return this.actBatch(observation, 1)[0];
  }

  protected newActions(rows: number): Int32Array {
    return new Int32Array(rows);
  }

  /** Each row's argmax (the first maximum), as the engine's greedy play picks it. */
  protected actionsInto(outputs: Float32Array, rows: number, actions: Int32Array): void {
    for (let r = 0; r < rows; r++) actions[r] = argmaxRow(outputs, r * this.nActions, this.nActions);
  }
}

class BoxRuntime extends PolicyRuntime<Float32Array> implements BoxPolicy {
  readonly actionSpace = 'box';
  readonly actionLow: Float32Array | null;
  readonly actionHigh: Float32Array | null;

  constructor(network: NetworkRecord, forward: MlpForward, statistics: Statistics) {
    super(network, forward, statistics);
    this.actionLow = network.actionLow === undefined ? null : Float32Array.from(network.actionLow);
    this.actionHigh = network.actionHigh === undefined ? null : Float32Array.from(network.actionHigh);
  }

  act(observation: ArrayLike<number>): Float32Array {
    return this.actBatch(observation, 1);
  }

  protected newActions(rows: number): Float32Array {
    return new Float32Array(rows * this.nActions);
  }

  protected actionsInto(outputs: Float32Array, rows: number, actions: Float32Array): void {
    if (this.actionLow === null || this.actionHigh === null) actions.set(outputs);
    else clipIntoBounds(this.actionLow, this.actionHigh, outputs, 0, actions, 0, rows);
  }
}
