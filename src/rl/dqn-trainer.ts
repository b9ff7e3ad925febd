/**
 * The DQN training loop: N envs on the host stepped side by side (training-envs.ts, same-step
 * autoreset), the agent on the chosen backend.
 *
 * Per vector step: epsilon-greedy actions for every env (one forward pass and one read back for
 * all of them), the env steps, their N transitions into the replay buffer, and every `trainFreq`
 * vector steps after `learningStarts` env steps, `gradientSteps` updates recorded as one round (one
 * submission on WebGPU); a hard target copy every `targetUpdateInterval` env steps (or a soft one
 * fused into every update); a greedy evaluation every `evalFreq` env steps, keeping the best
 * weights. Counters that fire "every K env steps" fire at the vector step that reaches or passes a
 * multiple of K, as Stable-Baselines3 counts num_timesteps with several envs. With one env all of
 * this is the classic one-env loop, step for step.
 *
 * With `actingGroups: 2` the envs act in two halves, in turn: while the device computes Q for one
 * half, the host steps the other half's envs, stores their transitions and records the training
 * that falls due; a half's Q is then computed on weights at most one round of updates old.
 *
 * The trainer is driven in slices (`run(maxSteps)`), so a CLI can run it to the end and a web page
 * can interleave it with drawing. Everything random comes from the one Rng seeded with `seed`
 * (weights, replay sampling, exploration) plus each env's own generator (env i seeded `seed + i`).
 * getState/restore snapshot and resume it exactly (trainer-state.ts).
 */
import type { Backend, FloatArray } from '../backend/backend.js';
import { InvalidArgumentError } from '../errors.js';
import { Rng } from '../random/rng.js';
import { dqnArchitecture, validateConfig, type DqnConfig } from './config.js';
import { trainedWeightsFile } from './weights-file.js';
import { envSource } from '../envs/registry.js';
import { DqnAgent, type DqnAgentState } from './dqn-agent.js';
import { yieldIfDue } from './event-loop-yield.js';
import { NonFiniteGuard } from './non-finite-guard.js';
import { PeriodicEvaluation, type EvaluationLog } from './periodic-evaluation.js';
import { ReplayBuffer, createMinibatch, type Minibatch } from './replay-buffer.js';
import { createEpsilonSchedule, type EpsilonSchedule } from './schedules.js';
import { RecentReturns } from './statistics.js';
import { TRAINER_STATE_VERSION, checkRestorable, type ActingState, type TrainerState } from './trainer-state.js';
import type { Trainer, TrainerPolicy } from './trainer.js';
import { TrainingEnvs, type FinishedEpisode } from './training-envs.js';

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

