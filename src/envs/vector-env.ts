/**
 * A synchronous vector env: N copies stepped in lockstep on structure-of-arrays storage
 * (Gymnasium's `SyncVectorEnv`). Observations live in one Float32Array of `N * obsDim`, rewards in a
 * Float64Array, the flags in Uint8Arrays; `step` reuses them (and its result tuple), so the hot
 * path allocates nothing. Copy i is seeded `seed + i` by `reset({ seed })`; without a seed every
 * copy continues its own stream.
 *
 * Autoreset (Gymnasium 1.x `AutoresetMode`), chosen per vector env:
 * - 'next-step' (default, Gymnasium 1.x's default): a copy that ended on step t is reset on step
 *   t+1, whose action for it is ignored; that step returns the reset obs, reward 0 and both flags
 *   false, and `info.autoreset[i] = 1`. The terminal obs is the obs returned on step t.
 * - 'same-step' (what Stable-Baselines3 expects): a copy that ends is reset within the same step;
 *   the returned obs is already the reset obs, and the terminal obs is in `info.finalObservations`
 *   (valid where `terminated[i] | truncated[i]`).
 *
 * Actions: `step(actions)` takes one flat array, N indices for a Discrete space or N rows of
 * `actionDim` numbers (row-major) for a Box space; each copy gets its row through a scratch
 * Float32Array of its own (FlatActions), so Box actions allocate nothing either.
 *
 * Episode statistics come for free: when copy i ends, `info.episodeReturns[i]` and
 * `info.episodeLengths[i]` hold its return and length (valid where it ended this step).
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import type { Env } from './env.js';
import { FlatActions } from './flat-actions.js';
import { make, type ActionSpaceOf, type MakeOptions } from './registry.js';
import type { ActionSpace, Box, Discrete } from './spaces.js';
import { newStepRecord, type Info, type StepRecord } from './types.js';

/** How finished copies are reset (see the module comment). */
export type AutoresetMode = 'next-step' | 'same-step';

/** The per-step info of a vector env: the same object, updated in place, every step. */
export interface VectorStepInfo {
  /** 1 where the copy was reset on this step (next-step: it returned a reset obs; same-step: it ended and was reset). */
  autoreset: Uint8Array;
  /** same-step mode: terminal observations of the copies that ended this step (N * obsDim); null in next-step mode. */
  finalObservations: Float32Array | null;
  /** Return of the episode that ended on this step, per copy (valid where terminated | truncated). */
  episodeReturns: Float64Array;
  /** Length of the episode that ended on this step, per copy. */
  episodeLengths: Int32Array;
}

/** `[observations, rewards, terminated, truncated, info]`, arrays reused across steps. */
export type VectorStepResult = readonly [
  observations: Float32Array,
  rewards: Float64Array,
  terminated: Uint8Array,
  truncated: Uint8Array,
  info: VectorStepInfo,
];

/**
 * What a vector env offers, implemented by VectorEnv and by the vector wrappers
 * (wrappers/vector-wrapper.ts and the vector normalisers), so that wrappers stack: N copies of an
 * env with action space S.
 */
export interface VectorEnvLike<S extends ActionSpace = Discrete> {
  readonly numEnvs: number;
  readonly obsDim: number;
  /** Numbers per action in `step`'s flat array (actionDim: 1 for Discrete). */
  readonly actionDim: number;
  readonly autoresetMode: AutoresetMode;
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: S;
  /** Resets every copy (copy i with `seed + i` when a seed is given); the observations and per-copy infos. */
  reset(options?: { seed?: number }): [Float32Array, Info[]];
  /** Steps every copy; the arrays of the result are reused by the next call. */
  step(actions: ArrayLike<number>): VectorStepResult;
  close(): void;
}

/** Options of `VectorEnv`. */
export interface VectorEnvOptions {
  autoresetMode?: AutoresetMode;
}

/** N envs in lockstep (see the module comment), with action space S (Discrete by default). */
export class VectorEnv<S extends ActionSpace = Discrete> implements VectorEnvLike<S> {
  readonly numEnvs: number;
  readonly envs: readonly Env<S>[];
  readonly obsDim: number;
  /** Numbers per action in `step`'s flat array (actionDim: 1 for Discrete). */
  readonly actionDim: number;
  readonly autoresetMode: AutoresetMode;
  /** N * obsDim observations, row i at `[i * obsDim, (i + 1) * obsDim)`. */
  readonly observations: Float32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly info: VectorStepInfo;
  /** Episodes completed since construction, over all copies. */
  episodesCompleted = 0;
  private readonly autoresetNext: Uint8Array;
  private readonly runningReturn: Float64Array;
  private readonly runningLength: Int32Array;
  private readonly record: StepRecord = newStepRecord();
  private readonly result: VectorStepResult;
  private readonly actions: FlatActions<S>;
  private wasReset = false;

