/**
 * The DQN training loop: one env on the host, the agent on the chosen backend.
 *
 * Per env step: epsilon-greedy action (one Q read back), env step, store the transition, and
 * every `trainFreq` steps after `learningStarts`, `gradientSteps` recorded updates; a hard target
 * copy every `targetUpdateInterval` steps (or a soft one after every update); a greedy evaluation
 * every `evalFreq` steps keeping the best weights. Episodes reset without a seed after the first
 * (seeded) one, continuing the env's own stream as Gymnasium and Stable-Baselines3 do, so every
 * episode starts from a fresh state.
 *
 * The trainer is driven in slices (`run(maxSteps)`), so a CLI can run it to the end and a web page
 * can interleave it with drawing. Everything random comes from the one Rng seeded with `seed`
 * (weights, replay sampling, exploration) plus the env's own generator seeded with `seed`.
 */
import type { Backend, FloatArray } from '../backend/backend.js';
import type { ClassicControlEnv, Env } from '../envs/env.js';
import { make } from '../envs/registry.js';
import type { EpisodeStatistics } from '../envs/wrappers/record-episode-statistics.js';
import { newStepRecord, type StepRecord } from '../envs/types.js';
import { InvalidArgumentError } from '../errors.js';
import type { OptimizerState } from '../nn/optim/optimizer.js';
import { Rng, type RngState } from '../random/rng.js';
import { validateConfig, type DqnConfig } from './config.js';
import { DqnAgent, argmax } from './dqn-agent.js';
import { ReplayBuffer, createMinibatch, type Minibatch, type ReplayBufferState } from './replay-buffer.js';
import { ExponentialEpisodeDecay, LinearStepDecay, type EpsilonSchedule } from './schedules.js';

/** One finished training episode. */
export interface EpisodeLog {
  /** 1-based episode number. */
  episode: number;
  /** Env steps taken in total at the end of this episode. */
  steps: number;
  /** The env's own return (before any reward shaping). */
  return: number;
  /** Return of the shaped rewards the agent learned from (equals `return` without shaping). */
  shapedReturn: number;
  length: number;
  /** Epsilon used during the episode's last step. */
  epsilon: number;
  /** Latest loss read back (NaN before the first update). */
  loss: number;
  /** Mean return of the last (up to) 100 episodes. */
  meanReturn100: number;
  /** Seconds since the trainer started. */
  wallTime: number;
}

/** One periodic greedy evaluation. */
export interface EvaluationLog {
  steps: number;
  meanReturn: number;
  stdReturn: number;
  returns: number[];
  /** Whether these weights became the best so far. */
  best: boolean;
}

export interface TrainerCallbacks {
  onEpisode?(log: EpisodeLog): void | Promise<void>;
  onEvaluation?(log: EvaluationLog): void | Promise<void>;
}

/**
 * Everything that makes `run` continue exactly where it stopped. An episode in progress is
 * restored by replaying its actions from the env generator's state at its reset: the envs are
 * deterministic given that state, so the env (and every wrapper's counters) ends up exactly where
 * it was.
 */
export interface TrainerState {
  version: 1;
  config: DqnConfig;
  seed: number;
  steps: number;
  episodes: number;
  updates: number;
  lastLoss: number;
  updatesSinceLossRead: number;
  recentReturns: number[];
  rng: RngState;
  /** The env generator before the reset of the episode in progress (or before the next reset). */
  envRng: RngState | null;
  /** The seed of that reset when it was seeded (the run's first episode), else null. */
  episodeResetSeed: number | null;
  /** Actions taken so far in the episode in progress (empty between episodes). */
  episodeActions: number[];
  episodeShapedReturn: number;
  evalEnvRng: RngState | null;
  online: FloatArray[];
  target: FloatArray[];
  optimizer: OptimizerState;
  replay: ReplayBufferState;
  bestWeights: FloatArray[] | null;
  bestMeanReturn: number;
  bestSteps: number;
}

