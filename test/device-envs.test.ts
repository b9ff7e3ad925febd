/**
 * The device envs (envStep, CartPole-v1) beyond the conformance table's one-step cases:
 * - parity with the host env (src/envs/cartpole.ts, Gymnasium's float64 CartPole under make()'s
 *   TimeLimit) from the same states and actions, over thousands of episodes;
 * - the CPU (src/backend/cpu/env-step.ts) and WebGPU (shaders/cartpole-step.wgsl) steps bit for
 *   bit over many chained steps;
 * - same-step autoreset, truncation, episode statistics and the initial state;
 * - one dispatch per step on WebGPU, and nothing read back;
 * - argument checks.
 * The measured figures are printed (console.log) and recorded in docs/device-envs.md.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEVICE_ENV_SPECS, type Backend, type EnvStepOf, type Tensor } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { initialEnvState } from '../src/backend/cpu/env-step.js';
import { sinCos32 } from '../src/backend/cpu/sin-cos32.js';
import { CARTPOLE_F32 } from '../src/backend/device-env-constants.js';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { make } from '../src/envs/index.js';
import { CARTPOLE_THETA_THRESHOLD, CARTPOLE_X_THRESHOLD, type CartPoleEnv } from '../src/envs/cartpole.js';
import { InvalidArgumentError, ShapeError } from '../src/errors.js';
import { deviceRngBlock, uniformFromBits } from '../src/random/philox.js';
import { Rng } from '../src/random/rng.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';
import { compareBackends, disposeEnvTensors as dispose, envTensors as envTensorsOf, readEnvTensors as readAll, type EnvTensors } from './support/device-env-tensors.js';

const gpu = await acquireTestBackend();
const cpu = new CpuBackend({ kernels: 'js' });
afterAll(() => {
  cpu.destroy();
  gpu?.destroy();
});

const ENV = 'CartPole-v1';
const SPEC = DEVICE_ENV_SPECS[ENV];

const envTensors = (b: Backend, n: number, state: ArrayLike<number>): EnvTensors => envTensorsOf(b, ENV, n, state);

/** A balancing controller (episodes of hundreds of steps) with some random actions, from an observation. */
function policy(rng: Rng, o: ArrayLike<number>, j: number, epsilon: number): number {
  if (rng.random() < epsilon) return rng.integers(2);
  return o[j + 2] * 10 + o[j + 3] * 2 + o[j] * 0.1 + o[j + 1] * 0.5 > 0 ? 1 : 0;
}

/** Float32 ulps of `t` within which a float64 state may land on the other side of the threshold. */
function nearThreshold(v: number, t: number): boolean {
  return Math.abs(Math.abs(v) - t) <= 8 * 2 ** -24 * t;
}

