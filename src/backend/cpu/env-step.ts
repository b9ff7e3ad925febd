/**
 * The device envs on the CPU: envStep's batched step (see EnvStepOf in backend.ts) over the same
 * structure-of-arrays state as shaders/<env>-step.wgsl, one loop iteration per env.
 *
 * On float32 storage every floating-point operation is rounded to float32 (`Math.fround`) in the
 * shader's order, and sin/cos are the shader's own float32 polynomials (sin-cos32.ts), not the
 * platform's, so the two backends compute the same bits (measured bit-identical on lavapipe: see
 * test/device-envs.test.ts, test/device-env-<env>.test.ts and docs/device-envs.md). On float64
 * storage (the CPU backend's gradient check mode) the same code runs unrounded with
 * Math.sin/Math.cos and Gymnasium's float64 constants: Gymnasium's float64 step exactly
 * (src/envs/<env>.ts's order of operations).
 *
 * Each env's physics is a CpuDeviceEnv (cartpole-step.ts, acrobot-step.ts, mountain-car-step.ts);
 * what every env shares is here, once: the episode's steps and return, the time limit, the
 * same-step autoreset from the env's Philox stream 0 and the episode statistics.
 */
import { DEVICE_ENV_SPECS, deviceEnvPhysicsRows, type DeviceEnvKind, type FloatArray } from '../backend.js';
import type { EnvStepCall } from '../backend-base.js';
import { DEVICE_RNG_STREAMS, philox4x32, seedKey, uniformFromBits } from '../../random/philox.js';
import { ACROBOT_CPU } from './acrobot-step.js';
import { CARTPOLE_CPU } from './cartpole-step.js';
import { MOUNTAIN_CAR_CPU } from './mountain-car-step.js';

/**
 * One device env's physics on the CPU, over its P physics rows (the state's first P rows; the
 * three common rows follow). Every method works on `next`, the P values a step or reset reaches.
 */
export interface CpuDeviceEnv {
  /** The physics rows a step or reset reaches (length P). */
  readonly next: Float64Array;
  /** The step of env i (state column i, the action) into `next`, in float32 (f32) or float64. */
  step(state: FloatArray, n: number, i: number, action: number, f32: boolean): void;
  /** Whether `next` ends the episode (Gymnasium's terminated). */
  terminated(f32: boolean): boolean;
  /** The step's reward. */
  reward(terminated: boolean): number;
  /** A reset state into `next` from the four uniforms of one Philox block. */
  reset(u: Float64Array, f32: boolean): void;
  /** The observation of `next` (obsDim values) at out[offset..). */
  observe(f32: boolean, out: FloatArray, offset: number): void;
}

const CPU_ENVS: Record<DeviceEnvKind, CpuDeviceEnv> = {
  'CartPole-v1': CARTPOLE_CPU,
  'Acrobot-v1': ACROBOT_CPU,
  'MountainCar-v0': MOUNTAIN_CAR_CPU,
};

const block = new Uint32Array(4);
/** The block's four uniforms in [0, 1 - 2^-24] (exact in float32). */
const uniforms = new Float64Array(4);

/** The reset draw `counter` of env i (Philox stream 0) into `e.next`. */
function resetInto(e: CpuDeviceEnv, counter: number, i: number, key0: number, key1: number, f32: boolean): void {
  philox4x32(counter, i, DEVICE_RNG_STREAMS.reset, 0, key0, key1, block);
  for (let r = 0; r < 4; r++) uniforms[r] = uniformFromBits(block[r]);
  e.reset(uniforms, f32);
}