export class DqnTrainer {
  readonly config: DqnConfig;
  readonly agent: DqnAgent;
  readonly env: Env;
  readonly rng: Rng;
  readonly replay: ReplayBuffer;
  readonly schedule: EpsilonSchedule;
  /** Env steps taken. */
  steps = 0;
  /** Finished episodes. */
  episodes = 0;
  /** Latest loss read back (NaN before the first). */
  lastLoss = Number.NaN;
  /** Returns of the last 100 episodes. */
  readonly recentReturns: number[] = [];
  /** The best periodic evaluation so far and its weights. */
  bestMeanReturn = Number.NEGATIVE_INFINITY;
  bestWeights: FloatArray[] | null = null;
  /** Env steps at which the best weights were evaluated (0 when none). */
  bestSteps = 0;
  private evalEnv: Env | null = null;
  private readonly minibatch: Minibatch;
  private readonly obs: Float32Array;
  private readonly nextObs: Float32Array;
  private readonly record: StepRecord = newStepRecord();
  private episodeOpen = false;
  private episodeShapedReturn = 0;
  /** How the episode in progress was reset, and its actions so far: enough to rebuild it exactly. */
  private episodeStartRng: RngState | null = null;
  private episodeResetSeed: number | null = null;
  private readonly episodeActions: number[] = [];
  private readonly started = performance.now();
  private updatesSinceLossRead = 0;

  constructor(
    readonly backend: Backend,
    config: DqnConfig,
    readonly seed: number,
    private readonly callbacks: TrainerCallbacks = {},
  ) {
    validateConfig(config);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new InvalidArgumentError(`seed must be a non-negative integer, got ${seed}`);
    this.config = { ...config, hidden: [...config.hidden] };
    this.env = makeTrainingEnv(config);
    const obsDim = this.env.obsDim;
    this.rng = new Rng(seed);
    this.agent = new DqnAgent(backend, config, obsDim, this.env.actionSpace.n, this.rng);
    this.replay = new ReplayBuffer(config.bufferSize, obsDim);
    this.minibatch = createMinibatch(config.batchSize, obsDim);
    this.obs = new Float32Array(obsDim);
    this.nextObs = new Float32Array(obsDim);
    this.schedule =
      config.epsilonSchedule === 'linear-step'
        ? new LinearStepDecay(config.epsilonStart, config.epsilonEnd, config.explorationFraction, config.steps > 0 ? config.steps : 1)
        : new ExponentialEpisodeDecay(config.epsilonStart, config.epsilonDecay, config.epsilonEnd);
    if (config.epsilonSchedule === 'linear-step' && config.steps === 0) {
      throw new InvalidArgumentError("the 'linear-step' epsilon schedule needs a step budget (steps > 0)");
    }
  }

  /** Exploration rate for the next step. */
  get epsilon(): number {
    return this.schedule.value(this.steps, this.episodes);
  }

  /** True once the step or episode budget is spent. */
  get done(): boolean {
    const c = this.config;
    return (c.steps > 0 && this.steps >= c.steps) || (c.episodes > 0 && this.episodes >= c.episodes);
  }

  /** Mean return of the last (up to) 100 episodes (NaN before the first). */
  get meanReturn100(): number {
    const r = this.recentReturns;
    return r.length === 0 ? Number.NaN : r.reduce((a, b) => a + b, 0) / r.length;
  }

  /** Gradient updates so far. */
  get updates(): number {
    return this.agent.updateCount;
  }

  /** True between episodes. */
  get atEpisodeBoundary(): boolean {
    return !this.episodeOpen;
  }

  /**
   * Trains for up to `maxSteps` env steps (default: to the end of the budget), stopping early when
   * `shouldStop()` turns true (checked after every step). Returns the steps taken.
   */
  async run(maxSteps = Number.POSITIVE_INFINITY, shouldStop: () => boolean = () => false): Promise<number> {
    const c = this.config;
    let taken = 0;
    while (taken < maxSteps && !this.done) {
      if (shouldStop()) break;
      if (!this.episodeOpen) this.beginEpisode();
      const epsilon = this.epsilon;
      const action = await this.agent.act(this.obs, epsilon);
      const rec = this.record;
      rec.info = undefined;
      this.env.stepInto(action, this.nextObs, 0, rec);
      this.episodeActions.push(action);
      this.steps++;
      taken++;
      this.episodeShapedReturn += rec.reward;
      this.replay.addStep(this.obs, action, rec, this.nextObs);
      this.obs.set(this.nextObs);

      if (this.steps > c.learningStarts && this.steps % c.trainFreq === 0) await this.train();
      if (c.targetUpdate === 'hard' && this.steps % c.targetUpdateInterval === 0) this.agent.syncTarget();
      if (rec.terminated || rec.truncated) await this.endEpisode(rec, epsilon);
      if (c.evalFreq > 0 && this.steps % c.evalFreq === 0) await this.periodicEvaluation();
    }
    return taken;
  }

