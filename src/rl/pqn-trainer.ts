/**
 * The PQN training loop (Gallici et al. 2025; CleanRL's pqn.py), from the shared parts: N envs on
 * the host with same-step autoreset (training-envs.ts), periodic greedy evaluation keeping the best
 * weights (periodic-evaluation.ts), episode statistics (statistics.ts), the one seeded Rng, and
 * the agent's update (pqn-agent.ts). No replay buffer, no target network.
 *
 * One iteration:
 * - a rollout of numSteps vector steps: per vector step, epsilon-greedy actions for the N envs (one
 *   uniform per env from the run's stream, one integer when it explores; one forward pass and one
 *   read back for all, skipped when every env explores), the env steps, and the step's s, a,
 *   reward x rewardScale, terminated, truncated and s' stored (s' is the final observation where an
 *   episode ended: TrainingEnvs.nextObservations);
 * - Q(s') of the T N next observations in one forward pass, then the backend's qLambdaReturns
 *   (a truncated step bootstraps from Q of its final observation, a terminated one does not), with
 *   only the returns read back;
 * - updateEpochs epochs of numMinibatches minibatches, each epoch a fresh shuffle of the T N
 *   transitions (Fisher-Yates from the run's stream), at lr x (1 - iteration / iterations) with
 *   lrDecay (CleanRL's anneal_lr), else lr; one loss read back per iteration;
 * - a greedy evaluation when the iteration's steps reach or pass a multiple of evalFreq.
 *
 * With `envOn: 'device'` the rollout and its returns are a DeviceRollout (device-rollout.ts): the
 * envs are the backend's envStep kernels and the actions its epsilonGreedy, both drawing from the
 * run's seed (Philox streams per env; the acting counter is the vector step index), recorded with
 * no read back per step; the minibatches of the same shuffles are gathered on the device
 * (PqnAgent.updateGathered: the row indices written, mapped to the rollout's padded rows,
 * gatherRows), so only the episode statistics are read back, once per rollout. The run's Rng then
 * only draws the initial weights and the shuffles. A snapshot holds the device envs' state (read
 * back). `envOn: 'auto'` is settled in the constructor (pqnConfigFor): `config` holds the result.
 *
 * The run is floor(steps / (numEnvs numSteps)) iterations, as CleanRL's num_iterations. Epsilon at
 * a vector step is the linear schedule at the env steps counted after it (CleanRL increments
 * global_step before computing it). `run` works in whole iterations, so getState/restore (taken
 * between any two `run` calls) resume exactly.
 */
import type { Backend, FloatArray, Tensor } from '../backend/backend.js';
import { FirstEnvProbe } from './device-env-probe.js';
import { DeviceRollout, forEachEndedEpisode } from './device-rollout.js';
import { paddedRows } from './device-rollout-layout.js';
import { InvalidArgumentError } from '../errors.js';
import { Rng } from '../random/rng.js';
import { argmaxRow } from './dqn-agent.js';
import type { TrainerCallbacks } from './dqn-trainer.js';
import { validateWithSchema, type FieldNamer } from './config-schema.js';
import { yieldIfDue } from './event-loop-yield.js';
import { NonFiniteGuard } from './non-finite-guard.js';
import { PeriodicEvaluation } from './periodic-evaluation.js';
import { PqnAgent, type PqnAgentState } from './pqn-agent.js';
import type { RolloutState } from './rollout-checkpoint.js';
import { PQN_CONFIG, pqnArchitecture, pqnConfigFor, pqnMinibatchSize, type PqnConfig } from './pqn-config.js';
import { trainedWeightsFile } from './weights-file.js';
import { envSource } from '../envs/registry.js';
import { LinearStepDecay, annealedLearningRate } from './schedules.js';
import { RecentReturns } from './statistics.js';
import type { EnvInProgress, Trainer, TrainerPolicy } from './trainer.js';
import { TrainingEnvs } from './training-envs.js';

/** The snapshot format PqnTrainer writes. */
export const PQN_STATE_VERSION = 1;

/** A PqnTrainer snapshot, taken between iterations: everything `run` needs to continue exactly (the rollout trainers' fields, and PQN's). */
export interface PqnState extends RolloutState<PqnConfig, 'pqn'> {
  version: typeof PQN_STATE_VERSION;
  /** With envOn 'device': the device envs' state (S, N) row-major, reset counters included; absent otherwise (the host envs' open episodes are `envs`, empty with device envs). */
  deviceEnv?: number[];
  agent: PqnAgentState;
}

