/**
 * A device env against its host env (src/envs, Gymnasium's float64 step under make()'s TimeLimit)
 * from the same states and actions, on the CPU backend: N device envs stepped together, each
 * mirrored by two host envs,
 * - one set to the device's float32 state before every step (one step from the same state), and
 * - one free-running, set to the device's state at each episode's start only and given the same
 *   actions over the episode's first 100 steps;
 * with the autoreset, the episode statistics and the time limit checked on every step. The shared
 * harness of test/device-env-acrobot.test.ts and test/device-env-mountain-car.test.ts.
 */
import { expect } from 'vitest';
import { DEVICE_ENV_SPECS, type Backend, type DeviceEnvKind } from '../../src/backend/backend.js';
import { initialEnvState } from '../../src/backend/cpu/env-step.js';
import { make, type Env } from '../../src/envs/index.js';
import type { Rng } from '../../src/random/rng.js';
import { disposeEnvTensors, envTensors, readEnvTensors } from './device-env-tensors.js';

export interface ParityEnv {
  env: DeviceEnvKind;
  /** The action of env i from its observation (obs[offset..)). */
  policy(rng: Rng, obs: Float32Array, offset: number, i: number): number;
  /** Sets the host env's float64 state to the device's physics rows. */
  setState(host: Env, rows: ArrayLike<number>): void;
  /** The host env's observation of its float64 state, in float64. */
  observe(host: Env): number[];
  /** Whether the host env's state lies within float32 rounding of the termination threshold. */
  nearThreshold(host: Env): boolean;
  /** Whether physics rows are a state a reset can draw. */
  isResetState(rows: ArrayLike<number>): boolean;
}

export interface ParityFigures {
  transitions: number;
  episodes: number;
  terminations: number;
  truncations: number;
  /** The largest observation difference one step from the same state. */
  maxOneStep: number;
  /** One-step termination disagreements (each near the threshold: checked). */
  termMismatchOneStep: number;
  /** Per episode, the largest observation difference over its first 100 steps, free-running. */
  freeMaxes: number[];
  /** The env of each of freeMaxes' episodes. */
  freeEnvs: number[];
  /** Free-running termination disagreements within 100 steps. */
  termMismatchFree: number;
  truncMismatch: number;
}