  private beginEpisode(): void {
    const first = this.steps === 0 && this.episodes === 0;
    this.episodeResetSeed = first ? this.seed : null;
    this.episodeStartRng = first ? null : envRngState(this.env);
    this.env.resetInto(this.obs, 0, first ? { seed: this.seed } : undefined);
    this.episodeOpen = true;
    this.episodeShapedReturn = 0;
    this.episodeActions.length = 0;
  }

  private async train(): Promise<void> {
    const c = this.config;
    for (let i = 0; i < c.gradientSteps; i++) {
      this.replay.sample(this.rng, this.minibatch);
      this.agent.update(this.minibatch);
      this.updatesSinceLossRead++;
    }
    if (this.updatesSinceLossRead >= c.lossReadInterval || Number.isNaN(this.lastLoss)) {
      this.lastLoss = await this.agent.readLoss();
      this.updatesSinceLossRead = 0;
    }
  }

  private async endEpisode(rec: StepRecord, epsilon: number): Promise<void> {
    const stats = rec.info?.episode as EpisodeStatistics | undefined;
    if (!stats) throw new Error('internal: the training env must record episode statistics');
    this.episodeOpen = false;
    this.episodeActions.length = 0;
    this.episodes++;
    this.recentReturns.push(stats.r);
    if (this.recentReturns.length > 100) this.recentReturns.shift();
    await this.callbacks.onEpisode?.({
      episode: this.episodes,
      steps: this.steps,
      return: stats.r,
      shapedReturn: this.episodeShapedReturn,
      length: stats.l,
      epsilon,
      loss: this.lastLoss,
      meanReturn100: this.meanReturn100,
      wallTime: (performance.now() - this.started) / 1000,
    });
  }

  private async periodicEvaluation(): Promise<void> {
    this.evalEnv ??= make(this.config.env);
    const first = this.bestWeights === null && this.bestMeanReturn === Number.NEGATIVE_INFINITY;
    const returns = await evaluateGreedy(this.agent, this.evalEnv, this.config.evalEpisodes, first ? this.seed + 1_000_003 : undefined);
    const { mean, std } = meanAndStd(returns);
    const best = mean >= this.bestMeanReturn;
    if (best) {
      this.bestMeanReturn = mean;
      this.bestSteps = this.steps;
      this.bestWeights = await this.agent.online.getWeights();
    }
    await this.callbacks.onEvaluation?.({ steps: this.steps, meanReturn: mean, stdReturn: std, returns, best });
  }

  /**
   * The weights to keep: the best periodically evaluated ones when evaluation is on (as the
   * RL-Zoo keeps best_model), else the current ones.
   */
  async finalWeights(): Promise<FloatArray[]> {
    return this.bestWeights ?? (await this.agent.online.getWeights());
  }

  /** A snapshot from which `restore` continues exactly, taken between any two steps. */
  async getState(): Promise<TrainerState> {
    const agent = await this.agent.getState();
    const envRng = this.episodeOpen ? this.episodeStartRng : this.steps === 0 ? null : envRngState(this.env);
    return {
      version: 1,
      config: this.config,
      seed: this.seed,
      steps: this.steps,
      episodes: this.episodes,
      updates: agent.updates,
      lastLoss: this.lastLoss,
      updatesSinceLossRead: this.updatesSinceLossRead,
      recentReturns: [...this.recentReturns],
      rng: this.rng.getState(),
      envRng,
      episodeResetSeed: this.episodeOpen ? this.episodeResetSeed : null,
      episodeActions: this.episodeOpen ? [...this.episodeActions] : [],
      episodeShapedReturn: this.episodeOpen ? this.episodeShapedReturn : 0,
      evalEnvRng: this.evalEnv ? envRngState(this.evalEnv) : null,
      online: agent.online,
      target: agent.target,
      optimizer: agent.optimizer,
      replay: this.replay.getState(),
      bestWeights: this.bestWeights,
      bestMeanReturn: this.bestMeanReturn,
      bestSteps: this.bestSteps,
    };
  }

