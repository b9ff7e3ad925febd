/**
 * The constants of the device envs' kernels, in one place: src/backend/cpu/env-step.ts computes
 * with them, and the WebGPU backend passes the float32 ones to shaders/cartpole-step.wgsl through
 * its parameters rather than as WGSL literals. A literal lets the shader compiler fold and
 * reassociate around it (Mesa's NIR turned Cephes' `t - 0.5 z + 1` into `(t + 1) - 0.5 z`, one
 * float32 ulp off on about half of all inputs, measured on lavapipe); a uniform value keeps every
 * float32 operation in the order written, so the CPU and WebGPU steps give the same bits.
 */

const fround = Math.fround;

// Cephes' sinf/cosf (Moshier): reduction by multiples of pi/2 in three parts (dp1 has 8 significant
// bits, so y dp1 is exact for the quadrant counts of |x| < 2^16), then degree-7 and degree-8
// polynomials on [-pi/4, pi/4], within 2 float32 ulps of sin/cos there. Each constant is the
// float32 nearest Cephes' decimal; the WGSL kernel receives these very values in its parameters.
export const SIN_COS_F32 = {
  fopi: fround(1.27323954473516), // 4 / pi
  dp1: 0.78515625,
  dp2: fround(2.4187564849853515625e-4),
  dp3: fround(3.77489497744594108e-8),
  sin0: fround(-1.9515295891e-4),
  sin1: fround(8.3321608736e-3),
  sin2: fround(-1.6666654611e-1),
  cos0: fround(2.443315711809948e-5),
  cos1: fround(-1.388731625493765e-3),
  cos2: fround(4.166664568298827e-2),
};
/** Gymnasium's CartPole constants (gymnasium/envs/classic_control/cartpole.py) in float64. */
export const CARTPOLE_64 = {
  gravity: 9.8,
  masspole: 0.1,
  totalMass: 0.1 + 1.0,
  length: 0.5,
  polemassLength: 0.1 * 0.5,
  forceMag: 10.0,
  tau: 0.02,
  fourThirds: 4.0 / 3.0,
  xThreshold: 2.4,
  thetaThreshold: (12 * 2 * Math.PI) / 360,
  resetWidth: 0.1,
};

export type CartPoleConstants = typeof CARTPOLE_64;

/**
 * The same in float32: each the float32 nearest the float64 constant, and the thresholds the least
 * float32 above Gymnasium's (fround(2.4) and fround(12 degrees) already are), so that a float32
 * value v lies beyond a threshold t (v > t) exactly when v >= its float32 threshold.
 */
export const CARTPOLE_F32: CartPoleConstants = {
  // Written out (not mapped from CARTPOLE_64): an object literal keeps its fast-property shape.
  gravity: fround(CARTPOLE_64.gravity),
  masspole: fround(CARTPOLE_64.masspole),
  totalMass: fround(CARTPOLE_64.totalMass),
  length: fround(CARTPOLE_64.length),
  polemassLength: fround(CARTPOLE_64.polemassLength),
  forceMag: fround(CARTPOLE_64.forceMag),
  tau: fround(CARTPOLE_64.tau),
  fourThirds: fround(CARTPOLE_64.fourThirds),
  xThreshold: fround(CARTPOLE_64.xThreshold),
  thetaThreshold: fround(CARTPOLE_64.thetaThreshold),
  resetWidth: fround(CARTPOLE_64.resetWidth),
};

