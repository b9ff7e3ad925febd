/**
 * LayerNorm over the rows of a (B, n) matrix, forward and backward (torch.nn.LayerNorm over the
 * last dimension: biased variance, eps inside the square root). Sums over a row or a column are
 * float64, rounded once on store, so float32 storage differs from the float64 reference only by
 * the roundings of the inputs' products and of the stored results.
 */
import type { FloatArray } from '../backend.js';
import type { LayerNormBackwardCall, LayerNormCall } from '../backend-base.js';
import { activationBackward, biasActivation } from './activation.js';

/**
 * out <- act((x - mean) rstd gamma + beta) per row, stats <- [mean, rstd] per row. The activation
 * runs on the stored (rounded) values, as biasActivation after an unfused layerNorm would.
 */
export function layerNorm(a: LayerNormCall<FloatArray>): void {
  const { x, gamma, beta, out, stats, rows, cols, eps } = a;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += x[base + c];
    const mean = sum / cols;
    // Two passes: the variance of the centred values, not E[x^2] - mean^2 (which cancels).
    let squares = 0;
    for (let c = 0; c < cols; c++) {
      const d = x[base + c] - mean;
      squares += d * d;
    }
    const rstd = 1 / Math.sqrt(squares / cols + eps);
    for (let c = 0; c < cols; c++) out[base + c] = (x[base + c] - mean) * rstd * gamma[c] + beta[c];
    stats[2 * r] = mean;
    stats[2 * r + 1] = rstd;
  }
  if (a.activation !== 'identity') biasActivation(out, null, a.activation, out, rows, cols, a.alpha);
}

/**
 * dgamma (+)= sum_rows dy xhat, dbeta (+)= sum_rows dy and (when dx is given)
 * dx <- rstd (dy gamma - rowmean(dy gamma) - xhat rowmean(dy gamma xhat)), with xhat = (x - mean) rstd.
 * dx may be dy: each row is read whole before it is written. `scratch` holds at least 2 n values.
 * With an activation, dy is first replaced by dy act'(y) in `activated` (at least B n values, of
 * the storage's type, so that it rounds as activationBackward's output would).
 */
export function layerNormBackward(a: LayerNormBackwardCall<FloatArray>, scratch: Float64Array, activated: FloatArray | null): void {
  const { x, gamma, stats, dx, dgamma, dbeta, rows, cols, accumulate } = a;
  let dy = a.dy;
  if (a.activation !== 'identity') {
    if (a.y === null || activated === null) throw new Error('layerNormBackward: an activation needs y and a scratch array');
    activationBackward(a.activation, a.y, dy, activated, rows, cols, a.alpha);
    dy = activated;
  }
  scratch.fill(0, 0, 2 * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const mean = stats[2 * r];
    const rstd = stats[2 * r + 1];
    let sumG = 0;
    let sumGx = 0;
    for (let c = 0; c < cols; c++) {
      const xhat = (x[base + c] - mean) * rstd;
      const d = dy[base + c];
      scratch[c] += d * xhat;
      scratch[cols + c] += d;
      const g = d * gamma[c];
      sumG += g;
      sumGx += g * xhat;
    }
    if (dx === null) continue;
    const meanG = sumG / cols;
    const meanGx = sumGx / cols;
    for (let c = 0; c < cols; c++) {
      const xhat = (x[base + c] - mean) * rstd;
      dx[base + c] = rstd * (dy[base + c] * gamma[c] - meanG - xhat * meanGx);
    }
  }
  for (let c = 0; c < cols; c++) {
    dgamma[c] = accumulate ? dgamma[c] + scratch[c] : scratch[c];
    dbeta[c] = accumulate ? dbeta[c] + scratch[cols + c] : scratch[cols + c];
  }
}
