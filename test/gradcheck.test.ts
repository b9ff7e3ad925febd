/**
 * Gradient checks by central finite differences, in float64 through the very same backend and nn
 * code (CpuBackend({ dtype: 'float64' })): every activation, every loss, Dense with every
 * activation, LayerNorm (alone and with each activation fused), 3-layer MLPs (with and without LayerNorm), and the fused
 * ops' gradients (tdLoss, ppoLoss). Relative error ||analytic - numeric|| / (||analytic|| + ||numeric||)
 * must stay below 1e-6.
 */
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, LOSSES, POLICY_HEADS, PPO_LOSS_STATS, type Backend, type LossKind, type Tensor } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/index.js';
import { Dense, LayerNorm, Loss, Sequential, mlp } from '../src/nn/index.js';
import { Rng } from '../src/random/rng.js';
import { refLogProb } from './support/reference-ops.js';
import { relativeError } from './support/relative-error.js';

const TOLERANCE = 1e-6;

/**
 * d f / d t by central differences: for each element, f(t + h) and f(t - h) with the element
 * perturbed in place, then restored. `f` must recompute everything from t.
 */
async function numericGradient(backend: Backend, t: Tensor, f: () => Promise<number>, h = 1e-6): Promise<Float64Array> {
  const values = Float64Array.from(await backend.read(t));
  const grad = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    backend.write(t, [v + h], i);
    const plus = await f();
    backend.write(t, [v - h], i);
    const minus = await f();
    backend.write(t, [v], i);
    grad[i] = (plus - minus) / (2 * h);
  }
  return grad;
}

/** Uniform values in [lo, hi) whose magnitude is at least `gap` (keeps ReLU kinks out of reach). */
function awayFromZero(rng: Rng, n: number, lo: number, hi: number, gap: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    do v = rng.uniform(lo, hi);
    while (Math.abs(v) < gap);
    out[i] = v;
  }
  return out;
}

async function readScalar(b: Backend, t: Tensor): Promise<number> {
  return (await b.read(t))[0];
}

describe('gradient check: activations (biasActivation / activationBackward)', () => {
  for (const activation of ACTIVATIONS) {
    it(activation, async () => {
      const b = new CpuBackend({ dtype: 'float64' });
      const rng = new Rng(11);
      const [rows, cols] = [4, 5];
      const bias = Float64Array.from({ length: cols }, () => rng.uniform(-0.5, 0.5));
      const z = awayFromZero(rng, rows * cols, -2.5, 2.5, 0.05);
      const x = b.tensor([rows, cols], z.map((v, i) => v - bias[i % cols]));
      const bT = b.tensor([1, cols], bias);
      const w = b.tensor([rows, cols], Float64Array.from({ length: rows * cols }, () => rng.uniform(-1, 1)));
      const y = b.tensor([rows, cols]);
      const dx = b.tensor([rows, cols]);
      const db = b.tensor([1, cols]);
      const wValues = await b.read(w);
      // L = sum(w * act(x + b))
      const f = async () => {
        b.biasActivation(x, bT, activation, y, 0.1);
        const yv = await b.read(y);
        let sum = 0;
        for (let i = 0; i < yv.length; i++) sum += yv[i] * wValues[i];
        return sum;
      };
      await f();
      b.activationBackward(activation, y, w, dx, 0.1);
      b.columnSum(dx, db);
      const errX = relativeError(await b.read(dx), await numericGradient(b, x, f), { norm: 'l2' });
      const errB = relativeError(await b.read(db), await numericGradient(b, bT, f), { norm: 'l2' });
      expect(errX).toBeLessThan(TOLERANCE);
      expect(errB).toBeLessThan(TOLERANCE);
    });
  }
});

