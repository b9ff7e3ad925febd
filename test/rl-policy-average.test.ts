/**
 * Policy averaging (config.policyAverageTau): the agent keeps an exponential moving average of
 * its online weights, updated after every update; the trainer evaluates, keeps and saves it; a
 * checkpoint carries it, and a resumed run continues it exactly.
 */
import { describe, expect, it } from 'vitest';
import type { FloatArray } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { decodeCheckpoint, encodeCheckpoint, type JsonValue } from '../src/io/checkpoint.js';
import { Rng } from '../src/random/rng.js';
import { preset, type DqnConfig } from '../src/rl/config.js';
import { DqnAgent } from '../src/rl/dqn-agent.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { createMinibatch } from '../src/rl/replay-buffer.js';
import { decodeTrainerCheckpoint, encodeTrainerCheckpoint } from '../src/rl/trainer-checkpoint.js';

const small = (overrides: Partial<DqnConfig>): DqnConfig => ({
  ...preset('default'),
  hidden: [16],
  batchSize: 8,
  learningStarts: 50,
  steps: 600,
  evalFreq: 0,
  ...overrides,
});

function batchOf(size: number, obsDim: number, seed: number) {
  const b = createMinibatch(size, obsDim);
  const rng = new Rng(seed);
  rng.fillUniform(b.observations, -1, 1);
  rng.fillUniform(b.nextObservations, -1, 1);
  for (let i = 0; i < size; i++) {
    b.actions[i] = i % 2;
    b.rewards[i] = rng.uniform(-1, 1);
    b.terminated[i] = i % 3 === 0 ? 1 : 0;
  }
  return b;
}

const copies = (weights: FloatArray[]) => weights.map((w) => Float64Array.from(w));

describe('policy averaging', () => {
  it('is off by default: the policy is the online network, and an update records no averaging op', async () => {
    const backend = new CpuBackend();
    const agent = new DqnAgent(backend, small({}), 4, 2, new Rng(1));
    expect(agent.averaged).toBeNull();
    expect(agent.policy).toBe(agent.online);
    const before = backend.stats().dispatches;
    agent.update(batchOf(8, 4, 2));
    const perUpdate = backend.stats().dispatches - before;
    agent.dispose();

    const averaging = new DqnAgent(backend, small({ policyAverageTau: 0.1 }), 4, 2, new Rng(1));
    const start = backend.stats().dispatches;
    averaging.update(batchOf(8, 4, 2));
    expect(backend.stats().dispatches - start).toBe(perUpdate + 1);
    averaging.dispose();
    backend.destroy();
  });

  it('moves the average by tau towards the online weights after every update (float64)', async () => {
    const tau = 0.25;
    const backend = new CpuBackend({ dtype: 'float64' });
    const agent = new DqnAgent(backend, small({ policyAverageTau: tau, lr: 1e-2 }), 4, 2, new Rng(1));
    expect(agent.policy).toBe(agent.averaged);
    // It starts as the online network.
    const ema = copies(await agent.online.getWeights());
    expect(await agent.policy.getWeights()).toEqual(ema);
    for (let step = 0; step < 6; step++) {
      agent.update(batchOf(8, 4, 10 + step));
      const online = await agent.online.getWeights();
      ema.forEach((w, k) => w.forEach((x, j) => (w[j] = x + tau * (online[k][j] - x))));
      const averaged = await agent.policy.getWeights();
      averaged.forEach((w, k) => w.forEach((x, j) => expect(x).toBeCloseTo(ema[k][j], 12)));
      // ... and lags behind the online weights, which it never equals once they move.
      expect(averaged).not.toEqual(online);
    }
    agent.dispose();
    backend.destroy();
  });

  it('is what the trainer evaluates and keeps, and starts from loaded weights like the online and target networks', async () => {
    const backend = new CpuBackend();
    const trainer = new DqnTrainer(backend, small({ policyAverageTau: 0.01, steps: 400, evalFreq: 400, evalEpisodes: 2 }), 3);
    await trainer.run();
    // One evaluation, at the end: the first is always kept, and it is the average's.
    expect(trainer.bestSteps).toBe(400);
    expect(trainer.bestWeights).toEqual(await trainer.agent.policy.getWeights());
    expect(trainer.bestWeights).not.toEqual(await trainer.agent.online.getWeights());
    expect(await trainer.finalWeights()).toEqual(trainer.bestWeights);

    const loaded = (await trainer.agent.online.getWeights()).map((w) => w.map((_, j) => j / 100));
    trainer.agent.loadWeights(loaded);
    for (const net of [trainer.agent.online, trainer.agent.target, trainer.agent.policy]) expect(await net.getWeights()).toEqual(loaded);
    trainer.dispose();
    backend.destroy();
  });

  it('resumes exactly from a checkpoint file, average included', async () => {
    const backend = new CpuBackend();
    const config = small({ policyAverageTau: 0.02 });
    const straight = new DqnTrainer(backend, config, 7);
    await straight.run();
    const reference = { online: await straight.agent.online.getWeights(), averaged: await straight.agent.policy.getWeights() };

    const first = new DqnTrainer(backend, config, 7);
    await first.run(250);
    const file = encodeTrainerCheckpoint(await first.getState(), { preset: 'default' });
    const { state } = decodeTrainerCheckpoint(file, 'c.zip');
    expect(state.averaged).toEqual(await first.agent.policy.getWeights());
    const resumed = new DqnTrainer(backend, config, 7);
    resumed.restore(state);
    await resumed.run();
    expect(await resumed.agent.online.getWeights()).toEqual(reference.online);
    expect(await resumed.agent.policy.getWeights()).toEqual(reference.averaged);
    for (const t of [straight, first, resumed]) t.dispose();
    backend.destroy();
  });

  it("refuses a checkpoint whose average does not match its config, and reads older checkpoints (no policyAverageTau) with averaging off", async () => {
    const backend = new CpuBackend();
    const trainer = new DqnTrainer(backend, small({ policyAverageTau: 0.02 }), 7);
    await trainer.run(100);
    const file = decodeCheckpoint(encodeTrainerCheckpoint(await trainer.getState(), { preset: 'default' }), 'c.zip');
    trainer.dispose();
    const meta = file.meta as Record<string, JsonValue>;
    const withoutAverage = Object.fromEntries([...file.arrays].filter(([name]) => !name.startsWith('averaged/')));
    const missing = encodeCheckpoint({ arrays: withoutAverage, meta: { ...meta, hasAveraged: false } });
    expect(() => decodeTrainerCheckpoint(missing, 'm.zip')).toThrow(/^m\.zip: checkpoint array 'averaged' is missing: the run averages its policy \(policyAverageTau > 0\)$/);

    const { policyAverageTau: _tau, ...olderConfig } = meta.config as Record<string, JsonValue>;
    const { hasAveraged: _has, ...olderMeta } = meta;
    const older = encodeCheckpoint({ arrays: withoutAverage, meta: { ...olderMeta, config: olderConfig } });
    const decoded = decodeTrainerCheckpoint(older, 'old.zip');
    expect(decoded.state.config.policyAverageTau).toBe(0);
    expect(decoded.state.averaged).toBeNull();
    backend.destroy();
  });
});
