/**
 * The conformance tolerance table: how close a float32 kernel's result must be to its float64
 * reference. One table, used by the conformance cases (op-cases.ts, on every backend) and by the
 * WASM kernel tests (wasm-kernels.test.ts), so a kernel is held to the same bound wherever it runs.
 *
 * A check passes where |got - ref| <= abs + rel * |ref| for every element (NaN matches NaN only).
 */

export interface Tolerance {
  abs: number;
  rel: number;
}

/** Results that are exact on any IEEE backend: copies, selections, comparisons. */
export const EXACT: Tolerance = { abs: 0, rel: 0 };
/**
 * A few float32 operations per element (scale, a + b c, lerp, dueling): each rounding costs at most
 * 2^-24 relative; a device may fuse into an FMA or not, so allow a few ulps of the operands' scale.
 */
export const FEW_OPS: Tolerance = { abs: 1e-6, rel: 1e-6 };
/** exp / tanh / log in float32 (WGSL allows several ulps) plus a normalisation: 1e-5 relative. */
export const TRANSCENDENTAL: Tolerance = { abs: 2e-6, rel: 1e-5 };
/** Loss values and gradients: float32 sums of up to 64 terms (~4e-6 relative) plus exp/log. */
export const LOSS: Tolerance = { abs: 1e-5, rel: 1e-5 };
/** Adam: sqrt and a division on float32 moments, a few ulps relative to each value. */
export const ADAM: Tolerance = { abs: 1e-6, rel: 1e-5 };

/**
 * A length-k float32 dot product of operands of magnitude <= 1 in any summation order: the error
 * is bounded by about k 2^-24 sum|a b| (worst case), typically sqrt(k) 2^-24. We allow
 * k * 2^-23 absolute, which is the worst-case bound for |a|, |b| <= 1, plus 1e-5 relative.
 */
export function sumTolerance(k: number, magnitude = 1): Tolerance {
  return { abs: Math.max(1, k) * 2 ** -23 * magnitude, rel: 1e-5 };
}

/** A sum of k products followed by an activation: the sum's bound plus the transcendental error. */
export function fusedTolerance(k: number): Tolerance {
  return { abs: sumTolerance(k).abs + TRANSCENDENTAL.abs, rel: TRANSCENDENTAL.rel };
}

/**
 * LayerNorm (forward and backward) with inputs of magnitude <= `magnitude`, |gamma| <= 2, |dy| <= 1
 * and rows spread over an interval of 4 (so rstd |gamma| <= about 2). Its float32 sums (a row's
 * mean and variance, the backward's two row means, dgamma and dbeta over the batch) of k terms are
 * off by at most k 2^-24 times the terms' magnitude (worst case; k the longest sum), and that error
 * is scaled by rstd |gamma|: sumTolerance(k, 2 magnitude). The rounding of sqrt and the division
 * is relative (the width-1 rstd 1 / sqrt(eps) = 316 included). Measured on lavapipe: at most
 * 1/50 of this (2.1e-5 for rows offset by 100, whose float32 mean is off by an ulp of 100).
 */
export function layerNormTolerance(k: number, magnitude: number): Tolerance {
  return { abs: sumTolerance(k, 2 * magnitude).abs, rel: 1e-5 };
}

/**
 * LayerNorm with an activation epilogue (forward) or its derivative applied to dy first (backward).
 * The elementwise activations are 1-Lipschitz (|act'| <= 1: relu, leaky_relu with slope <= 1, tanh,
 * sigmoid), so LayerNorm's error passes through them unamplified and the backward's dy act'(y) is at
 * most |dy|; what they add is their own rounding, TRANSCENDENTAL's (tanh and exp in float32).
 */
export function layerNormActivationTolerance(k: number, magnitude: number): Tolerance {
  return { abs: layerNormTolerance(k, magnitude).abs + TRANSCENDENTAL.abs, rel: TRANSCENDENTAL.rel };
}

/**
 * A backward scan over `steps` steps (the Q(lambda) returns) whose values (rewards, Q values and
 * returns) are at most `magnitude`. Each step rounds about six float32 operations (lambda G,
 * (1 - lambda) V, their sum, the factor gamma, the reward's sum, the stored G) at 2^-24 of the
 * magnitude each, and float32 gamma and lambda are off by 2^-24 relative, whose powers over the
 * horizon add one more ulp per step; an error carried back is scaled by gamma lambda <= 1, so the
 * errors of at most `steps` steps add up: 8 steps 2^-24 magnitude (worst case). Measured on
 * lavapipe with the conformance rollouts: at most 1/60 of this at T = 5 and 1/4000 at T = 64
 * (5e-7), whose episodes are short.
 */
export function scanTolerance(steps: number, magnitude: number): Tolerance {
  return { abs: 8 * steps * 2 ** -24 * magnitude, rel: 0 };
}