/** Inputs for each loss, chosen away from non-differentiable points. */
function lossInputs(kind: LossKind, rng: Rng, rows: number, cols: number): { pred: Float64Array; target: Float64Array } {
  const n = rows * cols;
  switch (kind) {
    case 'mse':
      return { pred: Float64Array.from({ length: n }, () => rng.uniform(-2, 2)), target: Float64Array.from({ length: n }, () => rng.uniform(-2, 2)) };
    case 'huber': {
      // |pred - target| on both sides of delta = 1, never within 0.05 of it.
      const target = Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
      const d = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? rng.uniform(-0.9, 0.9) : (rng.random() < 0.5 ? -1 : 1) * rng.uniform(1.1, 3)));
      return { pred: target.map((t, i) => t + d[i]), target };
    }
    case 'softmax_cross_entropy': {
      const target = Float64Array.from({ length: n }, () => rng.uniform(0.05, 1));
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += target[r * cols + c];
        for (let c = 0; c < cols; c++) target[r * cols + c] /= s;
      }
      return { pred: Float64Array.from({ length: n }, () => rng.uniform(-3, 3)), target };
    }
    case 'cross_entropy': {
      const target = new Float64Array(n);
      for (let r = 0; r < rows; r++) target[r * cols + rng.integers(cols)] = 1;
      return { pred: Float64Array.from({ length: n }, () => rng.uniform(0.05, 1)), target };
    }
  }
}

describe('gradient check: losses', () => {
  for (const kind of LOSSES) {
    it(kind, async () => {
      const b = new CpuBackend({ dtype: 'float64' });
      const rng = new Rng(23);
      const [rows, cols] = [6, 3];
      const inputs = lossInputs(kind, rng, rows, cols);
      const pred = b.tensor([rows, cols], inputs.pred);
      const target = b.tensor([rows, cols], inputs.target);
      const loss = new Loss(b, kind);
      loss.forward(pred, target);
      const analytic = Float64Array.from(await b.read(loss.grad));
      const numeric = await numericGradient(b, pred, async () => {
        loss.forward(pred, target, false);
        return readScalar(b, loss.value);
      });
      expect(relativeError(analytic, numeric, { norm: 'l2' })).toBeLessThan(TOLERANCE);
      expect(Math.max(...analytic.map(Math.abs))).toBeGreaterThan(1e-3);
    });
  }
});

/** Checks every parameter of a model, and the input gradient, against finite differences. */
async function checkModel(b: Backend, model: Sequential, x: Tensor, target: Tensor, kind: LossKind): Promise<Record<string, number>> {
  const loss = new Loss(b, kind);
  const f = async () => {
    loss.forward(model.forward(x), target, false);
    return readScalar(b, loss.value);
  };
  model.zeroGrad();
  loss.forward(model.forward(x), target);
  const dx = model.backward(loss.grad, { inputGrad: true });
  expect(dx).not.toBeNull();
  const errors: Record<string, number> = { x: relativeError(await b.read(dx as Tensor), await numericGradient(b, x, f), { norm: 'l2' }) };
  for (const p of model.parameters()) {
    errors[p.name] = relativeError(await b.read(p.grad), await numericGradient(b, p.value, f), { norm: 'l2' });
  }
  return errors;
}

describe('gradient check: Dense', () => {
  for (const activation of ACTIVATIONS) {
    it(`Dense(3 -> 4, ${activation}) with MSE: dW, db, dx`, async () => {
      const b = new CpuBackend({ dtype: 'float64' });
      const rng = new Rng(5);
      const layer = new Dense(b, 3, 4, { activation, rng, init: 'glorot_uniform' });
      // Non-zero biases so the bias path is exercised with a generic value.
      b.write(layer.bias.value, [0.1, -0.2, 0.3, 0.05]);
      const x = b.tensor([5, 3], Float64Array.from({ length: 15 }, () => rng.uniform(-1, 1)));
      const target = b.tensor([5, 4], Float64Array.from({ length: 20 }, () => rng.uniform(-1, 1)));
      const errors = await checkModel(b, new Sequential(b, [layer]), x, target, 'mse');
      for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThan(TOLERANCE);
      expect(Object.keys(errors)).toEqual(['x', 'W1', 'b1']);
    });
  }
});

