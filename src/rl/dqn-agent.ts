/**
 * Deep Q-learning (Mnih et al. 2015) with the usual improvements as options: Double DQN, dueling
 * heads, Huber loss, global-norm gradient clipping, soft or hard target updates.
 *
 * An update is recorded on the backend as a handful of fused ops with no read back, as CleanRL's
 * dqn.py reads it:
 *
 *   Q_target(s')                       target.forward(s')                    (one op per layer)
 *   Q(s) and, Double DQN, Q(s')        online.forward([s; s'])               (one op per layer)
 *   y = r + gamma (1 - terminated) V(s'), loss(Q(s, a), y), dL/dQ         tdLoss   (one op)
 *   gradients                          online.backward(dL/dQ)                (two ops per layer)
 *   clipping, Adam, Polyak target      sumSquares + one fused adam op over the parameter arena
 *   policy average (policyAverageTau)  averaged.lerpFrom(online)             (one op, when on)
 *
 * with V(s') = max_a' Q_target(s', a'), or Q_target(s', argmax_a' Q(s', a')) with Double DQN, or
 * with Munchausen DQN (config.munchausen > 0) the soft value of s' plus a bonus for the action
 * taken, from one target forward of [s; s'] (MunchausenTarget). With
 * n-step returns (nStep > 1) the minibatch carries the window's reward sum and its discount
 * gamma^m (0 after a termination), which replaces gamma (1 - terminated) (replay-buffer.ts). On
 * WebGPU that is one submission of 14 dispatches for a 2-hidden-layer MLP (13 on a CPU-emulated
 * adapter, where Adam also takes in the sum of squares); the loss is read back
 * only when asked (readLoss). The agent owns the TD target: the minibatch carries `terminated`
 * flags, gamma is the agent's.
 */
import type { AdamFusion, Backend, FloatArray, MunchausenTarget, Tensor, TdLossArgs } from '../backend/backend.js';
import { InvalidArgumentError } from '../errors.js';
import { GradNormClipper } from '../nn/clip.js';
import { Adam } from '../nn/optim/adam.js';
import type { OptimizerState } from '../nn/optim/optimizer.js';
import { Rng } from '../random/rng.js';
import type { DqnConfig } from './config.js';
import { argmax, argmaxRow } from './network-layout.js';
import { QNetwork } from './q-network.js';
import type { Minibatch } from './replay-buffer.js';

export { argmax, argmaxRow } from './network-layout.js';

/** The hyper-parameters the agent itself uses (the rest belong to the training loop). */
export const AGENT_FIELDS = [
  'hidden',
  'activation',
  'init',
  'dueling',
  'doubleDqn',
  'quantiles',
  'munchausen',
  'munchausenTau',
  'gamma',
  'nStep',
  'lr',
  'adamEps',
  'loss',
  'huberDelta',
  'maxGradNorm',
  'batchSize',
  'gradientSteps',
  'targetUpdate',
  'tau',
  'policyAverageTau',
] as const satisfies readonly (keyof DqnConfig)[];
export type DqnAgentConfig = Pick<DqnConfig, (typeof AGENT_FIELDS)[number]>;

/** The agent's part of `config` (a copy: the widths are not shared). */
export function agentConfigOf(config: DqnConfig): DqnAgentConfig {
  const out = {} as Record<string, unknown>;
  for (const key of AGENT_FIELDS) out[key] = config[key];
  return { ...(out as DqnAgentConfig), hidden: [...config.hidden] };
}

/** What a full checkpoint needs from the agent. */
export interface DqnAgentState {
  online: FloatArray[];
  target: FloatArray[];
  optimizer: OptimizerState;
  updates: number;
  /** The averaged network's weights (config.policyAverageTau > 0), else null. */
  averaged: FloatArray[] | null;
}


