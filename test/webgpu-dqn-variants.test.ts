/**
 * QR-DQN and Munchausen DQN agents on the real Dawn device against the same agents on the CPU
 * backend (float32): same seed, same minibatches, 40 updates each; the loss of every update and the
 * weights at the end must agree: td-loss.wgsl's quantile kernel and its Munchausen target against
 * src/backend/cpu/td-loss.ts inside whole updates (the wider quantile head, the target forward of
 * [s; s']). The losses alone are in the conformance table, case by case.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, FloatArray } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { Rng } from '../src/random/rng.js';
import { preset, type DqnConfig } from '../src/rl/config.js';
import { DqnAgent } from '../src/rl/dqn-agent.js';
import { ReplayBuffer, createMinibatch, type Minibatch } from '../src/rl/replay-buffer.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
afterAll(() => gpu?.destroy());

const OBS = 6;
const ACTIONS = 3;
const UPDATES = 40;

function minibatches(batchSize: number): Minibatch[] {
  const rng = new Rng(21);
  const replay = new ReplayBuffer(512, OBS);
  const s = new Float32Array(OBS);
  const next = new Float32Array(OBS);
  for (let i = 0; i < 512; i++) {
    rng.fillUniform(s, -1, 1);
    rng.fillUniform(next, -1, 1);
    replay.add(s, rng.integers(ACTIONS), rng.uniform(-1, 1), next, rng.random() < 0.1);
  }
  return Array.from({ length: UPDATES }, () => {
    const batch = createMinibatch(batchSize, OBS);
    replay.sample(rng, batch);
    return batch;
  });
}

async function train(backend: Backend, config: DqnConfig, batches: Minibatch[]): Promise<{ losses: number[]; weights: FloatArray[] }> {
  const agent = new DqnAgent(backend, config, OBS, ACTIONS, new Rng(5));
  const losses: number[] = [];
  for (const [i, batch] of batches.entries()) {
    agent.update(batch);
    if (i % 10 === 9) agent.syncTarget();
    losses.push(await agent.readLoss());
  }
  const weights = await agent.online.getWeights();
  agent.dispose();
  return { losses, weights };
}

const base: DqnConfig = { ...preset('acrobot'), hidden: [32, 32], batchSize: 64, lr: 1e-3 };
const VARIANTS: [string, DqnConfig][] = [
  ['QR-DQN (25 quantiles, 1-step, the acrobot preset)', base],
  ['QR-DQN with Double DQN', { ...base, quantiles: 8, doubleDqn: true }],
  ['Munchausen DQN', { ...base, quantiles: 1, munchausen: 0.9, munchausenTau: 0.03 }],
];

describe('DQN variants on WebGPU track the CPU backend update by update', needs('webgpu', gpu !== null), () => {
  it.each(VARIANTS)('%s', async (_name, config) => {
    const batches = minibatches(config.batchSize);
    const cpu = new CpuBackend();
    const onCpu = await train(cpu, config, batches);
    cpu.destroy();
    const onGpu = await train(gpu as Backend, config, batches);
    onGpu.losses.forEach((loss, i) => expect(Math.abs(loss - onCpu.losses[i]), `loss of update ${i + 1}`).toBeLessThan(1e-3 * Math.max(1, Math.abs(onCpu.losses[i]))));
    let worst = 0;
    onGpu.weights.forEach((w, k) => w.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - onCpu.weights[k][j])))));
    expect(worst).toBeLessThan(1e-3);
    // The agents learn: the loss moved over the updates.
    expect(onCpu.losses[0]).not.toBe(onCpu.losses[UPDATES - 1]);
  });
});
