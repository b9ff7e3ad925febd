/** NormalizeObservation for a vector env: one RunningMeanStd for all the copies. */
import type { ActionSpace, Box, Discrete } from '../spaces.js';
import type { Info } from '../types.js';
import type { VectorEnvLike, VectorStepInfo, VectorStepResult } from '../vector-env.js';
import { unboundedBox } from './normalize-observation.js';
import { RunningMeanStd, normalizeWith, type RunningMeanStdState } from './running-mean-std.js';
import { VectorWrapper } from './vector-wrapper.js';

/**
 * Gymnasium's `gymnasium.wrappers.vector.NormalizeObservation`: every `reset` and `step` first
 * updates ONE running mean and variance with the batch of N observations it returns (float32
 * statistics, as the single-env NormalizeObservation), then returns each row normalised. So a run
 * with N envs has one obs mean and variance to save. With N = 1 and next-step autoreset this is
 * the single-env wrapper step for step (the reset observation arrives on the step after the end
 * and updates the statistics then, as `reset()` does there).
 *
 * With same-step autoreset (SB3's VecNormalize), the terminal observations in
 * `info.finalObservations` are normalised too, without updating the statistics.
 *
 * The observations are written to this wrapper's own arrays (the inner env's stay raw), reused
 * from step to step like VectorEnv's. `updateRunningMean = false` freezes the statistics
 * (evaluation); `getState` / `setState` save and restore them.
 */
export class VectorNormalizeObservation<S extends ActionSpace = Discrete> extends VectorWrapper<S> {
  readonly epsilon: number;
  readonly obsRms: RunningMeanStd;
  /** Update the statistics with each batch (true), or only apply them (false). */
  updateRunningMean = true;
  /** numEnvs * obsDim normalised observations. */
  readonly observations: Float32Array;
  private readonly finalObservations: Float32Array | null;
  private readonly space: Box;
  private info: VectorStepInfo | null = null;

  constructor(env: VectorEnvLike<S>, epsilon = 1e-8) {
    super(env);
    this.epsilon = epsilon;
    this.obsRms = new RunningMeanStd(env.obsDim, { dtype: 'float32' });
    this.observations = new Float32Array(env.numEnvs * env.obsDim);
    this.finalObservations = env.autoresetMode === 'same-step' ? new Float32Array(env.numEnvs * env.obsDim) : null;
    this.space = unboundedBox(env.obsDim);
  }

  override get singleObservationSpace(): Box {
    return this.space;
  }

  override reset(options: { seed?: number } = {}): [Float32Array, Info[]] {
    const [obs, infos] = this.env.reset(options);
    this.observe(obs);
    return [this.observations, infos];
  }

  override step(actions: ArrayLike<number>): VectorStepResult {
    const [obs, rewards, terminated, truncated, inner] = this.env.step(actions);
    this.observe(obs);
    const info = (this.info ??= { ...inner, finalObservations: this.finalObservations });
    const final = this.finalObservations;
    if (final !== null && inner.finalObservations !== null) {
      const d = this.obsDim;
      for (let i = 0; i < this.numEnvs; i++) {
        if (terminated[i] | truncated[i]) normalizeWith.center(this.obsRms, this.epsilon, inner.finalObservations, i * d, final, i * d);
      }
    }
    return [this.observations, rewards, terminated, truncated, info];
  }

  /** Normalises `rows` rows of raw observations (row-major, obsDim each) into `out` with the current statistics, without updating them. */
  normalize(raw: ArrayLike<number>, out: Float32Array, rows = this.numEnvs): void {
    for (let i = 0; i < rows; i++) normalizeWith.center(this.obsRms, this.epsilon, raw, i * this.obsDim, out, i * this.obsDim);
  }

  /** The statistics (mean, var, count) as plain numbers. */
  getState(): RunningMeanStdState {
    return this.obsRms.getState();
  }

  setState(state: RunningMeanStdState): void {
    this.obsRms.setState(state);
  }

  private observe(raw: Float32Array): void {
    if (this.updateRunningMean) this.obsRms.update(raw, this.numEnvs);
    this.normalize(raw, this.observations);
  }
}
