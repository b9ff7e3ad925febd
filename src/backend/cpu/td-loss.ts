/**
 * The DQN TD loss on the CPU, as one call: exactly the op sequence it fuses (rowMax, or rowArgmax
 * and gatherColumns, for V(s'); addMul for the targets; gatherColumns, loss and scatterColumns),
 * through the same kernels on scratch arrays of the storage's type, so the fused and the unfused
 * updates agree to the bit.
 */
import type { FloatArray, MunchausenTarget } from '../backend.js';
import type { TdLossCall } from '../backend-base.js';
import * as indexing from './indexing.js';
import { loss as lossKernel } from './losses.js';
import * as reductions from './reductions.js';

export class TdLossKernel {
  /** Four scratch rows of the storage's element type, each of at least the batch size (grown on demand, never per call). */
  private nextValues: FloatArray = new Float32Array(0);
  private targets: FloatArray = new Float32Array(0);
  private chosen: FloatArray = new Float32Array(0);
  private grad: FloatArray = new Float32Array(0);

  run(a: TdLossCall<FloatArray>, nActions: number): void {
    const { batch, gamma } = a;
    this.reserve(a.q, batch);
    const { nextValues, targets, chosen, grad } = this;
    if (a.double) {
      // The online argmax over Q(s', .) (rows B..2B-1 of q) picks the action the target values.
      reductions.rowArgmax(a.q, grad, batch, nActions, batch * nActions);
      indexing.gatherColumns(a.nextQ, grad, nextValues, batch, nActions);
    } else {
      reductions.rowMax(a.nextQ, nextValues, batch, nActions);
    }
    // The discount gamma (1 - terminated) stored at the storage's precision as a tensor would hold
    // it, or the per-row discounts given.
    const discounts = chosen;
    const rowDiscounts = a.discounts;
    if (rowDiscounts === null) for (let i = 0; i < batch; i++) discounts[i] = gamma * (1 - a.terminated[i]);
    else for (let i = 0; i < batch; i++) discounts[i] = rowDiscounts[i];
    for (let i = 0; i < batch; i++) targets[i] = a.rewards[i] + discounts[i] * nextValues[i];
    this.regress(a, nActions);
  }

  /** The loss of Q(s, a) against the scratch targets, its gradient scattered into gradQ, and the targets given out. */
  private regress(a: TdLossCall<FloatArray>, nActions: number): void {
    const { targets, chosen, grad } = this;
    const batch = a.batch;
    indexing.gatherColumns(a.q, a.actions, chosen, batch, nActions);
    a.lossOut[0] = lossKernel(a.loss, chosen, targets, grad, batch, 1, a.delta, 0);
    indexing.scatterColumns(grad, a.actions, a.gradQ, batch, nActions);
    if (a.targets !== null) for (let i = 0; i < batch; i++) a.targets[i] = targets[i];
  }

  /**
   * QR-DQN's quantile Huber loss (quantiles n > 1), row by row: a' by the mean of the
   * quantiles (the online network's with `double`), the n targets, the n x n pairwise losses, and
   * the gradient of the taken action's n quantiles. Sums run in float64, each stored once.
   */
  runQuantiles(a: TdLossCall<FloatArray>, nActions: number): void {
    const { batch, quantiles: n, gamma, double, delta } = a;
    const width = nActions * n;
    const scale = 1 / (batch * n);
    let total = 0;
    a.gradQ.fill(0, 0, batch * width);
    for (let i = 0; i < batch; i++) {
      const next = i * width;
      const best = bestByMean(double ? a.q : a.nextQ, double ? (batch + i) * width : next, nActions, n) * n + next;
      const discount = a.discounts === null ? gamma * (1 - a.terminated[i]) : a.discounts[i];
      const reward = a.rewards[i];
      const chosen = i * width + Math.min(a.actions[i], nActions - 1) * n;
      let targetSum = 0;
      for (let j = 0; j < n; j++) targetSum += reward + discount * a.nextQ[best + j];
      if (a.targets !== null) a.targets[i] = targetSum / n;
      for (let k = 0; k < n; k++) {
        const tauK = (2 * k + 1) / (2 * n);
        const theta = a.q[chosen + k];
        let grad = 0;
        for (let j = 0; j < n; j++) {
          const u = reward + discount * a.nextQ[best + j] - theta;
          const weight = u < 0 ? 1 - tauK : tauK;
          const au = Math.abs(u);
          if (au <= delta) {
            total += (weight * 0.5 * u * u) / delta;
            grad -= (weight * u) / delta;
          } else {
            total += weight * (au - 0.5 * delta);
            grad -= u > 0 ? weight : -weight;
          }
        }
        a.gradQ[chosen + k] = grad * scale;
      }
    }
    a.lossOut[0] = total * scale;
  }

  /**
   * Munchausen DQN's target (MunchausenTarget), row by row, then the loss and its gradient exactly
   * as run() computes them: nextQ holds Q_target(s, .) in rows 0..B-1 and Q_target(s', .) in rows
   * B..2B-1, log-softmaxes are taken stably (the row's maximum first), sums run in float64.
   */
  runMunchausen(a: TdLossCall<FloatArray>, nActions: number, m: MunchausenTarget): void {
    const { batch, gamma } = a;
    this.reserve(a.q, batch);
    const n = nActions;
    for (let i = 0; i < batch; i++) {
      const here = i * n;
      const there = (batch + i) * n;
      const action = Math.min(a.actions[i], n - 1);
      const logPolicy = logSoftmaxAt(a.nextQ, here, n, m.tau, action);
      const bonus = m.alpha * Math.min(0, Math.max(m.logPolicyFloor, m.tau * logPolicy));
      let softValue = 0;
      for (let c = 0; c < n; c++) {
        const logPi = logSoftmaxAt(a.nextQ, there, n, m.tau, c);
        softValue += Math.exp(logPi) * (a.nextQ[there + c] - m.tau * logPi);
      }
      const discount = a.discounts === null ? gamma * (1 - a.terminated[i]) : a.discounts[i];
      this.targets[i] = a.rewards[i] + bonus + discount * softValue;
    }
    this.regress(a, nActions);
  }

  /** Scratch rows of the same element type as `like`, of at least `size` elements. */
  private reserve(like: FloatArray, size: number): void {
    if (this.grad.length >= size && this.grad.constructor === like.constructor) return;
    const make = (): FloatArray => (like instanceof Float64Array ? new Float64Array(size) : new Float32Array(size));
    this.nextValues = make();
    this.targets = make();
    this.chosen = make();
    this.grad = make();
  }
}

/** The action (of `nActions` groups of n quantiles from `offset`) with the largest quantile mean; ties to the first. */
function bestByMean(values: FloatArray, offset: number, nActions: number, n: number): number {
  let best = 0;
  let bestSum = -Infinity;
  for (let c = 0; c < nActions; c++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += values[offset + c * n + j];
    if (sum > bestSum || c === 0) {
      best = c;
      bestSum = sum;
    }
  }
  return best;
}

/** log softmax(values[offset .. offset + n) / tau) at column c, with the row's maximum taken out first. */
function logSoftmaxAt(values: FloatArray, offset: number, n: number, tau: number, c: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, values[offset + j]);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp((values[offset + j] - max) / tau);
  return (values[offset + c] - max) / tau - Math.log(sum);
}