/** Throws naming the first field out of range or the first rule broken (PQN_CONFIG). */
export function validatePqnConfig(config: PqnConfig, name?: FieldNamer<PqnConfig>): void {
  validateWithSchema(PQN_CONFIG, config, name);
}

export class PqnTrainer implements Trainer<PqnConfig, PqnState> {
  readonly config: PqnConfig;
  readonly agent: PqnAgent;
  readonly envs: TrainingEnvs;
  readonly rng: Rng;
  readonly schedule: LinearStepDecay;
  /** Iterations in the run: floor(steps / (numEnvs numSteps)). */
  readonly totalIterations: number;
  steps = 0;
  episodes = 0;
  /** Iterations done (rollout and updates). */
  iterations = 0;
  lastLoss = Number.NaN;
  /** 'stop' or 'skip' on a non-finite loss or weights, per iteration (non-finite-guard.ts). */
  readonly nonFiniteGuard: NonFiniteGuard<PqnAgent, PqnAgentState>;
  private readonly recentReturns = new RecentReturns(100);
  private readonly evaluation: PeriodicEvaluation;
  private readonly started = performance.now();
  private readonly batch: number;
  private readonly minibatchSize: number;
  // The rollout, time-major (row t N + n is env n's step t).
  private readonly obs: FloatArray;
  private readonly nextObs: Float32Array;
  private readonly actions: FloatArray;
  private readonly rewards: Float32Array;
  private readonly terminated: Float32Array;
  private readonly truncated: Float32Array;
  private readonly returns: FloatArray;
  /** With envOn 'device': the rollout on the backend (its read-back arrays are obs, actions and returns); else null. */
  readonly device: DeviceRollout | null;
  /** With envOn 'device': env 0's episode in progress for the page's canvas (device-env-probe.ts); else null. */
  private readonly firstEnvProbe: FirstEnvProbe | null;
  /** The epsilons of a device rollout's vector steps. */
  private readonly stepEpsilons: Float64Array;
  /** The actions of the vector step being taken, and the epsilon they were drawn with. */
  private readonly stepActions: Int32Array;
  private stepEpsilon = Number.NaN;
  private readonly order: Int32Array;
  /** With envOn 'device': `order` as the device rollout's padded rows (DeviceRollout.layout). */
  private readonly deviceOrder: Int32Array;
  private readonly mb: { observations: Float32Array; actions: Float32Array; returns: Float32Array };
  private readonly tensors: { rewards: Tensor; terminated: Tensor; truncated: Tensor; nextObservations: Tensor; returns: Tensor };

  constructor(
    readonly backend: Backend,
    config: PqnConfig,
    readonly seed: number,
    private readonly callbacks: TrainerCallbacks = {},
  ) {
    validatePqnConfig(config);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new InvalidArgumentError(`seed must be a non-negative integer, got ${seed}`);
    // envOn 'auto' settled for this backend: the config the run trains, snapshots and reports.
    this.config = pqnConfigFor(config, backend.name);
    const c = this.config;
    this.schedule = new LinearStepDecay(c.epsilonStart, c.epsilonEnd, c.explorationFraction, c.steps);
    this.envs = new TrainingEnvs({ env: c.env, rewardShaping: 'none', numEnvs: c.numEnvs });
    const { obsDim, nActions, numEnvs } = this.envs;
    this.rng = new Rng(seed);
    this.batch = numEnvs * c.numSteps;
    this.minibatchSize = pqnMinibatchSize(c);
    this.totalIterations = Math.floor(c.steps / this.batch);
    this.agent = new PqnAgent(
      backend,
      { hidden: c.hidden, init: c.init, batchSize: this.minibatchSize, eps: c.adamEps, beta1: c.adamBeta1, beta2: c.adamBeta2, maxGradNorm: c.maxGradNorm, slots: c.numMinibatches },
      obsDim,
      nActions,
      this.rng,
    );
    const rows = this.batch;
    const onDevice = c.envOn === 'device';
    this.device = onDevice ? new DeviceRollout(backend, { env: c.env, numEnvs, numSteps: c.numSteps, seed, gamma: c.gamma, qLambda: c.qLambda, rewardScale: c.rewardScale }) : null;
    this.firstEnvProbe = this.device === null ? null : new FirstEnvProbe(backend, this.device.state, this.device.env);
    this.stepEpsilons = new Float64Array(c.numSteps);
    // With device envs the rollout stays on the device (minibatches gathered there): no host copy.
    const hostRows = onDevice ? 0 : rows;
    this.obs = new Float32Array(hostRows * obsDim);
    this.nextObs = new Float32Array(hostRows * obsDim);
    this.actions = new Float32Array(hostRows);
    this.rewards = new Float32Array(hostRows);
    this.terminated = new Float32Array(hostRows);
    this.truncated = new Float32Array(hostRows);
    this.returns = new Float32Array(hostRows);
    this.stepActions = new Int32Array(numEnvs);
    this.order = new Int32Array(rows);
    this.deviceOrder = new Int32Array(onDevice ? rows : 0);
    const b = this.minibatchSize;
    this.mb = { observations: new Float32Array(b * obsDim), actions: new Float32Array(b), returns: new Float32Array(b) };
    const T = onDevice ? 1 : c.numSteps; // the device rollout holds its own tensors
    const n = onDevice ? 1 : numEnvs;
    this.tensors = {
      rewards: backend.tensor([T, n], undefined, 'pqn.rollout.r'),
      terminated: backend.tensor([T, n], undefined, 'pqn.rollout.terminated'),
      truncated: backend.tensor([T, n], undefined, 'pqn.rollout.truncated'),
      nextObservations: backend.tensor([T * n, obsDim], undefined, 'pqn.rollout.next_s'),
      returns: backend.tensor([T, n], undefined, 'pqn.rollout.G'),
    };
    this.evaluation = new PeriodicEvaluation(c.env, c.evalEpisodes, seed);
    this.nonFiniteGuard = new NonFiniteGuard(c.onNonFinite, { weights: (agent) => agent.getWeights(), what: 'weights', rounds: 'iterations' });
  }

