/**
 * Deep Q-learning (Mnih et al. 2015) with the usual improvements as options: Double DQN, dueling
 * heads, Huber loss, global-norm gradient clipping, soft or hard target updates.
 *
 * An update is recorded on the backend as one sequence of ops with no read back: upload the
 * minibatch, target forward on s', TD target r + gamma (1 - terminated) max_a' Q_target(s', a')
 * (Double DQN: Q_target(s', argmax_a' Q_online(s', a'))), online forward on s, loss at the chosen
 * actions, backward, clipping, Adam, soft target update. On WebGPU that is one submission; the loss
 * is read back only when asked (readLoss). The agent owns the TD target: the minibatch carries
 * `terminated` flags, gamma is the agent's.
 */
import type { Backend, FloatArray, Tensor } from '../backend/backend.js';
import { InvalidArgumentError } from '../errors.js';
import { GradNormClipper } from '../nn/clip.js';
import { Loss } from '../nn/losses.js';
import { Adam } from '../nn/optim/adam.js';
import type { OptimizerState } from '../nn/optim/optimizer.js';
import { Rng } from '../random/rng.js';
import type { DqnConfig } from './config.js';
import { QNetwork } from './q-network.js';
import type { Minibatch } from './replay-buffer.js';

/** The hyper-parameters the agent itself uses (the rest belong to the training loop). */
export type DqnAgentConfig = Pick<
  DqnConfig,
  'hidden' | 'activation' | 'init' | 'dueling' | 'doubleDqn' | 'gamma' | 'lr' | 'adamEps' | 'loss' | 'huberDelta' | 'maxGradNorm' | 'batchSize' | 'targetUpdate' | 'tau'
>;

/** What a full checkpoint needs from the agent. */
export interface DqnAgentState {
  online: FloatArray[];
  target: FloatArray[];
  optimizer: OptimizerState;
  updates: number;
}

/** Index of the first maximum (NumPy's argmax). */
export function argmax(values: ArrayLike<number>, length = values.length): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[i] > values[best]) best = i;
  return best;
}

