/**
 * ppoLoss beyond the conformance table (test/support/op-cases.ts runs its random minibatches on
 * every backend): the float64 reference (reference-ops.ts's refPpoLoss, written from the formulas
 * node by node as torch's autograd takes them) against the float64 CPU backend at 1e-12 and the
 * float32 ones at PPO_LOSS; two minibatches worked by hand; torch's ties (a ratio of exactly 1,
 * exactly 1 +- clipCoef, a value loss whose two sides are equal); tensors that are views of one
 * arena; the argument checks; one kernel call (one dispatch on WebGPU) per call. The
 * finite-difference check is in gradcheck.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PPO_LOSS_STATS, VIEW_ALIGNMENT, type Backend, type PpoLossOf, type Tensor } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { InvalidArgumentError, ShapeError, UnknownNameError } from '../src/errors.js';
import { OP_CASES, compareOutputs } from './support/op-cases.js';
import { Rng } from '../src/random/rng.js';
import { refLogProb, refPpoLoss, type PpoLossInputs, type PpoLossResult } from './support/reference-ops.js';
import { needs } from './support/requirements.js';
import { PPO_LOSS, mismatch, type Tolerance } from './support/tolerances.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
const cpu = new CpuBackend({ kernels: 'js' });
const cpu64 = new CpuBackend({ dtype: 'float64' });
afterAll(() => {
  gpu?.destroy();
  cpu.destroy();
  cpu64.destroy();
});

const FLOAT64: Tolerance = { abs: 1e-12, rel: 1e-12 };
const STAT = Object.fromEntries(PPO_LOSS_STATS.map((name, i) => [name, i])) as Record<(typeof PPO_LOSS_STATS)[number], number>;

/** The backends to run on, with the tolerance each is held to against float64. */
function backends(): [string, Backend, Tolerance][] {
  const list: [string, Backend, Tolerance][] = [
    ['CPU float64', cpu64, FLOAT64],
    ['CPU float32 (TypeScript)', cpu, PPO_LOSS],
  ];
  if (gpu !== null) list.push(['WebGPU', gpu, PPO_LOSS]);
  return list;
}

/** ppoLoss on `b` with the inputs `x` (fresh tensors, outputs filled with garbage first); returns what it wrote. */
async function ppoOn(b: Backend, x: PpoLossInputs): Promise<PpoLossResult> {
  const made: Tensor[] = [];
  const t = (shape: readonly [number, number], data: ArrayLike<number>): Tensor => {
    const tensor = b.tensor(shape, data);
    made.push(tensor);
    return tensor;
  };
  const garbage = (n: number) => Array.from({ length: n }, (_, i) => 7 + i);
  const gaussian = x.head === 'gaussian';
  const { batch: B, k } = x;
  try {
    const gradOut = t([B, k], garbage(B * k));
    const gradLogStd = gaussian ? t([1, k], garbage(k)) : null;
    const gradValues = t([B, 1], garbage(B));
    const stats = t([1, PPO_LOSS_STATS.length], garbage(PPO_LOSS_STATS.length));
    b.ppoLoss({
      head: x.head,
      out: t([B, k], x.out),
      logStd: x.logStd === null ? null : t([1, k], x.logStd),
      actions: t(gaussian ? [B, k] : [B, 1], x.actions),
      oldLogProb: t([B, 1], x.oldLogProb),
      advantages: t([B, 1], x.advantages),
      normalizeAdvantages: x.normalizeAdvantages,
      clipCoef: x.clipCoef,
      entCoef: x.entCoef,
      values: t([B, 1], x.values),
      returns: t([B, 1], x.returns),
      oldValues: t([B, 1], x.oldValues),
      valueClip: x.valueClip,
      vfCoef: x.vfCoef,
      gradOut,
      gradLogStd,
      gradValues,
      stats,
    });
    const read = async (tensor: Tensor) => Float64Array.from(await b.read(tensor));
    return { stats: await read(stats), gradOut: await read(gradOut), gradLogStd: gradLogStd === null ? null : await read(gradLogStd), gradValues: await read(gradValues) };
  } finally {
    for (const tensor of made) tensor.dispose();
  }
}

