/** Reductions over rows and over whole tensors: column sums, row max/argmax, sum of squares. */
import type { FloatArray } from '../backend.js';

/** out[c] (+)= sum_r x[r, c]; accumulated in a float64 scratch row, rounded once on store. */
export function columnSum(x: FloatArray, out: FloatArray, rows: number, cols: number, accumulate: boolean, scratch: Float64Array): void {
  scratch.fill(0, 0, cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) scratch[c] += x[base + c];
  }
  if (accumulate) for (let c = 0; c < cols; c++) out[c] += scratch[c];
  else for (let c = 0; c < cols; c++) out[c] = scratch[c];
}

/** out[r] <- max_c x[r, c]. */
export function rowMax(x: FloatArray, out: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let best = x[base];
    for (let c = 1; c < cols; c++) {
      const v = x[base + c];
      if (v > best) best = v;
    }
    out[r] = best;
  }
}

/**
 * out[r] <- index of the first maximum of row r (strictly greater replaces, so ties keep the first).
 * The rows start `xOffset` elements into x.
 */
export function rowArgmax(x: FloatArray, out: FloatArray, rows: number, cols: number, xOffset = 0): void {
  for (let r = 0; r < rows; r++) {
    const base = xOffset + r * cols;
    let best = x[base];
    let index = 0;
    for (let c = 1; c < cols; c++) {
      const v = x[base + c];
      if (v > best) {
        best = v;
        index = c;
      }
    }
    out[r] = index;
  }
}

/** Sum of squares of the first `size` elements, in float64. */
export function sumSquares(x: FloatArray, size: number): number {
  let s = 0;
  for (let i = 0; i < size; i++) s += x[i] * x[i];
  return s;
}
