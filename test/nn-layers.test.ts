/** Initialisers, Dense and Sequential behaviour, weights I/O, target updates and error messages. */
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/index.js';
import { InvalidArgumentError, ShapeError, UnknownNameError } from '../src/errors.js';
import { PerformanceObserver } from 'node:perf_hooks';
import { ActivationLayer, Adam, Dense, GradNormClipper, LayerNorm, Loss, Sequential, initBias, initWeights, mlp } from '../src/nn/index.js';
import { ORTHOGONAL_GAIN } from '../src/nn/init.js';
import { Rng } from '../src/random/rng.js';
import { fileURLToPath } from 'node:url';
import { numpySkipReason, runNumpyReference } from './support/numpy-reference.js';
import { relativeError } from './support/relative-error.js';

describe('initialisers', () => {
  it('he_uniform and glorot_uniform stay within their bounds and fill them', () => {
    const he = initWeights('he_uniform', 64, 128, new Rng(1));
    const bound = Math.sqrt(6 / 64);
    expect(Math.max(...he)).toBeLessThan(bound);
    expect(Math.min(...he)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...he)).toBeGreaterThan(0.98 * bound);
    const gl = initWeights('glorot_uniform', 64, 128, new Rng(1));
    const gBound = Math.sqrt(6 / 192);
    expect(Math.max(...gl.map(Math.abs))).toBeLessThanOrEqual(gBound);
    expect(Math.max(...gl.map(Math.abs))).toBeGreaterThan(0.98 * gBound);
  });

  it("normal is numpy-rl-engine's randn(in, out) * 0.01, drawn in row-major order from the rng", () => {
    const w = initWeights('normal', 30, 40, new Rng(2));
    const rng = new Rng(2);
    expect(Array.from(w.slice(0, 5))).toEqual(Array.from({ length: 5 }, () => rng.standardNormal() * 0.01));
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    expect(std).toBeGreaterThan(0.0093);
    expect(std).toBeLessThan(0.0107);
  });

  it('unknown initialiser names list the valid ones', () => {
    expect(() => initWeights('xavier', 2, 2, new Rng(0))).toThrow("unknown initializer 'xavier'; valid: he_uniform, glorot_uniform, normal, torch_default, orthogonal");
  });

  /** W^T W (cols x cols) of a (rows, cols) row-major matrix, or W W^T when `rowsOf` is set. */
  function gram(w: Float64Array, rows: number, cols: number, rowsOf: boolean): number[][] {
    const n = rowsOf ? rows : cols;
    const at = (i: number, k: number): number => (rowsOf ? w[i * cols + k]! : w[k * cols + i]!);
    const len = rowsOf ? cols : rows;
    return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let k = 0; k < len; k++) s += at(i, k) * at(j, k);
      return s;
    }));
  }

  it.each([[64, 16], [16, 64], [8, 8], [256, 3]])('orthogonal (%i, %i): orthonormal columns (tall) or rows (wide) times sqrt(2), zero biases', (fanIn, fanOut) => {
    const w = initWeights('orthogonal', fanIn, fanOut, new Rng(5));
    const g = gram(w, fanIn, fanOut, fanIn < fanOut);
    let worst = 0;
    g.forEach((row, i) => row.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - (i === j ? ORTHOGONAL_GAIN ** 2 : 0))); }));
    expect(worst).toBeLessThan(1e-12);
    expect(Array.from(initWeights('orthogonal', fanIn, fanOut, new Rng(5)))).toEqual(Array.from(w));
    expect(initBias('orthogonal', fanIn, fanOut, new Rng(5))).toBeNull();
  });

  it("orthogonal with a gain (PPO's heads: 0.01, 1) is the same matrix scaled; other initialisers refuse a gain", () => {
    const unit = initWeights('orthogonal', 64, 2, new Rng(3), 1);
    const small = initWeights('orthogonal', 64, 2, new Rng(3), 0.01);
    const root2 = initWeights('orthogonal', 64, 2, new Rng(3));
    unit.forEach((v, i) => {
      expect(small[i]).toBeCloseTo(v * 0.01, 15);
      expect(root2[i]).toBeCloseTo(v * ORTHOGONAL_GAIN, 14);
    });
    const g = gram(unit, 64, 2, false);
    expect(Math.abs(g[0]![0]! - 1) + Math.abs(g[1]![1]! - 1) + Math.abs(g[0]![1]!)).toBeLessThan(1e-12);
    expect(() => initWeights('he_uniform', 4, 4, new Rng(0), 1)).toThrow('a gain applies to the orthogonal initializer only, not he_uniform');
    expect(() => initWeights('orthogonal', 4, 4, new Rng(0), 0)).toThrow('orthogonal gain must be a finite number > 0, got 0');
  });

  it.skipIf(numpySkipReason !== null)("orthogonal is torch's orthogonal_ (NumPy's QR with R's diagonal made positive) of the rng's standard normals", () => {
    const script = fileURLToPath(new URL('./support/orthogonal_reference.py', import.meta.url));
    const shapes = [[12, 5], [5, 12], [7, 7]] as const;
    const requests = shapes.map(([rows, cols]) => {
      const rng = new Rng(9);
      return { matrix: Array.from({ length: rows * cols }, () => rng.standardNormal()), rows, cols, gain: ORTHOGONAL_GAIN };
    });
    const expected = runNumpyReference<number[][]>(script, requests);
    shapes.forEach(([rows, cols], i) => expect(relativeError(initWeights('orthogonal', rows, cols, new Rng(9)), expected[i]!)).toBeLessThan(1e-12));
  });

  it("torch_default draws W then b from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as torch.nn.Linear", async () => {
    const b = new CpuBackend({ dtype: 'float64' });
    const layer = new Dense(b, 16, 8, { init: 'torch_default', rng: new Rng(3) });
    const rng = new Rng(3);
    const expectedW = Array.from({ length: 16 * 8 }, () => rng.uniform(-0.25, 0.25));
    const expectedB = Array.from({ length: 8 }, () => rng.uniform(-0.25, 0.25));
    expect(Array.from(await b.read(layer.weight.value))).toEqual(expectedW);
    expect(Array.from(await b.read(layer.bias.value))).toEqual(expectedB);
    expect(initBias('he_uniform', 16, 8, new Rng(3))).toBeNull();
  });
});

