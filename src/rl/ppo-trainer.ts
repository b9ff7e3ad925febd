/**
 * The PPO training loop (CleanRL's ppo.py; Stable-Baselines3's PPO), from the shared parts: N envs
 * on the host with same-step autoreset (training-envs.ts), periodic greedy evaluation keeping the
 * best weights (periodic-evaluation.ts), episode statistics (statistics.ts), the one seeded Rng,
 * and the agent's update (ppo-agent.ts).
 *
 * One iteration:
 * - a rollout of numSteps vector steps: per vector step, actions drawn from the policy for the N
 *   envs (PpoAgent.sample: one forward pass, the backend's policySample keyed by the run's seed with
 *   the vector step index as the counter, their actions and log-probabilities read back), the env
 *   steps, and the step's s, a, log pi(a|s), reward, terminated, truncated and s' stored (s' is the
 *   final observation where an episode ended: TrainingEnvs.nextObservations);
 * - V(s) and V(s') of the T N observations in two critic forward passes, then the backend's
 *   gaeAdvantages (a truncated step bootstraps from V of its final observation, a terminated one
 *   does not: SB3's handling of Gymnasium's TimeLimit), nothing read back;
 * - updateEpochs epochs of numMinibatches minibatches, each epoch a fresh shuffle of the T N
 *   transitions (Fisher-Yates from the run's stream), gathered on the backend from the rollout, at
 *   lr x (1 - iteration / iterations) with lrDecay (CleanRL's anneal_lr), else lr; the statistics
 *   of the last update read back once per iteration;
 * - a greedy evaluation when the iteration's steps reach or pass a multiple of evalFreq.
 *
 * The run is floor(steps / (numEnvs numSteps)) iterations, as CleanRL's num_iterations. `run`
 * works in whole iterations, so getState/restore (taken between any two `run` calls) resume exactly.
 */
import type { Backend, FloatArray, Tensor } from '../backend/backend.js';
import type { PpoLossStat } from '../backend/policy-ops.js';
import { envSource, make } from '../envs/registry.js';
import { isBox, type Box } from '../envs/spaces.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { Rng } from '../random/rng.js';
import { validateWithSchema, type FieldNamer } from './config-schema.js';
import type { TrainerCallbacks } from './dqn-trainer.js';
import { yieldIfDue } from './event-loop-yield.js';
import { NonFiniteGuard } from './non-finite-guard.js';
import { PeriodicEvaluation } from './periodic-evaluation.js';
import { PpoAgent, ppoPolicyShapes, statsRecord, type PpoAgentState, type PpoRolloutTensors } from './ppo-agent.js';
import { PPO_CONFIG, ppoArchitecture, ppoConfigFor, ppoMinibatchSize, type PpoConfig } from './ppo-config.js';
import { trainedWeightsFile } from './weights-file.js';
import { PpoDeviceRollout } from './ppo-device-rollout.js';
import { FirstEnvProbe } from './device-env-probe.js';
import { paddedRows } from './device-rollout-layout.js';
import { forEachEndedEpisode } from './device-rollout.js';
import type { RolloutState } from './rollout-checkpoint.js';
import { RolloutNormalizer, type RolloutNormalizerState } from './rollout-normalizer.js';
import { annealedLearningRate } from './schedules.js';
import { RecentReturns } from './statistics.js';
import type { EnvInProgress, Trainer, TrainerPolicy } from './trainer.js';
import { TrainingEnvs } from './training-envs.js';

/** The snapshot format PpoTrainer writes. */
export const PPO_STATE_VERSION = 1;

/** A PpoTrainer snapshot, taken between iterations: everything `run` needs to continue exactly (the rollout trainers' fields, and PPO's). */
export interface PpoState extends RolloutState<PpoConfig, 'ppo'> {
  version: typeof PPO_STATE_VERSION;
  /** With envOn 'device': the device envs' state (S, N) row-major, reset counters included; absent otherwise (`envs` is then empty). */
  deviceEnv?: number[];
  agent: PpoAgentState;
  /** The observation and reward statistics (both null when the config normalises neither). */
  normalizer: RolloutNormalizerState;
}

/** Throws naming the first field out of range or the first rule broken (PPO_CONFIG). */
export function validatePpoConfig(config: PpoConfig, name?: FieldNamer<PpoConfig>): void {
  validateWithSchema(PPO_CONFIG, config, name);
}

