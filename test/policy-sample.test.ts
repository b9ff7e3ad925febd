/**
 * policySample beyond the conformance table (test/support/op-cases.ts checks both heads on every
 * backend against a float64 reference from an independent Philox): the draws' statistics (action
 * frequencies against the softmax, Gaussian means, deviations and coverage), the log-probability
 * against its formula recomputed in float64 from the returned actions, determinism in (seed,
 * counter), the CPU float32 and WebGPU draws side by side over many counters, the categorical
 * fallback when float32 rounding leaves the cumulative probability below u, one dispatch and no read
 * back on WebGPU, and the argument checks.
 *
 * CPU against WebGPU: exp, log, cos and sin are the device's in WGSL, so the two agree within
 * POLICY_GAUSSIAN (Gaussian actions, every log-probability) and choose the same categorical action
 * except where u lies within float32 rounding of a cumulative probability: such rows (u within
 * 1e-5 of a float64 cumulative sum) are allowed to differ, every other row must match exactly.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import type { PolicyHead } from '../src/backend/policy-ops.js';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { InvalidArgumentError, ShapeError, UnknownNameError } from '../src/errors.js';
import { DEVICE_RNG_STREAMS, deviceRngBlock, uniformFromBits } from '../src/random/philox.js';
import { Rng } from '../src/random/rng.js';
import { refCategoricalUniform, refSoftmax } from './support/reference-ops.js';
import { needs } from './support/requirements.js';
import { POLICY_CATEGORICAL, POLICY_GAUSSIAN, mismatch, type Tolerance } from './support/tolerances.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
const cpu = new CpuBackend();
const cpuJs = new CpuBackend({ kernels: 'js' });
const cpu64 = new CpuBackend({ dtype: 'float64' });
afterAll(() => {
  gpu?.destroy();
  for (const b of [cpu, cpuJs, cpu64]) b.destroy();
});

/** The float32 backends of this machine: the CPU's (WASM heap, and the TypeScript kernels' arrays) and WebGPU where there is an adapter. */
const FLOAT32: [string, Backend][] = [
  ['CPU float32 (WASM heap)', cpu],
  ['CPU float32 (JavaScript arrays)', cpuJs],
  ...(gpu === null ? [] : [['WebGPU', gpu] as [string, Backend]]),
];

interface Draws {
  /** counters x rows (categorical) or counters x rows x k (gaussian) actions, counter-major. */
  actions: Float64Array;
  /** counters x rows log-probabilities. */
  logProb: Float64Array;
}

/**
 * `counters` draws (counter = first, first + 1, ...) from N rows of `out` (N, k) on `backend`,
 * through one set of tensors.
 */
async function sample(backend: Backend, head: PolicyHead, out: ArrayLike<number>, k: number, logStd: ArrayLike<number> | null, seed: number, first: number, counters: number): Promise<Draws> {
  const n = out.length / k;
  const width = head === 'categorical' ? 1 : k;
  const tOut = backend.tensor([n, k], out);
  const tLogStd = logStd === null ? null : backend.tensor([1, k], logStd);
  const actions = backend.tensor([n, width]);
  const logProb = backend.tensor([n, 1]);
  const result: Draws = { actions: new Float64Array(counters * n * width), logProb: new Float64Array(counters * n) };
  try {
    for (let c = 0; c < counters; c++) {
      backend.policySample({ head, out: tOut, logStd: tLogStd, seed, counter: first + c, actions, logProb });
      result.actions.set(await backend.read(actions), c * n * width);
      result.logProb.set(await backend.read(logProb), c * n);
    }
  } finally {
    for (const t of [tOut, tLogStd, actions, logProb]) t?.dispose();
  }
  return result;
}

/** `rows` copies of one row. */
function tile(row: readonly number[], rows: number): Float32Array {
  const out = new Float32Array(rows * row.length);
  for (let i = 0; i < rows; i++) out.set(row, i * row.length);
  return out;
}

