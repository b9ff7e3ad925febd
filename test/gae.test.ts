/**
 * gaeAdvantages beyond the conformance table (test/support/op-cases.ts runs its cases, the one by
 * hand included, on every backend): the table's float64 reference against the numbers by hand, the
 * contract against Stable-Baselines3's formulation (its RolloutBuffer's backward loop over episode
 * starts, with the reward of a truncated step raised by gamma V(final observation), written here in
 * plain JavaScript) on the float64 CPU backend, a NumPy float64 cross-check written as CleanRL's
 * ppo.py loop with that same fix (test/support/gae_reference.py; skipped with a one-line reason
 * without python3 and NumPy), the op's argument checks and its one dispatch per call.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, Tensor } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import type { GaeOf } from '../src/backend/policy-ops.js';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { InvalidArgumentError, ShapeError } from '../src/errors.js';
import { Rng } from '../src/random/rng.js';
import { numpySkipReason, runNumpyReference } from './support/numpy-reference.js';
import { GAE_BY_HAND } from './support/op-cases.js';
import { refGae } from './support/reference-ops.js';
import { needs } from './support/requirements.js';
import { mismatch, scanTolerance } from './support/tolerances.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
const cpu = new CpuBackend();
const cpu64 = new CpuBackend({ dtype: 'float64' });
afterAll(() => {
  gpu?.destroy();
  cpu.destroy();
  cpu64.destroy();
});

/** The op's (T, N) inputs, flat and time-major. */
interface GaeInputs {
  steps: number;
  envs: number;
  rewards: ArrayLike<number>;
  values: ArrayLike<number>;
  nextValues: ArrayLike<number>;
  terminated: ArrayLike<number>;
  truncated: ArrayLike<number>;
}

/** The op on `backend`; returns its advantages and returns. */
async function gaeOn(backend: Backend, x: GaeInputs, gamma: number, lambda: number): Promise<{ advantages: Float64Array; returns: Float64Array }> {
  const made: Tensor[] = [];
  const t = (data: ArrayLike<number> | null): Tensor => {
    const tensor = backend.tensor([x.steps, x.envs], data ?? undefined);
    made.push(tensor);
    return tensor;
  };
  try {
    const advantages = t(null);
    const returns = t(null);
    backend.gaeAdvantages({
      rewards: t(x.rewards),
      values: t(x.values),
      nextValues: t(x.nextValues),
      terminated: t(x.terminated),
      truncated: t(x.truncated),
      gamma,
      lambda,
      advantages,
      returns,
    });
    return { advantages: Float64Array.from(await backend.read(advantages)), returns: Float64Array.from(await backend.read(returns)) };
  } finally {
    for (const tensor of made) tensor.dispose();
  }
}

const HAND: GaeInputs = { steps: 3, envs: 2, ...GAE_BY_HAND };