  /** With envOn 'device': env 0's episode in progress, one small read back recorded at once (device-env-probe.ts); else null (see Trainer). */
  deviceEnvInProgress(): Promise<EnvInProgress | null> {
    return this.firstEnvProbe === null ? Promise.resolve(null) : this.firstEnvProbe.read();
  }


  /** Iterations whose updates were undone (onNonFinite 'skip'). */
  get skippedIterations(): number {
    return this.nonFiniteGuard.skippedRounds;
  }

  /** The exploration rate of the next vector step. */
  get epsilon(): number {
    return this.schedule.value(this.steps + this.envs.numEnvs);
  }

  /** True once the run's iterations are done. */
  get done(): boolean {
    return this.iterations >= this.totalIterations;
  }

  get meanReturn100(): number {
    return this.recentReturns.mean;
  }

  get updates(): number {
    return this.agent.updateCount;
  }

  get bestMeanReturn(): number {
    return this.evaluation.bestMeanReturn;
  }

  get bestWeights(): FloatArray[] | null {
    return this.evaluation.bestWeights;
  }

  get bestSteps(): number {
    return this.evaluation.bestSteps;
  }

  /** The greedy policy: the Q-network itself. */
  get policy(): TrainerPolicy {
    return this.agent.net;
  }

  /** The learning rate of the next iteration's updates. */
  get learningRate(): number {
    return annealedLearningRate(this.config.lr, this.config.lrDecay, this.iterations, this.totalIterations);
  }

  loadWeights(arrays: readonly ArrayLike<number>[]): void {
    this.agent.setWeights(arrays);
  }

  weightShapes(): [number, number][] {
    return this.agent.weightShapes();
  }

  describeExploration(): string {
    return this.schedule.describe();
  }

  /**
   * Trains whole iterations (numEnvs x numSteps env steps each) until about `maxSteps` env steps are
   * taken (a slice may pass it by up to one iteration less one step), the run is done, or
   * `shouldStop()` turns true (checked between iterations). Returns the env steps taken.
   */
  async run(maxSteps = Number.POSITIVE_INFINITY, shouldStop: () => boolean = () => false): Promise<number> {
    const before = this.steps;
    if (this.device === null) this.envs.open(this.steps === 0 && this.episodes === 0 ? this.seed : null);
    while (this.steps - before < maxSteps && !this.done && !shouldStop()) await this.iteration();
    return this.steps - before;
  }

  private async iteration(): Promise<void> {
    const before = this.steps;
    if (this.device !== null) this.recordDeviceRollout(this.device);
    else {
      await this.rollout();
      await this.computeReturns();
    }
    await this.train();
    this.iterations++;
    const every = this.config.evalFreq;
    if (every > 0 && Math.floor(this.steps / every) > Math.floor(before / every)) {
      const log = await this.evaluation.evaluate(this, this.steps);
      await this.callbacks.onEvaluation?.(log);
    }
  }