/** Twice a tolerance: two results each within it of the truth are within this of each other. */
function twice(t: Tolerance): Tolerance {
  return { abs: 2 * t.abs, rel: 2 * t.rel };
}

/** log pi(a | row) of a categorical row in float64: out[a] - logsumexp(out). */
function categoricalLogProb(row: ArrayLike<number>, a: number): number {
  const { max, logSum } = refSoftmax(row);
  return row[a] - max - logSum;
}

/** The Gaussian log-density of actions (k values) in float64, as PolicySampleOf writes it. */
function gaussianLogProb(actions: ArrayLike<number>, means: ArrayLike<number>, logStd: ArrayLike<number>): number {
  let lp = 0;
  for (let k = 0; k < means.length; k++) lp += -((actions[k] - means[k]) ** 2) / (2 * Math.exp(2 * logStd[k])) - logStd[k] - 0.5 * Math.log(2 * Math.PI);
  return lp;
}

const LOGITS = [1, 0, -1, 0.5];
const MEANS = [0.5, -1, 2];
const LOG_STD = [0, -1, 0.5];
/** Rows times counters: 65,536 draws of each statistic. */
const ROWS = 4096;
const COUNTERS = 16;

describe('policySample statistics', () => {
  for (const [name, backend] of FLOAT32) {
    it(`categorical: the action frequencies are the softmax's (chi-square, 3 degrees of freedom), ${name}`, async () => {
      const draws = await sample(backend, 'categorical', tile(LOGITS, ROWS), LOGITS.length, null, 5, 0, COUNTERS);
      const counts = new Array<number>(LOGITS.length).fill(0);
      for (const a of draws.actions) counts[a]++;
      const total = draws.actions.length;
      const { p } = refSoftmax(LOGITS);
      const chiSquare = counts.reduce((s, c, a) => s + (c - total * p[a]) ** 2 / (total * p[a]), 0);
      // The 0.999 quantile of chi-square with 3 degrees of freedom.
      expect(chiSquare).toBeLessThan(16.27);
    });

    it(`gaussian: each dimension's mean, deviation and 1-sigma coverage are out's and exp(logStd)'s, the pair of one block uncorrelated, ${name}`, async () => {
      const k = MEANS.length;
      const draws = await sample(backend, 'gaussian', tile(MEANS, ROWS), k, LOG_STD, 9, 0, COUNTERS);
      const total = draws.actions.length / k;
      const column = (d: number): Float64Array => draws.actions.filter((_, i) => i % k === d);
      const z: Float64Array[] = [];
      for (let d = 0; d < k; d++) {
        const x = column(d);
        const sigma = Math.exp(LOG_STD[d]);
        const mean = x.reduce((s, v) => s + v, 0) / total;
        const std = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / (total - 1));
        // Four standard errors: sigma / sqrt(n) for the mean, sigma / sqrt(2 n) for the deviation.
        expect(Math.abs(mean - MEANS[d])).toBeLessThan((4 * sigma) / Math.sqrt(total));
        expect(Math.abs(std / sigma - 1)).toBeLessThan(4 / Math.sqrt(2 * total));
        const within = x.filter((v) => Math.abs(v - MEANS[d]) < sigma).length / total;
        expect(Math.abs(within - 0.6826894921)).toBeLessThan(4 * Math.sqrt((0.6827 * 0.3173) / total));
        z.push(x.map((v) => (v - MEANS[d]) / sigma));
      }
      // Dimensions 0 and 1 share a Philox block (cos and sin of one angle): still independent.
      const correlation = z[0].reduce((s, v, i) => s + v * z[1][i], 0) / total;
      expect(Math.abs(correlation)).toBeLessThan(4 / Math.sqrt(total));
    });
  }
});