export class DqnAgent {
  readonly online: QNetwork;
  readonly target: QNetwork;
  /** The exponential moving average of the online weights (config.policyAverageTau > 0), else null. */
  readonly averaged: QNetwork | null;
  readonly optimizer: Adam;
  readonly obsDim: number;
  readonly nActions: number;
  private readonly clipper: GradNormClipper | null;
  /**
   * Minibatch tensors, one set per gradient step of a round (config.gradientSteps), used in turn:
   * the uploads of a round's minibatches never wait for the work recorded with the previous ones,
   * so on WebGPU a whole round of updates is one submission.
   */
  private readonly slots: MinibatchTensors[];
  private slot = 0;
  // Outputs of the TD loss.
  private readonly lossValue: Tensor;
  private readonly gradQ: Tensor;
  private readonly tdTargets: Tensor;
  private readonly td: TdLossArgs;
  /** Clipping and the Polyak target update, fused into the Adam step (kept: no allocation per update). */
  private readonly fusion: { clip: AdamFusion['clip']; polyak: AdamFusion['polyak'] };
  private updates = 0;

  constructor(
    readonly backend: Backend,
    readonly config: DqnAgentConfig,
    obsDim: number,
    nActions: number,
    /** The run's one random stream: initial weights now, exploration in act(). */
    private readonly rng: Rng,
  ) {
    if (!Number.isInteger(nActions) || nActions < 2) throw new InvalidArgumentError(`DQN needs a discrete action space with at least 2 actions, got ${nActions}`);
    this.obsDim = obsDim;
    this.nActions = nActions;
    const spec = { obsDim, nActions, hidden: config.hidden, activation: config.activation, init: config.init, dueling: config.dueling, quantiles: config.quantiles };
    this.online = new QNetwork(backend, spec, rng);
    // The target starts as an exact copy; its own initial draw is not taken from the stream.
    this.target = new QNetwork(backend, spec, Rng.fromState(rng.getState()));
    this.target.copyFrom(this.online);
    this.averaged = config.policyAverageTau > 0 ? new QNetwork(backend, spec, Rng.fromState(rng.getState())) : null;
    this.averaged?.copyFrom(this.online);
    this.optimizer = new Adam(backend, this.online.parameters(), { lr: config.lr, eps: config.adamEps });
    this.clipper = config.maxGradNorm > 0 ? new GradNormClipper(backend, this.online.parameters(), config.maxGradNorm) : null;
    const b = config.batchSize;
    const nStep = config.nStep > 1;
    const munchausen: MunchausenTarget | null = config.munchausen > 0 ? { alpha: config.munchausen, tau: config.munchausenTau, logPolicyFloor: MUNCHAUSEN_LOG_POLICY_FLOOR } : null;
    this.slots = Array.from(
      { length: Math.max(1, config.gradientSteps) },
      (_, i) => new MinibatchTensors(backend, b, obsDim, { double: config.doubleDqn, munchausen: munchausen !== null, nStep }, i),
    );
    this.lossValue = backend.tensor([1, 1], undefined, 'td.loss');
    this.gradQ = backend.tensor([b, nActions * config.quantiles], undefined, 'q.grad');
    this.tdTargets = backend.tensor([b, 1], undefined, 'td.target');
    // Every tensor here but the outputs is set at each update.
    const first = this.slots[0];
    this.td = {
      q: first.states,
      nextQ: first.targetInput,
      actions: first.actions,
      rewards: first.rewards,
      terminated: first.terminated,
      gamma: config.gamma,
      double: config.doubleDqn,
      loss: config.loss,
      delta: config.huberDelta,
      quantiles: config.quantiles,
      munchausen,
      lossOut: this.lossValue,
      gradQ: this.gradQ,
      targets: this.tdTargets,
    };
    this.fusion = {
      clip: null,
      polyak: config.targetUpdate === 'soft' ? { target: this.target.arena.values, tau: config.tau } : null,
    };
  }

  /** Updates recorded so far. */
  get updateCount(): number {
    return this.updates;
  }

  /**
   * The greedy policy: what is evaluated, kept and saved. The averaged network when policy
   * averaging is on, else the online one (which always acts, with exploration, and learns).
   */
  get policy(): QNetwork {
    return this.averaged ?? this.online;
  }

  /** Starts from given weights (a .npz's): online, target and the policy average all take them. */
  loadWeights(arrays: readonly ArrayLike<number>[]): void {
    this.online.setWeights(arrays);
    this.syncTarget();
    this.averaged?.copyFrom(this.online);
  }

  /** Q(s, .) for one observation (a read back). The returned array is reused by the next call. */
  qValues(observation: ArrayLike<number>): Promise<Float32Array> {
    return this.online.qValues(observation);
  }

