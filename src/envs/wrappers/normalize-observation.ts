/** Gymnasium's `NormalizeObservation` wrapper. */
import type { Env } from '../env.js';
import { Box, type ActionOf, type ActionSpace, type Discrete } from '../spaces.js';
import type { Info, ResetOptions, StepRecord } from '../types.js';
import { RunningMeanStd, normalizeWith, type RunningMeanStdState } from './running-mean-std.js';
import { Wrapper } from './wrapper.js';

/**
 * Every observation (those of `reset` too) first updates a running mean and variance, then is
 * returned as float32 `(obs - mean) / sqrt(var + epsilon)`. As Gymnasium's, the statistics are
 * float32 (the observation space's dtype; `RunningMeanStd`), start from mean 0, var 1, count 1e-4,
 * and carry over across resets; the observation space becomes unbounded.
 *
 * `updateRunningMean = false` freezes them (Gymnasium's `update_running_mean`, SB3's
 * `training = False`): evaluation applies the statistics without changing them.
 * `getState` / `setState` save and restore them (a checkpoint, a weights file's obs_mean / obs_var).
 */
export class NormalizeObservation<S extends ActionSpace = Discrete> extends Wrapper<S> {
  readonly epsilon: number;
  readonly obsRms: RunningMeanStd;
  /** Update the statistics with each observation (true), or only apply them (false). */
  updateRunningMean = true;
  private readonly space: Box;

  constructor(env: Env<S>, epsilon = 1e-8) {
    super(env);
    this.epsilon = epsilon;
    this.obsRms = new RunningMeanStd(env.obsDim, { dtype: 'float32' });
    this.space = unboundedBox(env.obsDim);
  }

  override get observationSpace(): Box {
    return this.space;
  }

  override resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined {
    const info = this.env.resetInto(obs, offset, options);
    this.observe(obs, offset);
    return info;
  }

  override stepInto(action: ActionOf<S>, obs: Float32Array, offset: number, out: StepRecord): void {
    this.env.stepInto(action, obs, offset, out);
    this.observe(obs, offset);
  }

  /** The statistics (mean, var, count) as plain numbers. */
  getState(): RunningMeanStdState {
    return this.obsRms.getState();
  }

  setState(state: RunningMeanStdState): void {
    this.obsRms.setState(state);
  }

  private observe(obs: Float32Array, offset: number): void {
    if (this.updateRunningMean) this.obsRms.update(obs, 1, offset);
    normalizeWith.center(this.obsRms, this.epsilon, obs, offset, obs, offset);
  }
}

/** `Box(-inf, inf, (n,), float32)`: the space of normalised observations. */
export function unboundedBox(n: number): Box {
  return new Box(new Array<number>(n).fill(-Infinity), new Array<number>(n).fill(Infinity));
}