describe('Dense', () => {
  it('computes act(x W + b) with W (in, out), zero bias at start', async () => {
    const b = new CpuBackend({ dtype: 'float64' });
    const layer = new Dense(b, 2, 3, { activation: 'relu', rng: new Rng(0) });
    expect(layer.weight.value.shape).toEqual([2, 3]);
    expect(layer.bias.value.shape).toEqual([1, 3]);
    expect(Array.from(await b.read(layer.bias.value))).toEqual([0, 0, 0]);
    b.write(layer.weight.value, [1, -1, 2, 0.5, 1, -3]);
    b.write(layer.bias.value, [0.1, 0.2, 0.3]);
    const x = b.tensor([2, 2], [1, 2, -1, 1]);
    const y = await b.read(layer.forward(x));
    // row 0: [1 + 1, -1 + 2, 2 - 6] + b = [2.1, 1.2, -3.7] -> relu; row 1: [-0.5, 2, -5] + b -> [0, 2.2, 0]
    expect(Array.from(y).map((v) => Number(v.toFixed(12)))).toEqual([2.1, 1.2, 0, 0, 2.2, 0]);
  });

  it('reuses its output buffer per batch size', () => {
    const b = new CpuBackend();
    const layer = new Dense(b, 2, 3, { rng: new Rng(0) });
    const y1 = layer.forward(b.tensor([4, 2]));
    const y2 = layer.forward(b.tensor([4, 2]));
    const y3 = layer.forward(b.tensor([1, 2]));
    expect(y2).toBe(y1);
    expect(y3).not.toBe(y1);
    expect(y3.shape).toEqual([1, 3]);
  });

  it('names both shapes on a mismatched input and rejects bad names', () => {
    const b = new CpuBackend();
    const layer = new Dense(b, 4, 8, { rng: new Rng(0) });
    expect(() => layer.forward(b.tensor([5, 3]))).toThrow(ShapeError);
    expect(() => layer.forward(b.tensor([5, 3]))).toThrow('Dense(4 -> 8, identity): input (5, 3) does not match W (4, 8) (3 != 4 features)');
    expect(() => new Dense(b, 4, 8, { rng: new Rng(0), activation: 'swish' })).toThrow(UnknownNameError);
    expect(() => new Dense(b, 4, 8, { rng: new Rng(0), activation: 'swish' })).toThrow(/valid: identity, relu, leaky_relu, tanh, sigmoid, softmax/);
    expect(() => new Dense(b, 0, 8, { rng: new Rng(0) })).toThrow(InvalidArgumentError);
    expect(() => layer.backward(b.tensor([5, 8]), true)).toThrow(/backward before forward/);
  });
});

