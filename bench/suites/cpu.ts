/**
 * CPU backend figures, for each kernel variant the runtime has (WASM relaxed-SIMD FMA, WASM
 * SIMD128, the TypeScript kernels): matmul GFLOP/s at 64^3, 256^3 and 1024^3 (the transpose cases
 * at 256^3 and 1024^3), and MLP training steps per second (forward + backward + Adam, batch 64,
 * MSE) for 4-64-64-2 and 4-256-256-2.
 */
import type { Backend, Tensor } from '../../src/backend/backend.js';
import { CpuBackend, availableCpuKernels, type CpuKernels } from '../../src/backend/cpu/index.js';
import { Adam, Loss, mlp } from '../../src/nn/index.js';
import { Rng } from '../../src/random/rng.js';
import { round, time } from '../harness.js';

function randomTensor(backend: Backend, rows: number, cols: number, rng: Rng): Tensor {
  const data = new Float32Array(rows * cols);
  rng.fillUniform(data, -1, 1);
  return backend.tensor([rows, cols], data);
}

async function matmulGflops(backend: Backend, n: number, transA: boolean, transB: boolean, rng: Rng): Promise<number> {
  const a = randomTensor(backend, n, n, rng);
  const b = randomTensor(backend, n, n, rng);
  const out = backend.tensor([n, n]);
  const options = { transA, transB };
  const timing = await time(() => backend.matmul(a, b, out, options), { warmup: n >= 1024 ? 1 : 3, repeats: n >= 1024 ? 3 : 5, minSeconds: n >= 1024 ? 1 : 0.3 });
  a.dispose();
  b.dispose();
  out.dispose();
  return (2 * n ** 3) / timing.medianSeconds / 1e9;
}

async function trainingStepsPerSecond(backend: Backend, sizes: number[], batch: number): Promise<number> {
  const rng = new Rng(0);
  const model = mlp(backend, sizes, { rng });
  const adam = new Adam(backend, model.parameters(), { lr: 1e-3 });
  const loss = new Loss(backend, 'mse');
  const x = randomTensor(backend, batch, sizes[0], rng);
  const y = randomTensor(backend, batch, sizes[sizes.length - 1], rng);
  const step = () => {
    adam.zeroGrad();
    loss.forward(model.forward(x), y);
    model.backward(loss.grad);
    adam.step();
  };
  const timing = await time(step, { warmup: 20, repeats: 5, minSeconds: 0.5 });
  model.dispose();
  adam.dispose();
  loss.dispose();
  x.dispose();
  y.dispose();
  return 1 / timing.medianSeconds;
}

async function variantFigures(kernels: CpuKernels): Promise<Record<string, unknown>> {
  const backend = new CpuBackend({ kernels });
  const rng = new Rng(1);
  const matmul: Record<string, number> = {};
  for (const n of [64, 256, 1024]) matmul[`${n}^3`] = round(await matmulGflops(backend, n, false, false, rng));
  const transposes: Record<string, number> = {};
  for (const n of [256, 1024]) {
    for (const [transA, transB, name] of [
      [true, false, 'a^T b'],
      [false, true, 'a b^T'],
      [true, true, 'a^T b^T'],
    ] as const) {
      transposes[`${name} ${n}^3`] = round(await matmulGflops(backend, n, transA, transB, rng));
    }
  }
  const training = {
    '4-64-64-2': round(await trainingStepsPerSecond(backend, [4, 64, 64, 2], 64)),
    '4-256-256-2': round(await trainingStepsPerSecond(backend, [4, 256, 256, 2], 64)),
  };
  const description = backend.kernelsDescription;
  backend.destroy();
  return {
    kernels: description,
    matmulGflops: matmul,
    matmulGflopsTransposed: transposes,
    trainingStepsPerSecond: { batch: 64, step: 'forward + backward + Adam (MSE)', ...training },
  };
}

export default async function cpuSuite(): Promise<Record<string, unknown>> {
  const variants = availableCpuKernels();
  const result: Record<string, unknown> = { dtype: 'float32' };
  for (const kernels of variants) {
    process.stderr.write(`bench: cpu ${kernels}\n`);
    result[kernels] = await variantFigures(kernels);
  }
  return result;
}