describe('gaeAdvantages by hand (T = 3, N = 2, gamma = lambda = 0.5)', () => {
  it("the table's float64 reference (the forward view) gives the numbers by hand", () => {
    const got = refGae(HAND.rewards, HAND.values, HAND.nextValues, HAND.terminated, HAND.truncated, HAND, 0.5, 0.5);
    expect(Array.from(got.advantages)).toEqual(GAE_BY_HAND.advantages);
    expect(Array.from(got.returns)).toEqual(GAE_BY_HAND.returns);
  });

  it('a truncation bootstraps and a termination does not: flipping the flags changes exactly those steps', async () => {
    // Env 1's first step terminated instead: A = 2 - 1 = 1 (no gamma V'), the carry still cut.
    const flipped = { ...HAND, terminated: [0, 1, 1, 0, 0, 1], truncated: [0, 0, 0, 0, 0, 0] };
    expect(Array.from((await gaeOn(cpu64, flipped, 0.5, 0.5)).advantages)).toEqual([1.375, 1, 1.5, 4.75, 5, 3]);
    // Env 0's middle step truncated instead of terminated: A1 = 3 + 0.5 3 - 1.5 = 3, then A0 = 1 + 0.25 3 = 1.75.
    const truncatedMiddle = { ...HAND, terminated: [0, 0, 0, 0, 0, 1], truncated: [0, 1, 1, 0, 0, 0] };
    expect(Array.from((await gaeOn(cpu64, truncatedMiddle, 0.5, 0.5)).advantages)).toEqual([1.75, 2, 3, 4.75, 5, 3]);
    // No flag at all: one episode per env across the rollout, every step carrying the next.
    const none = { ...HAND, terminated: [0, 0, 0, 0, 0, 0], truncated: [0, 0, 0, 0, 0, 0], nextValues: [1.5, 2, 2.5, 3, 5, 6] };
    // env 0: A2 = 5 + 2.5 - 2.5 = 5, A1 = (3 + 1.25 - 1.5) + 0.25 5 = 4, A0 = (1 + 0.75 - 0.5) + 0.25 4 = 2.25.
    expect(Array.from((await gaeOn(cpu64, none, 0.5, 0.5)).advantages).filter((_, i) => i % 2 === 0)).toEqual([2.25, 4, 5]);
  });
});

/**
 * A rollout as an env and a critic would give it: the critic's values of the observations acted on,
 * of the observation after the last step, and of each ended episode's final observation; flags with
 * about 8 % of steps terminated, 6 % truncated and 3 % both (Gymnasium's TimeLimit can give both),
 * and every env's last step ending an episode in one of the three ways for a third of the envs.
 */
interface World {
  steps: number;
  envs: number;
  rewards: number[];
  values: number[];
  lastValues: number[];
  finalValues: number[];
  terminated: number[];
  truncated: number[];
}

function randomWorld(seed: number, steps: number, envs: number): World {
  const rng = new Rng(seed);
  const f32 = (n: number, lo: number, hi: number): number[] => Array.from({ length: n }, () => Math.fround(rng.uniform(lo, hi)));
  const size = steps * envs;
  const u = Array.from({ length: size }, () => rng.random());
  const terminated = u.map((x) => (x < 0.08 || (x >= 0.14 && x < 0.17) ? 1 : 0));
  const truncated = u.map((x) => (x >= 0.08 && x < 0.17 ? 1 : 0));
  for (let n = 0; n < envs; n++) {
    const i = (steps - 1) * envs + n;
    if (n % 3 === 0) terminated[i] = 1;
    if (n % 3 === 1) truncated[i] = 1;
  }
  return { steps, envs, rewards: f32(size, -1, 1), values: f32(size, -2, 2), lastValues: f32(envs, -2, 2), finalValues: f32(size, -2, 2), terminated, truncated };
}

/**
 * The op's inputs for a world: nextValues[t] is the value of the observation after step t, the
 * final observation's where the step ended its episode, the next step's observation's otherwise
 * (or, after the last step, the observation the rollout ends on). A terminated step's is not read:
 * it holds 1e30.
 */
function opInputs(w: World): GaeInputs {
  const nextValues = w.values.map((_, i) => {
    const t = Math.floor(i / w.envs);
    if (w.terminated[i] !== 0) return 1e30;
    if (w.truncated[i] !== 0) return w.finalValues[i];
    return t === w.steps - 1 ? w.lastValues[i % w.envs] : w.values[i + w.envs];
  });
  return { ...w, nextValues };
}

/**
 * Stable-Baselines3's PPO in float64, as its code does it: collect_rollouts raises the reward of a
 * step truncated by the time limit (and not terminated: SB3's TimeLimit.truncated is
 * `truncated and not terminated`) by gamma V(terminal_observation) and stores episode starts (the
 * previous step's done, done = terminated or truncated); RolloutBuffer.compute_returns_and_advantage
 * then runs its backward loop with next_non_terminal = 1 - episode_starts[step + 1] (1 - dones after
 * the last step) and returns = advantages + values.
 */