/** The first output of `got` outside `tol` of `want`, as a message, or null. */
function compare(got: PpoLossResult, want: PpoLossResult, tol: Tolerance): string | null {
  for (const key of ['stats', 'gradOut', 'gradLogStd', 'gradValues'] as const) {
    const g = got[key];
    const w = want[key];
    if (g === null || w === null) {
      if (g !== w) return `${key}: ${g === null ? 'missing' : 'unexpected'}`;
      continue;
    }
    const problem = mismatch(g, w, tol);
    if (problem !== null) return `${key} ${problem}`;
  }
  return null;
}

describe('ppoLoss against the float64 reference', () => {
  const ppoCases = OP_CASES.filter((c) => c.op === 'ppoLoss');

  it('the conformance table has categorical and gaussian cases, normalised or not, value clip on and off, B = 37 and 300', () => {
    const names = ppoCases.map((c) => c.name);
    for (const head of ['categorical', 'gaussian']) {
      for (const B of [37, 300]) {
        expect(names.filter((n) => n.startsWith(`ppoLoss ${head} B=${B} `))).toHaveLength(4);
      }
    }
    expect(names.some((n) => n.includes('normalised value clip'))).toBe(true);
  });

  for (const [name, backend, tolerance] of backends()) {
    it(`the table's minibatches on ${name}`, async () => {
      for (const c of ppoCases) expect(compareOutputs({ ...c, tolerance }, await c.run(backend), c.reference())).toBeNull();
    });
  }
});

const LN2 = Math.log(2);
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Categorical, B = 2, k = 2, both rows of equal logits (p = 1/2, logp = -ln 2, entropy ln 2, whose
 * gradient -p (log p + H) is then 0), no normalisation, clipCoef 0.2, entCoef 0.01, vfCoef 0.5,
 * valueClip 0.2.
 *   row 0: action 0, ratio 1, A = 2: both sides -2 (a tie inside the range: the whole gradient),
 *          d loss / d logp = -A r / B = -1, times d logp / d z = (1 - 1/2, -1/2): (-0.5, 0.5).
 *   row 1: action 1, ratio 2 (old logp -2 ln 2), A = -1: unclipped 2 > clipped 1.2, so
 *          d / d logp = -A r / B = 1, times (-1/2, 1/2): (-0.5, 0.5). Clipped (|2 - 1| > 0.2).
 *   policyLoss = (-2 + 2) / 2 = 0; approxKl = (0 + (2 - 1 - ln 2)) / 2; clipFraction 1/2.
 *   values (1, 0), returns (0, 0), old values (0.5, 0.5): row 0 unclipped 1 > clipped (0.7)^2,
 *   gradient 2 (v - R) = 2; row 1 unclipped 0 < clipped (0.3)^2 = 0.09, whose clamp (of -0.5) stops
 *   the gradient: valueLoss = 0.5 (1 + 0.09) / 2 = 0.2725, gradValues = 0.5 0.5 / 2 (2, 0) = (0.25, 0).
 *   loss = 0 - 0.01 ln 2 + 0.5 0.2725.
 */
const BY_HAND_CATEGORICAL: { inputs: PpoLossInputs; result: PpoLossResult } = {
  inputs: {
    head: 'categorical',
    batch: 2,
    k: 2,
    out: [0, 0, 0, 0],
    logStd: null,
    actions: [0, 1],
    oldLogProb: [-LN2, -2 * LN2],
    advantages: [2, -1],
    normalizeAdvantages: false,
    clipCoef: 0.2,
    entCoef: 0.01,
    values: [1, 0],
    returns: [0, 0],
    oldValues: [0.5, 0.5],
    valueClip: 0.2,
    vfCoef: 0.5,
  },
  result: {
    stats: Float64Array.of(0.5 * 0.2725 - 0.01 * LN2, 0, 0.2725, LN2, (1 - LN2) / 2, 0.5),
    gradOut: Float64Array.of(-0.5, 0.5, -0.5, 0.5),
    gradLogStd: null,
    gradValues: Float64Array.of(0.25, 0),
  },
};

