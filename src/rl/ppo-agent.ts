/**
 * PPO's networks and update (Schulman et al. 2017; CleanRL's ppo.py and ppo_continuous_action.py):
 * an actor MLP (observations -> logits of a categorical policy, or the means of a diagonal
 * Gaussian with a state-independent log-std parameter) and a separate critic MLP (observations ->
 * V(s)), every parameter in one arena so that gradient clipping and Adam are one op each over both
 * networks and the log-std, as CleanRL's single optimiser over `agent.parameters()`.
 *
 * An update on a minibatch gathered from a rollout on the backend, recorded with no read back:
 *
 *   out = actor(s), V = critic(s)                  (one op per layer each)
 *   loss and d loss / d out, d log-std, d V        ppoLoss (one op: policy-ops.ts PpoLossOf)
 *   gradients                                      actor.backward(d out), critic.backward(d V)
 *   clipping, Adam                                 sumSquares + one fused adam op over the arena
 *
 * Acting draws actions from the policy with the backend's policySample (the run's seed, Philox
 * stream `act`, the vector step as the counter), so a rollout on the host and one on the device
 * draw the same way. The greedy policy (evaluation, the weights file) is the argmax of the logits,
 * or the mean.
 */
import { VIEW_ALIGNMENT, type Activation, type Backend, type FloatArray, type Tensor } from '../backend/backend.js';
import { PPO_LOSS_STATS, type PolicyHead, type PpoLossOf, type PpoLossStat } from '../backend/policy-ops.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { GradNormClipper } from '../nn/clip.js';
import { Dense } from '../nn/dense.js';
import { ORTHOGONAL_GAIN, type Initializer } from '../nn/init.js';
import { Adam } from '../nn/optim/adam.js';
import type { OptimizerState } from '../nn/optim/optimizer.js';
import type { Parameter } from '../nn/parameter.js';
import { ParameterArena } from '../nn/parameter-arena.js';
import { Sequential } from '../nn/sequential.js';
import type { Rng } from '../random/rng.js';
import { ppoWeightShapes } from './network-layout.js';

export { ppoPolicyShapes, ppoWeightShapes } from './network-layout.js';

/** Hoisted backward options: the hot path allocates nothing. */
const OVERWRITE = { accumulate: false } as const;

/** CleanRL's layer_init gains with orthogonal init: the actor's head small (a near-uniform first policy), the critic's 1. */
export const PPO_HEAD_GAINS = { actor: 0.01, critic: 1 } as const;

export interface PpoAgentConfig {
  /** 'categorical' (Discrete actions: `actionDim` logits) or 'gaussian' (Box: `actionDim` means and log-stds). */
  head: PolicyHead;
  hidden: readonly number[];
  activation: Activation;
  init: Initializer;
  /** Transitions per minibatch. */
  batchSize: number;
  adamEps: number;
  /** Global-norm clipping over every parameter; 0 turns it off. */
  maxGradNorm: number;
  clipCoef: number;
  valueClip: number;
  entCoef: number;
  vfCoef: number;
  normalizeAdvantages: boolean;
  /** The log-std's initial value (gaussian). */
  logStdInit: number;
  /** Minibatch tensors used in turn (default 1), so consecutive updates upload without waiting (as PqnAgentConfig.slots). */
  slots?: number;
}

/** The values of a (1, PPO_LOSS_STATS.length) statistics tensor read back, by name. */
export function statsRecord(values: ArrayLike<number>): Record<PpoLossStat, number> {
  return Object.fromEntries(PPO_LOSS_STATS.map((name, i) => [name, values[i]])) as Record<PpoLossStat, number>;
}

/** A rollout on the backend that minibatches are gathered from (updateGathered), R = T N rows each. */
export interface PpoRolloutTensors {
  /** (R, obsDim). */
  observations: Tensor;
  /** (R, 1) discrete actions or (R, actionDim) continuous ones. */
  actions: Tensor;
  /** (R, 1) log-probabilities when acting. */
  logProb: Tensor;
  /** (R, 1) GAE advantages. */
  advantages: Tensor;
  /** (R, 1) the critic's targets. */
  returns: Tensor;
  /** (R, 1) the critic's values when acting. */
  values: Tensor;
}

/** What a full checkpoint needs from the agent. */
export interface PpoAgentState {
  weights: FloatArray[];
  optimizer: OptimizerState;
  updates: number;
}