  /** argmax_a Q(s, a), ties to the lowest index. */
  async greedyAction(observation: ArrayLike<number>): Promise<number> {
    return argmax(await this.qValues(observation), this.nActions);
  }

  /**
   * Epsilon-greedy: with probability epsilon a uniform random action, else the greedy one. Draws
   * one uniform from the run's stream every step, and one integer when exploring.
   */
  async act(observation: ArrayLike<number>, epsilon: number): Promise<number> {
    if (this.rng.random() < epsilon) return this.rng.integers(this.nActions);
    return this.greedyAction(observation);
  }

  /**
   * The exploration draws of envs [from, from + count): for each, in order, one uniform from the
   * run's stream, and one integer when it explores (its action is set). The others get -1, to be
   * filled by greedyFrom. Returns whether any env needs its greedy action.
   */
  explore(epsilon: number, actions: Int32Array, from: number, count: number): boolean {
    let greedy = false;
    for (let i = from; i < from + count; i++) {
      if (this.rng.random() < epsilon) actions[i] = this.rng.integers(this.nActions);
      else {
        actions[i] = -1;
        greedy = true;
      }
    }
    return greedy;
  }

  /** Q(s, .) of `rows` observations in one forward pass and one read back, row by row (see QNetwork.qValuesBatch). */
  qValuesBatch(observations: ArrayLike<number>, rows: number, dst?: Float32Array): Promise<Float32Array> {
    return this.online.qValuesBatch(observations, rows, dst);
  }

  /** Sets the actions still -1 in [from, from + count) to the argmax of their row of `q` (row 0 is env `from`). */
  greedyFrom(q: Float32Array, actions: Int32Array, from: number, count: number): void {
    const n = this.nActions;
    for (let i = 0; i < count; i++) if (actions[from + i] < 0) actions[from + i] = argmaxRow(q, i * n, n);
  }

  /** qValuesBatch then greedyFrom: the greedy actions of envs [from, from + count). */
  async fillGreedy(observations: Float32Array, actions: Int32Array, from: number, count: number): Promise<void> {
    this.greedyFrom(await this.qValuesBatch(observations, count), actions, from, count);
  }

  /** Records one gradient step on `batch` (of config.batchSize transitions). Nothing is read back. */
  update(batch: Minibatch): void {
    const { backend, config } = this;
    if (batch.size !== config.batchSize) throw new InvalidArgumentError(`minibatch has ${batch.size} transitions, the agent was built for ${config.batchSize}`);
    const slot = this.slots[this.slot];
    this.slot = (this.slot + 1) % this.slots.length;
    slot.upload(batch);

    const td = this.td;
    td.actions = slot.actions;
    td.rewards = slot.rewards;
    td.terminated = slot.terminated;
    td.discounts = slot.discounts;
    td.nextQ = this.target.forward(slot.targetInput);
    td.q = this.online.forward(slot.states);
    backend.tdLoss(td);
    // The gradient covers Q(s) only, the first half of a Double DQN forward.
    this.online.backward(this.gradQ, false);
    this.step();
    this.averaged?.lerpFrom(this.online, config.policyAverageTau);
    this.updates++;
  }

  /** Clipping, Adam and the soft target update: fused into one op over the arena (after the norm). */
  private step(): void {
    const { config, clipper } = this;
    if (clipper !== null) clipper.measure();
    if (this.optimizer.fused) {
      this.fusion.clip = clipper === null ? null : clipper.fusion();
      this.optimizer.step(this.fusion);
      return;
    }
    if (clipper !== null) clipper.clip();
    this.optimizer.step();
    if (config.targetUpdate === 'soft') this.target.lerpFrom(this.online, config.tau);
  }

  /** Hard target update: target <- online. */
  syncTarget(): void {
    this.target.copyFrom(this.online);
  }

  /** The loss of the latest update (a read back; call it sparingly on WebGPU). */
  async readLoss(): Promise<number> {
    return (await this.backend.read(this.lossValue))[0];
  }

  /** The TD targets r + gamma (1 - terminated) V(s') of the latest update (a read back), for inspection. */
  readTdTargets(): Promise<FloatArray> {
    return this.backend.read(this.tdTargets);
  }