export class DqnTrainer implements Trainer<DqnConfig, TrainerState> {
  readonly config: DqnConfig;
  readonly agent: DqnAgent;
  /** The N training envs, stepped side by side. */
  readonly envs: TrainingEnvs;
  readonly rng: Rng;
  readonly replay: ReplayBuffer;
  readonly schedule: EpsilonSchedule;
  /** Env steps taken (summed over the envs). */
  steps = 0;
  /** Finished episodes. */
  episodes = 0;
  /** Latest loss read back (NaN before the first). */
  lastLoss = Number.NaN;
  private updatesSinceLossRead = 0;
  /** A loss read started by a round of updates, consumed when an episode is logged (no stall in between). */
  private pendingLoss: Promise<number> | null = null;
  /** The env step of that round. */
  private pendingLossStep = 0;
  private readonly recentReturns = new RecentReturns(100);
  private readonly evaluation: PeriodicEvaluation;
  private readonly minibatch: Minibatch;
  /** The action of each env, decided before its step. */
  private readonly actions: Int32Array;
  /** The epsilon each env's latest action was drawn with. */
  private readonly epsilons: Float64Array;
  private readonly groupSize: number;
  /** Per acting group, its envs' rows of envs.observations (views made once). */
  private readonly groupObservations: Float32Array[];
  /** The group whose actions are decided but not yet stepped (-1: none), and the group that decides next. */
  private pendingGroup = -1;
  /** The pending group's Q read back, still in flight (null once its actions are complete). */
  private pendingQ: Promise<Float32Array> | null = null;
  private nextGroup = 0;
  /** Per acting group, where its Q-values are read back (two may be in flight at once). */
  private readonly groupQ: Float32Array[];
  private readonly started = performance.now();
  /** Stops on (or skips) a round of updates that made the loss or weights non-finite. */
  readonly nonFiniteGuard: NonFiniteGuard<DqnAgent, DqnAgentState>;

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
    this.envs = new TrainingEnvs(config);
    const { obsDim, nActions, numEnvs } = this.envs;
    this.rng = new Rng(seed);
    this.agent = new DqnAgent(backend, config, obsDim, nActions, this.rng);
    this.replay = new ReplayBuffer(config.bufferSize, obsDim, numEnvs);
    this.minibatch = createMinibatch(config.batchSize, obsDim);
    this.actions = new Int32Array(numEnvs);
    this.epsilons = new Float64Array(numEnvs);
    this.groupSize = numEnvs / config.actingGroups;
    this.groupObservations = Array.from({ length: config.actingGroups }, (_, g) =>
      this.envs.observations.subarray(g * this.groupSize * obsDim, (g + 1) * this.groupSize * obsDim),
    );
    this.groupQ = Array.from({ length: config.actingGroups }, () => new Float32Array(this.groupSize * nActions));
    this.evaluation = new PeriodicEvaluation(config.env, config.evalEpisodes, seed);
    this.nonFiniteGuard = new NonFiniteGuard(config.onNonFinite, { weights: (agent) => agent.online.getWeights(), what: 'online weights', rounds: 'rounds' });
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

  /** The greedy policy: the online network, or its average with policy averaging. */
  get policy(): TrainerPolicy {
    return this.agent.policy;
  }

  /** Starts from given weights: online, target and the policy average all take them. */
  loadWeights(arrays: readonly ArrayLike<number>[]): void {
    this.agent.loadWeights(arrays);
  }

  /** The Q-network's parameter shapes, in the weights file's order. */
  weightShapes(): [number, number][] {
    return this.agent.online.weightShapes();
  }

  /** The epsilon schedule, for the banner. */
  describeExploration(): string {
    return this.schedule.describe();
  }

  /**
   * Trains for up to about `maxSteps` env steps (default: to the end of the budget; a slice ends at
   * a vector step, so it may pass maxSteps by up to numEnvs - 1), stopping early when `shouldStop()`
   * turns true (checked between vector steps). Returns the env steps taken.
   */
  async run(maxSteps = Number.POSITIVE_INFINITY, shouldStop: () => boolean = () => false): Promise<number> {
    const before = this.steps;
    // The run's first resets are seeded; copies left between episodes by an old snapshot continue their stream.
    this.envs.open(this.steps === 0 && this.episodes === 0 ? this.seed : null);
    while (this.steps - before < maxSteps && !this.done && !shouldStop()) {
      if (this.config.actingGroups === 1) await this.lockstep();
      else await this.pipelined();
    }
    // No read back is left in flight between slices (the actions it gives are the same now or later).
    await this.completePending();
    return this.steps - before;
  }

  /** One vector step of every env: decide (one forward pass), then step. */
  private async lockstep(): Promise<void> {
    const n = this.envs.numEnvs;
    if (this.decide(0)) await this.agent.fillGreedy(this.groupObservations[0], this.actions, 0, n);
    await this.stepEnvs(0, n);
  }

  /**
   * One half-step of the two-group pipeline: decide this group's actions and start its forward
   * pass, its read back left in flight; then complete the other group's actions, whose read back
   * has had a whole half-step, and step that group. Two read backs are in flight at a time, and the
   * host steps one group while the device computes the other's Q.
   */
  private async pipelined(): Promise<void> {
    const g = this.nextGroup;
    const q = this.decide(g) ? this.agent.qValuesBatch(this.groupObservations[g], this.groupSize, this.groupQ[g]) : null;
    const other = this.pendingGroup;
    if (other >= 0) {
      await this.completePending();
      this.pendingGroup = -1;
      await this.stepEnvs(other * this.groupSize, this.groupSize);
    }
    this.pendingGroup = g;
    this.pendingQ = q;
    this.nextGroup = 1 - g;
  }

