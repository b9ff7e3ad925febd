/**
 * WebGPU backend figures: matmul GFLOP/s (64^3, 256^3, 1024^3), MLP training steps per second
 * (4-64-64-2 and 4-256-256-2, batch 64, forward + backward + Adam, one submission per step) beside
 * the CPU backend's, and the latency of one tiny submit + readback. Medians (bench/harness.ts).
 */
import type { Backend } from '../../src/backend/backend.js';
import { CpuBackend } from '../../src/backend/cpu/cpu-backend.js';
import { WebGpuBackend } from '../../src/backend/webgpu/index.js';
import { Adam, Loss, mlp } from '../../src/nn/index.js';
import { Rng } from '../../src/random/rng.js';
import { round, time } from '../harness.js';

async function matmulGflops(b: WebGpuBackend, n: number): Promise<number> {
  const rng = new Rng(n);
  const data = (): Float32Array => Float32Array.from({ length: n * n }, () => rng.uniform(-1, 1));
  const a = b.tensor([n, n], data());
  const w = b.tensor([n, n], data());
  const out = b.tensor([n, n]);
  // Several matmuls per submission so that the submit + wait overhead does not hide the kernel.
  const perCall = Math.max(1, Math.round(64 / (n / 64) ** 2));
  const t = await time(
    async () => {
      for (let i = 0; i < perCall; i++) b.matmul(a, w, out);
      await b.sync();
    },
    { warmup: 1, repeats: 3, minSeconds: 1 },
  );
  for (const x of [a, w, out]) x.dispose();
  return (2 * n ** 3 * perCall) / t.medianSeconds / 1e9;
}

/** Steps per second of forward + MSE + backward + Adam on a fixed batch of 64. */
async function trainingStepsPerSecond(backend: Backend, sizes: number[]): Promise<number> {
  const rng = new Rng(3);
  const rows = 64;
  const model = mlp(backend, sizes, { rng, hidden: 'relu' });
  const loss = new Loss(backend, 'mse');
  const optimizer = new Adam(backend, model.parameters(), { lr: 1e-3 });
  const x = backend.tensor([rows, sizes[0]], Float32Array.from({ length: rows * sizes[0] }, () => rng.uniform(-1, 1)));
  const y = backend.tensor([rows, sizes[sizes.length - 1]], Float32Array.from({ length: rows * sizes[sizes.length - 1] }, () => rng.uniform(-1, 1)));
  const stepsPerCall = 10;
  const t = await time(
    async () => {
      for (let i = 0; i < stepsPerCall; i++) {
        optimizer.zeroGrad();
        loss.forward(model.forward(x), y);
        model.backward(loss.grad);
        optimizer.step();
        backend.flush(); // one submission per step
      }
      await backend.sync();
    },
    { warmup: 1, repeats: 3, minSeconds: 1 },
  );
  model.dispose();
  loss.dispose();
  optimizer.dispose();
  x.dispose();
  y.dispose();
  return stepsPerCall / t.medianSeconds;
}

export default async function webgpuSuite(): Promise<Record<string, unknown>> {
  const b = await WebGpuBackend.create();
  try {
    const matmul: Record<string, number> = {};
    for (const n of [64, 256, 1024]) matmul[`${n}^3`] = round(await matmulGflops(b, n));

    const training: Record<string, unknown> = { cpuKernels: '' };
    const cpu = new CpuBackend();
    training.cpuKernels = cpu.kernelsDescription;
    for (const sizes of [
      [4, 64, 64, 2],
      [4, 256, 256, 2],
    ]) {
      const gpuRate = await trainingStepsPerSecond(b, sizes);
      const cpuRate = await trainingStepsPerSecond(cpu, sizes);
      training[sizes.join('-')] = { webgpuStepsPerSecond: round(gpuRate), cpuStepsPerSecond: round(cpuRate), webgpuOverCpu: round(gpuRate / cpuRate) };
    }
    cpu.destroy();

    const tiny = b.tensor([1, 4]);
    const dst = new Float32Array(4);
    const latency = await time(
      async () => {
        b.fill(tiny, 1);
        await b.read(tiny, dst);
      },
      { warmup: 20, repeats: 5, minSeconds: 0.5 },
    );
    tiny.dispose();
    return {
      adapter: b.adapterDescription,
      matmulGflops: matmul,
      trainingBatch64: training,
      tinySubmitReadbackMs: round(latency.medianSeconds * 1000),
    };
  } finally {
    b.destroy();
  }
}