export class PpoAgent {
  readonly actor: Sequential;
  readonly critic: Sequential;
  /** The Gaussian head's log-std (1, actionDim); null for a categorical head. */
  readonly logStd: Parameter | null;
  readonly arena: ParameterArena;
  readonly optimizer: Adam;
  private readonly clipper: GradNormClipper | null;
  private readonly slots: PpoMinibatchTensors[];
  private slot = 0;
  private readonly gradOut: Tensor;
  private readonly gradValues: Tensor;
  /** (1, PPO_LOSS_STATS.length): the latest update's loss, its parts and diagnostics. */
  readonly stats: Tensor;
  private readonly loss: PpoLossOf<Tensor>;
  private readonly fusion: { clip: { sumSquares: Tensor; maxNorm: number } | null } = { clip: null };
  /** Per batch size: the observations of acting, and one tensor holding the sampled actions and their log-probabilities (views), read back as one. */
  private readonly acting = new Map<number, ActingTensors>();
  private updates = 0;

  constructor(
    readonly backend: Backend,
    readonly config: PpoAgentConfig,
    readonly obsDim: number,
    /** Discrete: the number of actions; Box: the action dimensions. */
    readonly actionDim: number,
    /** Draws the initial weights. */
    rng: Rng,
  ) {
    const { head, hidden, activation, init, batchSize: b } = config;
    if (head === 'categorical' && !(Number.isInteger(actionDim) && actionDim >= 2)) {
      throw new InvalidArgumentError(`PPO: a categorical policy needs at least 2 actions, got ${actionDim}`);
    }
    if (!Number.isInteger(actionDim) || actionDim < 1) throw new InvalidArgumentError(`PPO: actionDim must be a positive integer, got ${actionDim}`);
    if (!Number.isInteger(b) || b < 1) throw new InvalidArgumentError(`PPO: batchSize must be a positive integer, got ${b}`);
    if (!(config.maxGradNorm >= 0)) throw new InvalidArgumentError(`PPO: maxGradNorm must be >= 0 (0 = off), got ${config.maxGradNorm}`);
    const slots = config.slots ?? 1;
    if (!Number.isInteger(slots) || slots < 1) throw new InvalidArgumentError(`PPO: slots must be a positive integer, got ${slots}`);
    this.arena = new ParameterArena(backend, ppoWeightShapes(obsDim, actionDim, hidden, head), 'ppo');
    const orthogonal = init === 'orthogonal';
    const network = (out: number, headGain: number): Sequential => {
      const sizes = [obsDim, ...hidden, out];
      const layers = sizes.slice(1).map((n, i) => {
        const last = i + 2 === sizes.length;
        const gain = orthogonal ? (last ? headGain : ORTHOGONAL_GAIN) : undefined;
        return new Dense(backend, sizes[i], n, { activation: last ? 'identity' : activation, init, gain, rng, parameters: this.arena });
      });
      return new Sequential(backend, layers);
    };
    this.actor = network(actionDim, PPO_HEAD_GAINS.actor);
    this.critic = network(1, PPO_HEAD_GAINS.critic);
    this.logStd = head === 'gaussian' ? this.arena.take('log_std', [1, actionDim]) : null;
    if (this.logStd !== null) backend.fill(this.logStd.value, config.logStdInit);
    const params = this.arena.parameters;
    this.optimizer = new Adam(backend, params, { eps: config.adamEps });
    this.clipper = config.maxGradNorm > 0 ? new GradNormClipper(backend, params, config.maxGradNorm) : null;
    const actionCols = head === 'gaussian' ? actionDim : 1;
    this.slots = Array.from({ length: slots }, (_, i) => new PpoMinibatchTensors(backend, b, obsDim, actionCols, i));
    this.gradOut = backend.tensor([b, actionDim], undefined, 'ppo.out.grad');
    this.gradValues = backend.tensor([b, 1], undefined, 'ppo.v.grad');
    this.stats = backend.tensor([1, PPO_LOSS_STATS.length], undefined, 'ppo.stats');
    const first = this.slots[0];
    this.loss = {
      head,
      out: this.gradOut,
      logStd: this.logStd?.value ?? null,
      actions: first.actions,
      oldLogProb: first.logProb,
      advantages: first.advantages,
      normalizeAdvantages: config.normalizeAdvantages,
      clipCoef: config.clipCoef,
      entCoef: config.entCoef,
      values: this.gradValues,
      returns: first.returns,
      oldValues: first.values,
      valueClip: config.valueClip,
      vfCoef: config.vfCoef,
      gradOut: this.gradOut,
      gradLogStd: this.logStd?.grad ?? null,
      gradValues: this.gradValues,
      stats: this.stats,
    };
  }