export class DqnAgent {
  readonly online: QNetwork;
  readonly target: QNetwork;
  readonly optimizer: Adam;
  readonly obsDim: number;
  readonly nActions: number;
  private readonly clipper: GradNormClipper | null;
  private readonly loss: Loss;
  // Minibatch tensors, uploaded once per update.
  private readonly observations: Tensor;
  private readonly nextObservations: Tensor;
  private readonly actions: Tensor;
  private readonly rewards: Tensor;
  private readonly terminated: Tensor;
  // Constant columns gamma and -gamma, for gamma (1 - terminated) = gamma + (-gamma) terminated.
  private readonly gammas: Tensor;
  private readonly minusGammas: Tensor;
  // Intermediates of the update.
  private readonly discounts: Tensor;
  private readonly nextValues: Tensor;
  private readonly nextActions: Tensor;
  private readonly tdTargets: Tensor;
  private readonly chosenQ: Tensor;
  private readonly gradQ: Tensor;
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
    const spec = { obsDim, nActions, hidden: config.hidden, activation: config.activation, init: config.init, dueling: config.dueling };
    this.online = new QNetwork(backend, spec, rng);
    // The target starts as an exact copy; its own initial draw is not taken from the stream.
    this.target = new QNetwork(backend, spec, Rng.fromState(rng.getState()));
    this.target.copyFrom(this.online);
    this.optimizer = new Adam(backend, this.online.parameters(), { lr: config.lr, eps: config.adamEps });
    this.clipper = config.maxGradNorm > 0 ? new GradNormClipper(backend, this.online.parameters(), config.maxGradNorm) : null;
    this.loss = new Loss(backend, config.loss, { delta: config.huberDelta });
    const b = config.batchSize;
    this.observations = backend.tensor([b, obsDim], undefined, 'batch.s');
    this.nextObservations = backend.tensor([b, obsDim], undefined, 'batch.s_next');
    this.actions = backend.tensor([b, 1], undefined, 'batch.a');
    this.rewards = backend.tensor([b, 1], undefined, 'batch.r');
    this.terminated = backend.tensor([b, 1], undefined, 'batch.terminated');
    this.gammas = backend.tensor([b, 1], undefined, 'td.gamma');
    this.minusGammas = backend.tensor([b, 1], undefined, 'td.minus_gamma');
    backend.fill(this.gammas, config.gamma);
    backend.fill(this.minusGammas, -config.gamma);
    this.discounts = backend.tensor([b, 1], undefined, 'td.discount');
    this.nextValues = backend.tensor([b, 1], undefined, 'td.next_value');
    this.nextActions = backend.tensor([b, 1], undefined, 'td.next_action');
    this.tdTargets = backend.tensor([b, 1], undefined, 'td.target');
    this.chosenQ = backend.tensor([b, 1], undefined, 'q.chosen');
    this.gradQ = backend.tensor([b, nActions], undefined, 'q.grad');
  }

  /** Updates recorded so far. */
  get updateCount(): number {
    return this.updates;
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

  /** Records one gradient step on `batch` (of config.batchSize transitions). Nothing is read back. */
  update(batch: Minibatch): void {
    const { backend, config } = this;
    if (batch.size !== config.batchSize) throw new InvalidArgumentError(`minibatch has ${batch.size} transitions, the agent was built for ${config.batchSize}`);
    backend.write(this.observations, batch.observations);
    backend.write(this.nextObservations, batch.nextObservations);
    backend.write(this.actions, batch.actions);
    backend.write(this.rewards, batch.rewards);
    backend.write(this.terminated, batch.terminated);

    // TD target = r + gamma (1 - terminated) max_a' Q_target(s', a'). The online forward on s'
    // (Double DQN) must come before the one on s, whose activations the backward pass needs.
    this.nextStateValues();
    // gamma + (-gamma) terminated is exactly gamma or 0 in any rounding: terminated is 0 or 1.
    backend.addMul(this.gammas, this.minusGammas, this.terminated, this.discounts);
    backend.addMul(this.rewards, this.discounts, this.nextValues, this.tdTargets);

    // Loss at the chosen actions; its gradient is zero at the other actions.
    const q = this.online.forward(this.observations);
    backend.gatherColumns(q, this.actions, this.chosenQ);
    this.loss.forward(this.chosenQ, this.tdTargets);
    backend.scatterColumns(this.loss.grad, this.actions, this.gradQ);

    // Overwriting the gradients spares the zero-fill of every one (a dispatch each on WebGPU).
    this.online.backward(this.gradQ, false);
    this.clipper?.clip();
    this.optimizer.step();
    this.updates++;
    if (config.targetUpdate === 'soft') this.target.lerpFrom(this.online, config.tau);
  }

  /** nextValues <- max_a' Q_target(s', a'), or with Double DQN Q_target(s', argmax_a' Q_online(s', a')). */
  private nextStateValues(): void {
    const nextQTarget = this.target.forward(this.nextObservations);
    if (this.config.doubleDqn) {
      this.backend.rowArgmax(this.online.forward(this.nextObservations), this.nextActions);
      this.backend.gatherColumns(nextQTarget, this.nextActions, this.nextValues);
    } else {
      this.backend.rowMax(nextQTarget, this.nextValues);
    }
  }

  /** Hard target update: target <- online. */
  syncTarget(): void {
    this.target.copyFrom(this.online);
  }

  /** The loss of the latest update (a read back; call it sparingly on WebGPU). */
  async readLoss(): Promise<number> {
    return this.loss.read();
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
    };
  }

  setState(state: DqnAgentState): void {
    this.online.setWeights(state.online);
    this.target.setWeights(state.target);
    this.optimizer.setState(state.optimizer);
    this.updates = state.updates;
  }

  dispose(): void {
    this.online.dispose();
    this.target.dispose();
    this.optimizer.dispose();
    this.clipper?.dispose();
    this.loss.dispose();
    for (const t of [
      this.observations,
      this.nextObservations,
      this.actions,
      this.rewards,
      this.terminated,
      this.gammas,
      this.minusGammas,
      this.discounts,
      this.nextValues,
      this.nextActions,
      this.tdTargets,
      this.chosenQ,
      this.gradQ,
    ])
      t.dispose();
  }
}