describe('CartPole-v1 on the device against the host env (src/envs/cartpole.ts)', () => {
  it('follows Gymnasium from the same states and actions: per-step and 100-step differences, terminations, truncations, autoresets', async () => {
    const N = 256;
    const STEPS = 3000;
    const seed = 20261207;
    const rng = new Rng(5);
    const init = initialEnvState(ENV, seed, N);
    const t = envTensors(cpu, N, init.state);
    const hosts = Array.from({ length: N }, () => make(ENV));
    const obsBefore = Float32Array.from(init.obs);
    // The free-running host copy: reset to the device's state at each episode start only.
    const free = hosts;
    const stepHost = hosts.map(() => make(ENV)); // resynced to the device's state before every step
    for (let i = 0; i < N; i++) {
      free[i].reset();
      (free[i].unwrapped as CartPoleEnv).state.set(obsBefore.subarray(4 * i, 4 * i + 4));
      stepHost[i].reset();
    }
    const episodeStep = new Int32Array(N);
    const freeAlive = new Uint8Array(N).fill(1);
    const actions = new Float32Array(N);
    let maxOneStep = 0;
    let maxFree100 = 0;
    const episodeFreeMax = new Float64Array(N);
    const freeMaxes: number[] = [];
    let transitions = 0;
    let episodes = 0;
    let terminations = 0;
    let truncations = 0;
    let termMismatchOneStep = 0;
    let termMismatchFree = 0;
    let truncMismatch = 0;
    let resetOutside = 0;
    for (let step = 0; step < STEPS; step++) {
      for (let i = 0; i < N; i++) actions[i] = policy(rng, obsBefore, 4 * i, i % 2 === 0 ? 1 : 0.02);
      cpu.write(t.actions, actions);
      cpu.envStep({ env: ENV, seed, ...t });
      const out = await readAll(cpu, t);
      for (let i = 0; i < N; i++) {
        const a = actions[i];
        const o = 4 * i;
        transitions++;
        // One step from the device's state: the float64 step of the same float32 numbers.
        const one = stepHost[i].unwrapped as CartPoleEnv;
        one.state.set(obsBefore.subarray(o, o + 4));
        one.stepsBeyondTerminated = null;
        const [, , oneTerm] = stepHost[i].step(a);
        for (let r = 0; r < 4; r++) maxOneStep = Math.max(maxOneStep, Math.abs(one.state[r] - out.finalObs[o + r]));
        const devTerm = out.terminated[i] === 1;
        if (oneTerm !== devTerm) {
          termMismatchOneStep++;
          // Only where the float64 state lies within float32 rounding of a threshold.
          expect(nearThreshold(one.state[0], CARTPOLE_X_THRESHOLD) || nearThreshold(one.state[2], CARTPOLE_THETA_THRESHOLD)).toBe(true);
        }
        // The free-running host env: the same actions from the episode's first state.
        episodeStep[i]++;
        if (freeAlive[i] === 1 && episodeStep[i] <= 100) {
          const [, , freeTerm, freeTrunc] = free[i].step(a);
          const s = (free[i].unwrapped as CartPoleEnv).state;
          for (let r = 0; r < 4; r++) episodeFreeMax[i] = Math.max(episodeFreeMax[i], Math.abs(s[r] - out.finalObs[o + r]));
          maxFree100 = Math.max(maxFree100, episodeFreeMax[i]);
          if (freeTerm !== devTerm) {
            termMismatchFree++;
            freeAlive[i] = 0; // diverged: wait for the next episode
          }
          if (episodeStep[i] === 100 || freeTerm || freeTrunc) freeMaxes.push(episodeFreeMax[i]);
          if (freeTrunc !== (out.truncated[i] === 1)) truncMismatch++;
        }
        const done = out.terminated[i] === 1 || out.truncated[i] === 1;
        if (out.terminated[i] === 1) terminations++;
        if (out.truncated[i] === 1) {
          truncations++;
          expect(episodeStep[i]).toBe(SPEC.maxSteps);
        }
        if (done) {
          episodes++;
          // The episode's statistics, and a fresh reset from the env's stream.
          expect([out.episodes[i], out.episodes[N + i]]).toEqual([episodeStep[i], episodeStep[i]]);
          for (let r = 0; r < 4; r++) if (!(out.obs[o + r] >= -0.05 && out.obs[o + r] < 0.05)) resetOutside++;
          episodeFreeMax[i] = 0;
          episodeStep[i] = 0;
          freeAlive[i] = 1;
          free[i].reset();
          (free[i].unwrapped as CartPoleEnv).state.set(out.obs.subarray(o, o + 4));
        } else {
          expect([out.episodes[i], out.episodes[N + i]]).toEqual([0, 0]);
          expect(Array.from(out.obs.subarray(o, o + 4))).toEqual(Array.from(out.finalObs.subarray(o, o + 4)));
        }
        expect(out.rewards[i]).toBe(1);
      }
      obsBefore.set(out.obs);
    }
    dispose(t);
    console.log(
      `device CartPole vs host: ${transitions} transitions, ${episodes} episodes (${terminations} terminated, ${truncations} truncated); ` +
        `max one-step state difference ${maxOneStep.toExponential(2)}, max over the first 100 steps free-running ${maxFree100.toExponential(2)}; ` +
        `termination disagreements: ${termMismatchOneStep} one-step (all within float32 rounding of a threshold), ${termMismatchFree} free-running within 100 steps; truncation disagreements ${truncMismatch}`,
    );
    const sorted = [...freeMaxes].sort((x, y) => x - y);
    const over = freeMaxes.filter((d) => d > 1e-4).length;
    console.log(
      `free-running over each episode's first 100 steps (or to its end): ${freeMaxes.length} episodes, ${over} above 1e-4; ` +
        `median ${sorted[sorted.length >> 1].toExponential(2)}, 99th percentile ${sorted[Math.floor(sorted.length * 0.99)].toExponential(2)}`,
    );
    // Per step, from the device's state: float32 rounding only.
    expect(maxOneStep).toBeLessThanOrEqual(1e-6);
    // Free-running, the same actions open-loop: float32 rounding grows with the pole's instability
    // (e-folding in about 0.2 s, 10 steps); the few long balanced episodes exceed 1e-4 by step 100.
    expect(maxFree100).toBeLessThanOrEqual(1e-3);
    expect(over).toBeLessThanOrEqual(freeMaxes.length * 0.02);
    expect(truncMismatch).toBe(0);
    expect(resetOutside).toBe(0);
    expect(truncations).toBeGreaterThan(50);
    expect(terminations).toBeGreaterThan(500);
    // Disagreements need a state within a few float32 ulps of a threshold: rare.
    expect(termMismatchOneStep).toBeLessThanOrEqual(transitions * 1e-4);
  });
});