  get head(): PolicyHead {
    return this.config.head;
  }

  /** Updates recorded so far. */
  get updateCount(): number {
    return this.updates;
  }

  /**
   * Actions for `rows` observations drawn from the policy (policySample with the run's `seed` and
   * the draw `counter`), and their log-probabilities, into `dst`: one forward pass and one read back
   * (the actions and log-probabilities are views of one tensor).
   */
  async sample(observations: ArrayLike<number>, rows: number, seed: number, counter: number, dst: { actions: Float32Array; logProb: Float32Array }): Promise<void> {
    const t = this.actingTensors(rows, observations.length);
    this.backend.write(t.obs, observations);
    const out = this.actor.forward(t.obs);
    this.backend.policySample({ head: this.head, out, logStd: this.logStd?.value ?? null, seed, counter, actions: t.actions, logProb: t.logProb });
    const both = await this.backend.read(t.sampled, t.host);
    dst.actions.set(both.subarray(0, t.actions.size));
    dst.logProb.set(both.subarray(t.logProbOffset, t.logProbOffset + rows));
  }

  /** The actor's output (logits or means) for `rows` observations: one forward pass and one read back, into `dst`. */
  async policyOutput(observations: ArrayLike<number>, rows: number, dst: Float32Array): Promise<Float32Array> {
    const t = this.actingTensors(rows, observations.length);
    this.backend.write(t.obs, observations);
    await this.backend.read(this.actor.forward(t.obs), dst);
    return dst;
  }

  private actingTensors(rows: number, values: number): ActingTensors {
    if (!Number.isInteger(rows) || rows < 1 || values !== rows * this.obsDim) {
      throw new ShapeError(`PPO: ${rows} observations need ${rows * this.obsDim} values, got ${values}`);
    }
    let t = this.acting.get(rows);
    if (t === undefined) {
      const b = this.backend;
      const cols = this.head === 'gaussian' ? this.actionDim : 1;
      // The log-probabilities start at the first aligned offset after the actions (a view's rule).
      const logProbOffset = Math.ceil((rows * cols) / VIEW_ALIGNMENT) * VIEW_ALIGNMENT;
      const sampled = b.tensor([logProbOffset + rows], undefined, `ppo.act.sampled[${rows}]`);
      t = {
        obs: b.tensor([rows, this.obsDim], undefined, `ppo.act.s[${rows}]`),
        sampled,
        actions: b.view(sampled, 0, [rows, cols], `ppo.act.a[${rows}]`),
        logProb: b.view(sampled, logProbOffset, [rows, 1], `ppo.act.logp[${rows}]`),
        logProbOffset,
        host: b.dtype === 'float32' ? new Float32Array(sampled.size) : new Float64Array(sampled.size),
      };
      this.acting.set(rows, t);
    }
    return t;
  }

  /**
   * Records one gradient step on the rows `rows` (config.batchSize indices) of a rollout held on the
   * backend: the indices written, six gatherRows filling the minibatch, then the forward passes,
   * ppoLoss, both backward passes, clipping and Adam at learning rate `lr`. Nothing is read back.
   */
  updateGathered(rollout: PpoRolloutTensors, rows: ArrayLike<number>, lr: number): void {
    const b = this.config.batchSize;
    if (rows.length !== b) throw new ShapeError(`PPO minibatch: expected ${b} row indices, got ${rows.length}`);
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new InvalidArgumentError(`PPO: lr must be a finite number >= 0, got ${lr}`);
    const backend = this.backend;
    const slot = this.slots[this.slot];
    this.slot = (this.slot + 1) % this.slots.length;
    backend.write(slot.indices, rows);
    backend.gatherRows(rollout.observations, slot.indices, slot.observations);
    backend.gatherRows(rollout.actions, slot.indices, slot.actions);
    backend.gatherRows(rollout.logProb, slot.indices, slot.logProb);
    backend.gatherRows(rollout.advantages, slot.indices, slot.advantages);
    backend.gatherRows(rollout.returns, slot.indices, slot.returns);
    backend.gatherRows(rollout.values, slot.indices, slot.values);

    const loss = this.loss;
    loss.out = this.actor.forward(slot.observations);
    loss.values = this.critic.forward(slot.observations);
    loss.actions = slot.actions;
    loss.oldLogProb = slot.logProb;
    loss.advantages = slot.advantages;
    loss.returns = slot.returns;
    loss.oldValues = slot.values;
    backend.ppoLoss(loss);
    this.actor.backward(this.gradOut, OVERWRITE);
    this.critic.backward(this.gradValues, OVERWRITE);
    const clipper = this.clipper;
    if (clipper !== null) clipper.measure();
    this.fusion.clip = clipper === null ? null : clipper.fusion();
    this.optimizer.lr = lr;
    this.optimizer.step(this.fusion);
    this.updates++;
  }

