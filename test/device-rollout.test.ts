/**
 * PQN's device rollout (src/rl/device-rollout.ts): T vector steps of forward, epsilonGreedy and
 * envStep into (T, N) rollout tensors, then the Q(lambda) returns, with no read back until the one
 * read of the rollout.
 * - On the CPU, the same bits as the ops run one by one on separate tensors (the views, the padded
 *   per-step blocks and the row-T-to-row-0 shift between rollouts are plumbing only), for N a
 *   multiple of 64 and not (1, 5, 32, 100: each step's block padded to 64 columns).
 * - CPU and WebGPU give the same trajectory bits with epsilon 1 (the actions come from the RNG
 *   alone), and the returns within float32 rounding of the forward passes.
 * - On WebGPU, the same bits as the ops run one by one there too (any N), the dispatches per vector
 *   step are pinned and a rollout reads back once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { initialEnvState } from '../src/backend/cpu/env-step.js';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { InvalidArgumentError } from '../src/errors.js';
import { Rng } from '../src/random/rng.js';
import { DeviceRollout, type DeviceRolloutConfig } from '../src/rl/device-rollout.js';
import { deviceRolloutLayout, paddedRow } from '../src/rl/device-rollout-layout.js';
import { QNetwork } from '../src/rl/q-network.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
const cpu = new CpuBackend();
afterAll(() => {
  cpu.destroy();
  gpu?.destroy();
});

const N = 64;
const T = 8;
const CONFIG: DeviceRolloutConfig = { env: 'CartPole-v1', numEnvs: N, numSteps: T, seed: 2 ** 33 + 5, gamma: 0.99, qLambda: 0.65, rewardScale: 0.5 };

function network(b: Backend): QNetwork {
  return new QNetwork(b, { obsDim: 4, nActions: 2, hidden: [16, 16], activation: 'relu', init: 'torch_default', dueling: false, quantiles: 1, layerNorm: true }, new Rng(9));
}

function epsilons(start: number): number[] {
  return Array.from({ length: T }, (_, t) => Math.max(0, start - 0.1 * t));
}

/**
 * Three rollouts of `config` on `b`, each against the same ops run one by one on separate (N-env)
 * tensors with a read of everything per step: the observations, actions and episodes equal bit for
 * bit; the returns within `returnsTolerance` (0: bit for bit) of the same qLambdaReturns over an
 * unpadded forward pass. Also the env state at the end.
 */
