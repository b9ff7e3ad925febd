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
const identity = (x: number): number => x;

// ---------------------------------------------------------------- float32 sin and cos

const { fopi: FOPI, dp1: DP1, dp2: DP2, dp3: DP3, sin0: S0, sin1: S1, sin2: S2, cos0: C0, cos1: C1, cos2: C2 } = SIN_COS_F32;

/**
 * sin(x) (cos false) or cos(x) (cos true) in float32 arithmetic, each operation rounded, as
 * cartpole-step.wgsl's `sin_cos32`. Accurate for |x| < 2^16 or so (far beyond any env's angles);
 * identical to the shader for |x| < 2^31.
 */
export function sinCos32(xIn: number, cos: boolean): number {
  const x = fround(xIn);
  const ax = Math.abs(x);
  const j = (Math.trunc(fround(ax * FOPI)) + 1) & ~1; // the nearest even multiple of pi/4
  const y = j; // exact in float32 (j < 2^24)
  const r = fround(fround(fround(ax - fround(y * DP1)) - fround(y * DP2)) - fround(y * DP3));
  const z = fround(r * r);
  const s = fround(fround(fround(fround(fround(fround(fround(S0 * z) + S1) * z) + S2) * z) * r) + r);
  const c = fround(fround(fround(fround(fround(fround(fround(fround(C0 * z) + C1) * z) + C2) * z) * z) - fround(0.5 * z)) + 1);
  const q = (j >>> 1) & 3; // the quadrant of |x|
  if (cos) return q === 0 ? c : q === 1 ? -s : q === 2 ? -c : s;
  const v = q === 0 ? s : q === 1 ? c : q === 2 ? -s : -c;
  return x < 0 ? -v : v;
}

// ---------------------------------------------------------------- CartPole-v1

/** Reset state components: (u - 1/2) width, u = the draw's uniform in [0, 1); in [-0.05, 0.05) for CartPole. */
function resetValue(u: number, width: number, f: (x: number) => number): number {
  return f((u - 0.5) * width); // u - 0.5 is exact (u has 24 bits)
}

const block = new Uint32Array(4);

/**
 * CartPole-v1 over the envs' columns (rows: x, x_dot, theta, theta_dot, steps, return, counter).
 * Gymnasium's step (src/envs/cartpole.ts): Euler integration with x and theta advanced by the old
 * velocities, reward 1, terminated when |x| > 2.4 or |theta| > 12 degrees, truncated at 500 steps.
 */
function stepCartPole(a: EnvStepCall<FloatArray>): void {
  const { state, actions, obs, finalObs, rewards, terminated, truncated, episodes, envs } = a;
  const f32 = state instanceof Float32Array;
  const f = f32 ? fround : identity;
  const k = f32 ? CARTPOLE_F32 : CARTPOLE_64;
  const maxSteps = DEVICE_ENV_SPECS['CartPole-v1'].maxSteps;
  const key0 = a.seed % 0x100000000 >>> 0; // seedKey(seed), without its array
  const key1 = Math.floor(a.seed / 0x100000000) >>> 0;
  const n = envs;
  for (let i = 0; i < n; i++) {
    const x = state[i];
    const xDot = state[n + i];
    const theta = state[2 * n + i];
    const thetaDot = state[3 * n + i];
    const force = actions[i] === 1 ? k.forceMag : -k.forceMag;
    const costheta = f32 ? sinCos32(theta, true) : Math.cos(theta);
    const sintheta = f32 ? sinCos32(theta, false) : Math.sin(theta);
    const temp = f(f(force + f(f(k.polemassLength * f(thetaDot * thetaDot)) * sintheta)) / k.totalMass);
    const thetaacc = f(
      f(f(k.gravity * sintheta) - f(costheta * temp)) / f(k.length * f(k.fourThirds - f(f(k.masspole * f(costheta * costheta)) / k.totalMass))),
    );
    const xacc = f(temp - f(f(f(k.polemassLength * thetaacc) * costheta) / k.totalMass));
    const x1 = f(x + f(k.tau * xDot));
    const xDot1 = f(xDot + f(k.tau * xacc));
    const theta1 = f(theta + f(k.tau * thetaDot));
    const thetaDot1 = f(thetaDot + f(k.tau * thetaacc));
    const steps = state[4 * n + i] + 1;
    const ret = f(state[5 * n + i] + 1);
    const term = f32
      ? x1 <= -k.xThreshold || x1 >= k.xThreshold || theta1 <= -k.thetaThreshold || theta1 >= k.thetaThreshold
      : x1 < -k.xThreshold || x1 > k.xThreshold || theta1 < -k.thetaThreshold || theta1 > k.thetaThreshold;
    const trunc = steps >= maxSteps;
    const o = i * 4;
    finalObs[o] = x1;
    finalObs[o + 1] = xDot1;
    finalObs[o + 2] = theta1;
    finalObs[o + 3] = thetaDot1;
    rewards[i] = 1;
    terminated[i] = term ? 1 : 0;
    truncated[i] = trunc ? 1 : 0;
    let s0 = x1, s1 = xDot1, s2 = theta1, s3 = thetaDot1;
    if (term || trunc) {
      episodes[i] = ret;
      episodes[n + i] = steps;
      const counter = state[6 * n + i];
      philox4x32(counter, i, DEVICE_RNG_STREAMS.reset, 0, key0, key1, block);
      s0 = resetValue(uniformFromBits(block[0]), k.resetWidth, f);
      s1 = resetValue(uniformFromBits(block[1]), k.resetWidth, f);
      s2 = resetValue(uniformFromBits(block[2]), k.resetWidth, f);
      s3 = resetValue(uniformFromBits(block[3]), k.resetWidth, f);
      state[4 * n + i] = 0;
      state[5 * n + i] = 0;
      state[6 * n + i] = counter + 1;
    } else {
      episodes[i] = 0;
      episodes[n + i] = 0;
      state[4 * n + i] = steps;
      state[5 * n + i] = ret;
    }
    state[i] = s0;
    state[n + i] = s1;
    state[2 * n + i] = s2;
    state[3 * n + i] = s3;
    obs[o] = s0;
    obs[o + 1] = s1;
    obs[o + 2] = s2;
    obs[o + 3] = s3;
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
  const f = dtype === 'float32' ? fround : identity;
  const [key0, key1] = seedKey(seed);
  const width = dtype === 'float32' ? CARTPOLE_F32.resetWidth : CARTPOLE_64.resetWidth;
  for (let i = 0; i < numEnvs; i++) {
    philox4x32(0, i, DEVICE_RNG_STREAMS.reset, 0, key0, key1, block);
    for (let r = 0; r < spec.obsDim; r++) {
      const v = resetValue(uniformFromBits(block[r]), width, f);
      state[r * numEnvs + i] = v;
      obs[i * spec.obsDim + r] = v;
    }
    state[(spec.stateRows - 1) * numEnvs + i] = 1; // the counter row
  }
  return { state, obs };
}