describe('gradient check: LayerNorm', () => {
  for (const width of [1, 3, 8]) {
    it(`LayerNorm(${width}) with MSE: dx, dgamma, dbeta`, async () => {
      const b = new CpuBackend({ dtype: 'float64' });
      const rng = new Rng(13 + width);
      const layer = new LayerNorm(b, width);
      // Generic gamma and beta, not the initial 1 and 0.
      b.write(layer.gamma.value, Float64Array.from({ length: width }, () => rng.uniform(-2, 2)));
      b.write(layer.beta.value, Float64Array.from({ length: width }, () => rng.uniform(-1, 1)));
      const x = b.tensor([5, width], Float64Array.from({ length: 5 * width }, () => rng.uniform(-2, 2)));
      const target = b.tensor([5, width], Float64Array.from({ length: 5 * width }, () => rng.uniform(-1, 1)));
      const errors = await checkModel(b, new Sequential(b, [layer]), x, target, 'mse');
      expect(Object.keys(errors)).toEqual(['x', 'gamma1', 'beta1']);
      // Width 1: y = beta whatever x and gamma, so dx and dgamma are exactly 0 (relativeError of two zero vectors is 0).
      for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThan(TOLERANCE);
    });
  }
});

describe('gradient check: LayerNorm with its activation fused (one op each way)', () => {
  for (const activation of ['relu', 'leaky_relu', 'tanh', 'sigmoid'] as const) {
    it(`LayerNorm(6, ${activation}) with MSE: dx, dgamma, dbeta through the activation's derivative`, async () => {
      const b = new CpuBackend({ dtype: 'float64' });
      const rng = new Rng(41);
      const layer = new LayerNorm(b, 6, { activation, alpha: 0.2 });
      b.write(layer.gamma.value, Float64Array.from({ length: 6 }, () => rng.uniform(-2, 2)));
      // beta spreads the outputs either side of 0, so ReLU's mask cuts some of them.
      b.write(layer.beta.value, Float64Array.from({ length: 6 }, () => rng.uniform(-1, 1)));
      const x = b.tensor([5, 6], Float64Array.from({ length: 30 }, () => rng.uniform(-2, 2)));
      const target = b.tensor([5, 6], Float64Array.from({ length: 30 }, () => rng.uniform(-1, 1)));
      // Keep ReLU's and LeakyReLU's kink out of the finite differences' reach (|pre-activation| > 1e-3).
      const y = await b.read(layer.forward(x));
      if (activation === 'relu') expect(Array.from(y).filter((v) => v > 0 && v < 1e-3)).toEqual([]);
      const errors = await checkModel(b, new Sequential(b, [layer]), x, target, 'mse');
      expect(Object.keys(errors)).toEqual(['x', 'gamma1', 'beta1']);
      for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThan(TOLERANCE);
      // ReLU zeroes some outputs and passes others: both sides of the mask are checked.
      if (activation === 'relu') expect(Array.from(y).some((v) => v === 0) && Array.from(y).some((v) => v > 0)).toBe(true);
    });
  }
});

