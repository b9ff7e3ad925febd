/**
 * PQN's update (Gallici et al. 2025, "Simplifying Deep Temporal Difference Learning"; CleanRL's
 * pqn.py): a Q-network with LayerNorm trained without replay or target network, on minibatches of
 * a rollout's Q(lambda) returns G (the backend's qLambdaReturns op), by RAdam on
 *
 *   loss = mean over the minibatch of (Q(s, a) - G)^2
 *
 * CleanRL's `F.mse_loss(returns, q)`: the plain mean, gradient 2 (Q(s, a) - G) / B (purejaxql's
 * pqn_gymnax.py halves it, 0.5 mean, which only rescales the gradient before clipping and RAdam's
 * normalisation). An update is recorded on the backend with no read back:
 *
 *   Q(s)                               net.forward(s)          (2 ops per hidden layer: Dense, LayerNorm with the ReLU fused; 1 for the head)
 *   loss(Q(s, a), G), dL/dQ            tdLoss                  (one op: G as the rewards, a zero discount)
 *   gradients                          net.backward(dL/dQ)     (dW+db and the input gradient per Dense; per LayerNorm one op, ReLU's mask fused)
 *   clipping, RAdam                    sumSquares + one fused radam op over the parameter arena
 *
 * On WebGPU that is one submission of 15 dispatches for a 2-hidden-layer network (14 on a
 * CPU-emulated adapter, where the optimiser step sums the squares itself; test/webgpu-pqn.test.ts
 * counts them). The loss is read back only when asked (readLoss).
 */
import type { Backend, FloatArray, Tensor, TdLossArgs } from '../backend/backend.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { GradNormClipper } from '../nn/clip.js';
import type { Initializer } from '../nn/init.js';
import { ADAM_DEFAULTS } from '../nn/optim/adam.js';
import type { OptimizerState } from '../nn/optim/optimizer.js';
import { RAdam } from '../nn/optim/radam.js';
import type { Rng } from '../random/rng.js';
import { QNetwork, qNetworkWeightShapes } from './q-network.js';

export interface PqnAgentConfig {
  /** Hidden widths (CleanRL: 120, 84). */
  hidden: readonly number[];
  /** Weight initialiser ('torch_default' is torch.nn.Linear's). */
  init: Initializer;
  /** Transitions per minibatch (rollout steps x envs / minibatches). */
  batchSize: number;
  /** RAdam's eps, beta1, beta2 (torch's defaults when left out); the learning rate is given to each update. */
  eps?: number;
  beta1?: number;
  beta2?: number;
  /** Global-norm gradient clipping threshold (CleanRL: 10); 0 turns it off. */
  maxGradNorm: number;
  /**
   * Minibatch tensors used in turn (default 1). With k slots, k updates in a row upload without
   * waiting for the previous ones' work, so on WebGPU they are one submission: a trainer sets it to
   * its minibatches per epoch (or per rollout).
   */
  slots?: number;
}

/** One minibatch of a rollout, row-major: B observations, their actions and their Q(lambda) returns. */
export interface PqnMinibatch {
  observations: ArrayLike<number>;
  /** Exact integers in [0, nActions). */
  actions: ArrayLike<number>;
  returns: ArrayLike<number>;
}

/** A rollout on the device that minibatches are gathered from (updateGathered): R rows each. */
export interface PqnRolloutTensors {
  /** (R, obsDim). */
  observations: Tensor;
  /** (R, 1). */
  actions: Tensor;
  /** (R, 1). */
  returns: Tensor;
}

/** What a full checkpoint needs from the agent. */
export interface PqnAgentState {
  weights: FloatArray[];
  optimizer: OptimizerState;
  updates: number;
}

/** The shapes of a PQN network's weights in the weights file's order (see PqnAgent.weightShapes). */
export function pqnWeightShapes(obsDim: number, nActions: number, hidden: readonly number[]): [number, number][] {
  return qNetworkWeightShapes({ obsDim, nActions, hidden, dueling: false, quantiles: 1, layerNorm: true });
}

