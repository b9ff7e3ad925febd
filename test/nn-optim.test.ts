/** Adam, RAdam and SGD against hand-computed update sequences; clipping; exact resume from getState/setState. */
import { describe, expect, it } from 'vitest';
import type { FloatArray } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/index.js';
import { InvalidArgumentError, ShapeError } from '../src/errors.js';
import { Adam, GradNormClipper, RAdam, Sgd, mlp, type Parameter } from '../src/nn/index.js';
import { Rng } from '../src/random/rng.js';
import { adamHyperParameters, refRAdam } from './support/reference-ops.js';
import { ADAM, mismatch } from './support/tolerances.js';

function scalarParam(b: CpuBackend, value: number): Parameter {
  return { name: 'p', value: b.tensor([1], [value]), grad: b.tensor([1]) };
}

async function value(b: CpuBackend, p: Parameter): Promise<number> {
  return (await b.read(p.value))[0];
}

describe('Adam', () => {
  it('follows a hand-computed sequence (lr 0.1, betas 0.9/0.999, eps 1e-8)', async () => {
    const b = new CpuBackend({ dtype: 'float64' });
    const p = scalarParam(b, 1);
    const adam = new Adam(b, [p], { lr: 0.1 });
    const grads = [0.5, -0.3, 0.1];
    // Step 1: m = 0.05, v = 0.00025, m_hat = 0.5, v_hat = 0.25: p = 1 - 0.1 * 0.5 / (0.5 + 1e-8).
    // Step 2: m = 0.9*0.05 - 0.1*0.3 = 0.015, v = 0.999*0.00025 + 0.001*0.09 = 0.00033975,
    //         m_hat = 0.015 / 0.19, v_hat = 0.00033975 / 0.001999.
    // Step 3: m = 0.9*0.015 + 0.1*0.1 = 0.0235, v = 0.999*0.00033975 + 0.001*0.01 = 0.00034941025,
    //         m_hat = 0.0235 / 0.271, v_hat = 0.00034941025 / 0.002997001.
    const expected = [
      1 - (0.1 * 0.5) / (0.5 + 1e-8),
      1 - (0.1 * 0.5) / (0.5 + 1e-8) - (0.1 * (0.015 / 0.19)) / (Math.sqrt(0.00033975 / 0.001999) + 1e-8),
    ];
    expected.push(expected[1] - (0.1 * (0.0235 / 0.271)) / (Math.sqrt(0.00034941025 / 0.002997001) + 1e-8));
    expect(expected[0]).toBeCloseTo(0.9, 7);
    expect(expected[1]).toBeCloseTo(0.880850, 5);
    for (let i = 0; i < 3; i++) {
      b.write(p.grad, [grads[i]]);
      adam.step();
      expect(await value(b, p)).toBeCloseTo(expected[i], 12);
    }
    expect(adam.stepCount).toBe(3);
  });

  it('applies L2 weight decay through the gradient and decoupled decay to the weight', async () => {
    const b = new CpuBackend({ dtype: 'float64' });
    const l2 = scalarParam(b, 2);
    const decoupled = scalarParam(b, 2);
    const adamL2 = new Adam(b, [l2], { lr: 0.01, weightDecay: 0.5 });
    const adamW = new Adam(b, [decoupled], { lr: 0.01, weightDecay: 0.5, decoupledWeightDecay: true });
    b.write(l2.grad, [0.2]);
    b.write(decoupled.grad, [0.2]);
    adamL2.step();
    adamW.step();
    // L2: g = 0.2 + 0.5 * 2 = 1.2; the first Adam step moves by lr * g / (|g| + eps).
    expect(await value(b, l2)).toBeCloseTo(2 - (0.01 * 1.2) / (1.2 + 1e-8), 12);
    // AdamW: p = 2 * (1 - 0.01 * 0.5) then the plain step with g = 0.2.
    expect(await value(b, decoupled)).toBeCloseTo(2 * (1 - 0.005) - (0.01 * 0.2) / (0.2 + 1e-8), 12);
  });

  it('resumes exactly from getState/setState', async () => {
    const run = async (split: boolean) => {
      const b = new CpuBackend();
      const model = mlp(b, [3, 8, 2], { rng: new Rng(3) });
      let adam = new Adam(b, model.parameters(), { lr: 0.01 });
      const x = b.tensor([4, 3], Float64Array.from({ length: 12 }, (_, i) => Math.sin(i)));
      const grad = b.tensor([4, 2], Float64Array.from({ length: 8 }, (_, i) => Math.cos(i)));
      for (let step = 0; step < 6; step++) {
        if (split && step === 3) {
          const state = await adam.getState();
          expect(state.step).toBe(3);
          expect(Object.keys(state.slots)).toEqual(['m', 'v']);
          adam.dispose();
          adam = new Adam(b, model.parameters(), { lr: 0.01 });
          adam.setState(state);
        }
        model.zeroGrad();
        model.forward(x);
        model.backward(grad);
        adam.step();
      }
      return model.getWeights();
    };
    const straight = await run(false);
    const resumed = await run(true);
    expect(resumed).toEqual(straight);
  });

  it('rejects bad hyper-parameters and mismatched states', async () => {
    const b = new CpuBackend();
    const p = scalarParam(b, 1);
    expect(() => new Adam(b, [p], { beta1: 1 })).toThrow(InvalidArgumentError);
    expect(() => new Adam(b, [p], { lr: -1 })).toThrow(/lr must be/);
    expect(() => new Adam(b, [])).toThrow(/no parameters/);
    const adam = new Adam(b, [p]);
    const state = await adam.getState();
    expect(() => adam.setState({ ...state, slots: { m: [new Float32Array(2)], v: [new Float32Array(1)] } })).toThrow(ShapeError);
    expect(() => adam.setState({ ...state, kind: 'sgd' })).toThrow(/cannot restore/);
  });
});