async function checkAgainstOneByOne(b: Backend, config: DeviceRolloutConfig, returnsTolerance: number): Promise<void> {
  const n = config.numEnvs;
  const net = network(b);
  const rollout = new DeviceRollout(b, config);
  const init = initialEnvState('CartPole-v1', config.seed, n, b.dtype);
  const state = b.tensor([7, n], init.state);
  const obs = b.tensor([n, 4], init.obs);
  const t1 = (shape: [number, number]) => b.tensor(shape);
  const [actions, finalObs, rewards, terminated, truncated, episodes] = [t1([n, 1]), t1([n, 4]), t1([n, 1]), t1([n, 1]), t1([n, 1]), t1([2, n])];
  const allFinal = t1([T * n, 4]);
  const [allR, allTerm, allTrunc, allG] = [t1([T, n]), t1([T, n]), t1([T, n]), t1([T, n])];
  for (let k = 0; k < 3; k++) {
    const eps = epsilons(1 - 0.3 * k);
    rollout.record(net, eps, 1000 + k * T);
    const got = await rollout.read();
    const want = { observations: [] as number[], actions: [] as number[], episodes: [] as number[] };
    const r: number[] = [];
    const term: number[] = [];
    const trunc: number[] = [];
    const fin: number[] = [];
    for (let t = 0; t < T; t++) {
      want.observations.push(...(await b.read(obs)));
      b.epsilonGreedy({ q: net.forward(obs), epsilon: eps[t], seed: config.seed, counter: 1000 + k * T + t, actions });
      b.envStep({ env: 'CartPole-v1', seed: config.seed, state, actions, obs, finalObs, rewards, terminated, truncated, episodes });
      want.actions.push(...(await b.read(actions)));
      want.episodes.push(...(await b.read(episodes)));
      r.push(...(await b.read(rewards)));
      term.push(...(await b.read(terminated)));
      trunc.push(...(await b.read(truncated)));
      fin.push(...(await b.read(finalObs)));
    }
    b.write(allFinal, fin);
    b.write(allR, r);
    b.scale(allR, config.rewardScale, allR);
    b.write(allTerm, term);
    b.write(allTrunc, trunc);
    b.qLambdaReturns({ rewards: allR, terminated: allTerm, truncated: allTrunc, nextQ: net.forward(allFinal), gamma: config.gamma, lambda: config.qLambda, returns: allG });
    expect([...got.observations]).toEqual(want.observations);
    expect([...got.actions]).toEqual(want.actions);
    expect([...got.episodes]).toEqual(want.episodes);
    const wantG = [...(await b.read(allG))];
    if (returnsTolerance === 0) expect([...got.returns]).toEqual(wantG);
    else wantG.forEach((g, i) => expect(Math.abs(got.returns[i] - g)).toBeLessThanOrEqual(returnsTolerance * Math.max(1, Math.abs(g))));
    // The padding columns' returns (Q of zero observations, zero rewards) are finite too: nothing there can trip a non-finite check.
    expect((await b.read(rollout.rows.returns)).every(Number.isFinite)).toBe(true);
  }
  expect([...(await rollout.getState())]).toEqual([...(await b.read(state))]);
  for (const t of [state, obs, actions, finalObs, rewards, terminated, truncated, episodes, allFinal, allR, allTerm, allTrunc, allG]) t.dispose();
  rollout.dispose();
  net.dispose();
}

/** Envs per rollout the tests run: a multiple of 64 (no padding) and others (each step's block padded to 64 columns). */
const ANY_N = [64, 1, 5, 32, 100];

describe('the device rollout layout', () => {
  it('starts every step at an aligned offset, maps transition t N + n to row t Np + n, and pads nothing for a multiple of 64', () => {
    for (const n of [...ANY_N, 128, 63, 65]) {
      const layout = deviceRolloutLayout(n, 3, 4);
      expect(layout.paddedEnvs % 64).toBe(0);
      expect(layout.paddedEnvs - n).toBeLessThan(64);
      expect(layout.paddedEnvs >= n).toBe(true);
      const { observations, actions, returns, episodes, tail } = layout.arena;
      expect(tail.offset % 64).toBe(0);
      expect(tail.offset).toBe(episodes.offset + episodes.count * episodes.stride);
      for (const blocks of [observations, actions, returns, episodes, layout.side.finalObservations, layout.side.scalars]) {
        for (let t = 0; t < blocks.count; t++) expect((blocks.offset + t * blocks.stride) % 64).toBe(0);
        expect(blocks.used).toBeLessThanOrEqual(blocks.stride);
      }
      expect(paddedRow(layout, 2 * n + n - 1)).toBe(2 * layout.paddedEnvs + n - 1);
      expect(paddedRow(layout, n)).toBe(layout.paddedEnvs);
    }
    expect(deviceRolloutLayout(64, 8, 4).arena.size).toBe(9 * 64 * 4 + 4 * 8 * 64 + 64);
  });
});

