/** NormalizeReward for a vector env: one return RunningMeanStd for all the copies. */
import type { ActionSpace, Discrete } from '../spaces.js';
import type { VectorEnvLike, VectorStepResult } from '../vector-env.js';
import { checkedReturns, type NormalizeRewardState } from './normalize-reward.js';
import { RunningMeanStd, normalizeWith } from './running-mean-std.js';
import { VectorWrapper } from './vector-wrapper.js';

/**
 * Gymnasium's `gymnasium.wrappers.vector.NormalizeReward`: each copy keeps its discounted return
 * `ret[i] = ret[i] * gamma * (1 - terminated[i]) + reward[i]` (float64), ONE float64 RunningMeanStd
 * is updated per step with the batch of those returns, and each reward is returned as
 * `reward / sqrt(var + epsilon)`. As the single-env wrapper, a return is zeroed only by a
 * termination, and the statistics carry over across episodes.
 *
 * With next-step autoreset, a copy being reset on this step (`info.autoreset[i]`, reward 0, no
 * transition) is left out of the batch and keeps its return (Gymnasium's vector wrapper would decay
 * it with a reward of 0); so with N = 1 this is the single-env wrapper step for step.
 *
 * Rewards are written to this wrapper's own array. `updateRunningMean = false` freezes the
 * statistics (evaluation; the returns still accumulate); `getState` / `setState` save and restore
 * them with the returns.
 */
export class VectorNormalizeReward<S extends ActionSpace = Discrete> extends VectorWrapper<S> {
  readonly gamma: number;
  readonly epsilon: number;
  readonly returnRms = new RunningMeanStd(1);
  /** Update the statistics with each batch (true), or only apply them (false). */
  updateRunningMean = true;
  /** Each copy's discounted return. */
  readonly returns: Float64Array;
  /** The normalised rewards of the latest step. */
  readonly rewards: Float64Array;
  private readonly batch: Float64Array;

  constructor(env: VectorEnvLike<S>, gamma = 0.99, epsilon = 1e-8) {
    super(env);
    this.gamma = gamma;
    this.epsilon = epsilon;
    this.returns = new Float64Array(env.numEnvs);
    this.rewards = new Float64Array(env.numEnvs);
    this.batch = new Float64Array(env.numEnvs);
  }

  override step(actions: ArrayLike<number>): VectorStepResult {
    const [obs, rewards, terminated, truncated, info] = this.env.step(actions);
    const skipResets = this.autoresetMode === 'next-step';
    let k = 0;
    for (let i = 0; i < this.numEnvs; i++) {
      if (skipResets && info.autoreset[i]) continue;
      this.returns[i] = this.returns[i] * this.gamma * (terminated[i] ? 0 : 1) + rewards[i];
      this.batch[k++] = this.returns[i];
    }
    if (this.updateRunningMean && k > 0) this.returnRms.update(this.batch, k);
    for (let i = 0; i < this.numEnvs; i++) this.rewards[i] = normalizeWith.scale(this.returnRms, this.epsilon, rewards[i]);
    return [obs, this.rewards, terminated, truncated, info];
  }

  /** The return statistics and each copy's discounted return, as plain numbers. */
  getState(): NormalizeRewardState {
    return { ...this.returnRms.getState(), returns: Array.from(this.returns) };
  }

  setState(state: NormalizeRewardState): void {
    const returns = checkedReturns(state.returns, this.numEnvs);
    this.returnRms.setState(state);
    this.returns.set(returns);
  }
}
