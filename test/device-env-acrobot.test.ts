/**
 * Acrobot-v1 as a device env (envStep; src/backend/cpu/acrobot-step.ts, shaders/acrobot-step.wgsl)
 * beyond the conformance table's one-step cases:
 * - parity with the host env (src/envs/acrobot.ts, Gymnasium's float64 step under make()'s
 *   TimeLimit) from the same states and actions, over thousands of episodes
 *   (test/support/device-env-parity.ts), and at states placed on the termination threshold;
 * - the CPU and WebGPU steps bit for bit over many chained steps;
 * - truncation, the terminal reward, autoreset and the initial state; the float32 wrap;
 * - one dispatch per step on WebGPU, and nothing read back.
 * The measured figures are printed (console.log) and recorded in docs/device-envs.md.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { initialEnvState } from '../src/backend/cpu/env-step.js';
import { sinCos32 } from '../src/backend/cpu/sin-cos32.js';
import { ACROBOT_F32 } from '../src/backend/device-env-constants.js';
import { make, type AcrobotEnv, type Env } from '../src/envs/index.js';
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

const ENV = 'Acrobot-v1';
const [V1, V2] = [4 * Math.PI, 9 * Math.PI];

/** Gymnasium's termination quantity of a float64 state: terminated where it exceeds 1. */
const height = (s: ArrayLike<number>): number => -Math.cos(s[0]) - Math.cos(s[1] + s[0]);

/**
 * How close to 1 a float64 state's height must lie for a float32 step to land on the other side:
 * one step's float32 error in the angles (at most 1e-5 for the velocities of play; see
 * tolerances.ts's ACROBOT_STEP), times |d height / d angle| <= 2.
 */
const NEAR = 2e-5;

const hostState = (host: Env): Float64Array => (host.unwrapped as AcrobotEnv).state;

const ACROBOT_PARITY: ParityEnv = {
  env: ENV,
  // Half the envs act at random; half pump energy (torque against dtheta1: episodes of about 100 steps), with 10 % random actions.
  policy: (rng, o, j, i) => (i % 2 === 0 || rng.random() < 0.1 ? rng.integers(3) : o[j + 4] > 0 ? 0 : 2),
  setState: (host, rows) => hostState(host).set(rows),
  observe: (host) => {
    const s = hostState(host);
    return [Math.cos(s[0]), Math.sin(s[0]), Math.cos(s[1]), Math.sin(s[1]), s[2], s[3]];
  },
  nearThreshold: (host) => Math.abs(height(hostState(host)) - 1) <= NEAR,
  isResetState: (rows) => Array.from(rows).every((v) => v >= -0.1 && v < 0.1),
};

describe('Acrobot-v1 on the device against the host env (src/envs/acrobot.ts)', () => {
  it('follows Gymnasium from the same states and actions: per-step and 100-step differences, terminations, truncations, autoresets', async () => {
    const f = await runParity(cpu, ACROBOT_PARITY, 128, 1500, 20261207, new Rng(5));
    const random = (i: number): boolean => i % 2 === 0;
    console.log(describeParity(ENV, f, { 'random actions': random, 'energy pumping': (i) => !random(i) }));
    // Per step, from the device's state: float32 rounding only.
    expect(f.maxOneStep).toBeLessThanOrEqual(1e-4);
    expect(f.truncMismatch).toBe(0);
    expect(f.terminations).toBeGreaterThan(200);
    expect(f.truncations).toBeGreaterThan(50);
    // Disagreements need a state within float32 rounding of the threshold: rare.
    expect(f.termMismatchOneStep).toBeLessThanOrEqual(f.transitions * 1e-4);
    // Free-running, the same actions open-loop: float32 rounding grows with the double pendulum's
    // chaos. Random actions keep it near the bottom, within 1e-4 over 100 steps; energy pumping
    // swings it up, where the differences grow by orders of magnitude (recorded, not bounded).
    const randomFree = freeSummary(f.freeMaxes.filter((_, k) => random(f.freeEnvs[k])));
    expect(randomFree.max).toBeLessThanOrEqual(1e-4);
    expect(f.termMismatchFree).toBeLessThanOrEqual(f.episodes * 0.01);
  }, 300_000);
});

