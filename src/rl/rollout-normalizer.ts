/**
 * Observation and reward normalisation for a rollout trainer's N envs (PPO), as Stable-Baselines3's
 * VecNormalize and Gymnasium's vector NormalizeObservation / NormalizeReward do it: ONE running
 * mean and variance (running-mean-std.ts, Gymnasium's, in float64) over all the envs, updated with
 * each step's batch, so a run has one set of statistics to save with its weights.
 *
 * - Observations: the statistics are updated with the N observations each step returns (the reset
 *   observation where an episode ended, as Gymnasium's vector wrapper sees them) and with the first
 *   resets; an observation is (x - mean) / sqrt(var + 1e-8), clipped to +-10 (CleanRL's
 *   TransformObservation, VecNormalize's clip_obs). A final observation is normalised with the same
 *   statistics, without updating them (as VecNormalize does).
 * - Rewards: each env's discounted return ret = ret gamma (1 - terminated) + r (Gymnasium's
 *   NormalizeReward: a truncation does not zero it) updates a scalar statistic per step; a reward
 *   is r / sqrt(var + 1e-8), clipped to +-10. The logged returns stay the env's own.
 *
 * Evaluation applies the observation statistics frozen (`normalizeInto`); the weights file keeps
 * them (obs_mean, obs_var) so that `--mode eval` applies them by itself.
 */
import { RunningMeanStd, type RunningMeanStdState } from '../envs/wrappers/running-mean-std.js';
import { InvalidArgumentError } from '../errors.js';

/** The epsilon under the square root and the clip of both normalisations (SB3's VecNormalize and CleanRL's defaults). */
export const NORMALIZE_EPSILON = 1e-8;
export const NORMALIZE_CLIP = 10;

/** A normaliser's statistics, as a checkpoint keeps them. */
export interface RolloutNormalizerState {
  /** The observation statistics, or null when observations are not normalised. */
  obs: RunningMeanStdState | null;
  /** The return statistics and each env's discounted return, or null when rewards are not normalised. */
  reward: (RunningMeanStdState & { returns: number[] }) | null;
}

const clip = (x: number): number => Math.min(Math.max(x, -NORMALIZE_CLIP), NORMALIZE_CLIP);

/**
 * The first `n` values of `src` (whole observations, row-major) normalised by frozen statistics
 * (`mean` and `variance` per observation dimension) into `dst`: clip((x - mean) / sqrt(var +
 * NORMALIZE_EPSILON), -NORMALIZE_CLIP, NORMALIZE_CLIP), in float64, rounded when stored. The one
 * rule of training, greedy play and the policy runtime.
 */
export function normalizeObservationsInto(src: ArrayLike<number>, n: number, mean: ArrayLike<number>, variance: ArrayLike<number>, dst: Float32Array): void {
  const d = mean.length;
  for (let i = 0; i < n; i++) {
    const j = i % d;
    dst[i] = clip((src[i] - mean[j]) / Math.sqrt(variance[j] + NORMALIZE_EPSILON));
  }
}

export class RolloutNormalizer {
  readonly obsRms: RunningMeanStd | null;
  readonly returnRms: RunningMeanStd | null;
  /** Each env's discounted return (reward normalisation). */
  private readonly returns: Float64Array;
  private readonly batch: Float64Array;
  private readonly gamma: number;

  constructor(
    readonly obsDim: number,
    readonly numEnvs: number,
    options: { observations: boolean; rewards: boolean; gamma: number },
  ) {
    this.obsRms = options.observations ? new RunningMeanStd(obsDim) : null;
    this.returnRms = options.rewards ? new RunningMeanStd(1) : null;
    this.returns = new Float64Array(numEnvs);
    this.batch = new Float64Array(numEnvs);
    this.gamma = options.gamma;
  }

  /** Updates the observation statistics with `rows` observations (unless off), then writes them normalised into `dst`. */
  observe(src: Float32Array, rows: number, dst: Float32Array): void {
    if (this.obsRms !== null) this.obsRms.update(src, rows);
    this.normalizeInto(src, rows, dst);
  }

  /** `rows` observations normalised with the current statistics (no update) into `dst`; a copy when observations are not normalised. */
  normalizeInto(src: ArrayLike<number>, rows: number, dst: Float32Array): void {
    const rms = this.obsRms;
    const n = rows * this.obsDim;
    if (rms === null) {
      for (let i = 0; i < n; i++) dst[i] = src[i];
      return;
    }
    normalizeObservationsInto(src, n, rms.mean, rms.var, dst);
  }

  /** The step's rewards of the N envs normalised into `dst` (the return statistics updated first); a copy when rewards are not normalised. */
  rewards(rewards: ArrayLike<number>, terminated: ArrayLike<number>, dst: Float32Array): void {
    const rms = this.returnRms;
    const n = this.numEnvs;
    if (rms === null) {
      for (let i = 0; i < n; i++) dst[i] = rewards[i];
      return;
    }
    for (let i = 0; i < n; i++) {
      this.returns[i] = this.returns[i] * this.gamma * (terminated[i] ? 0 : 1) + rewards[i];
      this.batch[i] = this.returns[i];
    }
    rms.update(this.batch, n);
    const scale = Math.sqrt(rms.var[0] + NORMALIZE_EPSILON);
    for (let i = 0; i < n; i++) dst[i] = clip(rewards[i] / scale);
  }

  getState(): RolloutNormalizerState {
    return {
      obs: this.obsRms?.getState() ?? null,
      reward: this.returnRms === null ? null : { ...this.returnRms.getState(), returns: Array.from(this.returns) },
    };
  }

  setState(state: RolloutNormalizerState): void {
    if ((state.obs === null) !== (this.obsRms === null) || (state.reward === null) !== (this.returnRms === null)) {
      throw new InvalidArgumentError('checkpoint: its normalisation statistics do not match the config (normalizeObservation, normalizeReward)');
    }
    if (state.obs !== null) this.obsRms?.setState(state.obs);
    if (state.reward !== null) {
      if (state.reward.returns.length !== this.numEnvs || !state.reward.returns.every(Number.isFinite)) {
        throw new InvalidArgumentError(`checkpoint: the reward normalisation needs ${this.numEnvs} finite discounted returns, got ${state.reward.returns.length}`);
      }
      this.returnRms?.setState(state.reward);
      this.returns.set(state.reward.returns);
    }
  }
}