describe('gradient check: 3-layer MLPs', () => {
  const configs: { hidden: string; output: string; loss: LossKind }[] = [
    { hidden: 'tanh', output: 'identity', loss: 'softmax_cross_entropy' },
    { hidden: 'relu', output: 'identity', loss: 'huber' },
    { hidden: 'leaky_relu', output: 'sigmoid', loss: 'mse' },
    { hidden: 'sigmoid', output: 'softmax', loss: 'cross_entropy' },
  ];
  for (const c of configs) {
    it(`4-6-5-3 ${c.hidden} hidden, ${c.output} output, ${c.loss}`, async () => {
      const b = new CpuBackend({ dtype: 'float64' });
      const rng = new Rng(7);
      const model = mlp(b, [4, 6, 5, 3], { hidden: c.hidden, output: c.output, rng });
      model.parameters().forEach((p) => {
        if (p.name.startsWith('b')) b.write(p.value, Float64Array.from({ length: p.value.size }, () => rng.uniform(-0.1, 0.1)));
      });
      const x = b.tensor([8, 4], Float64Array.from({ length: 32 }, () => rng.uniform(-1, 1)));
      const t = new Float64Array(24);
      if (c.loss === 'softmax_cross_entropy' || c.loss === 'cross_entropy') for (let r = 0; r < 8; r++) t[r * 3 + rng.integers(3)] = 1;
      else t.forEach((_, i) => (t[i] = rng.uniform(c.loss === 'huber' ? -3 : 0, c.loss === 'huber' ? 3 : 1)));
      const target = b.tensor([8, 3], t);
      const errors = await checkModel(b, model, x, target, c.loss);
      expect(Object.keys(errors)).toEqual(['x', 'W1', 'b1', 'W2', 'b2', 'W3', 'b3']);
      for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThan(TOLERANCE);
    });
  }
});

describe('gradient check: an MLP with LayerNorm (PQN)', () => {
  for (const hidden of ['tanh', 'relu'] as const) {
    it(`4-6-5-3 Dense, LayerNorm with ${hidden} fused per hidden layer, Huber`, async () => {
      const b = new CpuBackend({ dtype: 'float64' });
      const rng = new Rng(17);
      const model = mlp(b, [4, 6, 5, 3], { hidden, rng, layerNorm: true });
      // The fused path: each hidden LayerNorm carries the activation (no ActivationLayer).
      expect(model.layers.map((l) => l.description)).toEqual(['Dense(4 -> 6, identity)', `LayerNorm(6, ${hidden})`, 'Dense(6 -> 5, identity)', `LayerNorm(5, ${hidden})`, 'Dense(5 -> 3, identity)']);
      model.parameters().forEach((p) => {
        if (p.name.startsWith('b')) b.write(p.value, Float64Array.from({ length: p.value.size }, () => rng.uniform(-0.1, 0.1)));
        if (p.name.startsWith('gamma')) b.write(p.value, Float64Array.from({ length: p.value.size }, () => rng.uniform(0.5, 1.5)));
      });
      const x = b.tensor([8, 4], Float64Array.from({ length: 32 }, () => rng.uniform(-1, 1)));
      const target = b.tensor([8, 3], Float64Array.from({ length: 24 }, () => rng.uniform(-3, 3)));
      const errors = await checkModel(b, model, x, target, 'huber');
      expect(Object.keys(errors)).toEqual(['x', 'W1', 'b1', 'gamma2', 'beta2', 'W3', 'b3', 'gamma4', 'beta4', 'W5', 'b5']);
      for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThan(TOLERANCE);
    });
  }
});