describe('Acrobot-v1 terminations at the threshold', () => {
  it('agree with the host env except where the float64 state lies within float32 rounding of it (counted)', async () => {
    // N states whose step lands within about 1e-6 (in theta1) of height 1: theta1 found by bisection
    // on the host's float64 step, the other components random (velocities within half the bounds).
    const N = 10000;
    const rng = new Rng(17);
    const host = make(ENV);
    host.reset({ seed: 0 });
    const s = hostState(host);
    const landing = (t1: number, rest: number[], a: number): number => {
      s.set([t1, ...rest]);
      host.step(a);
      return height(s) - 1;
    };
    const state = new Float32Array(7 * N);
    const actions = new Float32Array(N);
    for (let i = 0; i < N; i++) {
      let lo = 0;
      let hi = 0;
      let rest: number[] = [];
      let a = 0;
      while (lo === hi) {
        rest = [rng.uniform(-Math.PI, Math.PI), rng.uniform(-V1 / 2, V1 / 2), rng.uniform(-V2 / 2, V2 / 2)].map(Math.fround);
        a = rng.integers(3);
        const start = rng.uniform(-Math.PI, Math.PI);
        for (let k = 1; k <= 16 && lo === hi; k++) {
          const [x0, x1] = [start + ((k - 1) * Math.PI) / 8, start + (k * Math.PI) / 8];
          if (Math.sign(landing(x0, rest, a)) !== Math.sign(landing(x1, rest, a))) [lo, hi] = [x0, x1];
        }
      }
      const gLo = Math.sign(landing(lo, rest, a));
      for (let k = 0; k < 50; k++) {
        const mid = (lo + hi) / 2;
        if (Math.sign(landing(mid, rest, a)) === gLo) lo = mid;
        else hi = mid;
      }
      state[i] = Math.fround(lo + rng.uniform(-1e-6, 1e-6));
      for (let r = 0; r < 3; r++) state[(r + 1) * N + i] = rest[r];
      state[6 * N + i] = i;
      actions[i] = a;
    }
    const t = envTensors(cpu, ENV, N, state);
    cpu.write(t.actions, actions);
    cpu.envStep({ env: ENV, seed: 3, ...t });
    const out = await readEnvTensors(cpu, t);
    disposeEnvTensors(t);
    let disagreements = 0;
    let terminated = 0;
    let farthest = 0;
    for (let i = 0; i < N; i++) {
      s.set([0, 1, 2, 3].map((r) => state[r * N + i]));
      const [, , term] = host.step(actions[i]);
      if (term) terminated++;
      if (term !== (out.terminated[i] === 1)) {
        disagreements++;
        farthest = Math.max(farthest, Math.abs(height(s) - 1));
      }
    }
    console.log(`Acrobot terminations at the threshold: ${disagreements} of ${N} steps disagree (${terminated} terminated on the host), the farthest with height within ${farthest.toExponential(2)} of 1`);
    expect(farthest).toBeLessThanOrEqual(NEAR);
    expect(terminated).toBeGreaterThan(N / 4);
    expect(terminated).toBeLessThan((3 * N) / 4);
    expect(disagreements).toBeLessThan(N / 5);
  }, 120_000);
});

/** N random states over the whole state space (velocities up to their bounds), mid-episode, with large counters. */
function randomStates(rng: Rng, n: number): Float32Array {
  const state = new Float32Array(7 * n);
  for (let i = 0; i < n; i++) {
    const atBound = rng.random() < 0.1;
    state[i] = rng.uniform(-Math.PI, Math.PI);
    state[n + i] = rng.uniform(-Math.PI, Math.PI);
    state[2 * n + i] = atBound ? (rng.random() < 0.5 ? -V1 : V1) : rng.uniform(-V1, V1);
    state[3 * n + i] = atBound ? (rng.random() < 0.5 ? -V2 : V2) : rng.uniform(-V2, V2);
    state[4 * n + i] = rng.integers(500);
    state[5 * n + i] = -state[4 * n + i];
    state[6 * n + i] = rng.integers(2 ** 24 - 1000);
  }
  return state;
}