  /** numSteps vector steps of every env, stored time-major. */
  private async rollout(): Promise<void> {
    const envs = this.envs;
    const { numEnvs: n, obsDim, nActions } = envs;
    const scale = this.config.rewardScale;
    const actions = this.stepActions;
    for (let t = 0; t < this.config.numSteps; t++) {
      const epsilon = this.epsilon;
      this.stepEpsilon = epsilon;
      let greedy = false;
      for (let i = 0; i < n; i++) {
        if (this.rng.random() < epsilon) actions[i] = this.rng.integers(nActions);
        else {
          actions[i] = -1;
          greedy = true;
        }
      }
      if (greedy) {
        const q = await this.agent.qValuesBatch(envs.observations, n);
        for (let i = 0; i < n; i++) if (actions[i] < 0) actions[i] = argmaxRow(q, i * nActions, nActions);
      }
      const finished = envs.step(actions);
      const row = t * n;
      this.obs.set(envs.states, row * obsDim);
      this.nextObs.set(envs.nextObservations, row * obsDim);
      for (let i = 0; i < n; i++) {
        this.actions[row + i] = actions[i];
        this.rewards[row + i] = envs.rewards[i] * scale;
        this.terminated[row + i] = envs.terminated[i];
        this.truncated[row + i] = envs.truncated[i];
      }
      this.steps += n;
      for (const episode of finished) await this.endEpisode(episode.stats.r, episode.stats.l);
      await yieldIfDue();
    }
  }

  /**
   * The rollout and its returns on the device (DeviceRollout), recorded with the epsilon of each
   * vector step and the vector step index as the acting draw counter. Nothing is read: the
   * statistics come back with the loss, after the updates (readDeviceRollout).
   */
  private recordDeviceRollout(device: DeviceRollout): void {
    const n = device.numEnvs;
    const eps = this.stepEpsilons;
    for (let t = 0; t < device.numSteps; t++) eps[t] = this.schedule.value(this.steps + (t + 1) * n);
    device.record(this.agent.net, eps, this.steps / n);
  }

  /**
   * The iteration's one read back on the device: the rollout's episode statistics and the loss of
   * the updates recorded after it, in one range (DeviceRollout.readEpisodes). The episodes that
   * ended are reported step by step, as the host rollout reports them (with the loss before these
   * updates); returns the new loss.
   */
  private async readDeviceRollout(device: DeviceRollout): Promise<number> {
    const n = device.numEnvs;
    const before = this.steps;
    const { episodes, scalar: loss } = await device.readEpisodes(this.agent.lossTensor);
    const atStep = (t: number): void => {
      this.steps = before + (t + 1) * n;
      this.stepEpsilon = this.stepEpsilons[t];
    };
    await forEachEndedEpisode(episodes, n, device.numSteps, atStep, (r, length) => this.endEpisode(r, length));
    return loss;
  }

  /**
   * Q of the T N next observations (one forward pass, left on the backend), then the Q(lambda)
   * returns there, read back once: one round trip.
   */
  private async computeReturns(): Promise<void> {
    const { backend, tensors, config: c } = this;
    backend.write(tensors.nextObservations, this.nextObs);
    const nextQ = this.agent.net.forward(tensors.nextObservations);
    backend.write(tensors.rewards, this.rewards);
    backend.write(tensors.terminated, this.terminated);
    backend.write(tensors.truncated, this.truncated);
    const { rewards, terminated, truncated, returns } = tensors;
    backend.qLambdaReturns({ rewards, terminated, truncated, nextQ, returns, gamma: c.gamma, lambda: c.qLambda });
    const g = await backend.read(tensors.returns);
    this.returns.set(g);
  }

