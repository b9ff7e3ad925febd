/**
 * MountainCar-v0 as a device env (envStep; src/backend/cpu/mountain-car-step.ts,
 * shaders/mountain-car-step.wgsl) beyond the conformance table's one-step cases:
 * - parity with the host env (src/envs/mountain-car.ts, Gymnasium's float64 step under make()'s
 *   TimeLimit) from the same states and actions, over thousands of episodes
 *   (test/support/device-env-parity.ts), and at states placed on the termination thresholds;
 * - the CPU and WebGPU steps bit for bit over many chained steps;
 * - truncation, the left wall, autoreset and the initial state;
 * - one dispatch per step on WebGPU, and nothing read back.
 * The measured figures are printed (console.log) and recorded in docs/device-envs.md.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { initialEnvState } from '../src/backend/cpu/env-step.js';
import { MOUNTAIN_CAR_F32 } from '../src/backend/device-env-constants.js';
import { make, type Env, type MountainCarEnv } from '../src/envs/index.js';
import { deviceRngBlock, uniformFromBits } from '../src/random/philox.js';
import { Rng } from '../src/random/rng.js';
import { compareBackends, disposeEnvTensors, envTensors, readEnvTensors } from './support/device-env-tensors.js';
import { describeParity, freeSummary, runParity, type ParityEnv } from './support/device-env-parity.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
const cpu = new CpuBackend({ kernels: 'js' });
afterAll(() => {
  cpu.destroy();
  gpu?.destroy();
});

const ENV = 'MountainCar-v0';

const hostState = (host: Env): Float64Array => (host.unwrapped as MountainCarEnv).state;

/** Within 8 float32 ulps of the goal: position 0.5 (ulp 6e-8), or velocity 0 at or past it (ulps of 0.07). */
function nearGoal(s: ArrayLike<number>): boolean {
  return Math.abs(s[0] - 0.5) <= 8 * 2 ** -24 * 0.5 || (s[0] >= 0.5 && Math.abs(s[1]) <= 8 * 2 ** -24 * 0.07);
}

/** A float32 reset position: -0.6 + u 0.2 in float32, so within [float32(-0.6), float32(-0.4)]. */
const isResetPosition = (p: number): boolean => p >= MOUNTAIN_CAR_F32.resetLow && p <= Math.fround(-0.4);

const MOUNTAIN_CAR_PARITY: ParityEnv = {
  env: ENV,
  // Half the envs act at random (truncated at 200 steps); half push with the velocity (reaching the
  // goal in about 100 steps), with 10 % random actions.
  policy: (rng, o, j, i) => (i % 2 === 0 || rng.random() < 0.1 ? rng.integers(3) : o[j + 1] >= 0 ? 2 : 0),
  setState: (host, rows) => hostState(host).set(rows),
  observe: (host) => Array.from(hostState(host)),
  nearThreshold: (host) => nearGoal(hostState(host)),
  isResetState: (rows) => isResetPosition(rows[0]) && rows[1] === 0,
};

describe('MountainCar-v0 on the device against the host env (src/envs/mountain-car.ts)', () => {
  it('follows Gymnasium from the same states and actions: per-step and 100-step differences, terminations, truncations, autoresets', async () => {
    const f = await runParity(cpu, MOUNTAIN_CAR_PARITY, 256, 1500, 20261207, new Rng(5));
    const random = (i: number): boolean => i % 2 === 0;
    console.log(describeParity(ENV, f, { 'random actions': random, 'pushing with the velocity': (i) => !random(i) }));
    expect(f.maxOneStep).toBeLessThanOrEqual(1e-6);
    expect(freeSummary(f.freeMaxes).max).toBeLessThanOrEqual(1e-4);
    expect(f.truncMismatch).toBe(0);
    expect(f.termMismatchFree).toBe(0);
    expect(f.terminations).toBeGreaterThan(500);
    expect(f.truncations).toBeGreaterThan(500);
    expect(f.termMismatchOneStep).toBeLessThanOrEqual(f.transitions * 1e-4);
  }, 300_000);
});

