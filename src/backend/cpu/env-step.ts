/**
 * The device envs on the CPU: envStep's batched step (see EnvStepOf in backend.ts) over the same
 * structure-of-arrays state as shaders/cartpole-step.wgsl, one loop iteration per env.
 *
 * On float32 storage every floating-point operation is rounded to float32 (`Math.fround`) in the
 * shader's order, and sin/cos are the shader's own float32 polynomials (`sinCos32`), not the
 * platform's, so the two backends compute the same bits (measured bit-identical on lavapipe: see
 * test/device-envs.test.ts and docs/device-envs.md). On float64 storage (the CPU backend's gradient
 * check mode) the same code runs unrounded with Math.sin/Math.cos and Gymnasium's float64 constants:
 * Gymnasium's float64 CartPole step exactly (src/envs/cartpole.ts's order of operations).
 *
 * Another env (Acrobot-v1, MountainCar-v0) is another `step<Env>` function here, another
 * shaders/<env>-step.wgsl, an entry in DEVICE_ENVS / DEVICE_ENV_SPECS and a branch in envStep
 * below and in webgpu-ops.ts: the state rows, the autoreset, the episode statistics and the RNG
 * stream follow the same pattern.
 */
import { DEVICE_ENV_SPECS, type DeviceEnvKind, type FloatArray } from '../backend.js';
import type { EnvStepCall } from '../backend-base.js';
import { CARTPOLE_64, CARTPOLE_F32, SIN_COS_F32 } from '../device-env-constants.js';
import { DEVICE_RNG_STREAMS, philox4x32, seedKey, uniformFromBits } from '../../random/philox.js';

const fround = Math.fround;

// ---------------------------------------------------------------- float32 sin and cos

const { fopi: FOPI, dp1: DP1, dp2: DP2, dp3: DP3, sin0: S0, sin1: S1, sin2: S2, cos0: C0, cos1: C1, cos2: C2 } = SIN_COS_F32;

/** sinCos32's results: [sin x, cos x]. */
const sincos = new Float64Array(2);

/**
 * sin(x) and cos(x) in float32 arithmetic, each operation rounded, into `sincos`, as
 * cartpole-step.wgsl's `sin_cos32`. Accurate for |x| < 2^16 or so (far beyond any env's angles);
 * identical to the shader for |x| < 2^31.
 */
function sinCosInto(xIn: number): void {
  const x = fround(xIn);
  const ax = Math.abs(x);
  const j = (Math.trunc(fround(ax * FOPI)) + 1) & ~1; // the nearest even multiple of pi/4
  const y = j; // exact in float32 (j < 2^24)
  const r = fround(fround(fround(ax - fround(y * DP1)) - fround(y * DP2)) - fround(y * DP3));
  const z = fround(r * r);
  const s = fround(fround(fround(fround(fround(fround(fround(S0 * z) + S1) * z) + S2) * z) * r) + r);
  const c = fround(fround(fround(fround(fround(fround(fround(fround(C0 * z) + C1) * z) + C2) * z) * z) - fround(0.5 * z)) + 1);
  const q = (j >>> 1) & 3; // the quadrant of |x|
  const sv = q === 0 ? s : q === 1 ? c : q === 2 ? -s : -c;
  sincos[0] = x < 0 ? -sv : sv;
  sincos[1] = q === 0 ? c : q === 1 ? -s : q === 2 ? -c : s;
}

/** sin(x) (cos false) or cos(x) (cos true) as the shader computes them (see sinCosInto). */
export function sinCos32(x: number, cos: boolean): number {
  sinCosInto(x);
  return sincos[cos ? 1 : 0];
}

/** The state a CartPole step reaches: [x, x_dot, theta, theta_dot]. */
const next = new Float64Array(4);

// Float32 constants as module constants (a property read in the hot loop is not free).
const { gravity: G32, masspole: MP32, totalMass: TM32, length: L32, polemassLength: PML32, forceMag: FM32, tau: TAU32, fourThirds: FT32 } = CARTPOLE_F32;

/** Gymnasium's CartPole step in float32, every operation rounded as cartpole-step.wgsl rounds it, into `next`. */
function cartPolePhysics32(x: number, xDot: number, theta: number, thetaDot: number, action: number): void {
  const force = action === 1 ? FM32 : -FM32;
  sinCosInto(theta);
  const sintheta = sincos[0];
  const costheta = sincos[1];
  const temp = fround(fround(force + fround(fround(PML32 * fround(thetaDot * thetaDot)) * sintheta)) / TM32);
  const thetaacc = fround(
    fround(fround(G32 * sintheta) - fround(costheta * temp)) / fround(L32 * fround(FT32 - fround(fround(MP32 * fround(costheta * costheta)) / TM32))),
  );
  const xacc = fround(temp - fround(fround(fround(PML32 * thetaacc) * costheta) / TM32));
  next[0] = fround(x + fround(TAU32 * xDot));
  next[1] = fround(xDot + fround(TAU32 * xacc));
  next[2] = fround(theta + fround(TAU32 * thetaDot));
  next[3] = fround(thetaDot + fround(TAU32 * thetaacc));
}

