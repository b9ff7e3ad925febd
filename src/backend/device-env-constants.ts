/**
 * The constants of the device envs' kernels, in one place: src/backend/cpu/env-step.ts computes
 * with them, and the WebGPU backend passes the float32 ones to shaders/<env>-step.wgsl through
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


/**
 * Gymnasium's Acrobot-v1 constants (gymnasium/envs/classic_control/acrobot.py, src/envs/acrobot.ts)
 * in float64: the float64 step (env-step.ts) uses them in Gymnasium's formulas as written.
 */
export const ACROBOT_64 = {
  linkLength1: 1.0,
  linkMass1: 1.0,
  linkMass2: 1.0,
  linkComPos1: 0.5,
  linkComPos2: 0.5,
  linkMoi: 1.0,
  gravity: 9.8,
  dt: 0.2,
  maxVel1: 4 * Math.PI,
  maxVel2: 9 * Math.PI,
  /** reset: uniform(-0.1, 0.1) per component, (u - 1/2) 0.2. */
  resetWidth: 0.2,
};

const AB = ACROBOT_64;

/**
 * Acrobot's "book" dynamics in float32. Gymnasium's `_dsdt` with its constants gathered into six
 * coefficients, each computed in float64 from ACROBOT_64 and rounded once (all exact here: 3.5,
 * 1.25, 0.5, 1, 14.7, 4.9 rounded), and cos(x - pi/2) written as sin(x) (no float32 rounding of
 * pi/2). With c2, s2 = cos, sin theta2:
 *   d1 = d1 + twoCoupling c2             d2 = d2 + coupling c2
 *   phi2 = phi2Gravity sin(theta1 + theta2)
 *   phi1 = -coupling dtheta2^2 s2 - twoCoupling dtheta2 dtheta1 s2 + phi1Gravity sin(theta1) + phi2
 *   ddtheta2 = (a + d2 / d1 phi1 - coupling dtheta1^2 s2 - phi2) / (d2const - d2^2 / d1)
 *   ddtheta1 = -(d2 ddtheta2 + phi1) / d1
 * (d2const: m2 lc2^2 + I2, the same number as d2's constant term). RK4 over one step of dt; the
 * angles wrapped into [-pi, pi] by subtracting or adding 2 pi (float32) where they lie at or beyond
 * `pi`, the least float32 above pi (so v >= pi here exactly where Gymnasium's float64 v > pi); the
 * velocities clipped to the float32 nearest 4 pi and 9 pi.
 */
export const ACROBOT_F32 = {
  d1: fround(AB.linkMass1 * AB.linkComPos1 * AB.linkComPos1 + AB.linkMass2 * (AB.linkLength1 * AB.linkLength1 + AB.linkComPos2 * AB.linkComPos2) + AB.linkMoi + AB.linkMoi),
  d2: fround(AB.linkMass2 * AB.linkComPos2 * AB.linkComPos2 + AB.linkMoi),
  coupling: fround(AB.linkMass2 * AB.linkLength1 * AB.linkComPos2),
  twoCoupling: fround(2 * AB.linkMass2 * AB.linkLength1 * AB.linkComPos2),
  phi1Gravity: fround((AB.linkMass1 * AB.linkComPos1 + AB.linkMass2 * AB.linkLength1) * AB.gravity),
  phi2Gravity: fround(AB.linkMass2 * AB.linkComPos2 * AB.gravity),
  dt: fround(AB.dt),
  halfDt: fround(AB.dt / 2),
  sixthDt: fround(AB.dt / 6),
  pi: fround(Math.PI),
  twoPi: fround(2 * Math.PI),
  maxVel1: fround(AB.maxVel1),
  maxVel2: fround(AB.maxVel2),
  resetWidth: fround(AB.resetWidth),
};

/**
 * The float32 wrap's passes: each subtracts (or adds) 2 pi where the angle is still beyond pi. One
 * RK4 step from states at the velocity bounds moved an angle by at most 9.5 pi (2 million random
 * such states, float64), which 5 passes wrap; 8 leave a margin. A branch-free loop of fixed length
 * (acrobot-step.wgsl receives it as `wrap_passes`).
 */
export const ACROBOT_WRAP_PASSES = 8;

/**
 * Gymnasium's MountainCar-v0 constants (gymnasium/envs/classic_control/mountain_car.py,
 * src/envs/mountain-car.ts) in float64. The reset position is uniform(-0.6, -0.4) as NumPy draws
 * it: resetLow + u (resetWidth), the width (-0.4) - (-0.6) as NumPy computes it.
 */
export const MOUNTAIN_CAR_64 = {
  force: 0.001,
  gravity: 0.0025,
  maxSpeed: 0.07,
  minPosition: -1.2,
  maxPosition: 0.6,
  goalPosition: 0.5,
  resetLow: -0.6,
  resetWidth: -0.4 - -0.6,
};

export type MountainCarConstants = typeof MOUNTAIN_CAR_64;

/**
 * The same in float32, each the float32 nearest. The goal 0.5 and the goal velocity 0 are exact, so
 * termination (position >= 0.5 and velocity >= 0) is Gymnasium's test on the float32 state.
 */
export const MOUNTAIN_CAR_F32: MountainCarConstants = {
  force: fround(MOUNTAIN_CAR_64.force),
  gravity: fround(MOUNTAIN_CAR_64.gravity),
  maxSpeed: fround(MOUNTAIN_CAR_64.maxSpeed),
  minPosition: fround(MOUNTAIN_CAR_64.minPosition),
  maxPosition: fround(MOUNTAIN_CAR_64.maxPosition),
  goalPosition: fround(MOUNTAIN_CAR_64.goalPosition),
  resetLow: fround(MOUNTAIN_CAR_64.resetLow),
  resetWidth: fround(MOUNTAIN_CAR_64.resetWidth),
};