export class PqnAgent {
  readonly net: QNetwork;
  readonly optimizer: RAdam;
  private readonly clipper: GradNormClipper | null;
  private readonly slots: PqnMinibatchTensors[];
  private slot = 0;
  private readonly lossValue: Tensor;
  private readonly gradQ: Tensor;
  /** Zeros: the "next Q" and "terminated" of tdLoss, whose target is then exactly the returns. */
  private readonly zeroQ: Tensor;
  private readonly zeroColumn: Tensor;
  private readonly td: TdLossArgs;
  private readonly fusion: { clip: { sumSquares: Tensor; maxNorm: number } | null };
  private updates = 0;

  constructor(
    readonly backend: Backend,
    readonly config: PqnAgentConfig,
    readonly obsDim: number,
    readonly nActions: number,
    /** Draws the initial weights. */
    rng: Rng,
  ) {
    if (!Number.isInteger(nActions) || nActions < 2) throw new InvalidArgumentError(`PQN needs a discrete action space with at least 2 actions, got ${nActions}`);
    const b = config.batchSize;
    if (!Number.isInteger(b) || b < 1) throw new InvalidArgumentError(`PQN: batchSize must be a positive integer, got ${b}`);
    if (!(config.maxGradNorm >= 0)) throw new InvalidArgumentError(`PQN: maxGradNorm must be >= 0 (0 = off), got ${config.maxGradNorm}`);
    const slots = config.slots ?? 1;
    if (!Number.isInteger(slots) || slots < 1) throw new InvalidArgumentError(`PQN: slots must be a positive integer, got ${slots}`);
    this.net = new QNetwork(backend, { obsDim, nActions, hidden: config.hidden, activation: 'relu', init: config.init, dueling: false, quantiles: 1, layerNorm: true }, rng);
    this.optimizer = new RAdam(backend, this.net.parameters(), {
      lr: ADAM_DEFAULTS.lr,
      eps: config.eps ?? ADAM_DEFAULTS.eps,
      beta1: config.beta1 ?? ADAM_DEFAULTS.beta1,
      beta2: config.beta2 ?? ADAM_DEFAULTS.beta2,
    });
    this.clipper = config.maxGradNorm > 0 ? new GradNormClipper(backend, this.net.parameters(), config.maxGradNorm) : null;
    this.slots = Array.from({ length: slots }, (_, i) => new PqnMinibatchTensors(backend, b, obsDim, i));
    this.lossValue = backend.tensor([1, 1], undefined, 'pqn.loss');
    this.gradQ = backend.tensor([b, nActions], undefined, 'pqn.q.grad');
    this.zeroQ = backend.tensor([b, nActions], undefined, 'pqn.zero_q');
    this.zeroColumn = backend.tensor([b, 1], undefined, 'pqn.zero_column');
    const first = this.slots[0];
    // y = G + gamma (1 - terminated) max zeroQ = G + 0: the MSE of Q(s, a) against the returns.
    this.td = {
      q: first.observations,
      nextQ: this.zeroQ,
      actions: first.actions,
      rewards: first.returns,
      terminated: this.zeroColumn,
      gamma: 0,
      double: false,
      loss: 'mse',
      lossOut: this.lossValue,
      gradQ: this.gradQ,
    };
    this.fusion = { clip: null };
  }

  /** Updates recorded so far. */
  get updateCount(): number {
    return this.updates;
  }

  /** Q(s, .) of `rows` observations in one forward pass and one read back, row by row (see QNetwork.qValuesBatch). */
  qValuesBatch(observations: ArrayLike<number>, rows: number, dst?: Float32Array): Promise<Float32Array> {
    return this.net.qValuesBatch(observations, rows, dst);
  }

  /** Records one gradient step on `batch` (config.batchSize rows) with learning rate `lr`. Nothing is read back. */
  update(batch: PqnMinibatch, lr: number): void {
    const b = this.config.batchSize;
    if (batch.actions.length !== b || batch.returns.length !== b || batch.observations.length !== b * this.obsDim) {
      throw new ShapeError(
        `PQN minibatch: expected ${b} rows (${b * this.obsDim} observation values, ${b} actions, ${b} returns), got ${batch.observations.length}, ${batch.actions.length}, ${batch.returns.length}`,
      );
    }
    this.slots[this.slot].upload(batch);
    this.step(lr);
  }