  /** The latest update's statistics, by PPO_LOSS_STATS' names (a read back). */
  async readStats(): Promise<Record<PpoLossStat, number>> {
    return statsRecord(await this.backend.read(this.stats));
  }

  /** The actor's W, b per layer, the critic's, then the log-std (gaussian): ppoWeightShapes' order. */
  async getWeights(): Promise<FloatArray[]> {
    const arrays: FloatArray[] = [];
    for (const p of this.arena.parameters) arrays.push(await this.backend.read(p.value));
    return arrays;
  }

  /** Overwrites every parameter, in getWeights() order (sizes checked). */
  setWeights(arrays: readonly ArrayLike<number>[]): void {
    const params = this.arena.parameters;
    if (arrays.length !== params.length) {
      throw new ShapeError(`PPO weights: expected ${params.length} arrays (${this.weightShapes().map(([r, c]) => `(${r}, ${c})`).join(', ')}), got ${arrays.length}`);
    }
    params.forEach((p, i) => {
      if (arrays[i].length !== p.value.size) throw new ShapeError(`PPO weights: array ${i} (${p.name}) needs ${p.value.size} values, got ${arrays[i].length}`);
    });
    params.forEach((p, i) => this.backend.write(p.value, arrays[i]));
  }

  /** The shapes of getWeights()'s arrays. */
  weightShapes(): [number, number][] {
    return ppoWeightShapes(this.obsDim, this.actionDim, this.config.hidden, this.head);
  }

  async getState(): Promise<PpoAgentState> {
    return { weights: await this.getWeights(), optimizer: await this.optimizer.getState(), updates: this.updates };
  }

  setState(state: PpoAgentState): void {
    this.setWeights(state.weights);
    this.optimizer.setState(state.optimizer);
    this.updates = state.updates;
  }

  dispose(): void {
    this.actor.dispose();
    this.critic.dispose();
    this.arena.dispose();
    this.optimizer.dispose();
    this.clipper?.dispose();
    for (const slot of this.slots) slot.dispose();
    for (const t of this.acting.values()) for (const tensor of [t.obs, t.sampled]) tensor.dispose();
    for (const t of [this.gradOut, this.gradValues, this.stats]) t.dispose();
  }
}

/** The tensors of acting on `rows` observations (PpoAgent.sample). */
interface ActingTensors {
  obs: Tensor;
  /** The actions (from 0) and the log-probabilities (from logProbOffset), read back as one. */
  sampled: Tensor;
  actions: Tensor;
  logProb: Tensor;
  logProbOffset: number;
  /** The host copy of `sampled`. */
  host: FloatArray;
}

/** One minibatch on the backend, gathered from a rollout. */
class PpoMinibatchTensors {
  readonly observations: Tensor;
  readonly actions: Tensor;
  readonly logProb: Tensor;
  readonly advantages: Tensor;
  readonly returns: Tensor;
  readonly values: Tensor;
  /** Row indices of the minibatch. */
  readonly indices: Tensor;

  constructor(backend: Backend, batchSize: number, obsDim: number, actionCols: number, index: number) {
    const t = (cols: number, name: string): Tensor => backend.tensor([batchSize, cols], undefined, `ppo.batch${index}.${name}`);
    this.observations = t(obsDim, 's');
    this.actions = t(actionCols, 'a');
    this.logProb = t(1, 'logp');
    this.advantages = t(1, 'adv');
    this.returns = t(1, 'ret');
    this.values = t(1, 'v');
    this.indices = t(1, 'rows');
  }

  dispose(): void {
    for (const t of [this.observations, this.actions, this.logProb, this.advantages, this.returns, this.values, this.indices]) t.dispose();
  }
}