function sb3Gae(w: World, gamma: number, gaeLambda: number): { advantages: Float64Array; returns: Float64Array } {
  const { steps, envs } = w;
  const done = w.terminated.map((term, i) => (term !== 0 || w.truncated[i] !== 0 ? 1 : 0));
  const rewards = w.rewards.map((r, i) => (w.truncated[i] !== 0 && w.terminated[i] === 0 ? r + gamma * w.finalValues[i] : r));
  const episodeStarts = w.values.map((_, i) => (i < envs ? 1 : done[i - envs]));
  const advantages = new Float64Array(steps * envs);
  const returns = new Float64Array(steps * envs);
  for (let n = 0; n < envs; n++) {
    let lastGaeLam = 0;
    for (let step = steps - 1; step >= 0; step--) {
      const i = step * envs + n;
      const nextNonTerminal = step === steps - 1 ? 1 - done[i] : 1 - episodeStarts[i + envs];
      const nextValues = step === steps - 1 ? w.lastValues[n] : w.values[i + envs];
      const delta = rewards[i] + gamma * nextValues * nextNonTerminal - w.values[i];
      lastGaeLam = delta + gamma * gaeLambda * nextNonTerminal * lastGaeLam;
      advantages[i] = lastGaeLam;
      returns[i] = lastGaeLam + w.values[i];
    }
  }
  return { advantages, returns };
}

/** The largest |a - b| / (1 + |b|) over two arrays. */
function worstError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return worst;
}

describe("gaeAdvantages is Stable-Baselines3's GAE", () => {
  for (const [gamma, lambda] of [
    [0.99, 0.95],
    [0.9, 0],
    [1, 1],
  ] as const) {
    it(`the float64 CPU backend matches SB3's formulation to 1e-12 (T = 40, N = 37, gamma ${gamma}, lambda ${lambda})`, async () => {
      const world = randomWorld(7, 40, 37);
      // The world really has each kind of step, at the rollout's end too.
      expect(world.terminated.some((x, i) => x !== 0 && world.truncated[i] !== 0)).toBe(true);
      expect(world.truncated.some((x, i) => x !== 0 && world.terminated[i] === 0)).toBe(true);
      const got = await gaeOn(cpu64, opInputs(world), gamma, lambda);
      const want = sb3Gae(world, gamma, lambda);
      expect(worstError(got.advantages, want.advantages)).toBeLessThanOrEqual(1e-12);
      expect(worstError(got.returns, want.returns)).toBeLessThanOrEqual(1e-12);
    });
  }
});

if (numpySkipReason !== null) console.warn(`gae NumPy cross-check skipped: ${numpySkipReason}`);

describe("gaeAdvantages against NumPy (CleanRL's ppo.py loop with SB3's truncation fix)", { skip: numpySkipReason !== null }, () => {
  const GAMMA = 0.99;
  const LAMBDA = 0.95;
  const world = randomWorld(21, 48, 300);
  const script = fileURLToPath(new URL('./support/gae_reference.py', import.meta.url));
  const numpy = runNumpyReference<{ advantages: number[]; returns: number[] }>(script, { ...world, gamma: GAMMA, lambda: LAMBDA });
  const inputs = opInputs(world);

  it('the float64 CPU backend agrees to 1e-12', async () => {
    const got = await gaeOn(cpu64, inputs, GAMMA, LAMBDA);
    expect(worstError(got.advantages, numpy.advantages)).toBeLessThanOrEqual(1e-12);
    expect(worstError(got.returns, numpy.returns)).toBeLessThanOrEqual(1e-12);
  });

  // |delta| <= 1 + 2 + 2 (the raised reward included), so |A| <= 5 T and |A + V| <= 5 T + 2: the conformance table's bound.
  const tolerance = scanTolerance(world.steps, 5 * world.steps + 2);

  it('the float32 CPU backend (WASM heap, TypeScript kernel) agrees within the scan tolerance', async () => {
    const got = await gaeOn(cpu, inputs, GAMMA, LAMBDA);
    expect(mismatch(got.advantages, numpy.advantages, tolerance)).toBeNull();
    expect(mismatch(got.returns, numpy.returns, tolerance)).toBeNull();
  });

  it('WebGPU agrees within the scan tolerance', needs('webgpu', gpu !== null), async () => {
    const got = await gaeOn(gpu as WebGpuBackend, inputs, GAMMA, LAMBDA);
    expect(mismatch(got.advantages, numpy.advantages, tolerance)).toBeNull();
    expect(mismatch(got.returns, numpy.returns, tolerance)).toBeNull();
  });
});