/**
 * Gaussian, B = 2, k = 1, means 0, logStd 0 (sigma 1), actions (1, -1): z^2 = 1 in both rows, so
 * logp = -1/2 - ln(2 pi) / 2, the old log-probabilities, and both ratios are 1; A = (1, 1), not
 * normalised: policyLoss = -1, d loss / d logp = -A r / B = -1/2 each, d / d mean = -1/2 (a - mu)
 * = (-0.5, 0.5), d / d logStd = sum -1/2 (z^2 - 1) - entCoef = -0.01. Entropy 1/2 + ln(2 pi) / 2.
 * Values equal to returns: no value loss, no gradient. loss = -1 - 0.01 entropy.
 */
const BY_HAND_GAUSSIAN: { inputs: PpoLossInputs; result: PpoLossResult } = {
  inputs: {
    head: 'gaussian',
    batch: 2,
    k: 1,
    out: [0, 0],
    logStd: [0],
    actions: [1, -1],
    oldLogProb: [-0.5 - HALF_LOG_TWO_PI, -0.5 - HALF_LOG_TWO_PI],
    advantages: [1, 1],
    normalizeAdvantages: false,
    clipCoef: 0.2,
    entCoef: 0.01,
    values: [0.5, -0.25],
    returns: [0.5, -0.25],
    oldValues: [0, 0],
    valueClip: 0,
    vfCoef: 0.5,
  },
  result: {
    stats: Float64Array.of(-1 - 0.01 * (0.5 + HALF_LOG_TWO_PI), -1, 0, 0.5 + HALF_LOG_TWO_PI, 0, 0),
    gradOut: Float64Array.of(-0.5, 0.5),
    gradLogStd: Float64Array.of(-0.01),
    gradValues: Float64Array.of(0, 0),
  },
};

describe('ppoLoss by hand (B = 2)', () => {
  for (const [what, c] of [
    ['categorical', BY_HAND_CATEGORICAL],
    ['gaussian', BY_HAND_GAUSSIAN],
  ] as const) {
    it(`${what}: the reference gives the numbers worked out by hand`, () => {
      expect(compare(refPpoLoss(c.inputs), c.result, FLOAT64)).toBeNull();
    });
    for (const [name, backend, tolerance] of backends()) {
      it(`${what}: ${name}`, async () => {
        expect(compare(await ppoOn(backend, c.inputs), c.result, tolerance)).toBeNull();
      });
    }
  }
});

/** Categorical rows of four equal logits (p = 1/4, entropy ln 4 and no entropy gradient), A = `advantage`, with old log-probabilities logp - shift. */
function uniformRows(shift: number, advantage: number, clipCoef: number): PpoLossInputs {
  // logp as the float64 kernel computes it: 0 - (max 0 + log(sum of four exp(0))).
  const logp = 0 - (0 + Math.log(4));
  return {
    head: 'categorical',
    batch: 2,
    k: 4,
    out: new Array<number>(8).fill(0),
    logStd: null,
    actions: [1, 2],
    oldLogProb: [logp - shift, logp - shift],
    advantages: [advantage, advantage],
    normalizeAdvantages: false,
    clipCoef,
    entCoef: 0.01,
    values: [0, 0],
    returns: [0, 0],
    oldValues: [0, 0],
    valueClip: 0,
    vfCoef: 0.5,
  };
}

/** d loss / d out of uniformRows with every row's whole gradient through the ratio: -A r / B ([j == a] - 1/4). */
function wholePolicyGradient(x: PpoLossInputs, ratio: number): Float64Array {
  const g = (-x.advantages[0] * ratio) / x.batch;
  return Float64Array.from({ length: x.batch * x.k }, (_, e) => g * ((e % x.k === x.actions[Math.floor(e / x.k)] ? 1 : 0) - 0.25));
}