describe('policySample log-probabilities are the formula of the returned actions', () => {
  const rng = new Rng(17);
  const n = 300;
  const logits = Float32Array.from({ length: n * 5 }, () => rng.uniform(-3, 3));
  const means = Float32Array.from({ length: n * 3 }, () => rng.uniform(-2, 2));
  const logStd = Float32Array.from([0.3, -1.2, -0.4]);

  for (const [name, backend, categoricalTolerance, gaussianTolerance] of [
    ['CPU float64', cpu64, { abs: 1e-12, rel: 1e-12 }, { abs: 1e-12, rel: 1e-12 }],
    ...FLOAT32.map(([label, b]) => [label, b, POLICY_CATEGORICAL, POLICY_GAUSSIAN] as const),
  ] as const) {
    it(`categorical and gaussian, ${name}`, async () => {
      const c = await sample(backend, 'categorical', logits, 5, null, 3, 40, 1);
      const expected = Float64Array.from(c.actions, (a, i) => categoricalLogProb(logits.subarray(i * 5, i * 5 + 5), a));
      expect(mismatch(c.logProb, expected, categoricalTolerance)).toBeNull();
      const g = await sample(backend, 'gaussian', means, 3, logStd, 3, 40, 1);
      const expectedG = Float64Array.from(g.logProb, (_, i) => gaussianLogProb(g.actions.subarray(i * 3, i * 3 + 3), means.subarray(i * 3, i * 3 + 3), logStd));
      expect(mismatch(g.logProb, expectedG, gaussianTolerance)).toBeNull();
    });
  }
});

describe('policySample is a function of (seed, counter, row)', () => {
  const rng = new Rng(23);
  const n = 200;
  const logits = Float32Array.from({ length: n * 4 }, () => rng.uniform(-0.5, 0.5));
  const means = new Float32Array(n * 2);
  const logStd = Float32Array.of(0, 0);

  it('the same seed and counter give the same draws; another counter or seed gives others', async () => {
    for (const head of ['categorical', 'gaussian'] as const) {
      const [out, k, ls] = head === 'categorical' ? [logits, 4, null] : [means, 2, logStd];
      const a = await sample(cpu, head, out, k, ls, 7, 1000, 1);
      const again = await sample(cpu, head, out, k, ls, 7, 1000, 1);
      expect(again).toEqual(a);
      const fraction = (other: Draws): number => a.actions.filter((x, i) => x !== other.actions[i]).length / a.actions.length;
      // Nearly uniform over 4 actions, two independent draws agree a quarter of the time; Gaussian draws never.
      const least = head === 'categorical' ? 0.6 : 0.999;
      expect(fraction(await sample(cpu, head, out, k, ls, 7, 1001, 1))).toBeGreaterThan(least);
      expect(fraction(await sample(cpu, head, out, k, ls, 8, 1000, 1))).toBeGreaterThan(least);
    }
  });

  it('rows draw from their own blocks: identical rows get different draws, row n from (counter, n, act, j)', async () => {
    const g = await sample(cpu64, 'gaussian', means, 2, logStd, 7, 5, 1);
    expect(new Set(g.actions).size).toBe(g.actions.length);
    // Row 3's first dimension by hand from its Philox block: sqrt(-2 ln(1 - u0)) cos(2 pi u1), standard deviation 1.
    const block = deviceRngBlock(7, 3, 5, DEVICE_RNG_STREAMS.act, new Uint32Array(4));
    const z = Math.sqrt(-2 * Math.log(1 - uniformFromBits(block[0]))) * Math.cos(2 * Math.PI * uniformFromBits(block[1]));
    expect(g.actions[3 * 2]).toBeCloseTo(z, 12);
  });
});

