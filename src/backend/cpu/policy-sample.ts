/**
 * Sampling from a policy head on the CPU: policySample (see PolicySampleOf in policy-ops.ts), one
 * loop iteration per row, the same computation in the same order as shaders/policy-sample.wgsl,
 * from the same Philox blocks (stream DEVICE_RNG_STREAMS.act, block j in the counter's last word).
 * On float32 storage every operation is rounded to float32; Box-Muller's sin and cos are Cephes'
 * float32 ones (sin-cos32.ts: the shader's bits, where WGSL's own are bounded only absolutely), exp,
 * log and sqrt the platform's, rounded, where WGSL leaves their last bits to the device: a
 * categorical choice is the same wherever u is not within those bits of a cumulative probability, a
 * Gaussian action and every log-probability agree within a few float32 ulps
 * (test/policy-sample.test.ts measures both). On float64 storage nothing is rounded.
 */
import type { FloatArray } from '../backend.js';
import type { PolicySampleCall } from '../backend-base.js';
import { DEVICE_RNG_STREAMS, philox4x32, uniformFromBits } from '../../random/philox.js';
import { sinCos32 } from './sin-cos32.js';

const same = (x: number): number => x;
const TWO_PI = 2 * Math.PI;
/** ln(2 pi) / 2, the Gaussian log-density's constant. */
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);
const ACT = DEVICE_RNG_STREAMS.act;
const block = new Uint32Array(4);

/** actions and logProb <- a draw from each row's distribution and its log-probability (see PolicySampleOf). */
export function policySample(a: PolicySampleCall<FloatArray>): void {
  const r = a.out instanceof Float32Array ? Math.fround : same;
  const key0 = a.seed % 0x100000000 >>> 0; // seedKey(seed), without its array
  const key1 = Math.floor(a.seed / 0x100000000) >>> 0;
  if (a.head === 'categorical') categorical(a, r, key0, key1);
  else gaussian(a, r, key0, key1);
}

/**
 * Per row: softmax with the max subtracted, u from block 0's word 0, the first action whose
 * cumulative probability (summed in index order) exceeds u, else the last with a probability above
 * 0; logProb = (out[a] - max) - ln(sum of exp(out - max)).
 */
function categorical(a: PolicySampleCall<FloatArray>, r: (x: number) => number, key0: number, key1: number): void {
  const { out, actions, logProb, rows, cols, counter } = a;
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let max = out[base];
    for (let c = 1; c < cols; c++) if (out[base + c] > max) max = out[base + c];
    let sum = 0;
    for (let c = 0; c < cols; c++) sum = r(sum + r(Math.exp(r(out[base + c] - max))));
    philox4x32(counter, i, ACT, 0, key0, key1, block);
    const u = uniformFromBits(block[0]);
    let cdf = 0;
    let action = -1;
    let lastPositive = 0;
    for (let c = 0; c < cols; c++) {
      const p = r(r(Math.exp(r(out[base + c] - max))) / sum);
      cdf = r(cdf + p);
      if (p > 0) lastPositive = c;
      if (u < cdf) {
        action = c;
        break;
      }
    }
    if (action < 0) action = lastPositive;
    actions[i] = action;
    logProb[i] = r(r(out[base + action] - max) - r(Math.log(sum)));
  }
}

/**
 * Per row: z by Box-Muller from block floor(k / 2) (cos for even k, sin for odd), action = mean +
 * exp(logStd) z, and the log-density of the action as stored: the sum over k of
 * (-(action - mean)^2 / (2 exp(2 logStd)) - logStd) - ln(2 pi) / 2.
 */
function gaussian(a: PolicySampleCall<FloatArray>, r: (x: number) => number, key0: number, key1: number): void {
  const { out, actions, logProb, rows, cols, counter } = a;
  const logStd = a.logStd as FloatArray; // validated: the gaussian head has one
  const twoPi = r(TWO_PI);
  const float32 = r !== same;
  const halfLogTwoPi = r(HALF_LOG_TWO_PI);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let sum = 0;
    for (let j = 0; 2 * j < cols; j++) {
      philox4x32(counter, i, ACT, j, key0, key1, block);
      const u1 = 1 - uniformFromBits(block[0]); // in (0, 1], exact
      const u2 = uniformFromBits(block[1]);
      // max(., 0): a float32 log of u1 just below 1 may come out a hair above 0 on a device.
      const radius = r(Math.sqrt(Math.max(r(-2 * r(Math.log(u1))), 0)));
      const theta = r(twoPi * u2);
      for (let k = 2 * j; k < 2 * j + 2 && k < cols; k++) {
        // Float32: Cephes' sin and cos (sin-cos32.ts), the shader's bits; float64: Math's.
        const trig = float32 ? sinCos32(theta, k === 2 * j) : k === 2 * j ? Math.cos(theta) : Math.sin(theta);
        const z = r(radius * r(trig));
        const s = logStd[k];
        actions[base + k] = r(out[base + k] + r(r(Math.exp(s)) * z));
        const d = r(actions[base + k] - out[base + k]);
        const variance2 = r(2 * r(Math.exp(r(2 * s))));
        sum = r(sum + r(r(r(-r(d * d)) / variance2 - s) - halfLogTwoPi));
      }
    }
    logProb[i] = sum;
  }
}
