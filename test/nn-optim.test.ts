/** Adam and SGD against hand-computed update sequences; clipping; exact resume from getState/setState. */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/index.js';
import { InvalidArgumentError, ShapeError } from '../src/errors.js';
import { Adam, GradNormClipper, Sgd, mlp, type Parameter } from '../src/nn/index.js';
import { Rng } from '../src/random/rng.js';

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