describe("ppoLoss at torch's ties", () => {
  it('a ratio of exactly 1 passes the whole gradient (max sends half to each equal side, clamp passes its half; float64 CPU, where the ratio is exact)', async () => {
    for (const advantage of [1.5, -1.5]) {
      const x = uniformRows(0, advantage, 0.2);
      const got = await ppoOn(cpu64, x);
      expect(got.stats[STAT.approxKl]).toBe(0);
      expect(mismatch(got.gradOut, wholePolicyGradient(x, 1), FLOAT64)).toBeNull();
      expect(compare(got, refPpoLoss(x), FLOAT64)).toBeNull();
    }
  });

  for (const [bound, shift] of [
    ['1 + clipCoef', 0.25],
    ['1 - clipCoef', -0.25],
  ] as const) {
    it(`a ratio of exactly ${bound} passes the whole gradient too (clamp includes its bounds)`, async () => {
      // logp - old is exactly `shift` (both in [1, 2) times a power of two), and 1 +- (exp(shift) - 1) gives exp(shift) back.
      const ratio = Math.exp(shift);
      const clipCoef = Math.abs(ratio - 1);
      expect(shift > 0 ? 1 + clipCoef : 1 - clipCoef).toBe(ratio);
      for (const advantage of [1.5, -1.5]) {
        const x = uniformRows(shift, advantage, clipCoef);
        const got = await ppoOn(cpu64, x);
        expect(got.stats[STAT.clipFraction]).toBe(0); // |ratio - 1| is not > clipCoef
        expect(mismatch(got.gradOut, wholePolicyGradient(x, ratio), FLOAT64)).toBeNull();
        expect(compare(got, refPpoLoss(x), FLOAT64)).toBeNull();
      }
    });
  }

  it('beyond the range, the clipped side alone wins by its sign of A: no gradient, or the whole', async () => {
    const shift = 0.5; // ratio e^0.5 = 1.65 > 1.2
    const clipped = await ppoOn(cpu64, uniformRows(shift, 1.5, 0.2)); // -A r < -A 1.2: the clipped side, constant
    expect(Array.from(clipped.gradOut).every((g) => Math.abs(g) < 1e-15)).toBe(true);
    const x = uniformRows(shift, -1.5, 0.2); // -A r > -A 1.2: the unclipped side
    expect(mismatch((await ppoOn(cpu64, x)).gradOut, wholePolicyGradient(x, Math.exp(shift)), FLOAT64)).toBeNull();
  });

  /**
   * Value rows with valueClip 1, vfCoef 0.5, B = 3 (gradValues = 0.5 0.5 / 3 d row / d v):
   *   v 3, old 0, R 2: unclipped (3 - 2)^2 = 1 equals clipped (0 + 1 - 2)^2 = 1; half the gradient to
   *     each side, the clipped side's stopped by the clamp (3 - 0 > 1): 1/2 2 (v - R) = 1.
   *   v 1, old 0, R 5: the step is exactly the clip: both sides 16, the clamp passes (bound
   *     included): the whole 2 (v - R) = -8.
   *   v 0.5, old 0, R 0: inside the clip both sides are equal: the whole 2 (v - R) = 1.
   * Exact in float32, so every backend must give these numbers.
   */
  const VALUE_TIES: PpoLossInputs = {
    ...uniformRows(0, 1, 0.2),
    batch: 3,
    out: new Array<number>(12).fill(0),
    actions: [0, 1, 2],
    oldLogProb: new Array<number>(3).fill(-Math.log(4)),
    advantages: [1, 1, 1],
    values: [3, 1, 0.5],
    returns: [2, 5, 0],
    oldValues: [0, 0, 0],
    valueClip: 1,
  };
  for (const [name, backend, tolerance] of backends()) {
    it(`a value loss whose two sides are equal splits its gradient half and half (${name})`, async () => {
      const got = await ppoOn(backend, VALUE_TIES);
      const scale = (0.5 * 0.5) / 3;
      expect(mismatch(got.gradValues, Float64Array.of(scale * 1, scale * -8, scale * 1), tolerance)).toBeNull();
      expect(mismatch([got.stats[STAT.valueLoss]], [(0.5 * (1 + 16 + 0.25)) / 3], tolerance)).toBeNull();
      expect(mismatch(got.gradValues, refPpoLoss(VALUE_TIES).gradValues, tolerance)).toBeNull();
    });
  }
});

/**
 * A gaussian minibatch (B = 200, k = 3) whose tensors are all views of one arena, as an agent's
 * minibatch buffers may be: on WebGPU the outputs then share a buffer with the inputs (the
 * dispatcher stages them) and the five packed inputs are copied from their offsets in it.
 */
