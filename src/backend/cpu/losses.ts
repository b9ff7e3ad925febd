/** Loss values and their gradients (see LOSSES in backend.ts for the definitions). */
import type { FloatArray, LossKind } from '../backend.js';

/**
 * Returns the loss of pred against target (both (rows, cols)); writes d loss / d pred into grad
 * unless it is null. grad may alias pred. Sums run in float64.
 */
export function loss(
  kind: LossKind,
  pred: FloatArray,
  target: FloatArray,
  grad: FloatArray | null,
  rows: number,
  cols: number,
  delta: number,
  eps: number,
): number {
  switch (kind) {
    case 'mse':
      return mse(pred, target, grad, rows * cols);
    case 'huber':
      return huber(pred, target, grad, rows * cols, delta);
    case 'softmax_cross_entropy':
      return softmaxCrossEntropy(pred, target, grad, rows, cols);
    case 'cross_entropy':
      return crossEntropy(pred, target, grad, rows * cols, rows, eps);
  }
}

function mse(pred: FloatArray, target: FloatArray, grad: FloatArray | null, size: number): number {
  let sum = 0;
  const scale = 2 / size;
  for (let i = 0; i < size; i++) {
    const d = pred[i] - target[i];
    sum += d * d;
    if (grad !== null) grad[i] = scale * d;
  }
  return sum / size;
}

/** PyTorch's HuberLoss: 0.5 d^2 for |d| <= delta, delta (|d| - 0.5 delta) beyond; gradient d or delta sign(d). */
function huber(pred: FloatArray, target: FloatArray, grad: FloatArray | null, size: number, delta: number): number {
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const d = pred[i] - target[i];
    const ad = Math.abs(d);
    if (ad <= delta) {
      sum += 0.5 * d * d;
      if (grad !== null) grad[i] = d / size;
    } else {
      sum += delta * (ad - 0.5 * delta);
      if (grad !== null) grad[i] = (d > 0 ? delta : -delta) / size;
    }
  }
  return sum / size;
}

/**
 * -mean_rows sum_c t log_softmax(p), with log_softmax = p - max - log(sum exp(p - max)).
 * Gradient (softmax(p) sum_c t - t) / rows, which is (softmax - t) / rows for distributions t.
 */
function softmaxCrossEntropy(pred: FloatArray, target: FloatArray, grad: FloatArray | null, rows: number, cols: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) if (pred[base + c] > max) max = pred[base + c];
    let sumExp = 0;
    for (let c = 0; c < cols; c++) sumExp += Math.exp(pred[base + c] - max);
    const logSum = Math.log(sumExp);
    let rowLoss = 0;
    let targetSum = 0;
    for (let c = 0; c < cols; c++) {
      const t = target[base + c];
      targetSum += t;
      if (t !== 0) rowLoss -= t * (pred[base + c] - max - logSum);
    }
    total += rowLoss;
    if (grad !== null) {
      for (let c = 0; c < cols; c++) {
        const p = Math.exp(pred[base + c] - max) / sumExp;
        grad[base + c] = (p * targetSum - target[base + c]) / rows;
      }
    }
  }
  return total / rows;
}

/**
 * -mean_rows sum_c t log(max(p, eps)). Gradient -t / (rows p) where p >= eps, 0 where the floor
 * is active (as torch.clamp's gradient).
 */
function crossEntropy(pred: FloatArray, target: FloatArray, grad: FloatArray | null, size: number, rows: number, eps: number): number {
  let total = 0;
  for (let i = 0; i < size; i++) {
    const p = pred[i];
    const t = target[i];
    const clamped = p >= eps ? p : eps;
    if (t !== 0) total -= t * Math.log(clamped);
    if (grad !== null) grad[i] = p >= eps ? -t / (rows * p) : 0;
  }
  return total / rows;
}