describe('policySample on WebGPU against the CPU', needs('webgpu', gpu !== null), () => {
  const rng = new Rng(31);
  const n = 1000;
  const k = 6;
  const COUNTER_COUNT = 32;
  const SEED = 2 ** 40 + 99;

  it('categorical: the same actions over 32 counters of 1000 rows except within float32 rounding of a cumulative probability; log-probabilities within tolerance', async () => {
    const logits = Float32Array.from({ length: n * k }, () => rng.uniform(-3, 3));
    const a = await sample(cpu, 'categorical', logits, k, null, SEED, 500, COUNTER_COUNT);
    const b = await sample(gpu as WebGpuBackend, 'categorical', logits, k, null, SEED, 500, COUNTER_COUNT);
    let unexplained = 0;
    for (let i = 0; i < a.actions.length; i++) {
      if (a.actions[i] === b.actions[i]) continue;
      const row = i % n;
      const u = refCategoricalUniform(SEED, 500 + Math.floor(i / n), row);
      let cdf = 0;
      const near = Array.from(refSoftmax(logits.subarray(row * k, row * k + k)).p).some((p) => Math.abs(u - (cdf += p)) < 1e-5);
      if (!near) unexplained++;
    }
    expect(unexplained).toBe(0);
    expect(mismatch(b.logProb, a.logProb, twice(POLICY_CATEGORICAL))).toBeNull();
  });

  it('gaussian: actions and log-probabilities within tolerance over 32 counters of 1000 rows', async () => {
    const means = Float32Array.from({ length: n * k }, () => rng.uniform(-2, 2));
    const logStd = Float32Array.from({ length: k }, () => rng.uniform(-1.5, 0.5));
    const a = await sample(cpu, 'gaussian', means, k, logStd, SEED, 500, COUNTER_COUNT);
    const b = await sample(gpu as WebGpuBackend, 'gaussian', means, k, logStd, SEED, 500, COUNTER_COUNT);
    expect(mismatch(b.actions, a.actions, twice(POLICY_GAUSSIAN))).toBeNull();
    expect(mismatch(b.logProb, a.logProb, twice(POLICY_GAUSSIAN))).toBeNull();
  });

  for (const head of ['categorical', 'gaussian'] as const) {
    it(`${head}: one dispatch, recorded without submitting or reading back`, () => {
      const g = gpu as WebGpuBackend;
      const out = g.tensor([512, 3]);
      const logStd = head === 'gaussian' ? g.tensor([1, 3]) : null;
      const actions = g.tensor([512, head === 'gaussian' ? 3 : 1]);
      const logProb = g.tensor([512, 1]);
      const args = { head, out, logStd, seed: 1, actions, logProb };
      g.policySample({ ...args, counter: 0 }); // warm-up: the pipeline is built
      g.flush();
      const before = g.stats();
      g.policySample({ ...args, counter: 1 });
      const after = g.stats();
      for (const t of [out, logStd, actions, logProb]) t?.dispose();
      expect(after.dispatches - before.dispatches).toBe(1);
      expect(after.readbacks - before.readbacks).toBe(0);
      expect(after.submits - before.submits).toBe(0);
    });
  }
});

describe('policySample categorical when float32 rounding leaves the cumulative probability below u', () => {
  // 3000 equal logits and a last one of -200 (its probability underflows to 0 in float32): the
  // float32 cumulative sum of 3000 x float32(1/3000) ends at 0.99997, so a u above 0.99999 passes
  // every action and the op takes the last one with p > 0, index 2999. (In float64 the sum reaches
  // 1 - 1e-13 at index 2999: the same action by the plain rule.) The counter is searched for.
  const K = 3001;
  const logits = new Float32Array(K);
  logits[K - 1] = -200;
  let counter = 0;
  while (uniformFromBits(deviceRngBlock(1, 0, counter, DEVICE_RNG_STREAMS.act, new Uint32Array(4))[0]) <= 0.99999) counter++;

  it('the float32 sum really ends below u', () => {
    const p = Math.fround(1 / 3000);
    let cdf = 0;
    for (let a = 0; a < 3000; a++) cdf = Math.fround(cdf + p);
    expect(cdf).toBeLessThan(0.99999);
  });

  for (const [name, backend] of [['CPU float64', cpu64] as [string, Backend], ...FLOAT32]) {
    it(`takes the last action with a positive probability, ${name}`, async () => {
      const d = await sample(backend, 'categorical', logits, K, null, 1, counter, 1);
      expect(d.actions[0]).toBe(2999);
      expect(d.logProb[0]).toBeCloseTo(-Math.log(3000), 5);
    });
  }
});