export class PpoTrainer implements Trainer<PpoConfig, PpoState> {
  readonly config: PpoConfig;
  readonly agent: PpoAgent;
  readonly envs: TrainingEnvs;
  readonly rng: Rng;
  /** Iterations in the run: floor(steps / (numEnvs numSteps)). */
  readonly totalIterations: number;
  steps = 0;
  episodes = 0;
  /** Iterations done (rollout and updates). */
  iterations = 0;
  lastLoss = Number.NaN;
  /** The latest update's loss parts and diagnostics (NaN before the first iteration). */
  lastStats: Record<PpoLossStat, number> | null = null;
  readonly nonFiniteGuard: NonFiniteGuard<PpoAgent, PpoAgentState>;
  /** The greedy policy evaluated, kept and saved (the argmax of the actor's logits). */
  readonly policy: TrainerPolicy;
  private readonly recentReturns = new RecentReturns(100);
  private readonly evaluation: PeriodicEvaluation;
  private readonly started = performance.now();
  private readonly batch: number;
  private readonly minibatchSize: number;
  /** Columns of a stored action: 1 for a discrete action. */
  private readonly actionCols: number;
  // The rollout on the host, time-major (row t N + n is env n's step t).
  private readonly obs: Float32Array;
  private readonly nextObs: Float32Array;
  /** Observation and reward normalisation (a copy where the config normalises neither). */
  readonly normalizer: RolloutNormalizer;
  /** The observations the envs act on next, normalised. */
  private readonly actObs: Float32Array;
  /** The step's final observations, normalised. */
  private readonly stepNextObs: Float32Array;
  /** The step's rewards as the agent learns from them (normalised). */
  private readonly stepRewards: Float32Array;
  /** Box actions: the sampled actions clipped to the bounds, as the envs are stepped (SB3's). */
  private readonly envActions: Float32Array;
  /** The action space's bounds for Box actions, else null. */
  readonly box: Box | null;
  /** Whether the envs' first observations went through the normaliser (once per trainer: at the run's start, or after restore). */
  private primed = false;
  private readonly actions: Float32Array;
  private readonly logProb: Float32Array;
  private readonly rewards: Float32Array;
  private readonly terminated: Float32Array;
  private readonly truncated: Float32Array;
  /** The vector step being taken: its sampled actions and their log-probabilities. */
  private readonly stepSample: { actions: Float32Array; logProb: Float32Array };
  private readonly order: Int32Array;
  /** With host envs, the rollout uploaded to the backend: what minibatches are gathered from, and GAE's inputs; null with device envs. */
  private readonly rollout: (PpoRolloutTensors & { nextObservations: Tensor; nextValues: Tensor; rewards: Tensor; terminated: Tensor; truncated: Tensor }) | null;
  /** (T, N) views of the (T N, 1) rollout columns GAE reads and writes (host envs). */
  private readonly grid: { values: Tensor; nextValues: Tensor; advantages: Tensor; returns: Tensor } | null;
  /** With envOn 'device': the rollout on the backend (ppo-device-rollout.ts); else null. */
  readonly device: PpoDeviceRollout | null;
  /** With envOn 'device': env 0's episode in progress for the page's canvas; else null. */
  private readonly firstEnvProbe: FirstEnvProbe | null;
  /** With envOn 'device': `order` as the device rollout's padded rows. */
  private readonly deviceOrder: Int32Array;