describe('RAdam', () => {
  // torch.optim.RAdam from its formula (torch/optim/radam.py), in float64 by hand (Python) for one
  // parameter p0 = 1, lr 0.1, betas 0.9/0.999, eps 1e-8 and these gradients: rho_t = 1, 2.0, 3.0,
  // 4.0, 5.0 (so p -= lr m_hat) for t = 1..5, then 5.994 and 6.992 (rectified) for t = 6, 7.
  const grads = [0.5, -0.3, 0.8, 0.1, -0.6, 0.4, 0.2];
  const torchValues = [0.95, 0.9421052631578947, 0.9076034181394445, 0.880226273620689, 0.8741861280808975, 0.8735021585392194, 0.8724879057612777];

  it("the float64 reference gives torch.optim.RAdam's values on a hand-computed sequence, either side of the rectification", () => {
    let p = [1];
    let m = [0];
    let v = [0];
    grads.forEach((g, i) => {
      const r = refRAdam(p, [g], m, v, adamHyperParameters(i + 1, { lr: 0.1 }));
      [p, m, v] = [[...r.param], [...r.m], [...r.v]];
      expect(p[0]).toBeCloseTo(torchValues[i], 14);
    });
  });

  it('follows the same sequence through the optimiser (float64 CPU backend)', async () => {
    const b = new CpuBackend({ dtype: 'float64' });
    const p = scalarParam(b, 1);
    const radam = new RAdam(b, [p], { lr: 0.1 });
    for (let i = 0; i < grads.length; i++) {
      b.write(p.grad, [grads[i]]);
      radam.step();
      expect(await value(b, p)).toBeCloseTo(torchValues[i], 12);
    }
    expect(radam.stepCount).toBe(grads.length);
    expect((await radam.getState()).kind).toBe('radam');
    b.destroy();
  });

  /**
   * A 2-8-1 MLP regressing y = x0 - 2 x1 for 10 RAdam steps (one op over its arena), each step's
   * gradients read back and fed to the float64 reference, which keeps its own parameters and
   * moments: in float64 they agree to rounding; in float32 (the WASM kernels, then the TypeScript
   * ones) each step is held to the conformance tolerance from the backend's own state.
   */
  for (const dtype of ['float64', 'float32 wasm', 'float32 js'] as const) {
    it(`trains a tiny regression and matches the float64 reference over 10 steps (${dtype})`, async () => {
      const b = dtype === 'float64' ? new CpuBackend({ dtype }) : new CpuBackend({ kernels: dtype === 'float32 js' ? 'js' : 'auto' });
      if (dtype === 'float32 wasm') expect(b.kernels).not.toBe('js');
      const model = mlp(b, [2, 8, 1], { rng: new Rng(5), hidden: 'tanh' });
      const radam = new RAdam(b, model.parameters(), { lr: 0.05 });
      expect(radam.fused).toBe(true);
      const rng = new Rng(9);
      const xs = Float64Array.from({ length: 16 * 2 }, () => rng.uniform(-1, 1));
      const x = b.tensor([16, 2], xs);
      const y = b.tensor([16, 1], Float64Array.from({ length: 16 }, (_, i) => xs[2 * i] - 2 * xs[2 * i + 1]));
      const lossOut = b.tensor([1, 1]);
      const gradPred = b.tensor([16, 1]);
      const flat = async (arrays: Promise<FloatArray[]>): Promise<number[]> => (await arrays).flatMap((a) => [...a]);
      let p = await flat(model.getWeights());
      let m = p.map(() => 0);
      let v = p.map(() => 0);
      const losses: number[] = [];
      for (let step = 1; step <= 10; step++) {
        model.zeroGrad();
        b.loss('mse', model.forward(x), y, lossOut, gradPred);
        model.backward(gradPred);
        losses.push((await b.read(lossOut))[0]);
        const g = await flat(Promise.all(model.parameters().map((q) => b.read(q.grad))));
        if (dtype !== 'float64') {
          // From the backend's own state: float32 rounding does not compound over the steps.
          const state = await radam.getState();
          p = await flat(model.getWeights());
          m = state.slots.m.flatMap((a) => [...a]);
          v = state.slots.v.flatMap((a) => [...a]);
        }
        const want = refRAdam(p, g, m, v, adamHyperParameters(step, { lr: 0.05 }));
        radam.step();
        const got = await flat(model.getWeights());
        if (dtype === 'float64') expect(mismatch(got, want.param, { abs: 1e-12, rel: 1e-12 }), `step ${step}`).toBeNull();
        else expect(mismatch(got, want.param, ADAM), `step ${step}`).toBeNull();
        [p, m, v] = [[...want.param], [...want.m], [...want.v]];
      }
      expect(losses[9]).toBeLessThan(losses[0]);
      b.destroy();
    });
  }

  it('rejects bad hyper-parameters, naming itself', () => {
    const b = new CpuBackend();
    const p = scalarParam(b, 1);
    expect(() => new RAdam(b, [p], { beta2: 1 })).toThrow(/radam: beta2/);
    const radam = new RAdam(b, [p]);
    expect(radam.lr).toBe(1e-3);
    expect([radam.beta1, radam.beta2, radam.eps]).toEqual([0.9, 0.999, 1e-8]);
    b.destroy();
  });
});