  /** The update on the current slot's minibatch, then the next slot. */
  private step(lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new InvalidArgumentError(`PQN: lr must be a finite number >= 0, got ${lr}`);
    const slot = this.slots[this.slot];
    this.slot = (this.slot + 1) % this.slots.length;

    const td = this.td;
    td.actions = slot.actions;
    td.rewards = slot.returns;
    td.q = this.net.forward(slot.observations);
    this.backend.tdLoss(td);
    this.net.backward(this.gradQ, false);
    const clipper = this.clipper;
    if (clipper !== null) clipper.measure();
    this.fusion.clip = clipper === null ? null : clipper.fusion();
    this.optimizer.lr = lr;
    this.optimizer.step(this.fusion);
    this.updates++;
  }

  /**
   * Records one gradient step on the rows `rows` (config.batchSize indices) of a rollout held on the
   * device: the indices are written, three gatherRows fill the minibatch, then the update as
   * `update`. Nothing is read back, and the minibatch equals what `update` would get from a host
   * copy of the same rows.
   */
  updateGathered(rollout: PqnRolloutTensors, rows: ArrayLike<number>, lr: number): void {
    const b = this.config.batchSize;
    if (rows.length !== b) throw new ShapeError(`PQN minibatch: expected ${b} row indices, got ${rows.length}`);
    const slot = this.slots[this.slot];
    this.backend.write(slot.indices, rows);
    this.backend.gatherRows(rollout.observations, slot.indices, slot.observations);
    this.backend.gatherRows(rollout.actions, slot.indices, slot.actions);
    this.backend.gatherRows(rollout.returns, slot.indices, slot.returns);
    this.step(lr);
  }

  /** The loss of the latest update (a read back; call it sparingly on WebGPU). */
  /** The (1, 1) tensor the latest update wrote its loss to, for a caller that reads it with other values. */
  get lossTensor(): Tensor {
    return this.lossValue;
  }

  async readLoss(): Promise<number> {
    return (await this.backend.read(this.lossValue))[0];
  }

  /** The total gradient norm before clipping at the latest update, or NaN when clipping is off. */
  async readGradNorm(): Promise<number> {
    return this.clipper ? this.clipper.readNorm() : Number.NaN;
  }

  /** Per hidden layer W (in, out), b (1, out), LayerNorm gamma (1, out), beta (1, out); then the head's W and b. */
  getWeights(): Promise<FloatArray[]> {
    return this.net.getWeights();
  }

  /** Overwrites every parameter, in getWeights() order (sizes checked). */
  setWeights(arrays: readonly ArrayLike<number>[]): void {
    this.net.setWeights(arrays);
  }

  /** The shapes of getWeights()'s arrays. */
  weightShapes(): [number, number][] {
    return this.net.weightShapes();
  }

  async getState(): Promise<PqnAgentState> {
    return { weights: await this.getWeights(), optimizer: await this.optimizer.getState(), updates: this.updates };
  }

  setState(state: PqnAgentState): void {
    this.setWeights(state.weights);
    this.optimizer.setState(state.optimizer);
    this.updates = state.updates;
  }

  dispose(): void {
    this.net.dispose();
    this.optimizer.dispose();
    this.clipper?.dispose();
    for (const slot of this.slots) slot.dispose();
    for (const t of [this.lossValue, this.gradQ, this.zeroQ, this.zeroColumn]) t.dispose();
  }
}

/** One minibatch on the device. */
class PqnMinibatchTensors {
  readonly observations: Tensor;
  readonly actions: Tensor;
  readonly returns: Tensor;
  /** Row indices of a minibatch gathered on the device (updateGathered). */
  readonly indices: Tensor;

  constructor(
    private readonly backend: Backend,
    batchSize: number,
    obsDim: number,
    index: number,
  ) {
    this.observations = backend.tensor([batchSize, obsDim], undefined, `pqn.batch${index}.s`);
    this.actions = backend.tensor([batchSize, 1], undefined, `pqn.batch${index}.a`);
    this.returns = backend.tensor([batchSize, 1], undefined, `pqn.batch${index}.G`);
    this.indices = backend.tensor([batchSize, 1], undefined, `pqn.batch${index}.rows`);
  }

  upload(batch: PqnMinibatch): void {
    this.backend.write(this.observations, batch.observations);
    this.backend.write(this.actions, batch.actions);
    this.backend.write(this.returns, batch.returns);
  }

  dispose(): void {
    for (const t of [this.observations, this.actions, this.returns, this.indices]) t.dispose();
  }
}
