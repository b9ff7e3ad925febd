/** Gymnasium's `TimeLimit` wrapper. */
import { InvalidArgumentError } from '../../errors.js';
import type { Env } from '../env.js';
import type { ActionOf, ActionSpace, Discrete } from '../spaces.js';
import type { Info, ResetOptions, StepRecord } from '../types.js';
import { Wrapper } from './wrapper.js';

/**
 * Sets `truncated = true` once the number of steps since the last reset is >= `maxEpisodeSteps`,
 * and keeps it true on every later step; the inner env keeps running (no error, no warning).
 */
export class TimeLimit<S extends ActionSpace = Discrete> extends Wrapper<S> {
  readonly maxEpisodeSteps: number;
  /** Steps since the last reset. */
  elapsedSteps = 0;

  constructor(env: Env<S>, maxEpisodeSteps: number) {
    super(env);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) {
      throw new InvalidArgumentError(`maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`);
    }
    this.maxEpisodeSteps = maxEpisodeSteps;
  }

  override resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined {
    this.elapsedSteps = 0;
    return this.env.resetInto(obs, offset, options);
  }

  override stepInto(action: ActionOf<S>, obs: Float32Array, offset: number, out: StepRecord): void {
    this.env.stepInto(action, obs, offset, out);
    this.elapsedSteps += 1;
    if (this.elapsedSteps >= this.maxEpisodeSteps) out.truncated = true;
  }
}