describe('ppoLoss on views of one arena', () => {
  const rng = new Rng(23);
  const [B, k] = [200, 3];
  const uniform = (n: number, lo: number, hi: number) => Float64Array.from({ length: n }, () => Math.fround(rng.uniform(lo, hi)));
  const out = uniform(B * k, -1, 1);
  const logStd = uniform(k, -1, 0.3);
  const actions = Float64Array.from(out, (mu, e) => Math.fround(mu + Math.exp(logStd[e % k]) * rng.uniform(-2, 2)));
  // Ratios e^0.05 .. e^0.12 (inside 1 +- 0.2) or e^0.3 .. e^0.4 (beyond it), either way round.
  const logp = refLogProb('gaussian', out, logStd, actions, B, k);
  const oldLogProb = Float64Array.from(logp, (l, i) => Math.fround(l - (i % 2 === 0 ? 1 : -1) * (i % 3 === 0 ? rng.uniform(0.3, 0.4) : rng.uniform(0.05, 0.12))));
  const inputs: PpoLossInputs = {
    head: 'gaussian',
    batch: B,
    k,
    out,
    logStd,
    actions,
    oldLogProb,
    advantages: uniform(B, -2, 2),
    normalizeAdvantages: true,
    clipCoef: 0.2,
    entCoef: 0.01,
    values: uniform(B, -1, 1),
    returns: uniform(B, -1, 1),
    oldValues: uniform(B, -1, 1),
    valueClip: 0.2,
    vfCoef: 0.5,
  };
  const want = refPpoLoss(inputs);
  for (const [name, backend, tolerance] of backends()) {
    it(name, async () => {
      const arena = backend.tensor([1, 16 * 1024]);
      let offset = 0;
      const view = (shape: readonly [number, number], data: ArrayLike<number> | null): Tensor => {
        const t = backend.view(arena, offset, shape);
        offset += Math.ceil((shape[0] * shape[1]) / VIEW_ALIGNMENT) * VIEW_ALIGNMENT;
        if (data !== null) backend.write(t, data);
        return t;
      };
      const grads = { gradOut: view([B, k], null), gradLogStd: view([1, k], null), gradValues: view([B, 1], null), stats: view([1, PPO_LOSS_STATS.length], null) };
      backend.ppoLoss({
        ...inputs,
        out: view([B, k], out),
        logStd: view([1, k], logStd),
        actions: view([B, k], actions),
        oldLogProb: view([B, 1], oldLogProb),
        advantages: view([B, 1], inputs.advantages),
        values: view([B, 1], inputs.values),
        returns: view([B, 1], inputs.returns),
        oldValues: view([B, 1], inputs.oldValues),
        ...grads,
      });
      const read = async (t: Tensor) => Float64Array.from(await backend.read(t));
      const got = { stats: await read(grads.stats), gradOut: await read(grads.gradOut), gradLogStd: await read(grads.gradLogStd), gradValues: await read(grads.gradValues) };
      arena.dispose();
      expect(compare(got, want, tolerance)).toBeNull();
    });
  }
});

/** Valid ppoLoss arguments on `b` (B rows, k columns), zeros throughout. */
function zeroArgs(b: Backend, head: 'categorical' | 'gaussian', B: number, k: number): PpoLossOf<Tensor> {
  const gaussian = head === 'gaussian';
  return {
    head,
    out: b.tensor([B, k]),
    logStd: gaussian ? b.tensor([1, k]) : null,
    actions: b.tensor(gaussian ? [B, k] : [B, 1]),
    oldLogProb: b.tensor([B, 1]),
    advantages: b.tensor([B, 1]),
    normalizeAdvantages: true,
    clipCoef: 0.2,
    entCoef: 0.01,
    values: b.tensor([B, 1]),
    returns: b.tensor([B, 1]),
    oldValues: b.tensor([B, 1]),
    valueClip: 0.2,
    vfCoef: 0.5,
    gradOut: b.tensor([B, k]),
    gradLogStd: gaussian ? b.tensor([1, k]) : null,
    gradValues: b.tensor([B, 1]),
    stats: b.tensor([1, PPO_LOSS_STATS.length]),
  };
}

function disposeArgs(a: PpoLossOf<Tensor>): void {
  for (const t of [a.out, a.logStd, a.actions, a.oldLogProb, a.advantages, a.values, a.returns, a.oldValues, a.gradOut, a.gradLogStd, a.gradValues, a.stats]) t?.dispose();
}

