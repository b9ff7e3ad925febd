/** Activation forward (with fused bias add) and backward CPU kernels. */
import type { Activation, FloatArray } from '../backend.js';

/**
 * out <- act(x + bias) for x (rows, cols), bias (cols) or null. out may be x. Softmax is taken over
 * each row with the row maximum subtracted first, so large logits do not overflow.
 */
export function biasActivation(
  x: FloatArray,
  bias: FloatArray | null,
  activation: Activation,
  out: FloatArray,
  rows: number,
  cols: number,
  alpha: number,
): void {
  const size = rows * cols;
  // One loop per activation (no per-element call returning a double: that would box every value).
  switch (activation) {
    case 'softmax':
      softmaxRows(x, bias, out, rows, cols);
      return;
    case 'identity':
      if (bias === null) {
        if (out !== x) for (let i = 0; i < size; i++) out[i] = x[i];
      } else {
        for (let r = 0; r < rows; r++) {
          const base = r * cols;
          for (let c = 0; c < cols; c++) out[base + c] = x[base + c] + bias[c];
        }
      }
      return;
    case 'relu':
      for (let r = 0; r < rows; r++) {
        const base = r * cols;
        for (let c = 0; c < cols; c++) {
          const v = bias === null ? x[base + c] : x[base + c] + bias[c];
          out[base + c] = v > 0 ? v : 0;
        }
      }
      return;
    case 'leaky_relu':
      for (let r = 0; r < rows; r++) {
        const base = r * cols;
        for (let c = 0; c < cols; c++) {
          const v = bias === null ? x[base + c] : x[base + c] + bias[c];
          out[base + c] = v > 0 ? v : alpha * v;
        }
      }
      return;
    case 'tanh':
      for (let r = 0; r < rows; r++) {
        const base = r * cols;
        for (let c = 0; c < cols; c++) out[base + c] = Math.tanh(bias === null ? x[base + c] : x[base + c] + bias[c]);
      }
      return;
    case 'sigmoid':
      // exp(-v) overflows to Infinity for v < -709, giving exactly 0: no NaN either side.
      for (let r = 0; r < rows; r++) {
        const base = r * cols;
        for (let c = 0; c < cols; c++) out[base + c] = 1 / (1 + Math.exp(-(bias === null ? x[base + c] : x[base + c] + bias[c])));
      }
      return;
  }
}

function softmaxRows(x: FloatArray, bias: FloatArray | null, out: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) {
      const v = bias === null ? x[base + c] : x[base + c] + bias[c];
      if (v > max) max = v;
    }
    let sum = 0;
    for (let c = 0; c < cols; c++) {
      const v = bias === null ? x[base + c] : x[base + c] + bias[c];
      sum += Math.exp(v - max);
    }
    for (let c = 0; c < cols; c++) {
      const v = bias === null ? x[base + c] : x[base + c] + bias[c];
      out[base + c] = Math.exp(v - max) / sum;
    }
  }
}

/**
 * gradIn <- d act/d x (gradOut), from the activation output y. gradIn may be gradOut.
 * ReLU and LeakyReLU use y > 0 (so the gradient at 0 is the negative side's: 0, or alpha).
 */
export function activationBackward(
  activation: Activation,
  y: FloatArray,
  gradOut: FloatArray,
  gradIn: FloatArray,
  rows: number,
  cols: number,
  alpha: number,
): void {
  const size = rows * cols;
  switch (activation) {
    case 'identity':
      if (gradIn !== gradOut) for (let i = 0; i < size; i++) gradIn[i] = gradOut[i];
      return;
    case 'relu':
      for (let i = 0; i < size; i++) gradIn[i] = y[i] > 0 ? gradOut[i] : 0;
      return;
    case 'leaky_relu':
      for (let i = 0; i < size; i++) gradIn[i] = y[i] > 0 ? gradOut[i] : alpha * gradOut[i];
      return;
    case 'tanh':
      for (let i = 0; i < size; i++) {
        const t = y[i];
        gradIn[i] = gradOut[i] * (1 - t * t);
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < size; i++) {
        const s = y[i];
        gradIn[i] = gradOut[i] * s * (1 - s);
      }
      return;
    case 'softmax':
      for (let r = 0; r < rows; r++) {
        const base = r * cols;
        let dot = 0;
        for (let c = 0; c < cols; c++) dot += gradOut[base + c] * y[base + c];
        for (let c = 0; c < cols; c++) gradIn[base + c] = y[base + c] * (gradOut[base + c] - dot);
      }
      return;
  }
}