  /** The pending group's greedy actions, from its read back (awaited here; nothing when none is in flight). */
  private async completePending(): Promise<void> {
    const q = this.pendingQ;
    if (q === null) return;
    this.pendingQ = null;
    this.agent.greedyFrom(await q, this.actions, this.pendingGroup * this.groupSize, this.groupSize);
  }

  /** Epsilon-greedy draws for group g's envs; whether any of them needs the greedy action. */
  private decide(g: number): boolean {
    const from = g * this.groupSize;
    const epsilon = this.epsilon;
    this.epsilons.fill(epsilon, from, from + this.groupSize);
    return this.agent.explore(epsilon, this.actions, from, this.groupSize);
  }

  /** Steps envs [from, from + count) with their decided actions, and everything that falls due after. */
  private async stepEnvs(from: number, count: number): Promise<void> {
    const c = this.config;
    const envs = this.envs;
    const finished = envs.step(this.actions, from, count);
    for (let i = from; i < from + count; i++) {
      this.replay.addRow(envs.states, envs.nextObservations, i, this.actions[i], envs.rewards[i], envs.terminated[i] === 1, envs.truncated[i] === 1);
    }
    const previous = this.steps;
    this.steps += count;
    if (this.steps > c.learningStarts && crossed(previous, this.steps, c.trainFreq * envs.numEnvs)) await this.train();
    if (c.targetUpdate === 'hard' && crossed(previous, this.steps, c.targetUpdateInterval)) this.agent.syncTarget();
    for (const episode of finished) await this.endEpisode(episode);
    if (c.evalFreq > 0 && crossed(previous, this.steps, c.evalFreq)) {
      // Evaluated (and the best weights kept) whether or not anyone listens.
      const log = await this.evaluation.evaluate(this.agent, this.steps);
      await this.callbacks.onEvaluation?.(log);
    }
  }

  /**
   * A round of `gradientSteps` updates, recorded and submitted together. A loss read that falls due
   * starts without waiting and is settled when an episode is logged; with onNonFinite 'skip' the
   * loss is read after every round instead (a bad round is undone at once).
   */
  private async train(): Promise<void> {
    const c = this.config;
    const guard = this.nonFiniteGuard;
    await guard.beforeRound(this.agent, this.lastLoss);
    for (let i = 0; i < c.gradientSteps; i++) {
      if (c.nStep > 1) this.replay.sampleReturns(this.rng, this.minibatch, c.nStep, c.gamma);
      else this.replay.sample(this.rng, this.minibatch);
      this.agent.update(this.minibatch);
      this.updatesSinceLossRead++;
      await yieldIfDue();
    }
    // The round is recorded: on WebGPU it runs while the host steps the envs (a no-op on the CPU).
    this.agent.backend.flush();
    const due = this.updatesSinceLossRead >= c.lossReadInterval || (Number.isNaN(this.lastLoss) && this.pendingLoss === null);
    if (guard.readsEveryRound) {
      await this.settleLoss();
      if (due) this.updatesSinceLossRead = 0;
      this.lastLoss = await guard.afterRound(this.agent, await this.agent.readLoss(), this.steps);
    } else if (due) {
      this.pendingLoss = this.agent.readLoss();
      this.pendingLossStep = this.steps;
      this.updatesSinceLossRead = 0;
    }
  }

  /**
   * The latest loss: a pending read is awaited here, where it is needed, rather than where it
   * started; a non-finite one stops training (onNonFinite 'stop'), naming the step of its round.
   */
  private async settleLoss(): Promise<void> {
    if (this.pendingLoss === null) return;
    const pending = this.pendingLoss;
    this.pendingLoss = null;
    this.lastLoss = await this.nonFiniteGuard.afterRound(this.agent, await pending, this.pendingLossStep);
  }

