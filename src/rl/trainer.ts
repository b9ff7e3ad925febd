/**
 * What a front end drives, whatever the algorithm: the CLI's training run (src/cli/run-training.ts)
 * and the page's session (src/web/training-session.ts) see a trainer through this interface alone,
 * and the algorithm registry (algorithms.ts) builds one per entry.
 *
 * Composition, not a base class: each algorithm's trainer assembles the shared parts its own way
 * (the N envs with autoreset: training-envs.ts; periodic greedy evaluation and the best weights:
 * periodic-evaluation.ts; episode statistics: statistics.ts; the non-finite guard:
 * non-finite-guard.ts; the one seeded stream: random/rng.ts), because the loops differ where it
 * matters (DQN: a replay buffer, acting groups, rounds of updates every few env steps; PQN: rollouts
 * of many envs, lambda-returns, epochs of minibatches). A base class would hold one loop and make
 * the other bend around it; the interface holds only what the front ends need.
 */
import type { FloatArray } from '../backend/backend.js';
import type { GreedyPolicy } from './greedy-evaluation.js';
import type { TrainingEnvs } from './training-envs.js';

/** What every algorithm's config holds, whatever else it has (the front ends read these). */
export interface BaseConfig {
  /** Environment id from the registry. */
  env: string;
  /** Env step budget (summed over the envs); 0 where an episode budget is used instead. */
  steps: number;
  /** Episodes of each periodic greedy evaluation. */
  evalEpisodes: number;
}

/** What every trainer snapshot holds, whatever else it has. */
export interface BaseState<C> {
  config: C;
  seed: number;
  /** Env steps taken (summed over the envs). */
  steps: number;
  episodes: number;
}

/** The greedy policy a trainer evaluates, keeps and saves. */
export interface TrainerPolicy extends GreedyPolicy {
  getWeights(): Promise<FloatArray[]>;
  setWeights(arrays: readonly ArrayLike<number>[]): void;
}

/** One env's episode in progress: its physics state (as the host env's `state`) and its steps so far. */
export interface EnvInProgress {
  state: number[];
  episodeStep: number;
}

/** A training loop of config type C, whose exact snapshots are of type S. */
export interface Trainer<C, S> {
  readonly config: C;
  readonly seed: number;
  /** The training envs (their sizes, and the first env's episode in progress for the page's canvas, unless they step on the device). */
  readonly envs: TrainingEnvs;
  /**
   * Where the training envs step on the device (PQN's envOn 'device'): the first env's episode in
   * progress, its physics state and steps so far, for the page's canvas: one small read back,
   * recorded before the call returns, so the caller may record more work while it is on its way;
   * null while they step on the host (`envs` has it). Absent for algorithms whose envs always step there.
   */
  deviceEnvInProgress?(): Promise<EnvInProgress | null>;
  /** Env steps taken (summed over the envs). */
  readonly steps: number;
  /** Finished episodes. */
  readonly episodes: number;
  /** Gradient updates so far. */
  readonly updates: number;
  /** True once the step or episode budget is spent. */
  readonly done: boolean;
  /** Mean return of the last (up to) 100 episodes (NaN before the first). */
  readonly meanReturn100: number;
  /** The exploration rate of the next step (NaN for an algorithm that does not explore by epsilon). */
  readonly epsilon: number;
  /** The latest loss read back (NaN before the first). */
  readonly lastLoss: number;
  /** The best periodic evaluation: its weights (null before the first), mean return and env steps. */
  readonly bestWeights: FloatArray[] | null;
  readonly bestMeanReturn: number;
  readonly bestSteps: number;
  /** The greedy policy (what is evaluated, kept and saved). */
  readonly policy: TrainerPolicy;
  /** Trains for up to about `maxSteps` env steps, stopping early once `shouldStop()` is true; returns the steps taken. */
  run(maxSteps?: number, shouldStop?: () => boolean): Promise<number>;
  /** The weights to keep: the best evaluated ones, else the current ones. */
  finalWeights(): Promise<FloatArray[]>;
  /** The weights file (.npz, the layout --save writes and --load, the page and the policy runtime read) of `weights`, by default finalWeights(). */
  weightsFile(weights?: readonly FloatArray[]): Promise<Uint8Array>;
  /** Starts from given weights (a weights file's), in the order of weightShapes(). */
  loadWeights(arrays: readonly ArrayLike<number>[]): void;
  /** The (rows, cols) of every parameter array, in the weights file's order. */
  weightShapes(): [number, number][];
  /** One line for the banner: how it explores (an epsilon schedule, ...). */
  describeExploration(): string;
  /** A snapshot from which restore() continues exactly. */
  getState(): Promise<S>;
  restore(state: S): void;
  dispose(): void;
}