describe('policySample argument checks', () => {
  const out = cpu.tensor([8, 3]);
  const logStd = cpu.tensor([1, 3]);
  const actions = cpu.tensor([8, 1]);
  const wide = cpu.tensor([8, 3]);
  const logProb = cpu.tensor([8, 1]);
  const base = { out, seed: 1, counter: 0, logProb };
  afterAll(() => {
    for (const t of [out, logStd, actions, wide, logProb]) t.dispose();
  });

  it('rejects an unknown head and a logStd that does not fit the head', () => {
    expect(() => cpu.policySample({ ...base, head: 'beta' as PolicyHead, logStd: null, actions })).toThrow(UnknownNameError);
    expect(() => cpu.policySample({ ...base, head: 'gaussian', logStd: null, actions: wide })).toThrow(/the gaussian head needs logStd, \(1, 3\)/);
    expect(() => cpu.policySample({ ...base, head: 'categorical', logStd, actions })).toThrow(/the categorical head takes no logStd/);
    const short = cpu.tensor([1, 2]);
    expect(() => cpu.policySample({ ...base, head: 'gaussian', logStd: short, actions: wide })).toThrow(/logStd \(1, 2\) must be \(1, 3\), one value per column of out \(8, 3\)/);
    short.dispose();
  });

  it('rejects actions and logProb of the wrong shape', () => {
    expect(() => cpu.policySample({ ...base, head: 'categorical', logStd: null, actions: wide })).toThrow(/actions \(8, 3\) must hold one value per row of out \(8, 3\)/);
    expect(() => cpu.policySample({ ...base, head: 'gaussian', logStd, actions })).toThrow(/actions \(8, 1\) and out \(8, 3\) must have the same shape/);
    const seven = cpu.tensor([7, 1]);
    expect(() => cpu.policySample({ ...base, head: 'categorical', logStd: null, actions, logProb: seven })).toThrow(ShapeError);
    seven.dispose();
  });

  it('rejects outputs that alias an input or each other', () => {
    expect(() => cpu.policySample({ ...base, head: 'gaussian', logStd, actions: out })).toThrow(/actions must not alias out/);
    expect(() => cpu.policySample({ ...base, head: 'gaussian', logStd, actions: wide, logProb: wide })).toThrow(ShapeError);
    expect(() => cpu.policySample({ ...base, head: 'gaussian', logStd, actions: wide, logProb: cpu.view(out, 0, [8, 1]) })).toThrow(/logProb must not alias out/);
    const flat = cpu.tensor([64 + 8]);
    const [a, lp] = [cpu.view(flat, 0, [8, 1]), cpu.view(flat, 0, [8, 1])];
    expect(() => cpu.policySample({ ...base, head: 'categorical', logStd: null, actions: a, logProb: lp })).toThrow(/logProb must not alias actions/);
    flat.dispose();
  });

  it('rejects a bad seed or counter, and disposed tensors', () => {
    const args = { ...base, head: 'categorical' as const, logStd: null, actions };
    expect(() => cpu.policySample({ ...args, seed: -1 })).toThrow(/policySample: seed must be a non-negative safe integer/);
    expect(() => cpu.policySample({ ...args, seed: 2 ** 53 })).toThrow(InvalidArgumentError);
    expect(() => cpu.policySample({ ...args, counter: 2 ** 32 })).toThrow(/policySample: counter must be an integer in \[0, 2\^32\)/);
    expect(() => cpu.policySample({ ...args, counter: 0.5 })).toThrow(InvalidArgumentError);
    const gone = cpu.tensor([8, 1]);
    gone.dispose();
    expect(() => cpu.policySample({ ...args, logProb: gone })).toThrow(/logProb .* was disposed/);
  });

  it('one kernel call on the CPU backend', () => {
    const before = cpu.stats().dispatches;
    cpu.policySample({ ...base, head: 'gaussian', logStd, actions: wide });
    expect(cpu.stats().dispatches - before).toBe(1);
  });
});