  /** Builds N copies with `envFns[i]()`; they must share observation and action spaces. */
  constructor(envFns: ReadonlyArray<() => Env<S>>, options: VectorEnvOptions = {}) {
    if (envFns.length < 1) throw new InvalidArgumentError('VectorEnv needs at least one env');
    const mode = options.autoresetMode ?? 'next-step';
    if (mode !== 'next-step' && mode !== 'same-step') {
      throw new InvalidArgumentError(`autoresetMode '${String(mode)}' is not one of next-step, same-step`);
    }
    this.autoresetMode = mode;
    this.envs = envFns.map((fn) => fn());
    this.numEnvs = this.envs.length;
    this.obsDim = this.envs[0].obsDim;
    for (const e of this.envs) {
      if (e.obsDim !== this.obsDim || !e.actionSpace.equals(this.envs[0].actionSpace)) {
        throw new ShapeError(`VectorEnv copies differ: ${e.toString()} vs ${this.envs[0].toString()}`);
      }
    }
    const n = this.numEnvs;
    this.actions = new FlatActions(this.envs[0].actionSpace, n);
    this.actionDim = this.actions.dim;
    this.observations = new Float32Array(n * this.obsDim);
    this.rewards = new Float64Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.autoresetNext = new Uint8Array(n);
    this.runningReturn = new Float64Array(n);
    this.runningLength = new Int32Array(n);
    this.info = {
      autoreset: new Uint8Array(n),
      finalObservations: mode === 'same-step' ? new Float32Array(n * this.obsDim) : null,
      episodeReturns: new Float64Array(n),
      episodeLengths: new Int32Array(n),
    };
    this.result = [this.observations, this.rewards, this.terminated, this.truncated, this.info];
  }

  /** The observation space of one copy. */
  get singleObservationSpace(): Box {
    return this.envs[0].observationSpace;
  }

  /** The action space of one copy. */
  get singleActionSpace(): S {
    return this.envs[0].actionSpace;
  }

  /** Resets every copy (copy i with `seed + i` when a seed is given); returns the observations and per-copy infos. */
  reset(options: { seed?: number } = {}): [Float32Array, Info[]] {
    const infos: Info[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const seed = options.seed === undefined ? undefined : options.seed + i;
      infos.push(this.envs[i].resetInto(this.observations, i * this.obsDim, seed === undefined ? undefined : { seed }) ?? {});
    }
    this.autoresetNext.fill(0);
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
    this.info.autoreset.fill(0);
    this.runningReturn.fill(0);
    this.runningLength.fill(0);
    this.wasReset = true;
    return [this.observations, infos];
  }

  /**
   * Steps every copy with its action (copy i: `actions[i]` for Discrete, `actions[i * actionDim ..
   * (i + 1) * actionDim)` for Box) and returns the shared result arrays (overwritten by the next
   * call: copy what you keep). Infos of the individual copies are not collected.
   */
  step(actions: ArrayLike<number>): VectorStepResult {
    if (!this.wasReset) throw new InvalidArgumentError('VectorEnv: call reset() before step()');
    this.actions.check(actions, 'VectorEnv.step');
    const { envs, obsDim, observations, rewards, terminated, truncated, record, info } = this;
    const sameStep = this.autoresetMode === 'same-step';
    const finalObs = info.finalObservations;
    for (let i = 0; i < this.numEnvs; i++) {
      const env = envs[i];
      const offset = i * obsDim;
      if (this.autoresetNext[i]) {
        env.resetInto(observations, offset);
        rewards[i] = 0;
        terminated[i] = 0;
        truncated[i] = 0;
        info.autoreset[i] = 1;
        this.autoresetNext[i] = 0;
        continue;
      }
      info.autoreset[i] = 0;
      record.info = undefined;
      env.stepInto(this.actions.at(actions, i), observations, offset, record);
      rewards[i] = record.reward;
      terminated[i] = record.terminated ? 1 : 0;
      truncated[i] = record.truncated ? 1 : 0;
      this.runningReturn[i] += record.reward;
      this.runningLength[i] += 1;
      if (record.terminated || record.truncated) {
        info.episodeReturns[i] = this.runningReturn[i];
        info.episodeLengths[i] = this.runningLength[i];
        this.runningReturn[i] = 0;
        this.runningLength[i] = 0;
        this.episodesCompleted += 1;
        if (sameStep && finalObs) {
          for (let k = 0; k < obsDim; k++) finalObs[offset + k] = observations[offset + k];
          env.resetInto(observations, offset);
          info.autoreset[i] = 1;
        } else {
          this.autoresetNext[i] = 1;
        }
      }
    }
    return this.result;
  }

  /** Closes every copy. */
  close(): void {
    for (const e of this.envs) e.close();
  }
}

/**
 * `N` copies of `make(id, options)` in a VectorEnv (Gymnasium's `make_vec(id, num_envs,
 * vectorization_mode='sync')`), typed by the id as `make` is.
 */
export function makeVec<Id extends string>(id: Id, numEnvs: number, options: MakeOptions & VectorEnvOptions = {}): VectorEnv<ActionSpaceOf<Id>> {
  if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new InvalidArgumentError(`numEnvs must be a positive integer, got ${numEnvs}`);
  const { autoresetMode, ...makeOptions } = options;
  return new VectorEnv(Array.from({ length: numEnvs }, () => () => make(id, makeOptions)), { autoresetMode });
}
