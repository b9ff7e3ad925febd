/**
 * The N environments a DQN run trains on, stepped side by side as one vector env with
 * Gymnasium's same-step autoreset (AutoresetMode.SAME_STEP, what Stable-Baselines3 expects): a copy
 * whose episode ends is reset within the same step, its terminal observation kept in
 * `finalObservations` for the transition, and the reset observation returned for acting.
 *
 * Each copy keeps its OpenEpisode (how the episode in progress was reset, and the actions since),
 * so a snapshot rebuilds every copy exactly on resume. This is why the trainer steps its own copies
 * rather than a general VectorEnv (src/envs/vector-env.ts), which knows nothing of snapshots.
 *
 * Copy i's first reset is seeded `seed + i` (Gymnasium's vector convention), so with one env the
 * run is exactly the single-env run; later resets continue each copy's own stream.
 */
import type { Env } from '../envs/env.js';
import { actionDim, isBox, type ActionSpace } from '../envs/spaces.js';
import type { EpisodeStatistics } from '../envs/wrappers/record-episode-statistics.js';
import { newStepRecord, type StepRecord } from '../envs/types.js';
import { InvalidArgumentError } from '../errors.js';
import type { DqnConfig } from './config.js';
import { OpenEpisode, type OpenEpisodeState } from './open-episode.js';
import { makeTrainingEnv, setEnvRngState } from './training-env.js';

/** One copy's episode that ended on the latest step. */
export interface FinishedEpisode {
  /** The copy's index. */
  env: number;
  /** The env's own statistics (return and length, before any reward shaping). */
  stats: EpisodeStatistics;
  /** Return of the (shaped) rewards the agent learned from. */
  shapedReturn: number;
}

export class TrainingEnvs {
  readonly numEnvs: number;
  readonly obsDim: number;
  /** Discrete actions: their number; Box actions: the action's length (actionDim). */
  readonly nActions: number;
  /** The copies' action space. */
  readonly actionSpace: ActionSpace;
  /** Values per action in `step`'s array: 1 (Discrete) or the Box's length. */
  readonly actionDim: number;
  readonly envs: readonly Env<ActionSpace>[];
  /** numEnvs * obsDim: the observation each copy acts on next (a reset observation after an episode ends). */
  readonly observations: Float32Array;
  /** numEnvs * obsDim: the observation each copy acted on at its latest step: s of the transition. */
  readonly states: Float32Array;
  /** numEnvs * obsDim: the observation each step led to (the terminal one where an episode ended): s' of the transition. */
  readonly nextObservations: Float32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  private readonly episodes: OpenEpisode[];
  private readonly record: StepRecord = newStepRecord();
  private readonly finishedList: FinishedEpisode[] = [];
  /** Box actions: each copy's action row, copied out of `step`'s array (no allocation per step). */
  private readonly boxActions: Float32Array[];