describe('SGD', () => {
  it('plain SGD: p -= lr g', async () => {
    const b = new CpuBackend({ dtype: 'float64' });
    const p = scalarParam(b, 1);
    const sgd = new Sgd(b, [p], { lr: 0.1 });
    b.write(p.grad, [0.5]);
    sgd.step();
    expect(await value(b, p)).toBeCloseTo(0.95, 14);
  });

  it('momentum with dampening: buffer = g on step 1, then momentum buf + (1 - dampening) g', async () => {
    const b = new CpuBackend({ dtype: 'float64' });
    const p = scalarParam(b, 1);
    const sgd = new Sgd(b, [p], { lr: 0.1, momentum: 0.9, dampening: 0.5 });
    const grads = [1, 2, -1];
    // buf: 1, 0.9 + 0.5 * 2 = 1.9, 1.71 - 0.5 = 1.21; p: 0.9, 0.71, 0.589.
    const expected = [0.9, 0.71, 0.589];
    for (let i = 0; i < 3; i++) {
      b.write(p.grad, [grads[i]]);
      sgd.step();
      expect(await value(b, p)).toBeCloseTo(expected[i], 12);
    }
  });

  it('Nesterov with weight decay', async () => {
    const b = new CpuBackend({ dtype: 'float64' });
    const p = scalarParam(b, 1);
    const sgd = new Sgd(b, [p], { lr: 0.1, momentum: 0.5, nesterov: true, weightDecay: 0.1 });
    // Step 1: g = 1 + 0.1 * 1 = 1.1, buf = 1.1, d = 1.1 + 0.5 * 1.1 = 1.65, p = 0.835.
    b.write(p.grad, [1]);
    sgd.step();
    expect(await value(b, p)).toBeCloseTo(0.835, 12);
    // Step 2: g = 1 + 0.0835 = 1.0835, buf = 0.55 + 1.0835 = 1.6335, d = 1.0835 + 0.81675 = 1.90025, p = 0.835 - 0.190025.
    sgd.step();
    expect(await value(b, p)).toBeCloseTo(0.644975, 12);
    expect(() => new Sgd(b, [p], { nesterov: true })).toThrow(/Nesterov/);
  });
});

describe('GradNormClipper', () => {
  it('scales gradients to the max norm across parameters, and leaves small ones alone', async () => {
    const b = new CpuBackend({ dtype: 'float64' });
    const p1: Parameter = { name: 'a', value: b.tensor([2]), grad: b.tensor([2], [3, 0]) };
    const p2: Parameter = { name: 'b', value: b.tensor([1]), grad: b.tensor([1], [4]) };
    const clipper = new GradNormClipper(b, [p1, p2], 1);
    clipper.clip();
    expect(await clipper.readNorm()).toBeCloseTo(5, 12);
    const scale = 1 / (5 + 1e-6);
    expect(Array.from(await b.read(p1.grad))).toEqual([3 * scale, 0]);
    expect(Array.from(await b.read(p2.grad))).toEqual([4 * scale]);
    clipper.maxNorm = 10;
    clipper.clip();
    expect(Array.from(await b.read(p2.grad))).toEqual([4 * scale]);
  });
});
