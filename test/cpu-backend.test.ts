import { describe, expect, it } from 'vitest';
import { BACKEND_OPS, type Activation, type LossKind } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/index.js';
import { InvalidArgumentError, ShapeError, UnknownNameError } from '../src/errors.js';
import { OP_CASES, compareOutputs, uncoveredOps } from './support/op-cases.js';

describe('CpuBackend conformance (test/support/op-cases.ts)', () => {
  // The float32 variants run the table in conformance.test.ts; here it runs in float64, tightly.
  it('has a case for every op of BACKEND_OPS', () => {
    expect(uncoveredOps()).toEqual([]);
    expect(new Set(OP_CASES.map((c) => c.op)).size).toBe(BACKEND_OPS.length);
    expect(new Set(OP_CASES.map((c) => c.name)).size).toBe(OP_CASES.length);
  });
});

describe('CpuBackend conformance in float64', () => {
  const backend = new CpuBackend({ dtype: 'float64' });
  it('runs on the TypeScript kernels (the path of the gradient checks)', () => {
    expect(backend.kernels).toBe('js');
  });
  for (const c of OP_CASES.filter((x) => !x.big)) {
    it(c.name, async () => {
      const got = await c.run(backend);
      // Float64 storage: only summation order separates it from the reference.
      const tight = { ...c, tolerance: { abs: 1e-12, rel: 1e-12 } };
      expect(compareOutputs(tight, got, c.reference())).toBeNull();
    });
  }
});

describe("CpuBackend tdLoss: Double DQN's a' is the online network's argmax", () => {
  // Three rows, three actions. Online and target networks disagree on the best next action in every
  // row, so taking a' from the target network gives max_a Q_target(s', a), the plain DQN target.
  const Q_NOW = [[0.5, 0, 0], [0, 0, -1], [0, 1.5, 0]];
  /** Argmax 1, 2 and 0 (the first of a tie, as np.argmax and rowArgmax take it). */
  const Q_ONLINE_NEXT = [[0.25, 2, -1], [-3, -1, 0.5], [1, 1, 0]];
  /** Argmax 0, 1 and 2: never the online network's. */
  const Q_TARGET_NEXT = [[4, -2, 1], [1, 3, -0.5], [0.5, 0.25, 6]];
  const ACTIONS = [0, 2, 1];
  const REWARDS = [1, -0.5, 0.25];
  const GAMMA = 0.5;
  /** r + gamma Q_target(s', argmax_a Q_online(s', a)): 1 + 0.5 (-2), -0.5 + 0.5 (-0.5), 0.25 + 0.5 (0.5). */
  const DOUBLE_TARGETS = [0, -0.75, 0.5];
  /** r + gamma max_a Q_target(s', a): 1 + 0.5 (4), -0.5 + 0.5 (3), 0.25 + 0.5 (6). */
  const MAX_TARGETS = [3, 1, 3.25];

  async function tdTargets(backend: CpuBackend, double: boolean): Promise<{ targets: number[]; loss: number; gradQ: number[] }> {
    const q = backend.tensor([double ? 6 : 3, 3], (double ? [...Q_NOW, ...Q_ONLINE_NEXT] : Q_NOW).flat());
    const nextQ = backend.tensor([3, 3], Q_TARGET_NEXT.flat());
    const lossOut = backend.tensor([1, 1]);
    const gradQ = backend.tensor([3, 3]);
    const targets = backend.tensor([3, 1]);
    backend.tdLoss({
      q,
      nextQ,
      actions: backend.tensor([3, 1], ACTIONS),
      rewards: backend.tensor([3, 1], REWARDS),
      terminated: backend.tensor([3, 1], [0, 0, 0]),
      gamma: GAMMA,
      double,
      loss: 'mse',
      lossOut,
      gradQ,
      targets,
    });
    return { targets: Array.from(await backend.read(targets)), loss: (await backend.read(lossOut))[0], gradQ: Array.from(await backend.read(gradQ)) };
  }

  for (const kernels of ['auto', 'js'] as const) {
    it(`on the ${kernels === 'auto' ? 'default (WASM SIMD)' : 'TypeScript'} kernels: targets, loss and gradient against hand-computed values`, async () => {
      const backend = new CpuBackend({ kernels });
      // Node 20 has WebAssembly SIMD, so the default is the WASM kernels the CLI runs.
      expect(backend.kernels.startsWith('wasm')).toBe(kernels === 'auto');
      const double = await tdTargets(backend, true);
      expect(double.targets).toEqual(DOUBLE_TARGETS);
      // MSE: Q(s, a) - y = 0.5, -0.25, 1 gives (0.25 + 0.0625 + 1) / 3; d loss / d Q(s, a) = 2 (Q(s, a) - y) / 3.
      expect(double.loss).toBe(0.4375);
      expect(double.gradQ).toEqual(Array.from(Float32Array.from([1 / 3, 0, 0, 0, 0, -1 / 6, 0, 2 / 3, 0])));
      // The case tells the two apart: the max target is another one in every row.
      expect((await tdTargets(backend, false)).targets).toEqual(MAX_TARGETS);
      backend.destroy();
    });
  }
});

