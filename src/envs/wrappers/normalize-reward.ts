/** Gymnasium's `NormalizeReward` wrapper. */
import { InvalidArgumentError } from '../../errors.js';
import type { Env } from '../env.js';
import type { ActionOf, ActionSpace, Discrete } from '../spaces.js';
import type { StepRecord } from '../types.js';
import { RunningMeanStd, normalizeWith, type RunningMeanStdState } from './running-mean-std.js';
import { Wrapper } from './wrapper.js';

/** The statistics of the reward wrappers: the return's RunningMeanStd and each copy's discounted return. */
export interface NormalizeRewardState extends RunningMeanStdState {
  /** The discounted return accumulator, one per env (one for the single-env wrapper). */
  returns: number[];
}

/**
 * Scales each reward by the running standard deviation of a discounted return, as Gymnasium's
 * NormalizeReward: `ret = ret * gamma * (1 - terminated) + reward`, the float64 RunningMeanStd
 * updated with ret, then `reward / sqrt(var + epsilon)` (not centred). As in Gymnasium, ret is
 * zeroed only by a termination, so it runs on through truncations and resets, and the statistics
 * carry over across episodes.
 *
 * `updateRunningMean = false` freezes the statistics (evaluation; ret still accumulates);
 * `getState` / `setState` save and restore them with ret.
 */
export class NormalizeReward<S extends ActionSpace = Discrete> extends Wrapper<S> {
  readonly gamma: number;
  readonly epsilon: number;
  readonly returnRms = new RunningMeanStd(1);
  /** Update the statistics with each step (true), or only apply them (false). */
  updateRunningMean = true;
  /** Gymnasium's `discounted_reward`. */
  discountedReturn = 0;
  private readonly batch = new Float64Array(1);

  constructor(env: Env<S>, gamma = 0.99, epsilon = 1e-8) {
    super(env);
    this.gamma = gamma;
    this.epsilon = epsilon;
  }

  override stepInto(action: ActionOf<S>, obs: Float32Array, offset: number, out: StepRecord): void {
    this.env.stepInto(action, obs, offset, out);
    this.discountedReturn = this.discountedReturn * this.gamma * (out.terminated ? 0 : 1) + out.reward;
    if (this.updateRunningMean) {
      this.batch[0] = this.discountedReturn;
      this.returnRms.update(this.batch, 1);
    }
    out.reward = normalizeWith.scale(this.returnRms, this.epsilon, out.reward);
  }

  /** The return statistics and the discounted return, as plain numbers. */
  getState(): NormalizeRewardState {
    return { ...this.returnRms.getState(), returns: [this.discountedReturn] };
  }

  setState(state: NormalizeRewardState): void {
    const [discountedReturn] = checkedReturns(state.returns, 1);
    this.returnRms.setState(state);
    this.discountedReturn = discountedReturn;
  }
}

/** `returns` checked to be `n` finite numbers. */
export function checkedReturns(returns: readonly number[], n: number): readonly number[] {
  if (returns.length !== n || !returns.every(Number.isFinite)) {
    throw new InvalidArgumentError(`NormalizeReward.setState: expected ${n} finite discounted returns, got [${returns.join(', ')}]`);
  }
  return returns;
}