describe('CartPole-v1 terminations at the thresholds', () => {
  it('agree with the host env except where the float64 state lies within float32 rounding of a threshold (counted)', async () => {
    // 20000 states whose step lands x (half of them) or theta (the other half) within about
    // 1e-6 of a threshold, from either side: the hardest cases for float32 against float64.
    const N = 20000;
    const rng = new Rng(17);
    const state = new Float32Array(7 * N);
    for (let i = 0; i < N; i++) {
      const sign = rng.random() < 0.5 ? -1 : 1;
      const v = rng.uniform(0.5, 1.5);
      const edge = i % 2 === 0 ? CARTPOLE_X_THRESHOLD : CARTPOLE_THETA_THRESHOLD;
      const row = i % 2 === 0 ? 0 : 2;
      state[row * N + i] = sign * (edge - 0.02 * v + rng.uniform(-1e-6, 1e-6));
      state[(row + 1) * N + i] = sign * v;
      state[(2 - row) * N + i] = rng.uniform(-0.1, 0.1);
      state[6 * N + i] = i;
    }
    const t = envTensors(cpu, N, state);
    const actions = Float32Array.from({ length: N }, () => rng.integers(2));
    cpu.write(t.actions, actions);
    cpu.envStep({ env: ENV, seed: 3, ...t });
    const out = await readAll(cpu, t);
    dispose(t);
    const host = make(ENV);
    let disagreements = 0;
    let terminated = 0;
    for (let i = 0; i < N; i++) {
      host.reset();
      const s = (host.unwrapped as CartPoleEnv).state;
      for (let r = 0; r < 4; r++) s[r] = state[r * N + i];
      const [, , term] = host.step(actions[i]);
      if (term) terminated++;
      if (term !== (out.terminated[i] === 1)) {
        disagreements++;
        expect(nearThreshold(s[0], CARTPOLE_X_THRESHOLD) || nearThreshold(s[2], CARTPOLE_THETA_THRESHOLD)).toBe(true);
      }
    }
    console.log(`terminations at the thresholds: ${disagreements} of ${N} steps disagree (${terminated} terminated on the host), each within 8 float32 ulps of a threshold`);
    expect(terminated).toBeGreaterThan(N / 4);
    expect(disagreements).toBeLessThan(N / 20);
  });
});