  /** The total gradient norm before clipping at the latest update, or NaN when clipping is off. */
  async readGradNorm(): Promise<number> {
    return this.clipper ? this.clipper.readNorm() : Number.NaN;
  }

  async getState(): Promise<DqnAgentState> {
    return {
      online: await this.online.getWeights(),
      target: await this.target.getWeights(),
      optimizer: await this.optimizer.getState(),
      updates: this.updates,
      averaged: this.averaged ? await this.averaged.getWeights() : null,
    };
  }

  setState(state: DqnAgentState): void {
    if ((state.averaged === null) !== (this.averaged === null)) {
      throw new InvalidArgumentError(`the agent state ${state.averaged === null ? 'has no' : 'has a'} policy average, the agent ${this.averaged === null ? 'keeps none' : 'keeps one'} (policyAverageTau)`);
    }
    this.online.setWeights(state.online);
    this.target.setWeights(state.target);
    if (state.averaged !== null) this.averaged?.setWeights(state.averaged);
    this.optimizer.setState(state.optimizer);
    this.updates = state.updates;
  }

  dispose(): void {
    this.online.dispose();
    this.target.dispose();
    this.averaged?.dispose();
    this.optimizer.dispose();
    this.clipper?.dispose();
    for (const slot of this.slots) slot.dispose();
    for (const t of [this.lossValue, this.gradQ, this.tdTargets]) t.dispose();
  }
}

/** The floor of Munchausen DQN's scaled log-policy bonus (the paper's l0). */
export const MUNCHAUSEN_LOG_POLICY_FLOOR = -1;

/** Which inputs a minibatch's forward passes need. */
interface MinibatchLayout {
  /** Double DQN: the online network also values s'. */
  double: boolean;
  /** Munchausen DQN: the target network also values s. */
  munchausen: boolean;
  /** n-step returns: per-row discounts. */
  nStep: boolean;
}

/**
 * One minibatch on the device. `states` holds s and, with Double DQN, s' below it, so one online
 * forward gives Q(s) and Q(s'); `targetInput` is s' for the target network or, with Munchausen
 * DQN, s above s'.
 */
class MinibatchTensors {
  readonly states: Tensor;
  readonly targetInput: Tensor;
  readonly actions: Tensor;
  readonly rewards: Tensor;
  readonly terminated: Tensor;
  /** The per-row discounts of n-step returns (null with one-step targets: gamma (1 - terminated)). */
  readonly discounts: Tensor | null;

  constructor(
    private readonly backend: Backend,
    batchSize: number,
    obsDim: number,
    private readonly layout: MinibatchLayout,
    index: number,
  ) {
    const b = batchSize;
    this.states = backend.tensor([layout.double ? 2 * b : b, obsDim], undefined, `batch${index}.states`);
    this.targetInput = backend.tensor([layout.munchausen ? 2 * b : b, obsDim], undefined, `batch${index}.target_input`);
    this.actions = backend.tensor([b, 1], undefined, `batch${index}.a`);
    this.rewards = backend.tensor([b, 1], undefined, `batch${index}.r`);
    this.terminated = backend.tensor([b, 1], undefined, `batch${index}.terminated`);
    this.discounts = layout.nStep ? backend.tensor([b, 1], undefined, `batch${index}.discounts`) : null;
  }

  upload(batch: Minibatch): void {
    const backend = this.backend;
    const { double, munchausen } = this.layout;
    backend.write(this.states, batch.observations);
    if (double) backend.write(this.states, batch.nextObservations, batch.observations.length);
    if (munchausen) backend.write(this.targetInput, batch.observations);
    backend.write(this.targetInput, batch.nextObservations, munchausen ? batch.observations.length : 0);
    backend.write(this.actions, batch.actions);
    backend.write(this.rewards, batch.rewards);
    // With n-step discounts tdLoss does not read the terminated flags (the discounts hold them).
    if (this.discounts !== null) backend.write(this.discounts, batch.discounts);
    else backend.write(this.terminated, batch.terminated);
  }

  dispose(): void {
    for (const t of [this.states, this.targetInput, this.actions, this.rewards, this.terminated]) t.dispose();
    this.discounts?.dispose();
  }
}