  private async endEpisode(finished: FinishedEpisode): Promise<void> {
    await this.settleLoss();
    this.episodes++;
    this.recentReturns.push(finished.stats.r);
    await this.callbacks.onEpisode?.({
      episode: this.episodes,
      steps: this.steps,
      return: finished.stats.r,
      shapedReturn: finished.shapedReturn,
      length: finished.stats.l,
      epsilon: this.epsilons[finished.env],
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
    return this.bestWeights ?? (await this.agent.policy.getWeights());
  }

  async weightsFile(weights?: readonly FloatArray[]): Promise<Uint8Array> {
    return trainedWeightsFile(this, 'dqn', dqnArchitecture(this.config), weights ?? (await this.finalWeights()), envSource(this.config.env));
  }

  /** A snapshot from which `restore` continues exactly, taken between any two (half-)steps. */
  async getState(): Promise<TrainerState> {
    await this.settleLoss();
    // The pending group's actions are what its read back gives, now or later: complete them for the snapshot.
    await this.completePending();
    const agent = await this.agent.getState();
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
      envs: this.envs.getState(),
      acting: this.actingState(),
      evalEnvRng,
      online: agent.online,
      target: agent.target,
      averaged: agent.averaged,
      optimizer: agent.optimizer,
      replay: this.replay.getState(),
      bestWeights,
      bestMeanReturn,
      bestSteps,
    };
  }

  /** Restores a snapshot taken by getState() of a trainer with the same config and seed. */
  restore(state: TrainerState): void {
    checkRestorable(state, this.seed, this.envs.numEnvs);
    this.steps = state.steps;
    this.episodes = state.episodes;
    this.lastLoss = state.lastLoss;
    this.pendingLoss = null;
    this.updatesSinceLossRead = state.updatesSinceLossRead;
    this.recentReturns.setValues(state.recentReturns);
    this.rng.setState(state.rng);
    this.agent.setState({ online: state.online, target: state.target, averaged: state.averaged, optimizer: state.optimizer, updates: state.updates });
    this.replay.setState(state.replay);
    this.evaluation.restore(state);
    this.envs.restore(state.envs);
    this.restoreActing(state.acting);
  }

  dispose(): void {
    // Reads still in flight are abandoned with the trainer: their backend may be going (a lost
    // device, replaced by the CPU), and an unawaited rejection would end the process.
    for (const pending of [this.pendingLoss, this.pendingQ]) pending?.catch(() => undefined);
    this.pendingLoss = null;
    this.pendingQ = null;
    this.agent.dispose();
    this.envs.close();
    this.evaluation.dispose();
  }

  private actingState(): ActingState {
    const pending = this.pendingGroup;
    const from = pending * this.groupSize;
    return {
      nextGroup: this.nextGroup,
      pendingGroup: pending,
      pendingActions: pending < 0 ? [] : Array.from(this.actions.subarray(from, from + this.groupSize)),
      epsilons: Array.from(this.epsilons),
    };
  }

  private restoreActing(acting: ActingState): void {
    const groups = this.config.actingGroups;
    const { nextGroup, pendingGroup, pendingActions, epsilons } = acting;
    if (!(nextGroup >= 0 && nextGroup < groups) || !(pendingGroup >= -1 && pendingGroup < groups) || epsilons.length !== this.envs.numEnvs) {
      throw new InvalidArgumentError('checkpoint: the acting state does not fit this run (acting groups or number of envs)');
    }
    if (pendingActions.length !== (pendingGroup < 0 ? 0 : this.groupSize)) throw new InvalidArgumentError('checkpoint: pending actions do not fit the acting group');
    this.nextGroup = nextGroup;
    this.pendingGroup = pendingGroup;
    this.pendingQ = null;
    this.epsilons.set(epsilons);
    if (pendingGroup >= 0) this.actions.set(pendingActions, pendingGroup * this.groupSize);
  }
}

/** Whether a counter going from `before` to `after` reached or passed a multiple of `every`. */
function crossed(before: number, after: number, every: number): boolean {
  return Math.floor(after / every) > Math.floor(before / every);
}