  /**
   * N copies of the config's training env (makeTrainingEnv: Discrete actions), or of `makeEnv`'s
   * (any action space: PPO's), which must record episode statistics.
   */
  constructor(config: Pick<DqnConfig, 'env' | 'rewardShaping' | 'numEnvs'>, makeEnv: () => Env<ActionSpace> = () => makeTrainingEnv(config)) {
    const n = config.numEnvs;
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`numEnvs must be a positive integer, got ${n}`);
    this.numEnvs = n;
    this.envs = Array.from({ length: n }, makeEnv);
    this.obsDim = this.envs[0].obsDim;
    this.actionSpace = this.envs[0].actionSpace;
    this.actionDim = actionDim(this.actionSpace);
    const space = this.actionSpace;
    this.nActions = isBox(space) ? this.actionDim : space.n;
    this.boxActions = isBox(space) ? this.envs.map(() => new Float32Array(this.actionDim)) : [];
    this.episodes = this.envs.map((env) => new OpenEpisode(env));
    this.observations = new Float32Array(n * this.obsDim);
    this.states = new Float32Array(n * this.obsDim);
    this.nextObservations = new Float32Array(n * this.obsDim);
    this.rewards = new Float64Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
  }

  /**
   * Opens an episode in every copy that has none: seeded `seed + i` (the run's first resets), or,
   * with a null seed, continuing the copy's stream (a copy restored between episodes).
   */
  open(seed: number | null): void {
    for (let i = 0; i < this.numEnvs; i++) {
      if (!this.episodes[i].isOpen) this.episodes[i].begin(this.rowOf(this.observations, i), seed === null ? null : seed + i);
    }
  }

  /**
   * Steps copies [from, from + count) with `actions[i]` (indexed by copy; Box actions: the row
   * `actions[i * actionDim ..]`, as the env takes it). Fills `states` (what they
   * acted on), `nextObservations`, `rewards` and the flags of those copies, resets the copies whose
   * episode ended (same-step autoreset) into `observations`, and returns those episodes (the list
   * is reused by the next call).
   */
  step(actions: ArrayLike<number>, from = 0, count = this.numEnvs): readonly FinishedEpisode[] {
    const finished = this.finishedList;
    finished.length = 0;
    const rec = this.record;
    const obsDim = this.obsDim;
    const { observations, states, nextObservations } = this;
    const box = this.boxActions.length > 0;
    const d = this.actionDim;
    for (let i = from; i < from + count; i++) {
      let action: number | Float32Array = actions[i];
      if (box) {
        action = this.boxActions[i];
        for (let k = 0; k < d; k++) action[k] = actions[i * d + k];
      }
      const row = i * obsDim;
      for (let k = row; k < row + obsDim; k++) states[k] = observations[k];
      rec.info = undefined;
      this.envs[i].stepInto(action, nextObservations, row, rec);
      this.episodes[i].record(action, rec.reward);
      this.rewards[i] = rec.reward;
      this.terminated[i] = rec.terminated ? 1 : 0;
      this.truncated[i] = rec.truncated ? 1 : 0;
      if (rec.terminated || rec.truncated) {
        finished.push({ env: i, stats: episodeStatistics(rec), shapedReturn: this.episodes[i].shapedReturn });
        this.episodes[i].end();
        // Later episodes continue the copy's own stream.
        this.episodes[i].begin(this.rowOf(this.observations, i), null);
      } else {
        for (let k = row; k < row + obsDim; k++) observations[k] = nextObservations[k];
      }
    }
    return finished;
  }

  /** Steps taken so far in copy i's episode in progress (0 right after a reset). */
  episodeStep(i: number): number {
    return this.episodes[i].length;
  }

  /** Each copy's episode in progress, as a snapshot rebuilds it. */
  getState(): OpenEpisodeState[] {
    return this.episodes.map((e) => e.getState());
  }

  /** Rebuilds every copy's episode of a snapshot (one state per copy). */
  restore(states: readonly OpenEpisodeState[]): void {
    if (states.length !== this.numEnvs) throw new InvalidArgumentError(`checkpoint: ${states.length} env states for ${this.numEnvs} envs`);
    for (let i = 0; i < this.numEnvs; i++) {
      const state = states[i];
      // The next reset continues the copy's stream from where the snapshot left it.
      if (state.envRng) setEnvRngState(this.envs[i], state.envRng);
      this.episodes[i].restore(this.rowOf(this.observations, i), state);
    }
  }

  close(): void {
    for (const env of this.envs) env.close();
  }

  /** Copy i's row of an N * obsDim array, as a view. */
  private rowOf(array: Float32Array, i: number): Float32Array {
    return array.subarray(i * this.obsDim, (i + 1) * this.obsDim);
  }
}

/** The episode statistics the training env's RecordEpisodeStatistics put in the step's info. */
function episodeStatistics(rec: StepRecord): EpisodeStatistics {
  const stats = rec.info?.episode as EpisodeStatistics | undefined;
  if (!stats) throw new Error('internal: the training env must record episode statistics');
  return stats;
}