describe('CpuBackend storage', () => {
  it('creates zero-filled or initialised tensors of either rank', async () => {
    const b = new CpuBackend();
    const z = b.tensor([2, 3]);
    expect(z.shape).toEqual([2, 3]);
    expect([z.rows, z.cols, z.size]).toEqual([2, 3, 6]);
    expect(Array.from(await b.read(z))).toEqual([0, 0, 0, 0, 0, 0]);
    const v = b.tensor([4], [1, 2, 3, 4], 'v');
    expect([v.rows, v.cols, v.size, v.label]).toEqual([1, 4, 4, 'v']);
    expect(Array.from(await b.read(v))).toEqual([1, 2, 3, 4]);
  });

  it('writes at an offset, reads into dst, and read returns a copy', async () => {
    const b = new CpuBackend();
    const t = b.tensor([2, 3], [0, 1, 2, 3, 4, 5]);
    b.write(t, [10, 11], 3);
    const dst = new Float32Array(8).fill(-1);
    const same = await b.read(t, dst);
    expect(same).toBe(dst);
    expect(Array.from(dst)).toEqual([0, 1, 2, 10, 11, 5, -1, -1]);
    const copy = await b.read(t);
    copy[0] = 99;
    expect((await b.read(t))[0]).toBe(0);
  });

  it('rounds to float32 by default and keeps float64 with dtype float64', async () => {
    const f32 = new CpuBackend();
    const f64 = new CpuBackend({ dtype: 'float64' });
    expect(f32.dtype).toBe('float32');
    expect(f64.dtype).toBe('float64');
    const a = await f32.read(f32.tensor([1], [0.1]));
    const c = await f64.read(f64.tensor([1], [0.1]));
    expect(a).toBeInstanceOf(Float32Array);
    expect(c).toBeInstanceOf(Float64Array);
    expect(a[0]).toBe(Math.fround(0.1));
    expect(c[0]).toBe(0.1);
  });

  it('counts live tensors and bytes, disposes idempotently, and destroy releases everything', () => {
    const b = new CpuBackend();
    const t1 = b.tensor([3, 4]);
    const t2 = b.tensor([5]);
    expect(b.stats()).toEqual({ tensorsAlive: 2, bytesAlive: 4 * 17, dispatches: 0, submits: 0, readbacks: 0 });
    t1.dispose();
    t1.dispose();
    expect(t1.disposed).toBe(true);
    expect(b.stats()).toMatchObject({ tensorsAlive: 1, bytesAlive: 20 });
    expect(new CpuBackend({ dtype: 'float64' }).tensor([5]).size).toBe(5);
    b.destroy();
    expect(t2.disposed).toBe(true);
    expect(b.stats()).toMatchObject({ tensorsAlive: 0, bytesAlive: 0 });
    expect(() => b.tensor([1])).toThrow(/after destroy/);
  });

  it('flush and sync are no-ops that resolve', async () => {
    const b = new CpuBackend();
    b.flush();
    await expect(b.sync()).resolves.toBeUndefined();
  });
});

