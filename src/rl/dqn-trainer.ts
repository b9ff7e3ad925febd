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
 * getState/restore snapshot and resume it exactly (trainer-state.ts).
 */
import type { Backend, FloatArray } from '../backend/backend.js';
import type { Env } from '../envs/env.js';
import type { EpisodeStatistics } from '../envs/wrappers/record-episode-statistics.js';
import { newStepRecord, type StepRecord } from '../envs/types.js';
import { InvalidArgumentError } from '../errors.js';
import { Rng } from '../random/rng.js';
import { validateConfig, type DqnConfig } from './config.js';
import { DqnAgent } from './dqn-agent.js';
import { yieldIfDue } from './event-loop-yield.js';
import { NonFiniteGuard } from './non-finite-guard.js';
import { OpenEpisode } from './open-episode.js';
import { PeriodicEvaluation, type EvaluationLog } from './periodic-evaluation.js';
import { ReplayBuffer, createMinibatch, type Minibatch } from './replay-buffer.js';
import { createEpsilonSchedule, type EpsilonSchedule } from './schedules.js';
import { RecentReturns } from './statistics.js';
import { TRAINER_STATE_VERSION, checkRestorable, type TrainerState } from './trainer-state.js';
import { makeTrainingEnv, setEnvRngState } from './training-env.js';

// The payloads of the trainer's callbacks, importable from the trainer's own module.
export type { EvaluationLog } from './periodic-evaluation.js';

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

export interface TrainerCallbacks {
  onEpisode?(log: EpisodeLog): void | Promise<void>;
  onEvaluation?(log: EvaluationLog): void | Promise<void>;
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
  private updatesSinceLossRead = 0;
  private readonly recentReturns = new RecentReturns(100);
  private readonly evaluation: PeriodicEvaluation;
  private readonly episode: OpenEpisode;
  private readonly minibatch: Minibatch;
  private readonly obs: Float32Array;
  private readonly nextObs: Float32Array;
  private readonly record: StepRecord = newStepRecord();
  private readonly started = performance.now();
  /** Stops on (or skips) a round of updates that made the loss or weights non-finite. */
  readonly nonFiniteGuard: NonFiniteGuard;

  constructor(
    readonly backend: Backend,
    config: DqnConfig,
    readonly seed: number,
    private readonly callbacks: TrainerCallbacks = {},
  ) {
    validateConfig(config);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new InvalidArgumentError(`seed must be a non-negative integer, got ${seed}`);
    this.config = { ...config, hidden: [...config.hidden] };
    this.schedule = createEpsilonSchedule(config);
    this.env = makeTrainingEnv(config);
    const obsDim = this.env.obsDim;
    this.rng = new Rng(seed);
    this.agent = new DqnAgent(backend, config, obsDim, this.env.actionSpace.n, this.rng);
    this.replay = new ReplayBuffer(config.bufferSize, obsDim);
    this.minibatch = createMinibatch(config.batchSize, obsDim);
    this.obs = new Float32Array(obsDim);
    this.nextObs = new Float32Array(obsDim);
    this.episode = new OpenEpisode(this.env);
    this.evaluation = new PeriodicEvaluation(config.env, config.evalEpisodes, seed);
    this.nonFiniteGuard = new NonFiniteGuard(config.onNonFinite);
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
    return this.recentReturns.mean;
  }

  /** Gradient updates so far. */
  get updates(): number {
    return this.agent.updateCount;
  }

  /** True between episodes. */
  get atEpisodeBoundary(): boolean {
    return !this.episode.isOpen;
  }

  /** The best periodic evaluation's mean return (-Infinity before the first). */
  get bestMeanReturn(): number {
    return this.evaluation.bestMeanReturn;
  }

  /** The weights of the best periodic evaluation (null before the first). */
  get bestWeights(): FloatArray[] | null {
    return this.evaluation.bestWeights;
  }