  /** updateEpochs epochs of numMinibatches shuffled minibatches; the loss read back once, at the end. */
  private async train(): Promise<void> {
    const c = this.config;
    const agent = this.agent;
    await this.nonFiniteGuard.beforeRound(agent, this.lastLoss);
    const lr = this.learningRate;
    const { order, mb, minibatchSize: b } = this;
    const obsDim = this.envs.obsDim;
    for (let epoch = 0; epoch < c.updateEpochs; epoch++) {
      for (let i = 0; i < order.length; i++) order[i] = i;
      for (let i = order.length - 1; i > 0; i--) {
        const j = this.rng.integers(i + 1);
        const swap = order[i];
        order[i] = order[j];
        order[j] = swap;
      }
      const device = this.device;
      if (device !== null) paddedRows(device.layout, order, this.deviceOrder);
      for (let m = 0; m < c.numMinibatches; m++) {
        if (device !== null) {
          agent.updateGathered(device.rows, this.deviceOrder.subarray(m * b, (m + 1) * b), lr);
          continue;
        }
        for (let k = 0; k < b; k++) {
          const r = order[m * b + k];
          mb.observations.set(this.obs.subarray(r * obsDim, (r + 1) * obsDim), k * obsDim);
          mb.actions[k] = this.actions[r];
          mb.returns[k] = this.returns[r];
        }
        agent.update(mb, lr);
      }
      this.backend.flush();
      await yieldIfDue();
    }
    const loss = this.device !== null ? await this.readDeviceRollout(this.device) : await agent.readLoss();
    this.lastLoss = await this.nonFiniteGuard.afterRound(agent, loss, this.steps);
  }

  private async endEpisode(episodeReturn: number, length: number): Promise<void> {
    this.episodes++;
    this.recentReturns.push(episodeReturn);
    await this.callbacks.onEpisode?.({
      episode: this.episodes,
      steps: this.steps,
      return: episodeReturn,
      shapedReturn: episodeReturn * this.config.rewardScale,
      length,
      epsilon: this.stepEpsilon,
      loss: this.lastLoss,
      meanReturn100: this.meanReturn100,
      wallTime: (performance.now() - this.started) / 1000,
    });
  }

  async finalWeights(): Promise<FloatArray[]> {
    return this.bestWeights ?? (await this.agent.getWeights());
  }

  async weightsFile(weights?: readonly FloatArray[]): Promise<Uint8Array> {
    return trainedWeightsFile(this, 'pqn', pqnArchitecture(this.config), weights ?? (await this.finalWeights()), envSource(this.config.env));
  }

  /** A snapshot from which restore() continues exactly (the trainer is always between iterations outside run). */
  async getState(): Promise<PqnState> {
    return {
      version: PQN_STATE_VERSION,
      algorithm: 'pqn',
      config: { ...this.config, hidden: [...this.config.hidden] },
      seed: this.seed,
      steps: this.steps,
      episodes: this.episodes,
      iterations: this.iterations,
      lastLoss: this.lastLoss,
      skippedIterations: this.skippedIterations,
      recentReturns: this.recentReturns.values(),
      rng: this.rng.getState(),
      envs: this.device === null ? this.envs.getState() : [],
      ...(this.device === null ? {} : { deviceEnv: await this.device.getState() }),
      agent: await this.agent.getState(),
      ...this.evaluation.getState(),
    };
  }

  /** Restores a snapshot taken by getState() of a trainer with the same config and seed. */
  restore(state: PqnState): void {
    if (state.version !== PQN_STATE_VERSION || state.algorithm !== 'pqn') {
      throw new InvalidArgumentError(`checkpoint is not a PQN snapshot of format version ${PQN_STATE_VERSION}`);
    }
    if (state.seed !== this.seed) throw new InvalidArgumentError(`checkpoint was made with seed ${state.seed}, this run uses ${this.seed}`);
    const device = this.device;
    if (device === null && state.envs.length !== this.envs.numEnvs) throw new InvalidArgumentError(`checkpoint holds ${state.envs.length} env states, this run steps ${this.envs.numEnvs} envs`);
    if (device !== null && state.deviceEnv?.length !== device.state.size) {
      throw new InvalidArgumentError(`checkpoint holds ${state.deviceEnv?.length ?? 'no'} device env values, this run's device envs need ${device.state.size} (envOn 'device')`);
    }
    this.steps = state.steps;
    this.episodes = state.episodes;
    this.iterations = state.iterations;
    this.lastLoss = state.lastLoss;
    this.nonFiniteGuard.restore(state.skippedIterations);
    this.recentReturns.setValues(state.recentReturns);
    this.rng.setState(state.rng);
    this.agent.setState(state.agent);
    this.evaluation.restore(state);
    if (device !== null) device.setState(state.deviceEnv as number[]);
    else this.envs.restore(state.envs);
  }

  dispose(): void {
    this.agent.dispose();
    for (const t of Object.values(this.tensors)) t.dispose();
    this.envs.close();
    this.firstEnvProbe?.dispose();
    this.device?.dispose();
    this.evaluation.dispose();
  }
}