/** envStep on the storage arrays (see EnvStepOf). */
export function envStep(a: EnvStepCall<FloatArray>): void {
  const { state, actions, obs, finalObs, rewards, terminated, truncated, episodes, envs: n } = a;
  const e = CPU_ENVS[a.env];
  const spec = DEVICE_ENV_SPECS[a.env];
  const rows = deviceEnvPhysicsRows(a.env); // then steps, return, counter
  const d = spec.obsDim;
  const maxSteps = spec.maxSteps;
  const f32 = state instanceof Float32Array;
  const key0 = a.seed % 0x100000000 >>> 0; // seedKey(seed), without its array
  const key1 = Math.floor(a.seed / 0x100000000) >>> 0;
  const next = e.next;
  for (let i = 0; i < n; i++) {
    e.step(state, n, i, actions[i], f32);
    const term = e.terminated(f32);
    const reward = e.reward(term);
    const steps = state[rows * n + i] + 1;
    const ret = state[(rows + 1) * n + i] + reward; // exact: integers below 2^24
    const trunc = steps >= maxSteps;
    const o = i * d;
    e.observe(f32, finalObs, o);
    rewards[i] = reward;
    terminated[i] = term ? 1 : 0;
    truncated[i] = trunc ? 1 : 0;
    if (term || trunc) {
      episodes[i] = ret;
      episodes[n + i] = steps;
      const counter = state[(rows + 2) * n + i];
      resetInto(e, counter, i, key0, key1, f32);
      e.observe(f32, obs, o);
      state[rows * n + i] = 0;
      state[(rows + 1) * n + i] = 0;
      state[(rows + 2) * n + i] = counter + 1;
    } else {
      episodes[i] = 0;
      episodes[n + i] = 0;
      for (let c = 0; c < d; c++) obs[o + c] = finalObs[o + c];
      state[rows * n + i] = steps;
      state[(rows + 1) * n + i] = ret;
    }
    for (let r = 0; r < rows; r++) state[r * n + i] = next[r];
  }
}

/**
 * The state (S, N) and observations (N, obsDim) of N freshly reset envs, for the state tensor's
 * initial contents: each env's first draw (counter 0) of its reset stream, so every counter starts
 * at 1, the steps and returns at 0. `dtype` is the backend's (float32 rounds as the kernels do).
 */
export function initialEnvState(env: DeviceEnvKind, seed: number, numEnvs: number, dtype: 'float32' | 'float64' = 'float32'): { state: FloatArray; obs: FloatArray } {
  const spec = DEVICE_ENV_SPECS[env];
  const e = CPU_ENVS[env];
  const rows = deviceEnvPhysicsRows(env);
  const f32 = dtype === 'float32';
  const make = (size: number): FloatArray => (f32 ? new Float32Array(size) : new Float64Array(size));
  const state = make(spec.stateRows * numEnvs);
  const obs = make(spec.obsDim * numEnvs);
  const [key0, key1] = seedKey(seed);
  for (let i = 0; i < numEnvs; i++) {
    resetInto(e, 0, i, key0, key1, f32);
    for (let r = 0; r < rows; r++) state[r * numEnvs + i] = e.next[r];
    e.observe(f32, obs, i * spec.obsDim);
    state[(rows + 2) * numEnvs + i] = 1; // the counter row
  }
  return { state, obs };
}

/**
 * The observations (N, obsDim) of N envs' state (S, N): what envStep writes to `obs` for envs in
 * that state (Acrobot's cos/sin as the kernels compute them). `dtype` is the backend's.
 */
export function observationsOf(env: DeviceEnvKind, state: ArrayLike<number>, numEnvs: number, dtype: 'float32' | 'float64' = 'float32'): FloatArray {
  const spec = DEVICE_ENV_SPECS[env];
  const e = CPU_ENVS[env];
  const rows = deviceEnvPhysicsRows(env);
  const f32 = dtype === 'float32';
  const obs = f32 ? new Float32Array(spec.obsDim * numEnvs) : new Float64Array(spec.obsDim * numEnvs);
  for (let i = 0; i < numEnvs; i++) {
    for (let r = 0; r < rows; r++) e.next[r] = state[r * numEnvs + i];
    e.observe(f32, obs, i * spec.obsDim);
  }
  return obs;
}
