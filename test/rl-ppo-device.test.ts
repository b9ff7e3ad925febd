/**
 * PPO with its envs on the device (envOn 'device': ppo-device-rollout.ts): the rule that settles
 * 'auto', the configs it refuses, learning CartPole-v1, one read back per iteration, exact resume
 * through the checkpoint file, and the same on WebGPU where there is an adapter.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { PPO_CHECKPOINT } from '../src/rl/ppo-checkpoint.js';
import { ppoConfigFor, ppoPreset, type PpoConfig } from '../src/rl/ppo-config.js';
import { PpoTrainer, validatePpoConfig } from '../src/rl/ppo-trainer.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const backend = new CpuBackend();
const gpu = await acquireTestBackend();
afterAll(() => {
  backend.destroy();
  gpu?.destroy();
});

/** 100 device envs (not a multiple of 64: padded rows) x 8 steps, 4 minibatches of 200, 2 epochs. */
const SMALL: PpoConfig = { ...ppoPreset('ppo-cleanrl'), envOn: 'device', hidden: [16, 16], numEnvs: 100, numSteps: 8, numMinibatches: 4, updateEpochs: 2, steps: 8000, evalFreq: 0 };

describe('where PPO envs step', () => {
  it("settles 'auto' for the backend: device on WebGPU where the env has a kernel and nothing is normalised, else host", () => {
    const auto = ppoPreset('ppo-cartpole');
    expect(auto.envOn).toBe('auto');
    expect(ppoConfigFor(auto, 'cpu').envOn).toBe('host');
    expect(ppoConfigFor(auto, 'webgpu').envOn).toBe('device');
    expect(ppoConfigFor(ppoPreset('ppo-pendulum'), 'webgpu').envOn).toBe('host');
    expect(ppoConfigFor({ ...auto, normalizeObservation: true }, 'webgpu').envOn).toBe('host');
  });

  it('refuses device envs for an env without a kernel, or with normalisation, naming the fields', () => {
    expect(() => validatePpoConfig({ ...SMALL, env: 'Pendulum-v1' })).toThrow(/envOn device: envs on the device support CartPole-v1, Acrobot-v1, MountainCar-v0 only, not Pendulum-v1/);
    expect(() => validatePpoConfig({ ...SMALL, normalizeReward: true })).toThrow(/envOn device does not normalise observations or rewards: turn normalizeReward off/);
  });
});

describe('PpoTrainer with device envs', () => {
  it('learns CartPole-v1 with ppo-cartpole: the best greedy evaluation within 100k steps reaches 475', async () => {
    const trainer = new PpoTrainer(backend, { ...ppoPreset('ppo-cartpole'), envOn: 'device' }, 0);
    await trainer.run();
    expect(trainer.bestMeanReturn).toBeGreaterThanOrEqual(475);
    trainer.dispose();
  }, 120_000);

  /** Two iterations of SMALL on `b`: the read backs and submits per iteration. */
  async function perIteration(b: Backend): Promise<{ readbacks: number; trainer: PpoTrainer }> {
    const trainer = new PpoTrainer(b, SMALL, 3);
    await trainer.run(800);
    const before = b.stats().readbacks;
    await trainer.run(2 * 800);
    return { readbacks: (b.stats().readbacks - before) / 2, trainer };
  }

  it('reads back once per iteration (the episode statistics with the loss statistics), and reports the episodes', async () => {
    const episodes: number[] = [];
    const { readbacks, trainer } = await perIteration(backend);
    expect(readbacks).toBe(1);
    expect(trainer.episodes).toBeGreaterThan(0);
    expect(Number.isFinite(trainer.lastLoss)).toBe(true);
    expect(trainer.lastStats?.loss).toBe(trainer.lastLoss);
    trainer.dispose();
    const counted = new PpoTrainer(backend, SMALL, 3, { onEpisode: (log) => void episodes.push(log.return) });
    await counted.run(800);
    expect(episodes.length).toBe(counted.episodes);
    for (const r of episodes) expect(r).toBeGreaterThanOrEqual(1);
    counted.dispose();
  });

  it('resumes exactly through its checkpoint file (the device envs state, no host episodes)', async () => {
    const straight = new PpoTrainer(backend, SMALL, 7);
    await straight.run();
    const first = new PpoTrainer(backend, SMALL, 7);
    await first.run(4 * 800);
    const state = await first.getState();
    expect(state.envs).toEqual([]);
    expect(state.deviceEnv).toHaveLength(7 * 100);
    const bytes = PPO_CHECKPOINT.encode(state, { preset: 'ppo-cleanrl' });
    first.dispose();
    const resumed = new PpoTrainer(backend, SMALL, 7);
    resumed.restore(PPO_CHECKPOINT.decode(openCheckpoint(bytes, 'checkpoint.zip')).state);
    await resumed.run();
    const [a, b] = [await straight.getState(), await resumed.getState()];
    expect(b.agent.weights.map((w) => Array.from(w))).toEqual(a.agent.weights.map((w) => Array.from(w)));
    expect(b.deviceEnv).toEqual(a.deviceEnv);
    expect(resumed.episodes).toBe(straight.episodes);
    expect(resumed.lastLoss).toBe(straight.lastLoss);
    straight.dispose();
    resumed.dispose();
  });

  it('trains on WebGPU with one read back per iteration', needs('webgpu', gpu !== null), async () => {
    const { readbacks, trainer } = await perIteration(gpu as Backend);
    expect(readbacks).toBe(1);
    expect(Number.isFinite(trainer.lastLoss)).toBe(true);
    expect((await trainer.agent.getWeights()).every((w) => w.every(Number.isFinite))).toBe(true);
    trainer.dispose();
  });
});