describe('the Acrobot-v1 CPU and WebGPU steps', needs('webgpu', gpu !== null), () => {
  it('give the same bits for every output over 200 chained steps of 1000 envs (random states up to the velocity bounds, actions, counters and a seed above 2^32)', async () => {
    const g = gpu as WebGpuBackend;
    const rng = new Rng(11);
    const N = 1000;
    const { differing, maxDiff } = await compareBackends(cpu, g, ENV, 2 ** 45 + 987654321, randomStates(rng, N), 200, (actions) => {
      for (let i = 0; i < N; i++) actions[i] = rng.integers(3);
    });
    console.log(`Acrobot CPU vs WebGPU (${g.describe()}): ${differing} differing values over 200 steps of ${N} envs, max difference ${maxDiff}`);
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

describe('Acrobot-v1 envStep semantics', () => {
  /** The observation of physics rows as the kernels compute it (float32 sin/cos). */
  const observation = (r: number[]): number[] => [sinCos32(r[0], true), sinCos32(r[0], false), sinCos32(r[1], true), sinCos32(r[1], false), r[2], r[3]];

  it('truncates at 500 steps, gives reward 0 on the terminating step, autoresets from the env stream and reports the episode', async () => {
    const N = 3;
    const seed = 42;
    // env 0: at step 499 hanging down (truncated only); env 1: step 499, tip above the bar (both);
    // env 2: step 10, tip above the bar (terminated only). Counters 7, 0, 123.
    const up = [Math.PI - 0.05, 0.05];
    const state = Float32Array.of(0, up[0], up[0], 0, up[1], up[1], 0, 0, 0, 0, 0, 0, 499, 499, 10, -499, -499, -10, 7, 0, 123);
    const t = envTensors(cpu, ENV, N, state);
    cpu.write(t.actions, [1, 1, 1]);
    cpu.envStep({ env: ENV, seed, ...t });
    const out = await readEnvTensors(cpu, t);
    disposeEnvTensors(t);
    expect(Array.from(out.terminated)).toEqual([0, 1, 1]);
    expect(Array.from(out.truncated)).toEqual([1, 1, 0]);
    expect(Array.from(out.rewards)).toEqual([-1, 0, 0]);
    expect(Array.from(out.episodes)).toEqual([-500, -499, -10, 500, 500, 11]);
    expect(Array.from(out.state.subarray(4 * N))).toEqual([0, 0, 0, 0, 0, 0, 8, 1, 124]);
    const block = new Uint32Array(4);
    for (const [i, counter] of [[0, 7], [1, 0], [2, 123]]) {
      deviceRngBlock(seed, i, counter, 0, block);
      const fresh = Array.from(block, (u) => Math.fround((uniformFromBits(u) - 0.5) * Math.fround(0.2)));
      expect([0, 1, 2, 3].map((r) => out.state[r * N + i])).toEqual(fresh);
      expect(Array.from(out.obs.subarray(6 * i, 6 * i + 6))).toEqual(observation(fresh).map(Math.fround));
    }
  });

  it('starts from initialEnvState: each env its counter-0 reset, counters at 1, obs the cos/sin observation', () => {
    const n = 5;
    const { state, obs } = initialEnvState(ENV, 9, n);
    const block = new Uint32Array(4);
    for (let i = 0; i < n; i++) {
      deviceRngBlock(9, i, 0, 0, block);
      const fresh = Array.from(block, (u) => Math.fround((uniformFromBits(u) - 0.5) * Math.fround(0.2)));
      expect([0, 1, 2, 3].map((r) => state[r * n + i])).toEqual(fresh);
      expect(Array.from(obs.subarray(6 * i, 6 * i + 6))).toEqual(observation(fresh).map(Math.fround));
      expect([state[4 * n + i], state[5 * n + i], state[6 * n + i]]).toEqual([0, 0, 1]);
    }
  });

  it('wraps the angles into [-pi, pi] and clips the velocities, even from states at the velocity bounds', async () => {
    const N = 20000;
    const state = randomStates(new Rng(23), N);
    const t = envTensors(cpu, ENV, N, state);
    cpu.write(t.actions, Float32Array.from({ length: N }, (_, i) => i % 3));
    cpu.envStep({ env: ENV, seed: 1, ...t });
    const out = await readEnvTensors(cpu, t);
    disposeEnvTensors(t);
    for (let i = 0; i < N; i++) {
      for (const r of [0, 1]) expect(Math.abs(out.state[r * N + i])).toBeLessThan(ACROBOT_F32.pi);
      expect(Math.abs(out.state[2 * N + i])).toBeLessThanOrEqual(ACROBOT_F32.maxVel1);
      expect(Math.abs(out.state[3 * N + i])).toBeLessThanOrEqual(ACROBOT_F32.maxVel2);
    }
  });
});