/** Runs the comparison for `steps` vector steps of `n` envs (see the module comment). */
export async function runParity(cpu: Backend, p: ParityEnv, n: number, steps: number, seed: number, rng: Rng): Promise<ParityFigures> {
  const spec = DEVICE_ENV_SPECS[p.env];
  const rows = spec.stateRows - 3;
  const d = spec.obsDim;
  const init = initialEnvState(p.env, seed, n);
  const t = envTensors(cpu, p.env, n, init.state);
  const oneStep = Array.from({ length: n }, () => make(p.env));
  const free = Array.from({ length: n }, () => make(p.env));
  const stateBefore = Float32Array.from(init.state);
  const obsBefore = Float32Array.from(init.obs);
  const column = (s: Float32Array, i: number): number[] => Array.from({ length: rows }, (_, r) => s[r * n + i]);
  for (let i = 0; i < n; i++) {
    oneStep[i].reset();
    free[i].reset();
    p.setState(free[i], column(stateBefore, i));
  }
  const episodeStep = new Int32Array(n);
  const episodeReturn = new Float64Array(n);
  const freeAlive = new Uint8Array(n).fill(1);
  const episodeFreeMax = new Float64Array(n);
  const actions = new Float32Array(n);
  const f: ParityFigures = { transitions: 0, episodes: 0, terminations: 0, truncations: 0, maxOneStep: 0, termMismatchOneStep: 0, freeMaxes: [], freeEnvs: [], termMismatchFree: 0, truncMismatch: 0 };
  const diff = (a: number[], out: Float32Array, o: number): number => a.reduce((m, v, r) => Math.max(m, Math.abs(v - out[o + r])), 0);
  for (let step = 0; step < steps; step++) {
    for (let i = 0; i < n; i++) actions[i] = p.policy(rng, obsBefore, d * i, i);
    cpu.write(t.actions, actions);
    cpu.envStep({ env: p.env, seed, ...t });
    const out = await readEnvTensors(cpu, t);
    for (let i = 0; i < n; i++) {
      const a = actions[i];
      const o = d * i;
      f.transitions++;
      // One step from the device's state: the float64 step of the same float32 numbers.
      p.setState(oneStep[i], column(stateBefore, i));
      const [, oneReward, oneTerm] = oneStep[i].step(a);
      f.maxOneStep = Math.max(f.maxOneStep, diff(p.observe(oneStep[i]), out.finalObs, o));
      const devTerm = out.terminated[i] === 1;
      if (oneTerm === devTerm) expect(out.rewards[i]).toBe(oneReward);
      else {
        f.termMismatchOneStep++;
        expect(p.nearThreshold(oneStep[i])).toBe(true);
      }
      // The free-running host env: the same actions from the episode's first state.
      episodeStep[i]++;
      episodeReturn[i] += out.rewards[i];
      if (freeAlive[i] === 1 && episodeStep[i] <= 100) {
        const [, , freeTerm, freeTrunc] = free[i].step(a);
        episodeFreeMax[i] = Math.max(episodeFreeMax[i], diff(p.observe(free[i]), out.finalObs, o));
        if (freeTerm !== devTerm) {
          f.termMismatchFree++;
          freeAlive[i] = 0; // diverged: wait for the next episode
        }
        if (episodeStep[i] === 100 || freeTerm || freeTrunc) {
          f.freeMaxes.push(episodeFreeMax[i]);
          f.freeEnvs.push(i);
        }
        if (freeTrunc !== (out.truncated[i] === 1)) f.truncMismatch++;
      }
      const done = devTerm || out.truncated[i] === 1;
      if (devTerm) f.terminations++;
      if (out.truncated[i] === 1) {
        f.truncations++;
        expect(episodeStep[i]).toBe(spec.maxSteps);
      }
      if (done) {
        f.episodes++;
        // The episode's statistics, and a fresh reset from the env's stream into the state and obs.
        expect([out.episodes[i], out.episodes[n + i]]).toEqual([episodeReturn[i], episodeStep[i]]);
        expect(p.isResetState(column(out.state, i))).toBe(true);
        expect([out.state[rows * n + i], out.state[(rows + 1) * n + i], out.state[(rows + 2) * n + i]]).toEqual([0, 0, stateBefore[(rows + 2) * n + i] + 1]);
        episodeFreeMax[i] = 0;
        episodeStep[i] = 0;
        episodeReturn[i] = 0;
        freeAlive[i] = 1;
        free[i].reset();
        p.setState(free[i], column(out.state, i));
      } else {
        expect([out.episodes[i], out.episodes[n + i]]).toEqual([0, 0]);
        expect(Array.from(out.obs.subarray(o, o + d))).toEqual(Array.from(out.finalObs.subarray(o, o + d)));
        expect([out.state[rows * n + i], out.state[(rows + 1) * n + i]]).toEqual([episodeStep[i], episodeReturn[i]]);
      }
    }
    obsBefore.set(out.obs);
    stateBefore.set(out.state);
  }
  disposeEnvTensors(t);
  return f;
}

/** The free-running differences' distribution: episodes, how many above 1e-4, median, 99th percentile, max. */
export function freeSummary(maxes: number[]): { episodes: number; over: number; median: number; p99: number; max: number } {
  const sorted = [...maxes].sort((x, y) => x - y);
  return {
    episodes: sorted.length,
    over: sorted.filter((v) => v > 1e-4).length,
    median: sorted[sorted.length >> 1],
    p99: sorted[Math.floor(sorted.length * 0.99)],
    max: sorted[sorted.length - 1],
  };
}

/** A summary of the figures (printed by the tests, recorded in docs/device-envs.md); `groups` splits the free-running episodes by env. */
export function describeParity(env: string, f: ParityFigures, groups: Record<string, (i: number) => boolean> = { all: () => true }): string {
  const free = Object.entries(groups).map(([name, inGroup]) => {
    const s = freeSummary(f.freeMaxes.filter((_, k) => inGroup(f.freeEnvs[k])));
    return `${name}: ${s.episodes} episodes, ${s.over} above 1e-4, median ${s.median.toExponential(2)}, 99th percentile ${s.p99.toExponential(2)}, max ${s.max.toExponential(2)}`;
  });
  return (
    `device ${env} vs host: ${f.transitions} transitions, ${f.episodes} episodes (${f.terminations} terminated, ${f.truncations} truncated); ` +
    `max one-step observation difference ${f.maxOneStep.toExponential(2)}; termination disagreements ${f.termMismatchOneStep} one-step (each near the threshold), ` +
    `${f.termMismatchFree} free-running within 100 steps; truncation disagreements ${f.truncMismatch}\nfree-running over each episode's first 100 steps (or to its end): ${free.join('; ')}`
  );
}