/** Gymnasium's CartPole step in float64 (src/envs/cartpole.ts's formulas), into `next`. */
function cartPolePhysics64(x: number, xDot: number, theta: number, thetaDot: number, action: number): void {
  const k = CARTPOLE_64;
  const force = action === 1 ? k.forceMag : -k.forceMag;
  const costheta = Math.cos(theta);
  const sintheta = Math.sin(theta);
  const temp = (force + k.polemassLength * (thetaDot * thetaDot) * sintheta) / k.totalMass;
  const thetaacc = (k.gravity * sintheta - costheta * temp) / (k.length * (k.fourThirds - (k.masspole * (costheta * costheta)) / k.totalMass));
  const xacc = temp - (k.polemassLength * thetaacc * costheta) / k.totalMass;
  next[0] = x + k.tau * xDot;
  next[1] = xDot + k.tau * xacc;
  next[2] = theta + k.tau * thetaDot;
  next[3] = thetaDot + k.tau * thetaacc;
}

const block = new Uint32Array(4);

/**
 * CartPole-v1 over the envs' columns (rows: x, x_dot, theta, theta_dot, steps, return, counter).
 * Gymnasium's step (src/envs/cartpole.ts): Euler integration with x and theta advanced by the old
 * velocities, reward 1, terminated when |x| > 2.4 or |theta| > 12 degrees (on float32 storage:
 * at or beyond the float32 thresholds, which is the same), truncated at 500 steps; where either,
 * a reset state (u - 1/2) 0.1 per component from the env's next Philox block.
 */
function stepCartPole(a: EnvStepCall<FloatArray>): void {
  const { state, actions, obs, finalObs, rewards, terminated, truncated, episodes, envs } = a;
  const f32 = state instanceof Float32Array;
  const k = f32 ? CARTPOLE_F32 : CARTPOLE_64;
  const xT = k.xThreshold;
  const thetaT = k.thetaThreshold;
  const width = k.resetWidth;
  const maxSteps = DEVICE_ENV_SPECS['CartPole-v1'].maxSteps;
  const key0 = a.seed % 0x100000000 >>> 0; // seedKey(seed), without its array
  const key1 = Math.floor(a.seed / 0x100000000) >>> 0;
  const n = envs;
  for (let i = 0; i < n; i++) {
    if (f32) cartPolePhysics32(state[i], state[n + i], state[2 * n + i], state[3 * n + i], actions[i]);
    else cartPolePhysics64(state[i], state[n + i], state[2 * n + i], state[3 * n + i], actions[i]);
    const x1 = next[0];
    const theta1 = next[2];
    const steps = state[4 * n + i] + 1;
    const ret = state[5 * n + i] + 1; // exact: an integer below 2^24
    const term = f32 ? x1 <= -xT || x1 >= xT || theta1 <= -thetaT || theta1 >= thetaT : x1 < -xT || x1 > xT || theta1 < -thetaT || theta1 > thetaT;
    const trunc = steps >= maxSteps;
    const o = i * 4;
    for (let r = 0; r < 4; r++) finalObs[o + r] = next[r];
    rewards[i] = 1;
    terminated[i] = term ? 1 : 0;
    truncated[i] = trunc ? 1 : 0;
    if (term || trunc) {
      episodes[i] = ret;
      episodes[n + i] = steps;
      const counter = state[6 * n + i];
      philox4x32(counter, i, DEVICE_RNG_STREAMS.reset, 0, key0, key1, block);
      for (let r = 0; r < 4; r++) {
        const v = (uniformFromBits(block[r]) - 0.5) * width; // u - 0.5 is exact (u has 24 bits)
        next[r] = f32 ? fround(v) : v;
      }
      state[4 * n + i] = 0;
      state[5 * n + i] = 0;
      state[6 * n + i] = counter + 1;
    } else {
      episodes[i] = 0;
      episodes[n + i] = 0;
      state[4 * n + i] = steps;
      state[5 * n + i] = ret;
    }
    for (let r = 0; r < 4; r++) {
      state[r * n + i] = next[r];
      obs[o + r] = next[r];
    }
  }
}

/** envStep on the storage arrays (see EnvStepOf). */
export function envStep(a: EnvStepCall<FloatArray>): void {
  switch (a.env) {
    case 'CartPole-v1':
      stepCartPole(a);
      return;
  }
}

/**
 * The state (S, N) and observations (N, obsDim) of N freshly reset envs, for the state tensor's
 * initial contents: each env's first draw (counter 0) of its reset stream, so every counter starts
 * at 1, the steps and returns at 0. `dtype` is the backend's (float32 rounds as the kernels do).
 */
export function initialEnvState(env: DeviceEnvKind, seed: number, numEnvs: number, dtype: 'float32' | 'float64' = 'float32'): { state: FloatArray; obs: FloatArray } {
  const spec = DEVICE_ENV_SPECS[env];
  const make = (size: number): FloatArray => (dtype === 'float32' ? new Float32Array(size) : new Float64Array(size));
  const state = make(spec.stateRows * numEnvs);
  const obs = make(spec.obsDim * numEnvs);
  const [key0, key1] = seedKey(seed);
  const width = dtype === 'float32' ? CARTPOLE_F32.resetWidth : CARTPOLE_64.resetWidth;
  for (let i = 0; i < numEnvs; i++) {
    philox4x32(0, i, DEVICE_RNG_STREAMS.reset, 0, key0, key1, block);
    for (let r = 0; r < spec.obsDim; r++) {
      const u = (uniformFromBits(block[r]) - 0.5) * width;
      const v = dtype === 'float32' ? fround(u) : u;
      state[r * numEnvs + i] = v;
      obs[i * spec.obsDim + r] = v;
    }
    state[(spec.stateRows - 1) * numEnvs + i] = 1; // the counter row
  }
  return { state, obs };
}