describe('Sequential and mlp', () => {
  it('names parameters W1, b1, ... with (in, out) weights', () => {
    const b = new CpuBackend();
    const model = mlp(b, [4, 64, 64, 2], { rng: new Rng(0) });
    expect(model.parameters().map((p) => `${p.name} ${p.value.shape.join('x')}`)).toEqual(['W1 4x64', 'b1 1x64', 'W2 64x64', 'b2 1x64', 'W3 64x2', 'b3 1x2']);
    expect(model.parameters()).toBe(model.parameters());
    expect(model.parameterCount()).toBe(4 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2);
  });

  it('accepts standalone activation layers like torch.nn.Sequential', async () => {
    const b = new CpuBackend({ dtype: 'float64' });
    const rng = new Rng(4);
    const fused = mlp(b, [3, 5, 2], { rng, hidden: 'tanh' });
    const split = new Sequential(b, [new Dense(b, 3, 5, { rng: new Rng(0) }), new ActivationLayer(b, 'tanh', 5), new Dense(b, 5, 2, { rng: new Rng(0) })]);
    split.setWeights(await fused.getWeights());
    const x = b.tensor([2, 3], [0.1, -0.2, 0.3, 0.4, 0.5, -0.6]);
    expect(await b.read(split.forward(x))).toEqual(await b.read(fused.forward(x)));
    const g = b.tensor([2, 2], [1, -1, 0.5, 2]);
    fused.zeroGrad();
    split.zeroGrad();
    fused.backward(g);
    split.backward(g);
    const gf = await Promise.all(fused.parameters().map((p) => b.read(p.grad)));
    const gs = await Promise.all(split.parameters().map((p) => b.read(p.grad)));
    expect(gs).toEqual(gf);
  });

  it('accumulates gradients until zeroGrad', async () => {
    const b = new CpuBackend({ dtype: 'float64' });
    const model = mlp(b, [2, 3, 1], { rng: new Rng(9), hidden: 'tanh' });
    const x = b.tensor([2, 2], [1, 2, 3, 4]);
    const g = b.tensor([2, 1], [1, 1]);
    model.zeroGrad();
    model.forward(x);
    model.backward(g);
    const once = await b.read(model.parameters()[0].grad);
    model.forward(x);
    model.backward(g);
    const twice = await b.read(model.parameters()[0].grad);
    expect(Array.from(twice)).toEqual(Array.from(once).map((v) => 2 * v));
    model.zeroGrad();
    expect(Array.from(await b.read(model.parameters()[0].grad)).every((v) => v === 0)).toBe(true);
  });

  it('backward with accumulate false overwrites the gradients: the same bits as zeroGrad then backward', async () => {
    const b = new CpuBackend();
    const model = mlp(b, [3, 5, 4, 2], { rng: new Rng(4), hidden: 'relu' });
    const x = b.tensor([6, 3], Array.from({ length: 18 }, (_, i) => Math.sin(i)));
    const g = b.tensor([6, 2], Array.from({ length: 12 }, (_, i) => Math.cos(i)));
    model.forward(x);
    model.zeroGrad();
    model.backward(g);
    const reference = await Promise.all(model.parameters().map((p) => b.read(p.grad)));
    // Leave stale gradients behind, then overwrite them.
    model.backward(g);
    model.backward(g, { accumulate: false });
    const overwritten = await Promise.all(model.parameters().map((p) => b.read(p.grad)));
    expect(overwritten).toEqual(reference);
  });

  it('getWeights/setWeights round-trip, with errors naming the layer and both shapes', async () => {
    const b = new CpuBackend();
    const a = mlp(b, [4, 8, 2], { rng: new Rng(1) });
    const c = mlp(b, [4, 8, 2], { rng: new Rng(2) });
    c.setWeights(await a.getWeights());
    expect(await c.getWeights()).toEqual(await a.getWeights());
    const weights = await a.getWeights();
    weights[2] = new Float32Array(15);
    expect(() => c.setWeights(weights)).toThrow('setWeights: W2 of layer 2 Dense(8 -> 2, identity) has shape (8, 2) (16 values), got 15 values (15,)');
    expect(() => c.setWeights(weights.slice(0, 3))).toThrow(/expected 4 arrays \(W1, b1, W2, b2\), got 3/);
  });

  it('copyFrom makes a hard copy and lerpFrom moves by tau', async () => {
    const b = new CpuBackend({ dtype: 'float64' });
    const online = mlp(b, [3, 4, 2], { rng: new Rng(1) });
    const target = mlp(b, [3, 4, 2], { rng: new Rng(2) });
    const before = await target.getWeights();
    const src = await online.getWeights();
    target.lerpFrom(online, 0.25);
    const after = await target.getWeights();
    after.forEach((w, i) => w.forEach((v, j) => expect(v).toBeCloseTo(before[i][j] + 0.25 * (src[i][j] - before[i][j]), 14)));
    target.copyFrom(online);
    expect(await target.getWeights()).toEqual(src);
    b.write(online.parameters()[0].value, [42], 0);
    expect((await target.getWeights())[0][0]).not.toBe(42);
    const other = mlp(b, [3, 5, 2], { rng: new Rng(2) });
    expect(() => target.copyFrom(other)).toThrow(/architectures differ: \[W1 \(3, 4\).*\] vs \[W1 \(3, 5\)/);
    expect(() => target.lerpFrom(online, 2)).toThrow(/tau must be in \[0, 1\]/);
  });

  it('releases every tensor on dispose', () => {
    const b = new CpuBackend();
    const model = mlp(b, [4, 16, 2], { rng: new Rng(0) });
    const loss = new Loss(b, 'mse');
    const x = b.tensor([8, 4]);
    const t = b.tensor([8, 2]);
    loss.forward(model.forward(x), t);
    model.backward(loss.grad, { inputGrad: true });
    model.dispose();
    loss.dispose();
    x.dispose();
    t.dispose();
    expect(b.stats()).toMatchObject({ tensorsAlive: 0, bytesAlive: 0 });
  });

  it('unknown loss names list the valid ones', () => {
    const b = new CpuBackend();
    expect(() => new Loss(b, 'nll')).toThrow("unknown loss 'nll'; valid: mse, huber, softmax_cross_entropy, cross_entropy");
    expect(() => mlp(b, [4, 8, 2], { rng: new Rng(0), hidden: 'gelu' })).toThrow(/unknown activation 'gelu'; valid:/);
    expect(b.stats().tensorsAlive).toBe(0);
  });
});

describe('LayerNorm', () => {
  /** Expected values of y = (x - mean) / sqrt(var + 1e-5) gamma + beta (biased variance), computed in float64 by hand from the formula, as torch.nn.LayerNorm(3) gives them. */
  const X = [1, 2, 4, -1, 0.5, 3];
  const GAMMA = [0.5, -1, 2];
  const BETA = [0.1, 0.2, -0.3];
  const DY = [1, 0, 0, 0.5, 1, -1];
  // Row 1: mean 7/3, var 14/9; row 2: mean 5/6, var 49/18 (rstd = 1 / sqrt(var + 1e-5)).
  const Y = [-0.43452076572514886, 0.46726038286257454, 2.372603828625744, -0.4555828790463038, 0.4020301378350196, 2.3263917918552544];
  // dx_i = sum_j dy_j gamma_j rstd (delta_ij - 1/3 - xhat_i xhat_j / 3); dgamma = sum_rows dy xhat; dbeta = sum_rows dy.
  const DX = [0.11454114585048407, -0.1718100006843098, 0.057268854833825725, 0.10050191425246685, -0.16079909230786427, 0.060297178055397305];
  const DGAMMA = [-1.6246244104966014, -0.20203013783501958, -1.313195895927627];
  const DBETA = [1.5, 1, -1];

  it('matches hand-computed torch values forward and backward (float64), gamma 1 and beta 0 at start', async () => {
    const b = new CpuBackend({ dtype: 'float64' });
    const ln = new LayerNorm(b, 3);
    expect(Array.from(await b.read(ln.gamma.value))).toEqual([1, 1, 1]);
    expect(Array.from(await b.read(ln.beta.value))).toEqual([0, 0, 0]);
    b.write(ln.gamma.value, GAMMA);
    b.write(ln.beta.value, BETA);
    const y = await b.read(ln.forward(b.tensor([2, 3], X)));
    Y.forEach((v, i) => expect(y[i]).toBeCloseTo(v, 13));
    const dx = await b.read(ln.backward(b.tensor([2, 3], DY), true, false) as Tensor);
    DX.forEach((v, i) => expect(dx[i]).toBeCloseTo(v, 13));
    const dgamma = await b.read(ln.gamma.grad);
    DGAMMA.forEach((v, i) => expect(dgamma[i]).toBeCloseTo(v, 13));
    expect(Array.from(await b.read(ln.beta.grad))).toEqual(DBETA);
    // Accumulating doubles the parameter gradients.
    ln.backward(b.tensor([2, 3], DY), false);
    expect(Array.from(await b.read(ln.beta.grad))).toEqual(DBETA.map((v) => 2 * v));
  });

  it('differentiates the first rows of a larger forward as if the others had a zero gradient', async () => {
    const b = new CpuBackend({ dtype: 'float64' });
    const ln = new LayerNorm(b, 3);
    const full = b.tensor([3, 3], [...X, 7, -2, 0.25]);
    ln.forward(full);
    ln.backward(b.tensor([2, 3], DY), true, false);
    expect(Array.from(await b.read(ln.beta.grad))).toEqual(DBETA);
    const padded = b.tensor([3, 3], [...DY, 0, 0, 0]);
    const dxFull = await b.read(ln.backward(padded, true, false) as Tensor);
    const gammaFull = await b.read(ln.gamma.grad);
    ln.backward(b.tensor([2, 3], DY), true, false);
    expect(Array.from(await b.read(ln.gamma.grad))).toEqual(Array.from(gammaFull));
    expect(dxFull.slice(6)).toEqual(Float64Array.of(0, 0, 0));
  });

  it('rejects a wrong width, a bad eps and backward before forward', () => {
    const b = new CpuBackend();
    expect(() => new LayerNorm(b, 0)).toThrow(InvalidArgumentError);
    expect(() => new LayerNorm(b, 3, { eps: 0 })).toThrow(/eps must be positive/);
    const ln = new LayerNorm(b, 3);
    expect(() => ln.backward(b.tensor([2, 3]), true)).toThrow(/backward before forward/);
    expect(() => ln.forward(b.tensor([2, 4]))).toThrow(ShapeError);
    expect(() => b.layerNorm({ x: b.tensor([2, 3]), gamma: b.tensor([1, 4]), beta: b.tensor([1, 3]), out: b.tensor([2, 3]), stats: b.tensor([2, 2]) })).toThrow(
      /layerNorm: gamma \(1, 4\) must be \(1, 3\)/,
    );
    const x = b.tensor([2, 3]);
    expect(() => b.layerNorm({ x, gamma: b.tensor([1, 3]), beta: b.tensor([1, 3]), out: x, stats: b.tensor([2, 2]) })).toThrow(/out must not alias x/);
    // The activation epilogue: elementwise only, and the backward needs the forward's output.
    expect(() => new LayerNorm(b, 3, { activation: 'softmax' })).toThrow(/softmax is not elementwise/);
    expect(() => new LayerNorm(b, 3, { activation: 'gelu' })).toThrow(UnknownNameError);
    const args = { x: b.tensor([2, 3]), gamma: b.tensor([1, 3]), beta: b.tensor([1, 3]), out: b.tensor([2, 3]), stats: b.tensor([2, 2]) };
    expect(() => b.layerNorm({ ...args, activation: 'softmax' })).toThrow(/layerNorm: softmax is not elementwise/);
    expect(() => b.layerNorm({ ...args, activation: 'leaky_relu', alpha: Number.NaN })).toThrow(/alpha must be a finite number/);
    const grads = { x: args.x, gamma: args.gamma, stats: args.stats, dy: b.tensor([2, 3]), dgamma: b.tensor([1, 3]), dbeta: b.tensor([1, 3]) };
    expect(() => b.layerNormBackward({ ...grads, activation: 'relu' })).toThrow(/layerNormBackward: activation relu needs y/);
    expect(() => b.layerNormBackward({ ...grads, activation: 'relu', y: b.tensor([3, 3]) })).toThrow(ShapeError);
    expect(() => b.layerNormBackward({ ...grads, activation: 'relu', y: args.out, dx: args.out })).toThrow(/dx must not alias y/);
  });

  it("mlp with layerNorm: Dense, LayerNorm with the activation fused per hidden layer, gamma and beta in the arena, and Adam moves them", async () => {
    const b = new CpuBackend();
    const model = mlp(b, [4, 8, 8, 2], { rng: new Rng(3), layerNorm: true });
    expect(model.layers.map((l) => l.description)).toEqual(['Dense(4 -> 8, identity)', 'LayerNorm(8, relu)', 'Dense(8 -> 8, identity)', 'LayerNorm(8, relu)', 'Dense(8 -> 2, identity)']);
    // Softmax is a row op: a LayerNorm, then the activation as its own layer; the weights are laid out the same.
    const softmax = mlp(b, [4, 8, 2], { rng: new Rng(3), layerNorm: true, hidden: 'softmax' });
    expect(softmax.layers.map((l) => l.description)).toEqual(['Dense(4 -> 8, identity)', 'LayerNorm(8)', 'Activation(softmax, 8)', 'Dense(8 -> 2, identity)']);
    expect(softmax.parameters().map((p) => p.name)).toEqual(['W1', 'b1', 'gamma2', 'beta2', 'W3', 'b3']);
    softmax.dispose();
    expect(model.parameters().map((p) => p.name)).toEqual(['W1', 'b1', 'gamma2', 'beta2', 'W3', 'b3', 'gamma4', 'beta4', 'W5', 'b5']);
    expect(model.arena).not.toBeNull();
    const adam = new Adam(b, model.parameters(), { lr: 1e-2 });
    const loss = new Loss(b, 'mse');
    const x = b.tensor([5, 4], Float64Array.from({ length: 20 }, (_, i) => Math.sin(i)));
    const y = b.tensor([5, 2], Float64Array.from({ length: 10 }, (_, i) => Math.cos(i)));
    adam.zeroGrad();
    loss.forward(model.forward(x), y);
    model.backward(loss.grad);
    adam.step();
    const [, , gamma2, beta2] = await model.getWeights();
    expect(Array.from(gamma2).some((v) => v !== 1)).toBe(true);
    expect(Array.from(beta2).some((v) => v !== 0)).toBe(true);
    model.dispose();
    adam.dispose();
  });
});

describe('steady state', () => {
  it('a training step creates no tensors after warm-up', () => {
    const b = new CpuBackend();
    const model = mlp(b, [4, 32, 2], { rng: new Rng(0) });
    const loss = new Loss(b, 'huber');
    const x = b.tensor([16, 4], Float64Array.from({ length: 64 }, (_, i) => Math.sin(i)));
    const y = b.tensor([16, 2]);
    const step = () => {
      model.zeroGrad();
      loss.forward(model.forward(x), y);
      model.backward(loss.grad);
    };
    step();
    const warm = b.stats();
    for (let i = 0; i < 5; i++) step();
    const now = b.stats();
    expect(now).toMatchObject({ tensorsAlive: warm.tensorsAlive, bytesAlive: warm.bytesAlive });
    // 7 kernels a step: one gradient fill over the parameter arena, two fused linear forwards, the
    // loss, then layer 2's dW and db (one op) and its input gradient fused with layer 1's ReLU
    // derivative, then layer 1's dW and db.
    expect(now.dispatches - warm.dispatches).toBe(5 * 7);
  });
});

describe('no garbage in the hot loop', () => {
  for (const layerNorm of [false, true]) {
    it(`forward + loss + backward + clipping + Adam triggers no garbage collection once warm${layerNorm ? ', with LayerNorm' : ''}`, async () => {
      const b = new CpuBackend();
      const model = mlp(b, [4, 32, 32, 2], { hidden: 'tanh', rng: new Rng(0), layerNorm });
      const adam = new Adam(b, model.parameters(), { lr: 1e-3 });
      const loss = new Loss(b, 'huber');
      const clipper = new GradNormClipper(b, model.parameters(), 1);
      const x = b.tensor([32, 4], Float64Array.from({ length: 128 }, (_, i) => Math.sin(i)));
      const y = b.tensor([32, 2], Float64Array.from({ length: 64 }, (_, i) => Math.cos(i)));
      const step = () => {
        adam.zeroGrad();
        loss.forward(model.forward(x), y);
        model.backward(loss.grad);
        clipper.clip();
        adam.step();
      };
      for (let i = 0; i < 500; i++) step();
      let collections = 0;
      const observer = new PerformanceObserver((list) => (collections += list.getEntries().length));
      observer.observe({ entryTypes: ['gc'] });
      await new Promise((resolve) => setTimeout(resolve, 20));
      collections = 0;
      // A per-element allocation (e.g. a boxed double per activation value) costs dozens of
      // scavenges over these steps; allocation-free code costs none. One is tolerated for noise.
      for (let i = 0; i < 3000; i++) step();
      await new Promise((resolve) => setTimeout(resolve, 20));
      observer.disconnect();
      expect(collections).toBeLessThanOrEqual(1);
    });
  }
});