describe('gradient check: DQN building blocks', () => {
  it('duelingCombine / duelingBackward', async () => {
    const b = new CpuBackend({ dtype: 'float64' });
    const rng = new Rng(31);
    const [rows, cols] = [5, 4];
    const value = b.tensor([rows, 1], Float64Array.from({ length: rows }, () => rng.uniform(-1, 1)));
    const adv = b.tensor([rows, cols], Float64Array.from({ length: rows * cols }, () => rng.uniform(-1, 1)));
    const w = b.tensor([rows, cols], Float64Array.from({ length: rows * cols }, () => rng.uniform(-1, 1)));
    const q = b.tensor([rows, cols]);
    const gv = b.tensor([rows, 1]);
    const ga = b.tensor([rows, cols]);
    const wValues = await b.read(w);
    const f = async () => {
      b.duelingCombine(value, adv, q);
      const qv = await b.read(q);
      let sum = 0;
      for (let i = 0; i < qv.length; i++) sum += qv[i] * wValues[i];
      return sum;
    };
    b.duelingBackward(w, gv, ga);
    expect(relativeError(await b.read(gv), await numericGradient(b, value, f), { norm: 'l2' })).toBeLessThan(TOLERANCE);
    expect(relativeError(await b.read(ga), await numericGradient(b, adv, f), { norm: 'l2' })).toBeLessThan(TOLERANCE);
  });

  it('Huber loss at the chosen actions: gatherColumns forward, scatterColumns backward', async () => {
    const b = new CpuBackend({ dtype: 'float64' });
    const rng = new Rng(37);
    const [rows, cols] = [6, 3];
    const q = b.tensor([rows, cols], Float64Array.from({ length: rows * cols }, () => rng.uniform(-2, 2)));
    const actions = b.tensor([rows, 1], Float64Array.from({ length: rows }, () => rng.integers(cols)));
    const target = b.tensor([rows, 1], Float64Array.from({ length: rows }, () => rng.uniform(-2, 2)));
    const chosen = b.tensor([rows, 1]);
    const dChosen = b.tensor([rows, 1]);
    const dq = b.tensor([rows, cols]);
    const loss = b.tensor([1, 1]);
    const f = async () => {
      b.gatherColumns(q, actions, chosen);
      b.loss('huber', chosen, target, loss, null);
      return readScalar(b, loss);
    };
    b.gatherColumns(q, actions, chosen);
    b.loss('huber', chosen, target, loss, dChosen);
    b.scatterColumns(dChosen, actions, dq);
    expect(relativeError(await b.read(dq), await numericGradient(b, q, f), { norm: 'l2' })).toBeLessThan(TOLERANCE);
  });

  for (const [quantiles, munchausen] of [
    [1, false],
    [5, false],
    [1, true],
  ] as const) {
    const what = quantiles > 1 ? ` with ${quantiles} quantiles per action (QR-DQN)` : munchausen ? ' with Munchausen targets' : '';
    it(`tdLoss${what}: gradQ is the derivative of the loss in Q(s, .)`, async () => {
      const b = new CpuBackend({ dtype: 'float64' });
      const rng = new Rng(41 + quantiles);
      const [rows, nActions] = [6, 3];
      const width = nActions * quantiles;
      const uniform = (n: number, lo: number, hi: number) => Float64Array.from({ length: n }, () => rng.uniform(lo, hi));
      const q = b.tensor([rows, width], uniform(rows * width, -2, 2));
      const lossOut = b.tensor([1, 1]);
      const gradQ = b.tensor([rows, width]);
      const args = {
        q,
        nextQ: b.tensor([munchausen ? 2 * rows : rows, width], uniform((munchausen ? 2 : 1) * rows * width, -2, 2)),
        actions: b.tensor([rows, 1], Float64Array.from({ length: rows }, () => rng.integers(nActions))),
        rewards: b.tensor([rows, 1], uniform(rows, -1, 1)),
        terminated: b.tensor([rows, 1], Float64Array.from({ length: rows }, (_, i) => i % 3 === 0 ? 1 : 0)),
        gamma: 0.9,
        double: false,
        loss: 'huber' as const,
        delta: 0.5,
        quantiles,
        munchausen: munchausen ? { alpha: 0.9, tau: 0.3, logPolicyFloor: -1 } : null,
        lossOut,
        gradQ,
      };
      b.tdLoss(args);
      const analytic = Float64Array.from(await b.read(gradQ));
      const numeric = await numericGradient(b, q, async () => {
        b.tdLoss(args);
        return readScalar(b, lossOut);
      });
      expect(relativeError(analytic, numeric, { norm: 'l2' })).toBeLessThan(TOLERANCE);
      expect(analytic.some((g) => g !== 0)).toBe(true);
    });
  }
});