/**
 * One step of a device env in float32 against Gymnasium's float64 step from the same float32 state
 * (envStep). About 25 float32 roundings (2^-24 relative each) and sin/cos within 2 ulps, on values
 * of magnitude <= 4 (x, the velocities) whose accelerations (<= 20) enter scaled by tau = 0.02, and
 * float32 constants (0.02, 1.1, ...) off by 2^-24 relative: a few ulps of 4, 2e-6 absolute. The
 * flags, counters and episode statistics are exact (the cases keep every state more than this away
 * from a threshold); the reset draws differ only by float32(0.1)'s rounding, 1e-9. Measured on
 * 20000 random mid-episode states: at most 1.95e-7, a tenth of this.
 */
export const ENV_STEP: Tolerance = { abs: 2e-6, rel: 0 };

/**
 * One Acrobot-v1 step in float32 against Gymnasium's float64 step from the same float32 state, for
 * velocities within half their bounds (|dtheta1| <= 2 pi, |dtheta2| <= 4.5 pi). One RK4 step of
 * dt = 0.2 evaluates the dynamics at stages whose velocities and accelerations grow with the
 * velocity squared, and each stage's float32 rounding (about 60 operations and 3 sin/cos each)
 * passes through them: measured on 20,000 random states, at most 5.9e-7 for velocities within a
 * tenth of the bounds, 8.6e-6 (4.2e-6 relative) within half, 4.9e-4 within three quarters and
 * 1.4e-2 at the bounds, where the stages reach velocities in the thousands (float64 Gymnasium too).
 * The flags and statistics are exact (no case lies within this of the termination threshold).
 */
export const ACROBOT_STEP: Tolerance = { abs: 1e-5, rel: 1e-5 };

/**
 * One MountainCar-v0 step in float32 against Gymnasium's float64 step from the same float32 state:
 * a few roundings of positions up to 1.2 (an ulp is 1.2e-7) and the cos of 3 p within 2 ulps,
 * scaled by gravity 0.0025. Measured on 20,000 random states: at most 6.4e-8. The flags and
 * statistics are exact.
 */
export const MOUNTAIN_CAR_STEP: Tolerance = { abs: 3e-7, rel: 0 };

/**
 * policySample's categorical head, logits in [-3, 3) over k <= 7 actions: the actions are integers
 * and exact (the cases keep u away from the cumulative probabilities: op-cases.ts), so this bounds
 * the log-probability (out[a] - max) - ln(sum of exp(out - max)): two float32 roundings of values
 * up to 6 (2^-24 6 each), the sum's k roundings (k 2^-24 relative, so k 2^-24 after the log) and the
 * log's own few ulps of at most ln 7: under 2e-6 in all. Measured on lavapipe: at most 4.4e-7.
 */
export const POLICY_CATEGORICAL: Tolerance = { abs: 4e-6, rel: 0 };

/**
 * policySample's gaussian head, means in [-2, 2) and log-stds in [-1.5, 0.5): the action
 * mean + exp(logStd) z has |z| <= sqrt(-2 ln 2^-24) = 5.77, so |action| <= 11.5. z passes through
 * log and sqrt (the device's: a few ulps) and Cephes' float32 cos or sin (sin-cos32.ts and
 * sin-cos32.wgsl, the same bits on every backend, within 2 ulps of the true value), then exp(logStd):
 * a few ulps of 11.5, under 1e-5. The log-probability is computed from the stored action (as ppoLoss
 * recomputes it), whose rounding moves each term (d / sigma)^2 / 2 by |z| / sigma ulps, and the
 * relative part covers it where |z| is large. Measured: lavapipe at most 1.4e-6 on actions and
 * 1.8e-6 on log-probabilities. (With the devices' own cos and sin, SwiftShader was 7.1e-5 and 6.4e-4
 * off: WGSL bounds them only absolutely, 2^-11 on [-pi, pi]; hence Cephes'.)
 */
export const POLICY_GAUSSIAN: Tolerance = { abs: 1e-5, rel: 1e-5 };

/**
 * The PPO loss (ppoLoss) in float32 against float64, for the conformance minibatches (values of
 * magnitude <= 6: log-probabilities, entropies, advantages times ratios, B <= 300 rows). A row's
 * terms take a few exp and log (several ulps each in WGSL) of values up to 6, and each stat and
 * column sum adds B terms in at most B / 64 + 6 float32 steps (a thread's rows, then a tree over 64
 * threads): about 11 ulps of 6, 4e-6 absolute, the worst case; ratios near 1 +- clipCoef, where a
 * rounding could switch a branch, are kept out of the cases. Measured on lavapipe: at most 4.2e-7
 * (an entropy of 4.28), on the float32 TypeScript kernel 1.4e-7.
 */
export const PPO_LOSS: Tolerance = { abs: 4e-6, rel: 1e-5 };

/** The first element of `got` outside `tol` of `want`, as a message, or null when all are within it. */
export function mismatch(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance): string | null {
  if (got.length !== want.length) return `has ${got.length} values, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) ? !Number.isNaN(g) : !(Math.abs(g - w) <= tol.abs + tol.rel * Math.abs(w))) {
      return `[${i}] = ${g}, expected ${w} (error ${Math.abs(g - w).toExponential(2)}, tolerance ${tol.abs} + ${tol.rel} * |expected|)`;
    }
  }
  return null;
}