describe('ppoLoss argument checks', () => {
  it('names the field and the shapes of a tensor of the wrong shape', () => {
    const a = zeroArgs(cpu, 'gaussian', 5, 3);
    const c = zeroArgs(cpu, 'categorical', 5, 4);
    const other = cpu.tensor([5, 2]);
    const row = cpu.tensor([1, 5]);
    expect(() => cpu.ppoLoss({ ...a, gradOut: other })).toThrow(ShapeError);
    expect(() => cpu.ppoLoss({ ...a, gradOut: other })).toThrow(/ppoLoss: gradOut \(5, 2\) must be \(5, 3\), the shape of out \(5, 3\)/);
    expect(() => cpu.ppoLoss({ ...a, logStd: other })).toThrow(/ppoLoss: logStd \(5, 2\) must be \(1, 3\), one value per column of out \(5, 3\)/);
    expect(() => cpu.ppoLoss({ ...a, actions: c.actions })).toThrow(/ppoLoss: actions \(5, 1\) must be \(5, 3\), an action vector per row of out \(5, 3\) \(gaussian head\)/);
    expect(() => cpu.ppoLoss({ ...c, actions: other })).toThrow(/ppoLoss: actions \(5, 2\) must be \(5, 1\), an action index per row of out \(5, 4\) \(categorical head\)/);
    expect(() => cpu.ppoLoss({ ...a, advantages: row })).toThrow(/ppoLoss: advantages \(1, 5\) must be \(5, 1\), one value per row of out \(5, 3\)/);
    expect(() => cpu.ppoLoss({ ...a, oldValues: row })).toThrow(/oldValues \(1, 5\)/);
    expect(() => cpu.ppoLoss({ ...a, gradValues: row })).toThrow(/gradValues \(1, 5\)/);
    expect(() => cpu.ppoLoss({ ...a, stats: row })).toThrow(/ppoLoss: stats \(1, 5\) must be \(1, 6\), one value per stat \(loss, policyLoss, valueLoss, entropy, approxKl, clipFraction\)/);
    for (const t of [other, row]) t.dispose();
    disposeArgs(a);
    disposeArgs(c);
  });

  it('needs logStd and gradLogStd for the gaussian head and refuses them for the categorical one', () => {
    const a = zeroArgs(cpu, 'gaussian', 4, 2);
    const c = zeroArgs(cpu, 'categorical', 4, 2);
    expect(() => cpu.ppoLoss({ ...a, logStd: null })).toThrow(/ppoLoss: logStd must be a \(1, 2\) tensor for the gaussian head, got null/);
    expect(() => cpu.ppoLoss({ ...a, gradLogStd: null })).toThrow(/ppoLoss: gradLogStd must be a \(1, 2\) tensor for the gaussian head, got null/);
    expect(() => cpu.ppoLoss({ ...c, logStd: a.logStd })).toThrow(/ppoLoss: logStd must be null for the categorical head/);
    expect(() => cpu.ppoLoss({ ...c, gradLogStd: a.gradLogStd })).toThrow(/ppoLoss: gradLogStd must be null for the categorical head/);
    expect(() => cpu.ppoLoss({ ...c, head: 'beta' as 'gaussian' })).toThrow(UnknownNameError);
    disposeArgs(a);
    disposeArgs(c);
  });

  it('needs two rows to normalise the advantages', () => {
    const a = zeroArgs(cpu, 'categorical', 1, 3);
    expect(() => cpu.ppoLoss(a)).toThrow(/ppoLoss: normalizeAdvantages needs at least 2 rows .* got out \(1, 3\)/);
    expect(() => cpu.ppoLoss({ ...a, normalizeAdvantages: false })).not.toThrow();
    disposeArgs(a);
  });

  it('checks the coefficients: clipCoef > 0, the others >= 0, all finite', () => {
    const a = zeroArgs(cpu, 'categorical', 3, 2);
    expect(() => cpu.ppoLoss({ ...a, clipCoef: 0 })).toThrow(/ppoLoss: clipCoef must be a finite number > 0, got 0/);
    expect(() => cpu.ppoLoss({ ...a, clipCoef: Infinity })).toThrow(InvalidArgumentError);
    expect(() => cpu.ppoLoss({ ...a, entCoef: -0.1 })).toThrow(/ppoLoss: entCoef must be a finite number >= 0, got -0.1/);
    expect(() => cpu.ppoLoss({ ...a, valueClip: Number.NaN })).toThrow(/ppoLoss: valueClip must be a finite number >= 0, got NaN/);
    expect(() => cpu.ppoLoss({ ...a, vfCoef: -1 })).toThrow(/ppoLoss: vfCoef must be/);
    expect(() => cpu.ppoLoss({ ...a, entCoef: 0, valueClip: 0, vfCoef: 0 })).not.toThrow();
    disposeArgs(a);
  });

  it('refuses outputs that share elements with an input or with each other', () => {
    const a = zeroArgs(cpu, 'gaussian', 4, 2);
    expect(() => cpu.ppoLoss({ ...a, gradOut: a.out })).toThrow(/ppoLoss: gradOut must not alias out/);
    expect(() => cpu.ppoLoss({ ...a, gradValues: a.values })).toThrow(/ppoLoss: gradValues must not alias values/);
    expect(() => cpu.ppoLoss({ ...a, gradLogStd: a.logStd })).toThrow(/ppoLoss: gradLogStd must not alias logStd/);
    expect(() => cpu.ppoLoss({ ...a, gradValues: a.oldLogProb })).toThrow(/ppoLoss: gradValues must not alias oldLogProb/);
    const arena = cpu.tensor([1, 128]);
    const statsView = cpu.view(arena, 0, [1, PPO_LOSS_STATS.length]);
    expect(() => cpu.ppoLoss({ ...a, stats: statsView, gradLogStd: cpu.view(arena, 0, [1, 2]) })).toThrow(/ppoLoss: gradLogStd must not alias stats/);
    arena.dispose();
    a.returns.dispose();
    expect(() => cpu.ppoLoss(a)).toThrow(/ppoLoss: returns .* was disposed/);
    disposeArgs(a);
  });
});