  constructor(
    readonly backend: Backend,
    config: PpoConfig,
    readonly seed: number,
    private readonly callbacks: TrainerCallbacks = {},
  ) {
    validatePpoConfig(config);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new InvalidArgumentError(`seed must be a non-negative integer, got ${seed}`);
    // envOn 'auto' settled for this backend: the config the run trains, snapshots and reports.
    this.config = ppoConfigFor(config, backend.name);
    const c = this.config;
    // Any action space: Discrete (a categorical policy) or Box (a diagonal Gaussian).
    this.envs = new TrainingEnvs({ env: c.env, rewardShaping: 'none', numEnvs: c.numEnvs }, () => make(c.env, { recordEpisodeStatistics: true }));
    const { obsDim, nActions, numEnvs: n } = this.envs;
    const space = this.envs.actionSpace;
    this.box = isBox(space) ? space : null;
    this.rng = new Rng(seed);
    this.batch = n * c.numSteps;
    this.minibatchSize = ppoMinibatchSize(c);
    this.totalIterations = Math.floor(c.steps / this.batch);
    this.actionCols = this.box === null ? 1 : nActions;
    this.agent = new PpoAgent(
      backend,
      {
        head: this.box === null ? 'categorical' : 'gaussian',
        hidden: c.hidden,
        activation: c.activation,
        init: c.init,
        batchSize: this.minibatchSize,
        adamEps: c.adamEps,
        maxGradNorm: c.maxGradNorm,
        clipCoef: c.clipCoef,
        valueClip: c.valueClip,
        entCoef: c.entCoef,
        vfCoef: c.vfCoef,
        normalizeAdvantages: c.normalizeAdvantages,
        logStdInit: c.logStdInit,
        slots: c.numMinibatches,
      },
      obsDim,
      nActions,
      this.rng,
    );
    const rows = this.batch;
    const cols = this.actionCols;
    const onDevice = c.envOn === 'device';
    this.device = onDevice ? new PpoDeviceRollout(backend, { env: c.env, numEnvs: n, numSteps: c.numSteps, seed, gamma: c.gamma, gaeLambda: c.gaeLambda }) : null;
    this.firstEnvProbe = this.device === null ? null : new FirstEnvProbe(backend, this.device.rollout.state, this.device.rollout.env);
    // With device envs the rollout stays on the device: no host copy.
    const hostRows = onDevice ? 0 : rows;
    this.obs = new Float32Array(hostRows * obsDim);
    this.nextObs = new Float32Array(hostRows * obsDim);
    this.actions = new Float32Array(hostRows * cols);
    this.logProb = new Float32Array(hostRows);
    this.rewards = new Float32Array(hostRows);
    this.terminated = new Float32Array(hostRows);
    this.truncated = new Float32Array(hostRows);
    this.stepSample = { actions: new Float32Array(n * cols), logProb: new Float32Array(n) };
    this.normalizer = new RolloutNormalizer(obsDim, n, { observations: c.normalizeObservation, rewards: c.normalizeReward, gamma: c.gamma });
    this.actObs = new Float32Array(n * obsDim);
    this.stepNextObs = new Float32Array(n * obsDim);
    this.stepRewards = new Float32Array(n);
    this.envActions = new Float32Array(this.box === null ? 0 : n * cols);
    this.order = new Int32Array(rows);
    this.deviceOrder = new Int32Array(onDevice ? rows : 0);
    const T = c.numSteps;
    const t = (shape: [number, number], name: string): Tensor => backend.tensor(shape, undefined, `ppo.rollout.${name}`);
    this.rollout = onDevice
      ? null
      : {
          observations: t([rows, obsDim], 's'),
          nextObservations: t([rows, obsDim], 'next_s'),
          actions: t([rows, cols], 'a'),
          logProb: t([rows, 1], 'logp'),
          values: t([rows, 1], 'v'),
          nextValues: t([rows, 1], 'next_v'),
          advantages: t([rows, 1], 'adv'),
          returns: t([rows, 1], 'ret'),
          rewards: t([T, n], 'r'),
          terminated: t([T, n], 'terminated'),
          truncated: t([T, n], 'truncated'),
        };
    const r = this.rollout;
    const grid = (x: Tensor, name: string): Tensor => backend.view(x, 0, [T, n], `ppo.rollout.${name}[T,N]`);
    this.grid = r === null ? null : { values: grid(r.values, 'v'), nextValues: grid(r.nextValues, 'next_v'), advantages: grid(r.advantages, 'adv'), returns: grid(r.returns, 'ret') };
    this.policy = greedyPolicyOf(this.agent, nActions, this.box, this.normalizer);
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

  /** PPO explores by sampling its policy, not by epsilon. */
  get epsilon(): number {
    return Number.NaN;
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

  /** The learning rate of the next iteration's updates. */
  get learningRate(): number {
    return annealedLearningRate(this.config.lr, this.config.lrDecay, this.iterations, this.totalIterations);
  }

  /** Starts from a weights file's arrays (weightShapes' order: the agent's, then the observation statistics where they are normalised). */
  loadWeights(arrays: readonly ArrayLike<number>[]): void {
    this.policy.setWeights(arrays);
  }

  /** The policy's arrays, as weights files and the best weights hold them: the agent's, then obs_mean and obs_var (normalizeObservation). */
  weightShapes(): [number, number][] {
    return ppoPolicyShapes(this.agent.obsDim, this.agent.actionDim, this.config.hidden, this.agent.head, this.config.normalizeObservation);
  }

  describeExploration(): string {
    const c = this.config;
    const norms = [...(c.normalizeObservation ? ['observations'] : []), ...(c.normalizeReward ? ['rewards'] : [])];
    const normalised = norms.length > 0 ? ` | normalised ${norms.join(' and ')}` : '';
    return this.agent.head === 'categorical' ? `actions sampled from the policy${normalised}` : `actions sampled from the Gaussian policy (initial log std ${c.logStdInit}), clipped to the bounds${normalised}`;
  }

  /**
   * Trains whole iterations (numEnvs x numSteps env steps each) until about `maxSteps` env steps are
   * taken, the run is done, or `shouldStop()` turns true (checked between iterations). Returns the
   * env steps taken.
   */
  async run(maxSteps = Number.POSITIVE_INFINITY, shouldStop: () => boolean = () => false): Promise<number> {
    const before = this.steps;
    if (this.device === null) this.envs.open(this.steps === 0 && this.episodes === 0 ? this.seed : null);
    if (this.device === null && !this.primed) {
      // The first resets count in the observation statistics (as a vector NormalizeObservation's reset); a restored run's are already in them.
      if (this.steps === 0) this.normalizer.observe(this.envs.observations, this.envs.numEnvs, this.actObs);
      else this.normalizer.normalizeInto(this.envs.observations, this.envs.numEnvs, this.actObs);
      this.primed = true;
    }
    while (this.steps - before < maxSteps && !this.done && !shouldStop()) await this.iteration();
    return this.steps - before;
  }

  private async iteration(): Promise<void> {
    const before = this.steps;
    // The vector step index counts the acting draws: each (seed, env, step) draws once in the run.
    if (this.device !== null) this.device.record(this.agent, this.steps / this.envs.numEnvs);
    else {
      await this.collect();
      this.computeAdvantages();
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
  private async collect(): Promise<void> {
    const envs = this.envs;
    const { numEnvs: n, obsDim } = envs;
    const cols = this.actionCols;
    const sample = this.stepSample;
    const box = this.box;
    const norm = this.normalizer;
    for (let t = 0; t < this.config.numSteps; t++) {
      const row = t * n;
      // What the agent acts on: the normalised observations.
      this.obs.set(this.actObs, row * obsDim);
      // The vector step index: each (seed, env, step) draws once in the run.
      await this.agent.sample(this.actObs, n, this.seed, this.steps / n, sample);
      let envActions: Float32Array = sample.actions;
      if (box !== null) {
        // The env gets the action clipped to its bounds; the rollout keeps the sampled one (its log-probability's).
        envActions = this.envActions;
        box.clipInto(sample.actions, 0, envActions, 0, n);
      }
      const finished = envs.step(envActions);
      norm.rewards(envs.rewards, envs.terminated, this.stepRewards);
      norm.observe(envs.observations, n, this.actObs);
      norm.normalizeInto(envs.nextObservations, n, this.stepNextObs);
      this.nextObs.set(this.stepNextObs, row * obsDim);
      this.actions.set(sample.actions, row * cols);
      this.logProb.set(sample.logProb, row);
      for (let i = 0; i < n; i++) {
        this.rewards[row + i] = this.stepRewards[i];
        this.terminated[row + i] = envs.terminated[i];
        this.truncated[row + i] = envs.truncated[i];
      }
      this.steps += n;
      for (const episode of finished) await this.endEpisode(episode.stats.r, episode.stats.l);
      await yieldIfDue();
    }
  }

  /** The rollout uploaded, V(s) and V(s') in two critic passes, and GAE, all recorded on the backend. */
  private computeAdvantages(): void {
    const { backend, config: c } = this;
    const rollout = this.rollout as NonNullable<typeof this.rollout>;
    const grid = this.grid as NonNullable<typeof this.grid>;
    backend.write(rollout.observations, this.obs);
    backend.write(rollout.nextObservations, this.nextObs);
    backend.write(rollout.actions, this.actions);
    backend.write(rollout.logProb, this.logProb);
    backend.write(rollout.rewards, this.rewards);
    backend.write(rollout.terminated, this.terminated);
    backend.write(rollout.truncated, this.truncated);
    // Both passes have T N rows and so share the critic's output buffer: the first is copied out.
    backend.copy(this.agent.critic.forward(rollout.observations), rollout.values);
    backend.copy(this.agent.critic.forward(rollout.nextObservations), rollout.nextValues);
    backend.gaeAdvantages({
      rewards: rollout.rewards,
      values: grid.values,
      nextValues: grid.nextValues,
      terminated: rollout.terminated,
      truncated: rollout.truncated,
      gamma: c.gamma,
      lambda: c.gaeLambda,
      advantages: grid.advantages,
      returns: grid.returns,
    });
  }

  /** updateEpochs epochs of numMinibatches shuffled minibatches; the statistics read back once, at the end. */
  private async train(): Promise<void> {
    const c = this.config;
    const agent = this.agent;
    await this.nonFiniteGuard.beforeRound(agent, this.lastLoss);
    const lr = this.learningRate;
    const { order, minibatchSize: b } = this;
    for (let epoch = 0; epoch < c.updateEpochs; epoch++) {
      for (let i = 0; i < order.length; i++) order[i] = i;
      for (let i = order.length - 1; i > 0; i--) {
        const j = this.rng.integers(i + 1);
        const swap = order[i];
        order[i] = order[j];
        order[j] = swap;
      }
      const device = this.device;
      if (device !== null) {
        paddedRows(device.rollout.layout, order, this.deviceOrder);
        for (let m = 0; m < c.numMinibatches; m++) agent.updateGathered(device.tensors, this.deviceOrder.subarray(m * b, (m + 1) * b), lr);
      } else {
        const rollout = this.rollout as PpoRolloutTensors;
        for (let m = 0; m < c.numMinibatches; m++) agent.updateGathered(rollout, order.subarray(m * b, (m + 1) * b), lr);
      }
      this.backend.flush();
      await yieldIfDue();
    }
    this.lastStats = this.device !== null ? await this.readDeviceRollout(this.device) : await agent.readStats();
    this.lastLoss = await this.nonFiniteGuard.afterRound(agent, this.lastStats.loss, this.steps);
  }

  /**
   * The iteration's one read back on the device: the rollout's episode statistics and the loss
   * statistics of the updates recorded after it, in one range. The episodes that ended are reported
   * step by step, as the host rollout reports them; returns the statistics.
   */
  private async readDeviceRollout(device: PpoDeviceRollout): Promise<Record<PpoLossStat, number>> {
    const n = this.envs.numEnvs;
    const before = this.steps;
    const { episodes, values } = await device.readEpisodes(this.agent.stats);
    const stats = statsRecord(values);
    await forEachEndedEpisode(episodes, n, this.config.numSteps, (t) => (this.steps = before + (t + 1) * n), (r, length) => this.endEpisode(r, length));
    return stats;
  }

  private async endEpisode(episodeReturn: number, length: number): Promise<void> {
    this.episodes++;
    this.recentReturns.push(episodeReturn);
    await this.callbacks.onEpisode?.({
      episode: this.episodes,
      steps: this.steps,
      return: episodeReturn,
      shapedReturn: episodeReturn,
      length,
      epsilon: Number.NaN,
      loss: this.lastLoss,
      meanReturn100: this.meanReturn100,
      wallTime: (performance.now() - this.started) / 1000,
    });
  }

  async finalWeights(): Promise<FloatArray[]> {
    return this.bestWeights ?? (await this.policy.getWeights());
  }

  async weightsFile(weights?: readonly FloatArray[]): Promise<Uint8Array> {
    return trainedWeightsFile(this, 'ppo', ppoArchitecture(this.config), weights ?? (await this.finalWeights()), envSource(this.config.env));
  }

  /** A snapshot from which restore() continues exactly (the trainer is always between iterations outside run). */
  async getState(): Promise<PpoState> {
    return {
      version: PPO_STATE_VERSION,
      algorithm: 'ppo',
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
      ...(this.device === null ? {} : { deviceEnv: await this.device.rollout.getState() }),
      agent: await this.agent.getState(),
      normalizer: this.normalizer.getState(),
      ...this.evaluation.getState(),
    };
  }

  /** Restores a snapshot taken by getState() of a trainer with the same config and seed. */
  restore(state: PpoState): void {
    if (state.version !== PPO_STATE_VERSION || state.algorithm !== 'ppo') {
      throw new InvalidArgumentError(`checkpoint is not a PPO snapshot of format version ${PPO_STATE_VERSION}`);
    }
    if (state.seed !== this.seed) throw new InvalidArgumentError(`checkpoint was made with seed ${state.seed}, this run uses ${this.seed}`);
    const device = this.device;
    if (device === null && state.envs.length !== this.envs.numEnvs) throw new InvalidArgumentError(`checkpoint holds ${state.envs.length} env states, this run steps ${this.envs.numEnvs} envs`);
    if (device !== null && state.deviceEnv?.length !== device.rollout.state.size) {
      throw new InvalidArgumentError(`checkpoint holds ${state.deviceEnv?.length ?? 'no'} device env values, this run's device envs need ${device.rollout.state.size} (envOn 'device')`);
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
    if (device !== null) device.rollout.setState(state.deviceEnv as number[]);
    else this.envs.restore(state.envs);
    this.normalizer.setState(state.normalizer);
    // The envs' observations are normalised again, with the restored statistics, when run() starts.
    this.primed = false;
  }

  dispose(): void {
    this.agent.dispose();
    if (this.rollout !== null) for (const t of Object.values(this.rollout)) t.dispose();
    this.device?.dispose();
    this.firstEnvProbe?.dispose();
    this.envs.close();
    this.evaluation.dispose();
  }
}

/**
 * The greedy policy of a PPO agent as evaluation sees it: the actor's output for observations
 * normalised with the training statistics (frozen: evaluation never updates them), played by its
 * argmax (logits) or, with `box`, as the action clipped to the bounds (the Gaussian's mean). Its
 * weights are the agent's: actor, critic and log-std, as a checkpoint keeps the best ones.
 */
function greedyPolicyOf(agent: PpoAgent, nActions: number, box: Box | null, normalizer: RolloutNormalizer): TrainerPolicy {
  // Per batch size, the normalised observations and the outputs read back (reused: evaluation steps allocate nothing).
  const buffers = new Map<number, { obs: Float32Array; out: Float32Array }>();
  const buffer = (rows: number): { obs: Float32Array; out: Float32Array } => {
    let b = buffers.get(rows);
    if (b === undefined) buffers.set(rows, (b = { obs: new Float32Array(rows * agent.obsDim), out: new Float32Array(rows * nActions) }));
    return b;
  };
  const outputs = (observations: ArrayLike<number>, rows: number, dst?: Float32Array): Promise<Float32Array> => {
    if (!Number.isInteger(rows) || rows < 1 || observations.length !== rows * agent.obsDim) {
      throw new ShapeError(`PPO policy: ${rows} observations need ${rows * agent.obsDim} values, got ${observations.length}`);
    }
    const b = buffer(rows);
    normalizer.normalizeInto(observations, rows, b.obs);
    return agent.policyOutput(b.obs, rows, dst ?? b.out);
  };
  const rms = normalizer.obsRms;
  const agentArrays = agent.weightShapes().length;
  return {
    nActions,
    actionBounds: box,
    qValues: (observation) => outputs(observation, 1),
    qValuesBatch: outputs,
    // The statistics travel with the weights they were trained with (the best weights, the weights file).
    getWeights: async () => [...(await agent.getWeights()), ...(rms === null ? [] : [Float64Array.from(rms.mean), Float64Array.from(rms.var)])],
    setWeights: (arrays) => {
      const expected = agentArrays + (rms === null ? 0 : 2);
      if (arrays.length !== expected) throw new ShapeError(`PPO weights: expected ${expected} arrays (the actor's, the critic's${box !== null ? ', the log-std' : ''}${rms !== null ? ', obs_mean, obs_var' : ''}), got ${arrays.length}`);
      agent.setWeights(arrays.slice(0, agentArrays));
      if (rms !== null) rms.setState({ mean: Array.from(arrays[agentArrays]), var: Array.from(arrays[agentArrays + 1]), count: rms.count });
    },
  };
}