describe('gradient check: ppoLoss (the loss stat against out, logStd and values)', () => {
  const LOSS_STAT = PPO_LOSS_STATS.indexOf('loss');
  for (const head of POLICY_HEADS) {
    for (const [normalizeAdvantages, valueClip] of [
      [false, 0],
      [true, 0.2],
    ] as const) {
      it(`${head}${normalizeAdvantages ? ', advantages normalised' : ''}${valueClip > 0 ? ', value clip' : ''}`, async () => {
        const b = new CpuBackend({ dtype: 'float64' });
        const rng = new Rng(head === 'gaussian' ? 61 : 67);
        const [rows, k] = [8, 3];
        const gaussian = head === 'gaussian';
        const uniform = (n: number, lo: number, hi: number) => Float64Array.from({ length: n }, () => rng.uniform(lo, hi));
        const outData = uniform(rows * k, -1.5, 1.5);
        const logStdData = uniform(k, -0.8, 0.3);
        const actionData = gaussian
          ? Float64Array.from(outData, (mu, e) => mu + Math.exp(logStdData[e % k]) * rng.uniform(-2, 2))
          : Float64Array.from({ length: rows }, () => rng.integers(k));
        // Ratios exp(d) with |d| in [0.05, 0.4]: half inside the clip range 1 +- 0.2, half beyond it,
        // none within a finite difference of its bounds (torch's kinks there).
        const logp = refLogProb(head, outData, logStdData, actionData, rows, k);
        const oldLogProb = Float64Array.from(logp, (l, i) => l - (i % 2 === 0 ? 1 : -1) * (i % 4 < 2 ? rng.uniform(0.05, 0.15) : rng.uniform(0.25, 0.4)));
        const oldValues = uniform(rows, -1, 1);
        // Value steps of 0.05 to 0.15 (inside the clip of 0.2) or 0.25 to 0.5 (beyond it).
        const values = Float64Array.from(oldValues, (v, i) => v + (i % 2 === 0 ? 1 : -1) * (i % 3 === 0 ? rng.uniform(0.25, 0.5) : rng.uniform(0.05, 0.15)));
        const out = b.tensor([rows, k], outData);
        const logStd = gaussian ? b.tensor([1, k], logStdData) : null;
        const valuesT = b.tensor([rows, 1], values);
        const stats = b.tensor([1, PPO_LOSS_STATS.length]);
        const gradOut = b.tensor([rows, k]);
        const gradLogStd = gaussian ? b.tensor([1, k]) : null;
        const gradValues = b.tensor([rows, 1]);
        const args = {
          head,
          out,
          logStd,
          actions: b.tensor(gaussian ? [rows, k] : [rows, 1], actionData),
          oldLogProb: b.tensor([rows, 1], oldLogProb),
          advantages: b.tensor([rows, 1], uniform(rows, -2, 2)),
          normalizeAdvantages,
          clipCoef: 0.2,
          entCoef: 0.05,
          values: valuesT,
          returns: b.tensor([rows, 1], uniform(rows, -1.5, 1.5)),
          oldValues: b.tensor([rows, 1], oldValues),
          valueClip,
          vfCoef: 0.5,
          gradOut,
          gradLogStd,
          gradValues,
          stats,
        };
        b.ppoLoss(args);
        const loss = async () => {
          b.ppoLoss(args);
          return (await b.read(stats))[LOSS_STAT];
        };
        const checked: [Float64Array, Float64Array][] = [];
        const wrt: [Tensor, Tensor][] = [
          [out, gradOut],
          [valuesT, gradValues],
        ];
        if (logStd !== null && gradLogStd !== null) wrt.push([logStd, gradLogStd]);
        for (const [t, grad] of wrt) checked.push([Float64Array.from(await b.read(grad)), await numericGradient(b, t, loss)]);
        for (const [analytic, numeric] of checked) {
          expect(relativeError(analytic, numeric, { norm: 'l2' })).toBeLessThan(TOLERANCE);
          expect(analytic.some((g) => g !== 0)).toBe(true);
        }
        b.destroy();
      });
    }
  }
});
