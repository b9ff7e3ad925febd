/**
 * The PPO loss of a minibatch on the CPU (see PpoLossOf in policy-ops.ts): CleanRL's ppo.py loss
 * and torch's autograd of it, row by row in float64, each output stored once at the storage's
 * precision (a float32 backend rounds only there, as the other TypeScript kernels do). The
 * advantages' mean and std, the loss terms and the log-std gradient's column sums run in float64.
 * shaders/ppo-loss.wgsl is the same computation on the device, in one workgroup.
 *
 * The ties of torch's autograd: max(x, y) sends half the gradient to each side where x == y, and
 * clamp passes it where lo <= x <= hi. Inside the clip range the two sides of the policy loss are
 * equal (clamp(r) = r), so each gets half and the clamp passes its half: the whole gradient.
 */
import type { FloatArray } from '../backend.js';
import type { PpoLossCall } from '../backend-base.js';
import { HALF_LOG_TWO_PI, PPO_ADVANTAGE_EPS, PPO_LOSS_STATS, type PpoLossStat } from '../policy-ops.js';

/** torch.maximum's share of the gradient for its first argument x against y: 1, 0, or 1/2 at a tie. */
export function maxShare(x: number, y: number): number {
  return x > y ? 1 : x < y ? 0 : 0.5;
}

/** Where each stat goes in `stats`. */
const STAT = Object.fromEntries(PPO_LOSS_STATS.map((name, i) => [name, i])) as Record<PpoLossStat, number>;

export class PpoLossKernel {
  /** The log-std gradient's column sums in float64 (grown on demand, never per call). */
  private columns = new Float64Array(0);

  run(a: PpoLossCall<FloatArray>): void {
    const { batch: B, k, out, actions, oldLogProb, advantages, values, returns, oldValues, gradOut, gradValues, stats } = a;
    const gaussian = a.head === 'gaussian';
    const logStd = a.logStd as FloatArray;
    if (this.columns.length < k) this.columns = new Float64Array(k);
    const columns = this.columns;
    columns.fill(0, 0, k);
    let mean = 0;
    let denominator = 1;
    if (a.normalizeAdvantages) {
      for (let i = 0; i < B; i++) mean += advantages[i];
      mean /= B;
      let squares = 0;
      for (let i = 0; i < B; i++) squares += (advantages[i] - mean) ** 2;
      denominator = Math.sqrt(squares / (B - 1)) + PPO_ADVANTAGE_EPS;
    }
    const lo = 1 - a.clipCoef;
    const hi = 1 + a.clipCoef;
    const entScale = a.entCoef / B;
    const valueScale = (0.5 * a.vfCoef) / B;
    let policySum = 0;
    let valueSum = 0;
    let entropySum = 0;
    let klSum = 0;
    let clipped = 0;
    for (let i = 0; i < B; i++) {
      const base = i * k;
      // log pi(action | row) and the row's entropy; for the categorical head, logsumexp of the row.
      let logp = 0;
      let entropy = 0;
      let lse = 0;
      let act = 0;
      if (gaussian) {
        for (let j = 0; j < k; j++) {
          const sigma = Math.exp(logStd[j]);
          const diff = actions[base + j] - out[base + j];
          logp += -(diff * diff) / (2 * sigma * sigma) - logStd[j] - HALF_LOG_TWO_PI;
          entropy += 0.5 + HALF_LOG_TWO_PI + logStd[j];
        }
      } else {
        act = Math.min(Math.max(Math.trunc(actions[i]), 0), k - 1);
        let max = out[base];
        for (let j = 1; j < k; j++) max = Math.max(max, out[base + j]);
        let sumExp = 0;
        for (let j = 0; j < k; j++) sumExp += Math.exp(out[base + j] - max);
        lse = max + Math.log(sumExp);
        for (let j = 0; j < k; j++) {
          const logpj = out[base + j] - lse;
          entropy -= Math.exp(logpj) * logpj;
        }
        logp = out[base + act] - lse;
      }
      // The clipped surrogate and d policyLoss / d logp.
      const logRatio = logp - oldLogProb[i];
      const ratio = Math.exp(logRatio);
      const adv = a.normalizeAdvantages ? (advantages[i] - mean) / denominator : advantages[i];
      const unclipped = -adv * ratio;
      const clippedSide = -adv * Math.min(Math.max(ratio, lo), hi);
      const share = maxShare(unclipped, clippedSide);
      const passes = ratio >= lo && ratio <= hi ? 1 : 0;
      const g = (-adv * (share + (1 - share) * passes) * ratio) / B;
      policySum += Math.max(unclipped, clippedSide);
      entropySum += entropy;
      klSum += ratio - 1 - logRatio;
      if (Math.abs(ratio - 1) > a.clipCoef) clipped++;
      // d loss / d out: the policy term through logp, and the entropy bonus.
      if (gaussian) {
        for (let j = 0; j < k; j++) {
          const sigma = Math.exp(logStd[j]);
          const variance = sigma * sigma;
          const diff = actions[base + j] - out[base + j];
          gradOut[base + j] = (g * diff) / variance;
          columns[j] += g * ((diff * diff) / variance - 1);
        }
      } else {
        for (let j = 0; j < k; j++) {
          const logpj = out[base + j] - lse;
          const p = Math.exp(logpj);
          gradOut[base + j] = g * ((j === act ? 1 : 0) - p) + entScale * p * (logpj + entropy);
        }
      }
      // The value loss' row and its gradient.
      const diff = values[i] - returns[i];
      let row = diff * diff;
      let dRow = 2 * diff;
      if (a.valueClip > 0) {
        const step = values[i] - oldValues[i];
        const clippedDiff = oldValues[i] + Math.min(Math.max(step, -a.valueClip), a.valueClip) - returns[i];
        const clippedRow = clippedDiff * clippedDiff;
        const valueShare = maxShare(row, clippedRow);
        const valuePasses = step >= -a.valueClip && step <= a.valueClip ? 1 : 0;
        dRow = valueShare * dRow + (1 - valueShare) * valuePasses * 2 * clippedDiff;
        row = Math.max(row, clippedRow);
      }
      valueSum += row;
      gradValues[i] = valueScale * dRow;
    }
    // The entropy of a Gaussian row is sum_j (1/2 + ln(2 pi) / 2 + logStd_j): d entropy / d logStd_j = 1.
    if (gaussian) for (let j = 0; j < k; j++) (a.gradLogStd as FloatArray)[j] = columns[j] - a.entCoef;
    const policyLoss = policySum / B;
    const valueLoss = (0.5 * valueSum) / B;
    const entropy = entropySum / B;
    stats[STAT.loss] = policyLoss - a.entCoef * entropy + a.vfCoef * valueLoss;
    stats[STAT.policyLoss] = policyLoss;
    stats[STAT.valueLoss] = valueLoss;
    stats[STAT.entropy] = entropy;
    stats[STAT.approxKl] = klSum / B;
    stats[STAT.clipFraction] = clipped / B;
  }
}
