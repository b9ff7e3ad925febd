/**
 * What training does when the numbers blow up (a learning rate of 1e30, say): a loss or a
 * parameter that is NaN or infinite. Browser-safe.
 *
 * - 'stop' (the default): the trainer throws NonFiniteError at the first non-finite loss it reads,
 *   naming the env step and update. Callers never save such a state: `checkStateFinite` refuses a
 *   snapshot with a non-finite weight or optimizer moment (the CLI calls it before every
 *   checkpoint), encodeWeightsNpz refuses non-finite weights, and periodic evaluation never keeps
 *   non-finite weights as the best.
 * - 'skip': the agent's state is snapshotted before every round of updates and the loss and the
 *   watched weights (DQN: the online network's) are read back after it; a round that made either non-finite is undone (weights, target,
 *   Adam moments, update count) and training goes on. The replay samples it drew stay drawn, so a
 *   resumed run still replays exactly. After `maxConsecutiveSkips` undone rounds in a row it stops
 *   as 'stop' would: every update is diverging.
 */
import type { FloatArray } from '../backend/backend.js';
import type { NonFinitePolicy } from './config.js';
import type { TrainerState } from './trainer-state.js';

/** Training produced a non-finite loss or parameter. */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
  constructor(
    /** Env steps taken when it was seen. */
    readonly step: number,
    /** Updates done when it was seen. */
    readonly update: number,
    /** What was non-finite, in words ('the loss is NaN', 'online weights hold Infinity'). */
    readonly what: string,
  ) {
    super(`training diverged at env step ${step} (update ${update}): ${what}`);
  }
}

/** The first index of `values` that is not finite, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** Whether every value of every array is finite. */
export function allFinite(arrays: readonly ArrayLike<number>[]): boolean {
  return arrays.every((a) => firstNonFinite(a) < 0);
}

/** 'the online weights hold NaN (parameter 2, index 17)', or null when all are finite. */
export function describeNonFinite(arrays: readonly ArrayLike<number>[], what: string): string | null {
  for (let p = 0; p < arrays.length; p++) {
    const i = firstNonFinite(arrays[p]);
    if (i >= 0) return `the ${what} hold ${arrays[p][i]} (parameter ${p}, index ${i})`;
  }
  return null;
}

/** Throws NonFiniteError when a snapshot's weights, target or optimizer state hold NaN or an infinity. */
export function checkStateFinite(state: Pick<TrainerState, 'online' | 'target' | 'averaged' | 'optimizer' | 'steps' | 'updates'>): void {
  const parts: [readonly FloatArray[], string][] = [
    [state.online, 'online weights'],
    [state.target, 'target weights'],
    ...(state.averaged ? [[state.averaged, 'averaged weights'] as [readonly FloatArray[], string]] : []),
    ...Object.entries(state.optimizer.slots).map(([slot, list]): [readonly FloatArray[], string] => [list, `optimizer's ${slot} slots`]),
  ];
  for (const [arrays, what] of parts) {
    const found = describeNonFinite(arrays, what);
    if (found !== null) throw new NonFiniteError(state.steps, state.updates, found);
  }
}

/** What the guard needs of an agent: its update count, and its state to snapshot before a round and restore after a bad one. */
export interface GuardedAgent<S> {
  readonly updateCount: number;
  getState(): Promise<S>;
  setState(state: S): void;
}

/** How a trainer's guard reads the weights that must stay finite, and how its messages name them and its rounds. */
export interface GuardWatch<A> {
  weights(agent: A): Promise<readonly ArrayLike<number>[]>;
  /** 'online weights' (DQN), 'weights' (PQN). */
  what: string;
  /** 'rounds' (DQN: a round of updates), 'iterations' (PQN: a rollout's epochs). */
  rounds: string;
}

/** The one place for 'stop' and 'skip': DQN guards its rounds of updates, PQN its iterations. */
export class NonFiniteGuard<A extends GuardedAgent<S>, S> {
  /** Rounds of updates undone so far ('skip'). */
  skippedRounds = 0;
  private consecutiveSkips = 0;
  private snapshot: S | null = null;
  private lossBefore = Number.NaN;

  constructor(
    readonly policy: NonFinitePolicy,
    private readonly watch: GuardWatch<A>,
    readonly maxConsecutiveSkips = 100,
  ) {}

  /** Whether the loss must be read back after every round (it must, to skip a bad one). */
  get readsEveryRound(): boolean {
    return this.policy === 'skip';
  }

  /** Before a round of updates ('skip': snapshots the agent). `lastLoss`: the loss reported so far. */
  async beforeRound(agent: A, lastLoss: number): Promise<void> {
    if (this.policy !== 'skip') return;
    this.snapshot = await agent.getState();
    this.lossBefore = lastLoss;
  }

  /**
   * After a round, with `loss` the latest loss read back. 'stop': throws NonFiniteError when it is
   * not finite. 'skip': undoes the round when the loss or the watched weights are not finite.
   * Returns the loss to report (the one from before an undone round).
   */
  async afterRound(agent: A, loss: number, step: number): Promise<number> {
    if (this.policy === 'stop') {
      if (!Number.isFinite(loss)) throw new NonFiniteError(step, agent.updateCount, `the loss is ${loss}`);
      return loss;
    }
    const problem = !Number.isFinite(loss) ? `the loss is ${loss}` : describeNonFinite(await this.watch.weights(agent), this.watch.what);
    if (problem === null) {
      this.consecutiveSkips = 0;
      return loss;
    }
    if (this.snapshot === null) throw new Error('internal: NonFiniteGuard.afterRound without beforeRound');
    const update = agent.updateCount;
    agent.setState(this.snapshot);
    this.skippedRounds++;
    this.consecutiveSkips++;
    if (this.consecutiveSkips >= this.maxConsecutiveSkips) {
      throw new NonFiniteError(step, update, `${problem}; ${this.consecutiveSkips} ${this.watch.rounds} of updates in a row were non-finite (all skipped)`);
    }
    return this.lossBefore;
  }

  /** Continues a restored run: `skipped` rounds undone before it, none in a row. */
  restore(skipped: number): void {
    this.skippedRounds = skipped;
    this.consecutiveSkips = 0;
  }
}