describe('the device rollout on the CPU', () => {
  it('gives the bits of the same ops run one by one, over three rollouts', async () => {
    await checkAgainstOneByOne(cpu, CONFIG, 0);
  });

  it.each(ANY_N.slice(1))('with %i envs (not a multiple of 64): the same bits as the ops run one by one', async (n) => {
    await checkAgainstOneByOne(cpu, { ...CONFIG, numEnvs: n }, 0);
  });

  it('continues exactly from a state written back (setState), and refuses what it cannot run', async () => {
    const net = network(cpu);
    const a = new DeviceRollout(cpu, CONFIG);
    a.record(net, epsilons(1), 0);
    await a.read();
    const saved = await a.getState();
    a.record(net, epsilons(0.5), T);
    const wanted = structuredClone(await a.read());
    const b = new DeviceRollout(cpu, CONFIG);
    b.setState(saved);
    b.record(net, epsilons(0.5), T);
    const got = await b.read();
    expect([...got.observations]).toEqual([...wanted.observations]);
    expect([...got.actions]).toEqual([...wanted.actions]);
    expect([...got.returns]).toEqual([...wanted.returns]);
    for (const x of [a, b, net]) x.dispose();
    expect(() => new DeviceRollout(cpu, { ...CONFIG, numEnvs: 0 })).toThrow(/numEnvs must be a positive integer, got 0/);
    expect(() => new DeviceRollout(cpu, { ...CONFIG, env: 'CartPolePoleDown-v1' })).toThrow(InvalidArgumentError);
  });
});

describe('the device rollout on WebGPU', needs('webgpu', gpu !== null), () => {
  it('gives the CPU trajectory bits with epsilon 1, and returns within float32 rounding', async () => {
    const g = gpu as WebGpuBackend;
    const c32 = new CpuBackend({ kernels: 'js' });
    const [netC, netG] = [network(c32), network(g)];
    netG.setWeights(await netC.getWeights());
    const [rc, rg] = [new DeviceRollout(c32, CONFIG), new DeviceRollout(g, CONFIG)];
    for (let k = 0; k < 3; k++) {
      const eps = Array.from({ length: T }, () => 1);
      rc.record(netC, eps, k * T);
      rg.record(netG, eps, k * T);
      const [a, b] = [await rc.read(), await rg.read()];
      expect([...b.observations]).toEqual([...a.observations]);
      expect([...b.actions]).toEqual([...a.actions]);
      expect([...b.episodes]).toEqual([...a.episodes]);
      let worst = 0;
      for (let i = 0; i < a.returns.length; i++) worst = Math.max(worst, Math.abs(a.returns[i] - b.returns[i]) / Math.max(1, Math.abs(a.returns[i])));
      expect(worst).toBeLessThan(1e-4);
    }
    for (const x of [rc, rg, netC, netG]) x.dispose();
    c32.destroy();
  });

  it.each(ANY_N)('with %i envs: the bits of the same ops run one by one on the device, over three rollouts', async (n) => {
    await checkAgainstOneByOne(gpu as WebGpuBackend, { ...CONFIG, numEnvs: n }, 0);
  });

  it('pins the dispatches per vector step and reads back once per rollout', async () => {
    const g = gpu as WebGpuBackend;
    const net = network(g);
    const rollout = new DeviceRollout(g, { ...CONFIG, rewardScale: 1 });
    rollout.record(net, epsilons(1), 0); // warm-up: pipelines built
    await rollout.read();
    const s0 = g.stats();
    rollout.record(net, epsilons(1), T);
    const s1 = g.stats();
    await rollout.read();
    const s2 = g.stats();
    // Per vector step: the forward (linear + layerNorm per hidden layer, the head's linear: 5),
    // epsilonGreedy 1, envStep 1. Per rollout: the shift copy 1, the forward of the final
    // observations 5, qLambdaReturns 1.
    const perStep = 5 + 1 + 1;
    expect(s1.dispatches - s0.dispatches).toBe(T * perStep + 1 + 5 + 1);
    expect(s1.readbacks - s0.readbacks).toBe(0);
    expect(s1.submits - s0.submits).toBe(0);
    expect(s2.readbacks - s1.readbacks).toBe(1);
    console.log(`device rollout on ${g.describe()}: ${perStep} dispatches per vector step, ${s1.dispatches - s0.dispatches} per rollout of ${T} steps, 1 read back, ${s2.submits - s1.submits} submit`);
    rollout.dispose();
    net.dispose();
  });
});
