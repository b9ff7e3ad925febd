/**
 * qLambdaReturns beyond the conformance table (test/support/op-cases.ts runs its cases, the one by
 * hand included, on every backend): the table's float64 reference against the numbers by hand,
 * the op's argument checks, its one dispatch per call, and a NumPy float64 cross-check of a random
 * rollout written as purejaxql's backward recursion with this engine's truncation rule. The NumPy
 * part runs when python3 with NumPy is present, else skips with a one-line reason.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, QLambdaReturnsOf, Tensor } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { InvalidArgumentError, ShapeError } from '../src/errors.js';
import { Rng } from '../src/random/rng.js';
import { refQLambdaReturns } from './support/reference-ops.js';
import { needs } from './support/requirements.js';
import { scanTolerance } from './support/tolerances.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
const cpu = new CpuBackend();
const cpu64 = new CpuBackend({ dtype: 'float64' });
afterAll(() => {
  gpu?.destroy();
  cpu.destroy();
  cpu64.destroy();
});

/** A rollout on the host: (T, N) rewards and flags, (T N, A) next Q values. */
interface Rollout {
  steps: number;
  envs: number;
  actions: number;
  rewards: number[];
  terminated: number[];
  truncated: number[];
  nextQ: number[];
}

/** The op on `backend` with the rollout's tensors; returns G (T, N). */
async function returnsOn(backend: Backend, r: Rollout, gamma: number, lambda: number): Promise<Float64Array> {
  const made: Tensor[] = [];
  const t = (shape: readonly [number, number], data: number[]): Tensor => {
    const x = backend.tensor(shape, data);
    made.push(x);
    return x;
  };
  try {
    const returns = t([r.steps, r.envs], new Array<number>(r.steps * r.envs).fill(0));
    backend.qLambdaReturns({
      rewards: t([r.steps, r.envs], r.rewards),
      terminated: t([r.steps, r.envs], r.terminated),
      truncated: t([r.steps, r.envs], r.truncated),
      nextQ: t([r.steps * r.envs, r.actions], r.nextQ),
      gamma,
      lambda,
      returns,
    });
    return Float64Array.from(await backend.read(returns));
  } finally {
    for (const x of made) x.dispose();
  }
}

describe('qLambdaReturns by hand (T = 3, N = 2, gamma = lambda = 0.5)', () => {
  // The case of op-cases.ts: env 0 plain, terminated, last; env 1 truncated, plain, terminated.
  const HAND: Rollout = {
    steps: 3,
    envs: 2,
    actions: 2,
    rewards: [1, 4, 2, 5, 3, 6],
    terminated: [0, 0, 1, 0, 0, 1],
    truncated: [0, 1, 0, 0, 0, 0],
    nextQ: [2, 6, 8, -2, 1000, -1000, -4, 2, 4, 0, 10, 10],
  };
  const EXPECTED = [3, 8, 2, 7, 5, 6];

  it("the table's float64 reference (the forward view) gives the numbers by hand", () => {
    const got = refQLambdaReturns(HAND.rewards, HAND.terminated, HAND.truncated, HAND.nextQ, HAND, 0.5, 0.5);
    expect(Array.from(got)).toEqual(EXPECTED);
  });

  it('a truncation bootstraps and a termination does not: flipping the flags changes exactly those steps', async () => {
    // Env 1's first step terminated instead: G0 = 4 (no bootstrap) rather than 4 + 0.5 max(8, -2) = 8.
    const flipped = { ...HAND, terminated: [0, 1, 1, 0, 0, 1], truncated: [0, 0, 0, 0, 0, 0] };
    expect(Array.from(await returnsOn(cpu64, flipped, 0.5, 0.5))).toEqual([3, 4, 2, 7, 5, 6]);
    // Env 0's middle step truncated instead of terminated: G1 = 2 + 0.5 max(1000, -1000) = 502, and G0 follows it.
    const truncatedMiddle = { ...HAND, terminated: [0, 0, 0, 0, 0, 1], truncated: [0, 1, 1, 0, 0, 0] };
    expect(Array.from(await returnsOn(cpu64, truncatedMiddle, 0.5, 0.5))).toEqual([1 + 0.5 * (0.5 * 502 + 0.5 * 6), 8, 502, 7, 5, 6]);
  });
});

/** Zero-filled arguments for a rollout of T steps of N envs with A actions. */
function zeroArgs(b: Backend, T: number, N: number, A: number): QLambdaReturnsOf<Tensor> {
  return {
    rewards: b.tensor([T, N]),
    terminated: b.tensor([T, N]),
    truncated: b.tensor([T, N]),
    nextQ: b.tensor([T * N, A]),
    gamma: 0.99,
    lambda: 0.65,
    returns: b.tensor([T, N]),
  };
}