  /** Env steps at which the best weights were evaluated (0 when none). */
  get bestSteps(): number {
    return this.evaluation.bestSteps;
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
      // The run's first episode is reset with its seed; later ones continue the env's stream.
      if (!this.episode.isOpen) this.episode.begin(this.obs, this.steps === 0 && this.episodes === 0 ? this.seed : null);
      const epsilon = this.epsilon;
      const action = await this.agent.act(this.obs, epsilon);
      const rec = this.record;
      rec.info = undefined;
      this.env.stepInto(action, this.nextObs, 0, rec);
      this.episode.record(action, rec.reward);
      this.steps++;
      taken++;
      this.replay.addStep(this.obs, action, rec, this.nextObs);
      this.obs.set(this.nextObs);

      if (this.steps > c.learningStarts && this.steps % c.trainFreq === 0) await this.train();
      if (c.targetUpdate === 'hard' && this.steps % c.targetUpdateInterval === 0) this.agent.syncTarget();
      if (rec.terminated || rec.truncated) await this.endEpisode(rec, epsilon);
      if (c.evalFreq > 0 && this.steps % c.evalFreq === 0) await this.callbacks.onEvaluation?.(await this.evaluation.evaluate(this.agent, this.steps));
    }
    return taken;
  }

  private async train(): Promise<void> {
    const c = this.config;
    await this.nonFiniteGuard.beforeRound(this.agent, this.lastLoss);
    for (let i = 0; i < c.gradientSteps; i++) {
      this.replay.sample(this.rng, this.minibatch);
      this.agent.update(this.minibatch);
      this.updatesSinceLossRead++;
      await yieldIfDue();
    }
    // The round is recorded: on WebGPU it runs while the host steps the env (a no-op on the CPU).
    this.agent.backend.flush();
    if (this.updatesSinceLossRead >= c.lossReadInterval || Number.isNaN(this.lastLoss) || this.nonFiniteGuard.readsEveryRound) {
      this.lastLoss = await this.agent.readLoss();
      this.updatesSinceLossRead = 0;
    }
    this.lastLoss = await this.nonFiniteGuard.afterRound(this.agent, this.lastLoss, this.steps);
  }

  private async endEpisode(rec: StepRecord, epsilon: number): Promise<void> {
    const stats = rec.info?.episode as EpisodeStatistics | undefined;
    if (!stats) throw new Error('internal: the training env must record episode statistics');
    const shapedReturn = this.episode.shapedReturn;
    this.episode.end();
    this.episodes++;
    this.recentReturns.push(stats.r);
    await this.callbacks.onEpisode?.({
      episode: this.episodes,
      steps: this.steps,
      return: stats.r,
      shapedReturn,
      length: stats.l,
      epsilon,
      loss: this.lastLoss,
      meanReturn100: this.meanReturn100,
      wallTime: (performance.now() - this.started) / 1000,
    });
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
    const { envRng, episodeResetSeed, episodeActions, episodeShapedReturn } = this.episode.getState();
    const { evalEnvRng, bestWeights, bestMeanReturn, bestSteps } = this.evaluation.getState();
    return {
      version: TRAINER_STATE_VERSION,
      config: this.config,
      seed: this.seed,
      steps: this.steps,
      episodes: this.episodes,
      updates: agent.updates,
      lastLoss: this.lastLoss,
      updatesSinceLossRead: this.updatesSinceLossRead,
      recentReturns: this.recentReturns.values(),
      rng: this.rng.getState(),
      envRng,
      episodeResetSeed,
      episodeActions,
      episodeShapedReturn,
      evalEnvRng,
      online: agent.online,
      target: agent.target,
      optimizer: agent.optimizer,
      replay: this.replay.getState(),
      bestWeights,
      bestMeanReturn,
      bestSteps,
    };
  }

  /** Restores a snapshot taken by getState() of a trainer with the same config and seed. */
  restore(state: TrainerState): void {
    checkRestorable(state, this.seed);
    this.steps = state.steps;
    this.episodes = state.episodes;
    this.lastLoss = state.lastLoss;
    this.updatesSinceLossRead = state.updatesSinceLossRead;
    this.recentReturns.setValues(state.recentReturns);
    this.rng.setState(state.rng);
    this.agent.setState({ online: state.online, target: state.target, optimizer: state.optimizer, updates: state.updates });
    this.replay.setState(state.replay);
    this.evaluation.restore(state);
    // The next reset of a resumed run continues the env stream rather than re-seeding it.
    if (state.envRng) setEnvRngState(this.env, state.envRng);
    this.episode.restore(this.obs, state);
  }

  dispose(): void {
    this.agent.dispose();
    this.env.close();
    this.evaluation.dispose();
  }
}