describe('MountainCar-v0 terminations at the goal', () => {
  it('agree with the host env except where the float64 state lies within float32 rounding of it (counted)', async () => {
    // N states whose step lands within about 1e-6 of the goal position moving right (half), or past
    // it with a velocity within 1e-8 of 0 (half): the starting state solved backwards from the landing one.
    const N = 20000;
    const rng = new Rng(17);
    const state = new Float32Array(5 * N);
    const actions = new Float32Array(N);
    for (let i = 0; i < N; i++) {
      const a = rng.integers(3);
      const onPosition = i % 2 === 0;
      const p1 = onPosition ? 0.5 + rng.uniform(-1e-6, 1e-6) : 0.5 + rng.uniform(1e-3, 0.05);
      const v1 = onPosition ? rng.uniform(0.01, 0.06) : rng.uniform(-1e-8, 1e-8);
      const p0 = p1 - v1;
      state[i] = p0;
      state[N + i] = v1 - (a - 1) * 0.001 + 0.0025 * Math.cos(3 * p0);
      state[4 * N + i] = i;
      actions[i] = a;
    }
    const t = envTensors(cpu, ENV, N, state);
    cpu.write(t.actions, actions);
    cpu.envStep({ env: ENV, seed: 3, ...t });
    const out = await readEnvTensors(cpu, t);
    disposeEnvTensors(t);
    const host = make(ENV);
    host.reset({ seed: 0 });
    const s = hostState(host);
    let disagreements = 0;
    let terminated = 0;
    for (let i = 0; i < N; i++) {
      s.set([state[i], state[N + i]]);
      const [, , term] = host.step(actions[i]);
      if (term) terminated++;
      if (term !== (out.terminated[i] === 1)) {
        disagreements++;
        expect(nearGoal(s)).toBe(true);
      }
    }
    console.log(`MountainCar terminations at the goal: ${disagreements} of ${N} steps disagree (${terminated} terminated on the host), each within 8 float32 ulps of the goal`);
    expect(terminated).toBeGreaterThan(N / 4);
    expect(terminated).toBeLessThan((3 * N) / 4);
    expect(disagreements).toBeLessThan(N / 5);
  });
});

describe('the MountainCar-v0 CPU and WebGPU steps', needs('webgpu', gpu !== null), () => {
  it('give the same bits for every output over 200 chained steps of 1000 envs (random states, a fifth at the walls, actions, counters and a seed above 2^32)', async () => {
    const g = gpu as WebGpuBackend;
    const rng = new Rng(11);
    const N = 1000;
    const state = new Float32Array(5 * N);
    for (let i = 0; i < N; i++) {
      const u = rng.random();
      state[i] = u < 0.1 ? rng.uniform(-1.2, -1.15) : u < 0.2 ? rng.uniform(0.45, 0.5) : rng.uniform(-1.2, 0.5);
      state[N + i] = rng.uniform(-0.07, 0.07);
      state[2 * N + i] = rng.integers(200);
      state[3 * N + i] = -state[2 * N + i];
      state[4 * N + i] = rng.integers(2 ** 24 - 1000);
    }
    const { differing, maxDiff } = await compareBackends(cpu, g, ENV, 2 ** 45 + 987654321, state, 200, (actions) => {
      for (let i = 0; i < N; i++) actions[i] = rng.integers(3);
    });
    console.log(`MountainCar CPU vs WebGPU (${g.describe()}): ${differing} differing values over 200 steps of ${N} envs, max difference ${maxDiff}`);
    expect(differing).toBe(0);
  }, 120_000);

  it('one step is one dispatch, records without submitting and reads nothing back', () => {
    const g = gpu as WebGpuBackend;
    const t = envTensors(g, ENV, 512, initialEnvState(ENV, 1, 512).state);
    g.envStep({ env: ENV, seed: 1, ...t }); // warm-up: the pipeline is built
    g.flush();
    const before = g.stats();
    g.envStep({ env: ENV, seed: 1, ...t });
    const after = g.stats();
    disposeEnvTensors(t);
    expect(after.dispatches - before.dispatches).toBe(1);
    expect(after.readbacks - before.readbacks).toBe(0);
    expect(after.submits - before.submits).toBe(0);
  });
});