/** Zero-filled arguments for a rollout of T steps of N envs. */
function zeroArgs(b: Backend, T: number, N: number): GaeOf<Tensor> {
  return {
    rewards: b.tensor([T, N]),
    values: b.tensor([T, N]),
    nextValues: b.tensor([T, N]),
    terminated: b.tensor([T, N]),
    truncated: b.tensor([T, N]),
    gamma: 0.99,
    lambda: 0.95,
    advantages: b.tensor([T, N]),
    returns: b.tensor([T, N]),
  };
}

function disposeArgs(a: GaeOf<Tensor>): void {
  for (const t of [a.rewards, a.values, a.nextValues, a.terminated, a.truncated, a.advantages, a.returns]) t.dispose();
}

describe('gaeAdvantages argument checks', () => {
  it('rejects mismatched shapes, factors outside [0, 1] and outputs that alias an input or each other', () => {
    const a = zeroArgs(cpu, 4, 3);
    const other = cpu.tensor([3, 4]);
    expect(() => cpu.gaeAdvantages({ ...a, truncated: other })).toThrow(/gaeAdvantages: truncated \(3, 4\) and rewards \(4, 3\) must have the same shape/);
    expect(() => cpu.gaeAdvantages({ ...a, nextValues: cpu.tensor([12]) })).toThrow(ShapeError);
    expect(() => cpu.gaeAdvantages({ ...a, advantages: other })).toThrow(/advantages \(3, 4\)/);
    expect(() => cpu.gaeAdvantages({ ...a, returns: other })).toThrow(/returns \(3, 4\)/);
    expect(() => cpu.gaeAdvantages({ ...a, gamma: 1.5 })).toThrow(/gamma must be in \[0, 1\]/);
    expect(() => cpu.gaeAdvantages({ ...a, lambda: -0.1 })).toThrow(/lambda must be in \[0, 1\]/);
    expect(() => cpu.gaeAdvantages({ ...a, lambda: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => cpu.gaeAdvantages({ ...a, advantages: a.values })).toThrow(/advantages must not alias values/);
    expect(() => cpu.gaeAdvantages({ ...a, returns: a.rewards })).toThrow(/returns must not alias rewards/);
    expect(() => cpu.gaeAdvantages({ ...a, returns: a.advantages })).toThrow(/returns must not alias advantages/);
    a.terminated.dispose();
    expect(() => cpu.gaeAdvantages(a)).toThrow(/terminated .* was disposed/);
    other.dispose();
    disposeArgs(a);
  });
});

describe('gaeAdvantages dispatches', () => {
  function dispatchesOf(b: Backend): number {
    const a = zeroArgs(b, 8, 100);
    const before = b.stats().dispatches;
    b.gaeAdvantages(a);
    const count = b.stats().dispatches - before;
    disposeArgs(a);
    return count;
  }

  it('one kernel call on the CPU backend', () => {
    expect(dispatchesOf(cpu)).toBe(1);
  });

  it('one dispatch on WebGPU, the returns included', needs('webgpu', gpu !== null), () => {
    expect(dispatchesOf(gpu as WebGpuBackend)).toBe(1);
  });
});