describe('the CPU and WebGPU steps', needs('webgpu', gpu !== null), () => {
  it('give the same bits for every output over 200 chained steps of 1000 envs (random states, actions, counters and a seed above 2^32)', async () => {
    const g = gpu as WebGpuBackend;
    const N = 1000;
    const rng = new Rng(11);
    const state = new Float32Array(7 * N);
    for (let i = 0; i < N; i++) {
      state[i] = rng.uniform(-2.4, 2.4);
      state[N + i] = rng.uniform(-3, 3);
      state[2 * N + i] = rng.uniform(-0.21, 0.21);
      state[3 * N + i] = rng.uniform(-3.5, 3.5);
      state[4 * N + i] = rng.integers(500);
      state[5 * N + i] = state[4 * N + i];
      state[6 * N + i] = rng.integers(2 ** 24 - 1000);
    }
    const seed = 2 ** 45 + 987654321;
    const { differing, maxDiff } = await compareBackends(cpu, g, ENV, seed, state, 200, (actions) => {
      for (let i = 0; i < N; i++) actions[i] = rng.integers(2);
    });
    console.log(`CPU vs WebGPU (${g.describe()}): ${differing} differing values over 200 steps of ${N} envs, max difference ${maxDiff}`);
    expect(differing).toBe(0);
  });

  it('one step is one dispatch, records without submitting and reads nothing back', () => {
    const g = gpu as WebGpuBackend;
    const t = envTensors(g, 512, initialEnvState(ENV, 1, 512).state);
    g.envStep({ env: ENV, seed: 1, ...t }); // warm-up: the pipeline is built
    g.flush();
    const before = g.stats();
    g.envStep({ env: ENV, seed: 1, ...t });
    const after = g.stats();
    dispose(t);
    expect(after.dispatches - before.dispatches).toBe(1);
    expect(after.readbacks - before.readbacks).toBe(0);
    expect(after.submits - before.submits).toBe(0);
  });
});