describe('ppoLoss reads its inputs when it is called', () => {
  // On WebGPU the five (B, 1) inputs are copied when the call is recorded: a write to one of them
  // before the recording is submitted must not reach the copy (the backend submits first).
  for (const [name, backend, tolerance] of backends()) {
    it(`a write to an input after the call leaves its result as it was (${name})`, async () => {
      const x = BY_HAND_CATEGORICAL.inputs;
      const a = zeroArgs(backend, 'categorical', x.batch, x.k);
      a.normalizeAdvantages = false;
      a.valueClip = x.valueClip;
      for (const key of ['out', 'actions', 'oldLogProb', 'advantages', 'values', 'returns', 'oldValues'] as const) backend.write(a[key], x[key]);
      backend.ppoLoss(a);
      for (const key of ['oldLogProb', 'advantages', 'values', 'returns', 'oldValues'] as const) backend.write(a[key], [100, -100]);
      expect(mismatch(await backend.read(a.stats), BY_HAND_CATEGORICAL.result.stats, tolerance)).toBeNull();
      expect(mismatch(await backend.read(a.gradValues), BY_HAND_CATEGORICAL.result.gradValues, tolerance)).toBeNull();
      disposeArgs(a);
    });
  }
});

describe('ppoLoss dispatches', () => {
  function dispatchesOf(b: Backend, head: 'categorical' | 'gaussian'): number {
    const a = zeroArgs(b, head, 100, 3);
    const before = b.stats().dispatches;
    b.ppoLoss(a);
    const count = b.stats().dispatches - before;
    disposeArgs(a);
    return count;
  }

  it('one kernel call on the CPU backend', () => {
    expect(dispatchesOf(cpu, 'categorical')).toBe(1);
    expect(dispatchesOf(cpu, 'gaussian')).toBe(1);
  });

  it('one dispatch on WebGPU (the five (B, 1) inputs packed by buffer copies, which are not dispatches)', needs('webgpu', gpu !== null), () => {
    expect(dispatchesOf(gpu as WebGpuBackend, 'categorical')).toBe(1);
    expect(dispatchesOf(gpu as WebGpuBackend, 'gaussian')).toBe(1);
  });
});