  /** Restores a snapshot taken by getState() of a trainer with the same config and seed. */
  restore(state: TrainerState): void {
    if (state.version !== 1) throw new InvalidArgumentError(`checkpoint format version ${state.version} is not supported (expected 1)`);
    if (state.seed !== this.seed) throw new InvalidArgumentError(`checkpoint was made with seed ${state.seed}, this run uses ${this.seed}`);
    this.steps = state.steps;
    this.episodes = state.episodes;
    this.lastLoss = state.lastLoss;
    this.updatesSinceLossRead = state.updatesSinceLossRead;
    this.recentReturns.splice(0, this.recentReturns.length, ...state.recentReturns);
    this.rng.setState(state.rng);
    // The next reset of a resumed run continues the env stream rather than re-seeding it.
    if (state.envRng) setEnvRngState(this.env, state.envRng);
    if (state.evalEnvRng) {
      this.evalEnv = make(this.config.env);
      setEnvRngState(this.evalEnv, state.evalEnvRng);
    }
    this.agent.setState({ online: state.online, target: state.target, optimizer: state.optimizer, updates: state.updates });
    this.replay.setState(state.replay);
    this.bestWeights = state.bestWeights;
    this.bestMeanReturn = state.bestMeanReturn;
    this.bestSteps = state.bestSteps;
    this.episodeOpen = false;
    this.episodeActions.length = 0;
    if (state.episodeResetSeed !== null || state.episodeActions.length > 0) this.replayEpisode(state);
  }

  /** Rebuilds the episode in progress: the same reset, then the same actions. */
  private replayEpisode(state: TrainerState): void {
    this.episodeResetSeed = state.episodeResetSeed;
    this.episodeStartRng = state.envRng;
    this.env.resetInto(this.obs, 0, state.episodeResetSeed !== null ? { seed: state.episodeResetSeed } : undefined);
    const rec = this.record;
    for (const action of state.episodeActions) {
      rec.info = undefined;
      this.env.stepInto(action, this.obs, 0, rec);
      this.episodeActions.push(action);
      if (rec.terminated || rec.truncated) throw new InvalidArgumentError('checkpoint: the episode in progress ended while being replayed (different environment?)');
    }
    this.episodeOpen = true;
    this.episodeShapedReturn = state.episodeShapedReturn;
  }

  dispose(): void {
    this.agent.dispose();
    this.env.close();
    this.evalEnv?.close();
  }
}

/** The env a config trains on: registered time limit, episode statistics, then reward shaping. */
export function makeTrainingEnv(config: Pick<DqnConfig, 'env' | 'rewardShaping'>, renderMode: 'rgb_array' | null = null): Env {
  return make(config.env, {
    recordEpisodeStatistics: true,
    renderMode,
    ...(config.rewardShaping !== 'none' ? { rewardShaping: config.rewardShaping as 'cartpole-position' } : {}),
  });
}

/** Mean and population standard deviation (NumPy's np.mean, np.std) of episode returns. */
export function meanAndStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, std: Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length) };
}

/**
 * Greedy episodes of `agent` on `env` (which must carry its registered time limit). With a seed,
 * the first reset is seeded and later ones continue the stream. Returns the env's own returns.
 */
export async function evaluateGreedy(
  agent: Pick<DqnAgent, 'qValues' | 'nActions'>,
  env: Env,
  episodes: number,
  seed?: number,
  onStep?: (env: Env) => void,
): Promise<number[]> {
  const obs = new Float32Array(env.obsDim);
  const rec = newStepRecord();
  const returns: number[] = [];
  for (let e = 0; e < episodes; e++) {
    env.resetInto(obs, 0, e === 0 && seed !== undefined ? { seed } : undefined);
    onStep?.(env);
    let total = 0;
    for (;;) {
      const action = argmax(await agent.qValues(obs), agent.nActions);
      rec.info = undefined;
      env.stepInto(action, obs, 0, rec);
      onStep?.(env);
      total += rec.reward;
      if (rec.terminated || rec.truncated) break;
    }
    returns.push(total);
  }
  return returns;
}

function classicControl(env: Env): ClassicControlEnv {
  const inner = env.unwrapped as ClassicControlEnv;
  if (!('npRandom' in inner)) throw new Error(`${env.toString()} does not expose its generator; exact resume is not possible`);
  return inner;
}

function envRngState(env: Env): RngState {
  const inner = classicControl(env);
  if (!inner.npRandom) throw new Error('internal: env generator not yet seeded');
  return inner.npRandom.getState();
}

function setEnvRngState(env: Env, state: RngState): void {
  classicControl(env).npRandom = Rng.fromState(state);
}