describe('envStep semantics', () => {
  it('truncates at 500 steps (terminating too, where the state says so), autoresets from the env stream and reports the episode', async () => {
    const N = 3;
    const seed = 42;
    // env 0: at step 499, balanced (truncated only); env 1: at step 499 and leaving (both);
    // env 2: step 10, theta leaving (terminated only). Counters 7, 0, 123.
    const state = Float32Array.of(0, 2.399, 0, 0, 3, 0, 0, 0, 0.2, 0, 0, 2, 499, 499, 10, 499, 499, 10, 7, 0, 123);
    const t = envTensors(cpu, N, state);
    cpu.write(t.actions, [0, 1, 1]);
    cpu.envStep({ env: ENV, seed, ...t });
    const out = await readAll(cpu, t);
    dispose(t);
    expect(Array.from(out.terminated)).toEqual([0, 1, 1]);
    expect(Array.from(out.truncated)).toEqual([1, 1, 0]);
    expect(Array.from(out.episodes)).toEqual([500, 500, 11, 500, 500, 11]);
    expect(Array.from(out.state.subarray(4 * N))).toEqual([0, 0, 0, 0, 0, 0, 8, 1, 124]);
    const block = new Uint32Array(4);
    for (const [i, counter] of [[0, 7], [1, 0], [2, 123]]) {
      deviceRngBlock(seed, i, counter, 0, block);
      const fresh = Array.from(block, (u) => Math.fround((uniformFromBits(u) - 0.5) * Math.fround(0.1)));
      expect(Array.from(out.obs.subarray(4 * i, 4 * i + 4))).toEqual(fresh);
      expect([0, 1, 2, 3].map((r) => out.state[r * N + i])).toEqual(fresh);
    }
    // final_obs: the state the step reached (x advanced by tau x_dot from 2.399).
    expect(out.finalObs[4]).toBe(Math.fround(Math.fround(2.399) + Math.fround(Math.fround(0.02) * 3)));
  });

  it('starts from initialEnvState: each env its counter-0 reset, counters at 1, obs the state transposed', () => {
    const n = 5;
    const { state, obs } = initialEnvState(ENV, 9, n);
    const block = new Uint32Array(4);
    for (let i = 0; i < n; i++) {
      deviceRngBlock(9, i, 0, 0, block);
      for (let r = 0; r < 4; r++) {
        expect(state[r * n + i]).toBe(Math.fround((uniformFromBits(block[r]) - 0.5) * Math.fround(0.1)));
        expect(obs[4 * i + r]).toBe(state[r * n + i]);
      }
      expect([state[4 * n + i], state[5 * n + i], state[6 * n + i]]).toEqual([0, 0, 1]);
    }
  });

  it("uses float32 thresholds that are exactly Gymnasium's: the least float32 above 2.4 and 12 degrees", () => {
    for (const [t32, t64] of [
      [CARTPOLE_F32.xThreshold, CARTPOLE_X_THRESHOLD],
      [CARTPOLE_F32.thetaThreshold, CARTPOLE_THETA_THRESHOLD],
    ]) {
      expect(t32).toBeGreaterThan(t64);
      const below = new Float32Array([t32]);
      new Uint32Array(below.buffer)[0] -= 1;
      expect(below[0]).toBeLessThanOrEqual(t64);
    }
  });

  it('reset components lie in [-0.05, 0.05): the extreme draws', () => {
    const reset = (u: number): number => Math.fround((uniformFromBits(u) - 0.5) * Math.fround(0.1));
    expect(reset(0)).toBe(-Math.fround(0.05));
    expect(reset(0xffffffff)).toBeLessThan(Math.fround(0.05));
  });

  it('computes sin and cos within 2 float32 ulps on the angles CartPole meets (and far beyond)', () => {
    const rng = new Rng(3);
    let worst = 0;
    for (let k = 0; k < 20000; k++) {
      const x = Math.fround(k < 10000 ? rng.uniform(-0.5, 0.5) : rng.uniform(-100, 100));
      worst = Math.max(worst, Math.abs(sinCos32(x, false) - Math.sin(x)), Math.abs(sinCos32(x, true) - Math.cos(x)));
    }
    expect(worst).toBeLessThanOrEqual(2 * 2 ** -24);
  });
});

describe('envStep argument checks', () => {
  const n = 4;
  function args(over: Partial<EnvStepOf<Tensor>> = {}): EnvStepOf<Tensor> {
    return { env: ENV, seed: 0, ...envTensors(cpu, n, new Float32Array(7 * n)), ...over };
  }

  it('refuses a state of the wrong rows, obs of the wrong shape, short vectors and episodes not (2, N)', () => {
    expect(() => cpu.envStep(args({ state: cpu.tensor([6, n]) }))).toThrow(ShapeError);
    expect(() => cpu.envStep(args({ obs: cpu.tensor([n, 3]) }))).toThrow(ShapeError);
    expect(() => cpu.envStep(args({ rewards: cpu.tensor([n + 1]) }))).toThrow(ShapeError);
    expect(() => cpu.envStep(args({ actions: cpu.tensor([n - 1, 1]) }))).toThrow(ShapeError);
    expect(() => cpu.envStep(args({ episodes: cpu.tensor([1, 2 * n]) }))).toThrow(ShapeError);
  });

  it('refuses an unknown env, a bad seed and any aliasing', () => {
    expect(() => cpu.envStep(args({ env: 'Pong-v5' as never }))).toThrow(InvalidArgumentError);
    expect(() => cpu.envStep(args({ seed: -1 }))).toThrow(InvalidArgumentError);
    expect(() => cpu.envStep(args({ seed: 0.5 }))).toThrow(InvalidArgumentError);
    const a = args();
    expect(() => cpu.envStep({ ...a, truncated: a.terminated })).toThrow(/truncated must not alias|terminated must not alias/);
    expect(() => cpu.envStep({ ...a, finalObs: a.obs })).toThrow(InvalidArgumentError);
  });
});