describe('CpuBackend errors', () => {
  const b = new CpuBackend();

  it('matmul shape mismatches name both shapes', () => {
    const a = b.tensor([32, 4]);
    const w = b.tensor([5, 64]);
    const out = b.tensor([32, 64]);
    expect(() => b.matmul(a, w, out)).toThrow(ShapeError);
    expect(() => b.matmul(a, w, out)).toThrow('matmul: a (32, 4) and b (5, 64) do not chain (k 4 != 5)');
    const w2 = b.tensor([4, 64]);
    expect(() => b.matmul(a, w2, b.tensor([32, 63]))).toThrow(/out \(32, 63\) must be \(32, 64\)/);
    expect(() => b.matmul(a, w2, out, { transA: true })).toThrow(/a\^T of \(32, 4\) and b \(4, 64\)/);
    const sq = b.tensor([4, 4]);
    expect(() => b.matmul(sq, sq, sq)).toThrow(InvalidArgumentError);
  });

  it('elementwise, bias, index and loss mismatches name both shapes', () => {
    expect(() => b.copy(b.tensor([3]), b.tensor([2, 2]))).toThrow(/src \(3,\) and dst \(2, 2\)/);
    expect(() => b.addMul(b.tensor([2]), b.tensor([2]), b.tensor([3]), b.tensor([2]))).toThrow(/a \(2,\) and c \(3,\)/);
    expect(() => b.biasActivation(b.tensor([4, 3]), b.tensor([1, 4]), 'relu', b.tensor([4, 3]))).toThrow(/bias \(1, 4\) must be \(1, 3\) for x \(4, 3\)/);
    expect(() => b.gatherColumns(b.tensor([4, 3]), b.tensor([3, 1]), b.tensor([4, 1]))).toThrow(/indices \(3, 1\).*x \(4, 3\)/);
    expect(() => b.loss('mse', b.tensor([4, 2]), b.tensor([4, 1]), b.tensor([1, 1]), null)).toThrow(/pred \(4, 2\) and target \(4, 1\)/);
    expect(() => b.columnSum(b.tensor([4, 3]), b.tensor([1, 4]))).toThrow(/out \(1, 4\) must be \(1, 3\) for x \(4, 3\)/);
    expect(() => b.tensor([2, 2], [1, 2, 3])).toThrow(/data of length 3 does not fit shape \(2, 2\)/);
    expect(() => b.write(b.tensor([3]), [1, 2], 2)).toThrow(/overflow/);
    expect(() => b.tensor([0, 3])).toThrow(ShapeError);
  });

  it('unknown activation and loss names list the valid ones', () => {
    const x = b.tensor([2, 2]);
    expect(() => b.biasActivation(x, null, 'gelu' as Activation, x)).toThrow(UnknownNameError);
    expect(() => b.biasActivation(x, null, 'gelu' as Activation, x)).toThrow(
      "unknown activation 'gelu'; valid: identity, relu, leaky_relu, tanh, sigmoid, softmax",
    );
    expect(() => b.loss('l1' as LossKind, x, x, b.tensor([1, 1]), null)).toThrow("unknown loss 'l1'; valid: mse, huber, softmax_cross_entropy, cross_entropy");
  });

  it('rejects disposed tensors, foreign tensors and bad indices', async () => {
    const t = b.tensor([2]);
    t.dispose();
    expect(() => b.fill(t, 1)).toThrow(/disposed/);
    await expect(b.read(t)).rejects.toThrow(/disposed/);
    const other = new CpuBackend().tensor([2]);
    expect(() => b.fill(other, 1)).toThrow(/does not belong/);
    const x = b.tensor([2, 3]);
    expect(() => b.gatherColumns(x, b.tensor([2, 1], [0, 3]), b.tensor([2, 1]))).toThrow(/index 3 in row 1/);
    expect(() => b.scatterColumns(b.tensor([2, 1]), b.tensor([2, 1], [0.5, 1]), x)).toThrow(/index 0.5 in row 0/);
    const hp = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, step: 0 };
    const p = b.tensor([2]);
    expect(() => b.adam(p, b.tensor([2]), b.tensor([2]), b.tensor([2]), hp)).toThrow(/step must be an integer >= 1/);
  });
});