describe('qLambdaReturns argument checks', () => {
  it('rejects mismatched shapes, factors outside [0, 1] and returns that alias an input', () => {
    const a = zeroArgs(cpu, 4, 3, 2);
    expect(() => cpu.qLambdaReturns({ ...a, truncated: cpu.tensor([3, 4]) })).toThrow(ShapeError);
    expect(() => cpu.qLambdaReturns({ ...a, nextQ: cpu.tensor([4, 6]) })).toThrow(/nextQ \(4, 6\) must have one row per step and env of rewards \(4, 3\) \(12 rows\)/);
    expect(() => cpu.qLambdaReturns({ ...a, returns: cpu.tensor([12]) })).toThrow(ShapeError);
    expect(() => cpu.qLambdaReturns({ ...a, gamma: 1.5 })).toThrow(/gamma must be in \[0, 1\]/);
    expect(() => cpu.qLambdaReturns({ ...a, lambda: -0.1 })).toThrow(/lambda must be in \[0, 1\]/);
    expect(() => cpu.qLambdaReturns({ ...a, lambda: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => cpu.qLambdaReturns({ ...a, returns: a.rewards })).toThrow(/returns must not alias rewards/);
    a.terminated.dispose();
    expect(() => cpu.qLambdaReturns(a)).toThrow(/terminated .* was disposed/);
  });
});

describe('qLambdaReturns dispatches', () => {
  function dispatchesOf(b: Backend): number {
    const a = zeroArgs(b, 8, 100, 3);
    const before = b.stats().dispatches;
    b.qLambdaReturns(a);
    const count = b.stats().dispatches - before;
    for (const t of [a.rewards, a.terminated, a.truncated, a.nextQ, a.returns]) t.dispose();
    return count;
  }

  it('one kernel call on the CPU backend', () => {
    expect(dispatchesOf(cpu)).toBe(1);
  });

  it('one dispatch on WebGPU, the max over actions included', needs('webgpu', gpu !== null), () => {
    expect(dispatchesOf(gpu as WebGpuBackend)).toBe(1);
  });
});

/**
 * The backward recursion in NumPy float64, vectorised over envs, as purejaxql's `_get_target`
 * writes it (target = r + gamma (1 - term) q + gamma lambda (G - q) inside an episode), with the
 * episode cut at terminated or truncated steps and only terminated steps losing the bootstrap.
 */
const NUMPY_Q_LAMBDA = `
import json, sys
import numpy as np
a = json.load(sys.stdin)
T, N, A = a["steps"], a["envs"], a["actions"]
r = np.array(a["rewards"], dtype=np.float64).reshape(T, N)
term = np.array(a["terminated"], dtype=np.float64).reshape(T, N) != 0
trunc = np.array(a["truncated"], dtype=np.float64).reshape(T, N) != 0
q = np.array(a["nextQ"], dtype=np.float64).reshape(T, N, A).max(axis=-1)
gamma, lam = a["gamma"], a["lambda"]
q = np.where(term, 0.0, q)
out = np.zeros((T, N))
out[T - 1] = r[T - 1] + gamma * q[T - 1]
for t in range(T - 2, -1, -1):
    lam_return = r[t] + gamma * q[t] + gamma * lam * (out[t + 1] - q[t])
    out[t] = np.where(term[t] | trunc[t], r[t] + gamma * q[t], lam_return)
json.dump(out.reshape(-1).tolist(), sys.stdout)
`;

const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
const numpySkip = probe.error !== undefined ? `python3 not found (${probe.error.message})` : probe.status !== 0 ? 'python3 has no NumPy' : null;
if (numpySkip !== null) console.warn(`q-lambda-returns NumPy cross-check skipped: ${numpySkip}`);

function randomRollout(seed: number, steps: number, envs: number, actions: number): Rollout {
  const rng = new Rng(seed);
  const f32 = (lo: number, hi: number): number => Math.fround(rng.uniform(lo, hi));
  const flags = Array.from({ length: steps * envs }, () => rng.random());
  return {
    steps,
    envs,
    actions,
    rewards: Array.from({ length: steps * envs }, () => f32(-1, 1)),
    terminated: flags.map((u) => (u < 0.08 ? 1 : 0)),
    truncated: flags.map((u) => (u >= 0.08 && u < 0.14 ? 1 : 0)),
    nextQ: Array.from({ length: steps * envs * actions }, () => f32(-2, 2)),
  };
}

describe('qLambdaReturns against NumPy', { skip: numpySkip !== null }, () => {
  const GAMMA = 0.99;
  const LAMBDA = 0.65;
  const rollout = randomRollout(21, 48, 16, 4);
  const run = spawnSync('python3', ['-c', NUMPY_Q_LAMBDA], { input: JSON.stringify({ ...rollout, gamma: GAMMA, lambda: LAMBDA }), encoding: 'utf8' });
  const numpy = run.status === 0 ? Float64Array.from(JSON.parse(run.stdout) as number[]) : null;

  it('NumPy ran', () => {
    expect(run.stderr).toBe('');
    expect(numpy).not.toBeNull();
  });

  it('the float64 CPU backend agrees to 1e-12', async () => {
    const got = await returnsOn(cpu64, rollout, GAMMA, LAMBDA);
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - (numpy as Float64Array)[i])).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(got[i])));
  });

  // |r| <= 1 and |V| <= 2, so |G| <= T + 2: the conformance table's bound.
  const tolerance = scanTolerance(rollout.steps, rollout.steps + 2).abs;

  it('the float32 CPU backend (WASM heap, TypeScript kernel) agrees within the scan tolerance', async () => {
    const got = await returnsOn(cpu, rollout, GAMMA, LAMBDA);
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - (numpy as Float64Array)[i])).toBeLessThanOrEqual(tolerance);
  });

  it('WebGPU agrees within the scan tolerance', needs('webgpu', gpu !== null), async () => {
    const got = await returnsOn(gpu as WebGpuBackend, rollout, GAMMA, LAMBDA);
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - (numpy as Float64Array)[i])).toBeLessThanOrEqual(tolerance);
  });
});
