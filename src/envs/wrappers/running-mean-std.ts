/**
 * Gymnasium's `RunningMeanStd` (gymnasium/wrappers/utils.py): per-element mean and variance of
 * everything seen so far, merged batch by batch with Chan et al.'s parallel formula:
 *
 *   delta = batch_mean - mean;  tot = count + batch_count
 *   mean += delta * batch_count / tot
 *   var = (var * count + batch_var * batch_count + delta^2 * count * batch_count / tot) / tot
 *   count = tot
 *
 * starting from mean 0, var 1, count 1e-4 (its `epsilon`), the count a float64 (a Python float).
 * Gymnasium keeps mean and var in the dtype it is given: float64 for NormalizeReward, float32 (the
 * observation space's) for NormalizeObservation, where NumPy 2 rounds every step to float32,
 * the Python floats count and tot included (NEP 50). `dtype` picks which; each operation here is
 * rounded as NumPy rounds it, so both match Gymnasium bit for bit. The batch moments are NumPy's
 * `mean(x, axis=0)` and `var(x, axis=0)` (two passes, summed row by row in the dtype).
 */
import { InvalidArgumentError, ShapeError } from '../../errors.js';

/** The element type of the statistics. */
export type RunningMeanStdDtype = 'float64' | 'float32';

/** The statistics as plain numbers: what a checkpoint or a weights file keeps. */
export interface RunningMeanStdState {
  mean: number[];
  var: number[];
  count: number;
}

const identity = (x: number): number => x;

export class RunningMeanStd {
  readonly dtype: RunningMeanStdDtype;
  /** Elements per sample. */
  readonly size: number;
  /** Per-element mean (values of the dtype). */
  readonly mean: Float64Array;
  /** Per-element (population) variance. */
  readonly var: Float64Array;
  /** Samples seen, plus the initial epsilon (a float64 in both dtypes, as Gymnasium's). */
  count: number;
  private readonly round: (x: number) => number;
  private readonly batchMean: Float64Array;
  private readonly batchVar: Float64Array;

  constructor(size: number, options: { dtype?: RunningMeanStdDtype; epsilon?: number } = {}) {
    if (!Number.isInteger(size) || size < 1) throw new InvalidArgumentError(`RunningMeanStd needs a positive integer size, got ${size}`);
    this.size = size;
    this.dtype = options.dtype ?? 'float64';
    this.round = this.dtype === 'float32' ? Math.fround : identity;
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.count = options.epsilon ?? 1e-4;
    this.batchMean = new Float64Array(size);
    this.batchVar = new Float64Array(size);
  }

  /**
   * Merges the batch of `rows` samples stored row-major in `x` from `offset` (rows * size values):
   * Gymnasium's `update(x)`. The values are taken as they are (float32 observations widen exactly).
   */
  update(x: ArrayLike<number>, rows: number, offset = 0): void {
    if (!Number.isInteger(rows) || rows < 1) throw new InvalidArgumentError(`RunningMeanStd.update needs at least one row, got ${rows}`);
    if (offset + rows * this.size > x.length) throw new ShapeError(`RunningMeanStd.update: ${rows} rows of ${this.size} from ${offset} exceed ${x.length} values`);
    const { size, round, batchMean: bm, batchVar: bv } = this;
    // np.mean(x, axis=0): the rows summed in order, in the dtype, then divided by the count.
    for (let j = 0; j < size; j++) bm[j] = x[offset + j];
    for (let r = 1; r < rows; r++) for (let j = 0; j < size; j++) bm[j] = round(bm[j] + x[offset + r * size + j]);
    for (let j = 0; j < size; j++) bm[j] = round(bm[j] / rows);
    // np.var(x, axis=0): the mean of the squared deviations from that mean.
    for (let j = 0; j < size; j++) {
      const d = round(x[offset + j] - bm[j]);
      bv[j] = round(d * d);
    }
    for (let r = 1; r < rows; r++) {
      for (let j = 0; j < size; j++) {
        const d = round(x[offset + r * size + j] - bm[j]);
        bv[j] = round(bv[j] + round(d * d));
      }
    }
    for (let j = 0; j < size; j++) bv[j] = round(bv[j] / rows);
    this.updateFromMoments(bm, bv, rows);
  }

  /** Gymnasium's `update_from_moments`: merges a batch of `batchCount` samples with the given mean and variance. */
  updateFromMoments(batchMean: ArrayLike<number>, batchVar: ArrayLike<number>, batchCount: number): void {
    const { size, round, mean, var: variance, count } = this;
    const tot = count + batchCount;
    // NumPy takes the Python floats count and tot into the dtype where they meet an array.
    const countD = round(count), totD = round(tot);
    for (let j = 0; j < size; j++) {
      const delta = round(batchMean[j] - mean[j]);
      const newMean = round(mean[j] + round(round(delta * batchCount) / totD));
      const mA = round(variance[j] * countD);
      const mB = round(batchVar[j] * batchCount);
      const m2 = round(round(mA + mB) + round(round(round(round(delta * delta) * countD) * batchCount) / totD));
      mean[j] = newMean;
      variance[j] = round(m2 / totD);
    }
    this.count = tot;
  }

  /** A copy of the statistics as plain numbers. */
  getState(): RunningMeanStdState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count };
  }

  /** Restores statistics from getState (checked: lengths, finite values, variances >= 0, count > 0). */
  setState(state: RunningMeanStdState): void {
    const { size } = this;
    if (state.mean.length !== size || state.var.length !== size) {
      throw new ShapeError(`RunningMeanStd.setState: expected ${size} means and variances, got ${state.mean.length} and ${state.var.length}`);
    }
    if (!state.mean.every(Number.isFinite) || !state.var.every((v) => Number.isFinite(v) && v >= 0) || !(Number.isFinite(state.count) && state.count > 0)) {
      throw new InvalidArgumentError('RunningMeanStd.setState: the means must be finite, the variances finite and >= 0, the count finite and > 0');
    }
    for (let j = 0; j < size; j++) {
      this.mean[j] = this.round(state.mean[j]);
      this.var[j] = this.round(state.var[j]);
    }
    this.count = state.count;
  }
}

/** Normalisation with a RunningMeanStd's statistics, rounded as NumPy rounds it for the statistics' dtype. */
export const normalizeWith = {
  /**
   * `(x - mean) / sqrt(var + epsilon)` for `rms.size` values from `src[srcOffset]` into float32 `dst`
   * at `dstOffset` (NormalizeObservation's `np.float32(...)`); src and dst may be the same.
   */
  center(rms: RunningMeanStd, epsilon: number, src: ArrayLike<number>, srcOffset: number, dst: Float32Array, dstOffset: number): void {
    const r = rms.dtype === 'float32' ? Math.fround : identity;
    const eps = r(epsilon);
    for (let j = 0; j < rms.size; j++) {
      dst[dstOffset + j] = r(src[srcOffset + j] - rms.mean[j]) / r(Math.sqrt(r(rms.var[j] + eps)));
    }
  },
  /** `x / sqrt(var[0] + epsilon)` (NormalizeReward: scaled, not centred, as Gymnasium and SB3 do). */
  scale(rms: RunningMeanStd, epsilon: number, x: number): number {
    const r = rms.dtype === 'float32' ? Math.fround : identity;
    return r(r(x) / r(Math.sqrt(r(rms.var[0] + r(epsilon)))));
  },
};
