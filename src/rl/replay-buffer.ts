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
  /** (size, 1) rewards r (with n-step returns, the discounted reward sum of the window). */
  readonly rewards: Float32Array;
  /** (size, 1) 1 where s' is terminal (no bootstrap), 0 where the TD target bootstraps from s' (truncation included). */
  readonly terminated: Float32Array;
  /** (size, obsDim) next observations s' (with n-step returns, the observation the window ends in). */
  readonly nextObservations: Float32Array;
  /**
   * (size, 1) the factor of V(s') in the TD target, filled by sampleReturns: gamma^m for a window of
   * m steps, 0 where the window ends in a termination. `sample` leaves it alone.
   */
  readonly discounts: Float32Array;
}

export function createMinibatch(size: number, obsDim: number): Minibatch {
  return {
    size,
    observations: new Float32Array(size * obsDim),
    actions: new Float32Array(size),
    rewards: new Float32Array(size),
    terminated: new Float32Array(size),
    nextObservations: new Float32Array(size * obsDim),
    discounts: new Float32Array(size),
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
  /** Per slot, the slot of the same stream's next transition in the same episode (-1: none yet, or the episode ended). */
  successors: Int32Array;
  /** Per stream, the add number of its latest transition whose episode goes on (-1: none). */
  streamLast: Float64Array;
  /** Transitions added in all (the add number of the next one). */
  added: number;
}

/**
 * Experience replay: a ring buffer of transitions (s, a, r, s', terminated) in structure-of-arrays
 * typed arrays. Once full, the oldest transition is overwritten. Sampling is uniform with
 * replacement (as Stable-Baselines3), drawn from the one seeded Rng.
 *
 * Only `terminated` is stored: a transition cut by a time limit (truncated) still bootstraps from
 * s', so the caller stores the true final observation as s' and terminated = false (addStep).
 *
 * n-step returns (sampleReturns): transitions come from `streams` interleaved streams (the envs of
 * a vector env, stream = env index). Each transition links to its stream's next one while the
 * episode goes on (a termination or a truncation ends the chain), so a window follows one episode
 * of one env, whatever the order in which the envs' transitions arrive.
 */
export class ReplayBuffer {
  readonly capacity: number;
  readonly obsDim: number;
  private readonly observations: Float32Array;
  private readonly nextObservations: Float32Array;
  private readonly actions: Int32Array;
  private readonly rewards: Float32Array;
  private readonly terminated: Uint8Array;
  private readonly successors: Int32Array;
  private readonly streamLast: Float64Array;
  private count = 0;
  private next = 0;
  private added = 0;

  constructor(
    capacity: number,
    obsDim: number,
    /** Interleaved streams of transitions (envs) that add() and addRow() name; n-step windows follow one. */
    readonly streams = 1,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new InvalidArgumentError(`replay buffer capacity must be a positive integer, got ${capacity}`);
    if (!Number.isInteger(obsDim) || obsDim < 1) throw new InvalidArgumentError(`replay buffer obsDim must be a positive integer, got ${obsDim}`);
    if (!Number.isInteger(streams) || streams < 1) throw new InvalidArgumentError(`replay buffer streams must be a positive integer, got ${streams}`);
    this.capacity = capacity;
    this.obsDim = obsDim;
    this.observations = new Float32Array(capacity * obsDim);
    this.nextObservations = new Float32Array(capacity * obsDim);
    this.actions = new Int32Array(capacity);
    this.rewards = new Float32Array(capacity);
    this.terminated = new Uint8Array(capacity);
    this.successors = new Int32Array(capacity).fill(-1);
    this.streamLast = new Float64Array(streams).fill(-1);
  }

  /** Transitions currently stored. */
  get size(): number {
    return this.count;
  }

  /**
   * Stores one env step of stream `stream`: s, a, the step's reward and s' (the true final
   * observation when the episode ended). Bootstraps on truncation, never on termination: only
   * `terminated` is kept; a truncation only ends the stream's n-step chain.
   */
  addStep(
    observation: ArrayLike<number>,
    action: number,
    step: Pick<StepRecord, 'reward' | 'terminated' | 'truncated'>,
    nextObservation: ArrayLike<number>,
    stream = 0,
  ): void {
    this.add(observation, action, step.reward, nextObservation, step.terminated, step.truncated, stream);
  }

  /**
   * Stores the transition of row `row` of a vector env's arrays (stream `row`): s from `states`, s'
   * from `nextObservations` (both numEnvs * obsDim), without copying the rows out first.
   */
  addRow(
    states: ArrayLike<number>,
    nextObservations: ArrayLike<number>,
    row: number,
    action: number,
    reward: number,
    terminated: boolean,
    truncated = false,
  ): void {
    const d = this.obsDim;
    const from = row * d;
    if (!Number.isInteger(row) || row < 0 || from + d > states.length || from + d > nextObservations.length) {
      throw new InvalidArgumentError(`replay buffer: row ${row} of ${d} values is past the end of the observation arrays`);
    }
    this.store(states, from, nextObservations, from, action, reward, terminated, truncated, row);
  }

  /** Stores one transition of stream `stream` (truncated: the episode was cut after it, by a time limit). */
  add(
    observation: ArrayLike<number>,
    action: number,
    reward: number,
    nextObservation: ArrayLike<number>,
    terminated: boolean,
    truncated = false,
    stream = 0,
  ): void {
    const d = this.obsDim;
    if (observation.length !== d || nextObservation.length !== d) {
      throw new InvalidArgumentError(`replay buffer: observations must have length ${d}, got ${observation.length} and ${nextObservation.length}`);
    }
    this.store(observation, 0, nextObservation, 0, action, reward, terminated, truncated, stream);
  }

  private store(
    s: ArrayLike<number>,
    sFrom: number,
    next: ArrayLike<number>,
    nextFrom: number,
    action: number,
    reward: number,
    terminated: boolean,
    truncated: boolean,
    stream: number,
  ): void {
    if (!Number.isInteger(stream) || stream < 0 || stream >= this.streams) {
      throw new InvalidArgumentError(`replay buffer: stream ${stream} is not in [0, ${this.streams})`);
    }
    const d = this.obsDim;
    const i = this.next;
    // Link the stream's previous transition to this one, unless it has been overwritten since.
    this.successors[i] = -1;
    const previous = this.streamLast[stream];
    if (previous >= 0 && this.added - previous < this.capacity) this.successors[previous % this.capacity] = i;
    this.streamLast[stream] = terminated || truncated ? -1 : this.added;
    this.added++;
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
    this.checkSample(batch);
    for (let j = 0; j < batch.size; j++) this.copyTransition(rng.integers(this.count), j, batch);
  }

  private checkSample(batch: Minibatch): void {
    if (this.count === 0) throw new InvalidArgumentError('replay buffer: cannot sample from an empty buffer');
    const d = this.obsDim;
    if (batch.observations.length !== batch.size * d) {
      throw new InvalidArgumentError(`replay buffer: minibatch made for obsDim ${batch.observations.length / batch.size}, buffer has ${d}`);
    }
  }

  /**
   * Fills `batch` with `batch.size` n-step transitions (Mnih et al.'s targets with Sutton's n-step
   * returns, as in Rainbow): for each start drawn uniformly with replacement (the same draws as
   * `sample`), the window follows the stream's episode for up to `nStep` transitions, ending early
   * where the episode terminated or was truncated, or at the newest transition. Row j gets s and a
   * of the start, the reward sum_k gamma^k r_k over the window's m transitions, s' and terminated
   * of its last, and the discount gamma^m (0 when it terminated). With nStep 1 the rows are
   * exactly those of `sample`, with discount gamma (0 when terminated).
   */
  sampleReturns(rng: Rng, batch: Minibatch, nStep: number, gamma: number): void {
    if (!Number.isInteger(nStep) || nStep < 1) throw new InvalidArgumentError(`replay buffer: nStep must be a positive integer, got ${nStep}`);
    if (!(gamma >= 0 && gamma <= 1)) throw new InvalidArgumentError(`replay buffer: gamma must be in [0, 1], got ${gamma}`);
    this.checkSample(batch);
    for (let j = 0; j < batch.size; j++) this.copyReturn(rng.integers(this.count), j, batch, nStep, gamma);
  }

  /** Copies the n-step transition that starts at stored transition `i` into row `j` of `batch` (see sampleReturns). */
  copyReturn(i: number, j: number, batch: Minibatch, nStep: number, gamma: number): void {
    const { rewards, terminated, successors } = this;
    let last = i;
    let sum = rewards[i];
    let discount = gamma;
    for (let m = 1; m < nStep && terminated[last] === 0 && successors[last] >= 0; m++) {
      last = successors[last];
      sum += discount * rewards[last];
      discount *= gamma;
    }
    const d = this.obsDim;
    const dst = j * d;
    const from = i * d;
    const to = last * d;
    for (let k = 0; k < d; k++) {
      batch.observations[dst + k] = this.observations[from + k];
      batch.nextObservations[dst + k] = this.nextObservations[to + k];
    }
    batch.actions[j] = this.actions[i];
    batch.rewards[j] = sum;
    batch.terminated[j] = terminated[last];
    batch.discounts[j] = terminated[last] === 1 ? 0 : discount;
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
      successors: this.successors.slice(),
      streamLast: this.streamLast.slice(),
      added: this.added,
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
    if (state.streamLast.length !== this.streams) {
      throw new InvalidArgumentError(`replay buffer state has ${state.streamLast.length} streams, this buffer has ${this.streams}`);
    }
    this.successors.set(state.successors);
    this.streamLast.set(state.streamLast);
    this.added = state.added;
  }
}
