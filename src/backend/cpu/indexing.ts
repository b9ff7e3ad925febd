/** Row-indexed gathers/scatters and the dueling head. */
import type { FloatArray } from '../backend.js';
import { InvalidArgumentError } from '../../errors.js';

function columnIndex(op: string, indices: FloatArray, r: number, cols: number): number {
  const c = indices[r];
  if (!Number.isInteger(c) || c < 0 || c >= cols) {
    throw new InvalidArgumentError(`${op}: index ${c} in row ${r} is not an integer in [0, ${cols})`);
  }
  return c;
}

/** out[r] <- x[r, indices[r]]. */
export function gatherColumns(x: FloatArray, indices: FloatArray, out: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) out[r] = x[r * cols + columnIndex('gatherColumns', indices, r, cols)];
}

/** out (B, cols) <- rows indices[0..B) of x (srcRows, cols). */
export function gatherRows(x: FloatArray, indices: FloatArray, out: FloatArray, rows: number, cols: number, srcRows: number): void {
  for (let r = 0; r < rows; r++) {
    const s = columnIndex('gatherRows', indices, r, srcRows);
    out.set(x.subarray(s * cols, (s + 1) * cols), r * cols);
  }
}

/** out <- 0 except out[r, indices[r]] = values[r]. */
export function scatterColumns(values: FloatArray, indices: FloatArray, out: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) columnIndex('scatterColumns', indices, r, cols);
  out.fill(0, 0, rows * cols);
  for (let r = 0; r < rows; r++) out[r * cols + indices[r]] = values[r];
}

/** q[r, c] <- value[r] + advantage[r, c] - mean_c advantage[r, :]. q may alias advantage. */
export function duelingCombine(value: FloatArray, advantage: FloatArray, q: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += advantage[base + c];
    const shift = value[r] - sum / cols;
    for (let c = 0; c < cols; c++) q[base + c] = advantage[base + c] + shift;
  }
}

/** gradValue[r] <- sum_c gradQ[r, c]; gradAdvantage[r, c] <- gradQ[r, c] - mean_c gradQ[r, :]. */
export function duelingBackward(gradQ: FloatArray, gradValue: FloatArray, gradAdvantage: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += gradQ[base + c];
    const mean = sum / cols;
    gradValue[r] = sum;
    for (let c = 0; c < cols; c++) gradAdvantage[base + c] = gradQ[base + c] - mean;
  }
}