describe('MountainCar-v0 envStep semantics', () => {
  const resetPosition = (seed: number, i: number, counter: number): number => {
    const block = deviceRngBlock(seed, i, counter, 0, new Uint32Array(4));
    return Math.fround(MOUNTAIN_CAR_F32.resetLow + Math.fround(uniformFromBits(block[0]) * MOUNTAIN_CAR_F32.resetWidth));
  };

  it('truncates at 200 steps, terminates at the goal, stops at the left wall, autoresets from the env stream and reports the episode', async () => {
    const N = 4;
    const seed = 42;
    // env 0: step 199 in the valley (truncated only); env 1: step 199 reaching the goal (both);
    // env 2: step 10 reaching the goal (terminated only); env 3: at the left wall moving left.
    const state = Float32Array.of(-0.5, 0.49, 0.49, -1.19, 0, 0.05, 0.05, -0.05, 199, 199, 10, 20, -199, -199, -10, -20, 7, 0, 123, 5);
    const t = envTensors(cpu, ENV, N, state);
    cpu.write(t.actions, [1, 2, 2, 0]);
    cpu.envStep({ env: ENV, seed, ...t });
    const out = await readEnvTensors(cpu, t);
    disposeEnvTensors(t);
    expect(Array.from(out.terminated)).toEqual([0, 1, 1, 0]);
    expect(Array.from(out.truncated)).toEqual([1, 1, 0, 0]);
    expect(Array.from(out.rewards)).toEqual([-1, -1, -1, -1]);
    expect(Array.from(out.episodes)).toEqual([-200, -200, -11, 0, 200, 200, 11, 0]);
    expect(Array.from(out.state.subarray(2 * N))).toEqual([0, 0, 0, 21, 0, 0, 0, -21, 8, 1, 124, 5]);
    for (const [i, counter] of [[0, 7], [1, 0], [2, 123]]) {
      expect([out.state[i], out.state[N + i]]).toEqual([resetPosition(seed, i, counter), 0]);
      expect(Array.from(out.obs.subarray(2 * i, 2 * i + 2))).toEqual([resetPosition(seed, i, counter), 0]);
    }
    // The left wall: the position clipped to float32(-1.2), the velocity zeroed.
    expect([out.finalObs[6], out.finalObs[7]]).toEqual([MOUNTAIN_CAR_F32.minPosition, 0]);
  });

  it('starts from initialEnvState: each env its counter-0 reset, counters at 1, obs the state', () => {
    const n = 5;
    const { state, obs } = initialEnvState(ENV, 9, n);
    for (let i = 0; i < n; i++) {
      expect([state[i], state[n + i]]).toEqual([resetPosition(9, i, 0), 0]);
      expect(isResetPosition(state[i])).toBe(true);
      expect(Array.from(obs.subarray(2 * i, 2 * i + 2))).toEqual([state[i], 0]);
      expect([state[2 * n + i], state[3 * n + i], state[4 * n + i]]).toEqual([0, 0, 1]);
    }
  });

  it('reset positions lie in [float32(-0.6), float32(-0.4)]: the extreme draws', () => {
    const position = (u: number): number => Math.fround(MOUNTAIN_CAR_F32.resetLow + Math.fround(uniformFromBits(u) * MOUNTAIN_CAR_F32.resetWidth));
    expect(position(0)).toBe(Math.fround(-0.6));
    expect(isResetPosition(position(0xffffffff))).toBe(true);
  });
});
