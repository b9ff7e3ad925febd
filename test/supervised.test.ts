/** End-to-end supervised learning on the CPU backend: XOR, a 3-arm spiral, and seed determinism. */
import { describe, expect, it } from 'vitest';
import type { Backend, FloatArray } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/index.js';
import { Adam, Loss, mlp } from '../src/nn/index.js';
import { Rng } from '../src/random/rng.js';

interface XorRun {
  predictions: FloatArray;
  finalLoss: number;
  weights: FloatArray[];
}

/** A 2-16-1 tanh net fit to XOR with MSE and full-batch Adam. */
async function trainXor(backend: Backend, seed: number, steps = 400): Promise<XorRun> {
  const model = mlp(backend, [2, 16, 1], { hidden: 'tanh', output: 'identity', init: 'glorot_uniform', rng: new Rng(seed) });
  const adam = new Adam(backend, model.parameters(), { lr: 0.05 });
  const loss = new Loss(backend, 'mse');
  const x = backend.tensor([4, 2], [0, 0, 0, 1, 1, 0, 1, 1]);
  const y = backend.tensor([4, 1], [0, 1, 1, 0]);
  for (let step = 0; step < steps; step++) {
    adam.zeroGrad();
    loss.forward(model.forward(x), y);
    model.backward(loss.grad);
    adam.step();
  }
  const predictions = await backend.read(model.forward(x));
  loss.forward(model.forward(x), y, false);
  const result = { predictions, finalLoss: await loss.read(), weights: await model.getWeights() };
  model.dispose();
  adam.dispose();
  loss.dispose();
  x.dispose();
  y.dispose();
  return result;
}

/** The cs231n 3-arm spiral: `perClass` points per arm, radius 0..1, angle noise 0.2 (from rng). */
function spiral(rng: Rng, perClass: number, classes: number): { x: Float64Array; labels: number[] } {
  const x = new Float64Array(perClass * classes * 2);
  const labels: number[] = [];
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) {
      const r = i / (perClass - 1);
      const t = c * 4 + (4 * i) / (perClass - 1) + rng.normal(0, 0.2);
      const k = c * perClass + i;
      x[2 * k] = r * Math.sin(t);
      x[2 * k + 1] = r * Math.cos(t);
      labels.push(c);
    }
  }
  return { x, labels };
}

describe('supervised learning on the CPU backend', () => {
  it('a 2-16-1 tanh net learns XOR', async () => {
    const run = await trainXor(new CpuBackend(), 0);
    expect(run.finalLoss).toBeLessThan(1e-3);
    const [p00, p01, p10, p11] = Array.from(run.predictions);
    expect(p00).toBeLessThan(0.1);
    expect(p01).toBeGreaterThan(0.9);
    expect(p10).toBeGreaterThan(0.9);
    expect(p11).toBeLessThan(0.1);
  });

  it('the same seed gives bit-identical weights after training, twice; another seed does not', async () => {
    const a = await trainXor(new CpuBackend(), 123, 100);
    const b = await trainXor(new CpuBackend(), 123, 100);
    const c = await trainXor(new CpuBackend(), 124, 100);
    expect(a.weights.length).toBe(4);
    a.weights.forEach((w, i) => {
      // Compare the bits, not just the values.
      expect(Buffer.from(w.buffer).equals(Buffer.from(b.weights[i].buffer))).toBe(true);
    });
    expect(Buffer.from(a.weights[0].buffer).equals(Buffer.from(c.weights[0].buffer))).toBe(false);
  });

  it('an MLP with softmax cross-entropy classifies a 3-arm spiral to >= 95% training accuracy', async () => {
    const backend = new CpuBackend();
    const perClass = 100;
    const classes = 3;
    const data = spiral(new Rng(42), perClass, classes);
    const n = perClass * classes;
    const onehot = new Float64Array(n * classes);
    data.labels.forEach((label, i) => (onehot[i * classes + label] = 1));
    const x = backend.tensor([n, 2], data.x);
    const y = backend.tensor([n, classes], onehot);
    const model = mlp(backend, [2, 32, 32, classes], { hidden: 'relu', rng: new Rng(7) });
    const adam = new Adam(backend, model.parameters(), { lr: 0.01 });
    const loss = new Loss(backend, 'softmax_cross_entropy');
    const argmax = backend.tensor([n, 1]);
    const accuracy = async () => {
      backend.rowArgmax(model.forward(x), argmax);
      const predicted = await backend.read(argmax);
      return data.labels.filter((label, i) => predicted[i] === label).length / n;
    };
    const before = await accuracy();
    for (let step = 0; step < 1500; step++) {
      adam.zeroGrad();
      loss.forward(model.forward(x), y);
      model.backward(loss.grad);
      adam.step();
    }
    const after = await accuracy();
    expect(before).toBeLessThan(0.7);
    expect(after).toBeGreaterThanOrEqual(0.95);
    expect(await loss.read()).toBeLessThan(0.2);
  });
});
