/**
 * Acting on the device (epsilonGreedy) beyond the conformance table's cases: the draws' frequencies,
 * the CPU (src/backend/cpu/acting.ts) and WebGPU (shaders/epsilon-greedy.wgsl) choices bit for bit
 * over many counters, one dispatch and no read back on
 * WebGPU, and the argument checks.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { InvalidArgumentError, ShapeError } from '../src/errors.js';
import { Rng } from '../src/random/rng.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
const cpu = new CpuBackend({ kernels: 'js' });
afterAll(() => {
  cpu.destroy();
  gpu?.destroy();
});

describe('epsilonGreedy', () => {
  it('explores with probability epsilon and picks each action equally often when it does; otherwise the first argmax', async () => {
    const n = 4096;
    const A = 3;
    // Q: action 2 best everywhere, so a greedy choice is 2 and any other action is an exploration.
    const qData = new Float32Array(n * A);
    for (let i = 0; i < n; i++) qData.set([0, 1, 5], i * A);
    const q = cpu.tensor([n, A], qData);
    const actions = cpu.tensor([n]);
    const counts = [0, 0, 0];
    const steps = 16;
    for (let c = 0; c < steps; c++) {
      cpu.epsilonGreedy({ q, epsilon: 0.3, seed: 5, counter: c, actions });
      for (const a of await cpu.read(actions)) counts[a]++;
    }
    const total = n * steps;
    // Explored share: epsilon, and 2/3 of those land on 0 or 1. Expected 0.1 each, 0.8 for action 2;
    // the standard error of each share is about sqrt(0.1 * 0.9 / 65536) = 0.0012.
    expect(Math.abs(counts[0] / total - 0.1)).toBeLessThan(0.006);
    expect(Math.abs(counts[1] / total - 0.1)).toBeLessThan(0.006);
    expect(Math.abs(counts[2] / total - 0.8)).toBeLessThan(0.006);
    // Epsilon 0: every env greedy. Epsilon 1: every env random (no argmax bias).
    cpu.epsilonGreedy({ q, epsilon: 0, seed: 5, counter: 99, actions });
    expect([...(await cpu.read(actions))].every((a) => a === 2)).toBe(true);
    cpu.epsilonGreedy({ q, epsilon: 1, seed: 5, counter: 99, actions });
    const random = await cpu.read(actions);
    const twos = random.filter((a) => a === 2).length;
    expect(Math.abs(twos / n - 1 / 3)).toBeLessThan(0.04);
    q.dispose();
    actions.dispose();
  });

  it('rejects bad arguments', () => {
    const q = cpu.tensor([8, 2]);
    const actions = cpu.tensor([8]);
    expect(() => cpu.epsilonGreedy({ q, epsilon: 0.1, seed: 1, counter: 0, actions: cpu.tensor([7]) })).toThrow(ShapeError);
    expect(() => cpu.epsilonGreedy({ q, epsilon: 1.5, seed: 1, counter: 0, actions })).toThrow(InvalidArgumentError);
    expect(() => cpu.epsilonGreedy({ q, epsilon: Number.NaN, seed: 1, counter: 0, actions })).toThrow(InvalidArgumentError);
    expect(() => cpu.epsilonGreedy({ q, epsilon: 0.1, seed: -1, counter: 0, actions })).toThrow(InvalidArgumentError);
    expect(() => cpu.epsilonGreedy({ q, epsilon: 0.1, seed: 1, counter: 2 ** 32, actions })).toThrow(InvalidArgumentError);
    expect(() => cpu.epsilonGreedy({ q, epsilon: 0.1, seed: 1, counter: 0.5, actions })).toThrow(InvalidArgumentError);
    expect(() => cpu.epsilonGreedy({ q, epsilon: 0.1, seed: 1, counter: 0, actions: cpu.view(q, 0, [8]) })).toThrow();
    q.dispose();
    actions.dispose();
  });
});

describe('epsilonGreedy on WebGPU', needs('webgpu', gpu !== null), () => {
  it('gives the CPU bits over 64 counters of 1000 envs (random Q, ties, a seed above 2^32)', async () => {
    const g = gpu as WebGpuBackend;
    const rng = new Rng(3);
    const n = 1000;
    const A = 4;
    const qData = Float32Array.from({ length: n * A }, (_, k) => (k % 7 === 0 ? 1 : rng.integers(3)));
    const [qc, qg] = [cpu.tensor([n, A], qData), g.tensor([n, A], qData)];
    const [ac, ag] = [cpu.tensor([n, 1]), g.tensor([n, 1])];
    let differing = 0;
    for (let c = 0; c < 64; c++) {
      const args = { epsilon: c / 63, seed: 2 ** 40 + 17, counter: 1000 * c };
      cpu.epsilonGreedy({ q: qc, actions: ac, ...args });
      g.epsilonGreedy({ q: qg, actions: ag, ...args });
      const [a, b] = [await cpu.read(ac), await g.read(ag)];
      for (let i = 0; i < n; i++) if (a[i] !== b[i]) differing++;
    }
    for (const t of [qc, qg, ac, ag]) t.dispose();
    expect(differing).toBe(0);
  });

  it('is one dispatch, records without submitting and reads nothing back', () => {
    const g = gpu as WebGpuBackend;
    const q = g.tensor([512, 2]);
    const actions = g.tensor([512, 1]);
    g.epsilonGreedy({ q, epsilon: 0.5, seed: 1, counter: 0, actions }); // warm-up: the pipeline is built
    g.flush();
    const before = g.stats();
    g.epsilonGreedy({ q, epsilon: 0.5, seed: 1, counter: 1, actions });
    const after = g.stats();
    q.dispose();
    actions.dispose();
    expect(after.dispatches - before.dispatches).toBe(1);
    expect(after.readbacks - before.readbacks).toBe(0);
    expect(after.submits - before.submits).toBe(0);
  });
});
