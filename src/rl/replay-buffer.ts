import type { StepRecord } from '../envs/types.js';
import { InvalidArgumentError } from '../errors.js';
import type { Rng } from '../random/rng.js';

/**
 * A sampled minibatch in host staging arrays, laid out as the network wants them, ready to be
 * uploaded with one `write` per array. Reused across samples: sampling allocates nothing.
 */
export interface Minibatch {
  readonly size: number;
  /** (size, obsDim) observations s. */
  readonly observations: Float32Array;
  /** (size, 1) actions a, as exact floats (the backends' index format). */
  readonly actions: Float32Array;
  /** (size, 1) rewards r. */
  readonly rewards: Float32Array;
  /** (size, 1) 1 where s' is terminal (no bootstrap), 0 where the TD target bootstraps from s' (truncation included). */
  readonly terminated: Float32Array;
  /** (size, obsDim) next observations s'. */
  readonly nextObservations: Float32Array;
}

export function createMinibatch(size: number, obsDim: number): Minibatch {
  return {
    size,
    observations: new Float32Array(size * obsDim),
    actions: new Float32Array(size),
    rewards: new Float32Array(size),
    terminated: new Float32Array(size),
    nextObservations: new Float32Array(size * obsDim),
  };
}

/** Everything needed to restore a replay buffer exactly (for --resume). */
export interface ReplayBufferState {
  capacity: number;
  obsDim: number;
  size: number;
  next: number;
  observations: Float32Array;
  nextObservations: Float32Array;
  actions: Int32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
}

/**
 * Experience replay: a ring buffer of transitions (s, a, r, s', terminated) in structure-of-arrays
 * typed arrays. Once full, the oldest transition is overwritten. Sampling is uniform with
 * replacement (as Stable-Baselines3), drawn from the one seeded Rng.
 *
 * Only `terminated` is stored: a transition cut by a time limit (truncated) still bootstraps from
 * s', so the caller stores the true final observation as s' and terminated = false (addStep).
 */
export class ReplayBuffer {
  readonly capacity: number;
  readonly obsDim: number;
  private readonly observations: Float32Array;
  private readonly nextObservations: Float32Array;
  private readonly actions: Int32Array;
  private readonly rewards: Float32Array;
  private readonly terminated: Uint8Array;
  private count = 0;
  private next = 0;

  constructor(capacity: number, obsDim: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new InvalidArgumentError(`replay buffer capacity must be a positive integer, got ${capacity}`);
    if (!Number.isInteger(obsDim) || obsDim < 1) throw new InvalidArgumentError(`replay buffer obsDim must be a positive integer, got ${obsDim}`);
    this.capacity = capacity;
    this.obsDim = obsDim;
    this.observations = new Float32Array(capacity * obsDim);
    this.nextObservations = new Float32Array(capacity * obsDim);
    this.actions = new Int32Array(capacity);
    this.rewards = new Float32Array(capacity);
    this.terminated = new Uint8Array(capacity);
  }

  /** Transitions currently stored. */
  get size(): number {
    return this.count;
  }

  /**
   * Stores one env step: s, a, the step's reward and s' (the true final observation when the
   * episode ended). Bootstraps on truncation, never on termination: only `terminated` is kept.
   */
  addStep(observation: ArrayLike<number>, action: number, step: Pick<StepRecord, 'reward' | 'terminated'>, nextObservation: ArrayLike<number>): void {
    this.add(observation, action, step.reward, nextObservation, step.terminated);
  }

  /**
   * Stores the transition of row `row` of a vector env's arrays: s from `states`, s' from
   * `nextObservations` (both numEnvs * obsDim), without copying the rows out first.
   */
  addRow(states: ArrayLike<number>, nextObservations: ArrayLike<number>, row: number, action: number, reward: number, terminated: boolean): void {
    const d = this.obsDim;
    const from = row * d;
    if (!Number.isInteger(row) || row < 0 || from + d > states.length || from + d > nextObservations.length) {
      throw new InvalidArgumentError(`replay buffer: row ${row} of ${d} values is past the end of the observation arrays`);
    }
    this.store(states, from, nextObservations, from, action, reward, terminated);
  }

  add(observation: ArrayLike<number>, action: number, reward: number, nextObservation: ArrayLike<number>, terminated: boolean): void {
    const d = this.obsDim;
    if (observation.length !== d || nextObservation.length !== d) {
      throw new InvalidArgumentError(`replay buffer: observations must have length ${d}, got ${observation.length} and ${nextObservation.length}`);
    }
    this.store(observation, 0, nextObservation, 0, action, reward, terminated);
  }

  private store(s: ArrayLike<number>, sFrom: number, next: ArrayLike<number>, nextFrom: number, action: number, reward: number, terminated: boolean): void {
    const d = this.obsDim;
    const i = this.next;
    const base = i * d;
    for (let k = 0; k < d; k++) {
      this.observations[base + k] = s[sFrom + k];
      this.nextObservations[base + k] = next[nextFrom + k];
    }
    this.actions[i] = action;
    this.rewards[i] = reward;
    this.terminated[i] = terminated ? 1 : 0;
    this.next = (i + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Fills `batch` with `batch.size` transitions drawn uniformly with replacement. */
  sample(rng: Rng, batch: Minibatch): void {
    if (this.count === 0) throw new InvalidArgumentError('replay buffer: cannot sample from an empty buffer');
    const d = this.obsDim;
    if (batch.observations.length !== batch.size * d) {
      throw new InvalidArgumentError(`replay buffer: minibatch made for obsDim ${batch.observations.length / batch.size}, buffer has ${d}`);
    }
    for (let j = 0; j < batch.size; j++) {
      const i = rng.integers(this.count);
      this.copyTransition(i, j, batch);
    }
  }

  /** Copies stored transition `i` into row `j` of `batch` (exposed for tests and custom samplers). */
  copyTransition(i: number, j: number, batch: Minibatch): void {
    const d = this.obsDim;
    const src = i * d;
    const dst = j * d;
    for (let k = 0; k < d; k++) {
      batch.observations[dst + k] = this.observations[src + k];
      batch.nextObservations[dst + k] = this.nextObservations[src + k];
    }
    batch.actions[j] = this.actions[i];
    batch.rewards[j] = this.rewards[i];
    batch.terminated[j] = this.terminated[i];
  }

  getState(): ReplayBufferState {
    return {
      capacity: this.capacity,
      obsDim: this.obsDim,
      size: this.count,
      next: this.next,
      observations: this.observations.slice(),
      nextObservations: this.nextObservations.slice(),
      actions: this.actions.slice(),
      rewards: this.rewards.slice(),
      terminated: this.terminated.slice(),
    };
  }

  setState(state: ReplayBufferState): void {
    if (state.capacity !== this.capacity || state.obsDim !== this.obsDim) {
      throw new InvalidArgumentError(
        `replay buffer state is for capacity ${state.capacity} x obsDim ${state.obsDim}, this buffer is ${this.capacity} x ${this.obsDim}`,
      );
    }
    this.count = state.size;
    this.next = state.next;
    this.observations.set(state.observations);
    this.nextObservations.set(state.nextObservations);
    this.actions.set(state.actions);
    this.rewards.set(state.rewards);
    this.terminated.set(state.terminated);
  }
}
