/**
 * PqnTrainer with `envOn: 'device'` (src/rl/device-rollout.ts): it learns CartPole-v1 on the CPU
 * backend, one seed gives the same weights twice, a snapshot (and a checkpoint file) resumes
 * exactly, a rollout reads back once (its episode statistics; plus the iteration's loss), the
 * minibatches gathered on the device are the host's bits, CPU and WebGPU play the same episodes
 * where the arithmetic allows (epsilon 1), and what the device cannot run is refused.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import type { EpisodeLog } from '../src/rl/dqn-trainer.js';
import { decodePqnCheckpoint, encodePqnCheckpoint } from '../src/rl/pqn-checkpoint.js';
import { pqnPreset, type PqnConfig } from '../src/rl/pqn-config.js';
import { PqnAgent } from '../src/rl/pqn-agent.js';
import { Rng } from '../src/random/rng.js';
import { PqnTrainer, validatePqnConfig } from '../src/rl/pqn-trainer.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const backend = new CpuBackend();
const gpu = await acquireTestBackend();
afterAll(() => {
  backend.destroy();
  gpu?.destroy();
});

/** 64 device envs x 4 steps (256 transitions), 4 minibatches of 64, 2 epochs, 10 iterations. */
const SMALL: PqnConfig = { ...pqnPreset('pqn-cartpole'), envOn: 'device', numEnvs: 64, numSteps: 4, hidden: [16, 16], updateEpochs: 2, steps: 2560, evalFreq: 1024, evalEpisodes: 2 };

async function weights(t: PqnTrainer): Promise<number[][]> {
  return (await t.agent.getWeights()).map((w) => Array.from(w));
}

/** Two iterations of SMALL on `b` (no evaluation): read backs per iteration, and the trainer. */
async function twoIterations(b: Backend): Promise<{ perIteration: number; trainer: PqnTrainer }> {
  const trainer = new PqnTrainer(b, { ...SMALL, evalFreq: 0 }, 4);
  await trainer.run(256); // warm-up (pipelines)
  const before = b.stats().readbacks;
  await trainer.run(2 * 256);
  return { perIteration: (b.stats().readbacks - before) / 2, trainer };
}

describe("PqnTrainer with envOn 'device'", () => {
  it('learns CartPole-v1: the last 100 training returns after 100k steps average well above a random policy (~22)', async () => {
    const trainer = new PqnTrainer(backend, { ...pqnPreset('pqn-cartpole'), envOn: 'device', numEnvs: 64, numSteps: 8, steps: 100_000, evalFreq: 0 }, 0);
    await trainer.run();
    expect(trainer.done).toBe(true);
    console.log(`device envs, seed 0, ${trainer.steps} steps: mean return of the last 100 episodes ${trainer.meanReturn100.toFixed(1)}, ${trainer.episodes} episodes`);
    expect(trainer.meanReturn100).toBeGreaterThan(50);
    trainer.dispose();
  }, 120_000);

  it('gives the same weights and episodes twice from one seed', async () => {
    const runs: { w: number[][]; episodes: EpisodeLog[] }[] = [];
    for (let k = 0; k < 2; k++) {
      const episodes: EpisodeLog[] = [];
      const t = new PqnTrainer(backend, SMALL, 11, { onEpisode: (log) => void episodes.push({ ...log, wallTime: 0 }) });
      await t.run();
      runs.push({ w: await weights(t), episodes });
      t.dispose();
    }
    expect(runs[1].w).toEqual(runs[0].w);
    expect(runs[1].episodes).toEqual(runs[0].episodes);
    expect(runs[0].episodes.length).toBeGreaterThan(50);
    for (const e of runs[0].episodes) {
      expect(e.return).toBe(e.length);
      expect(e.steps % 64).toBe(0);
    }
  });

  it('resumes exactly from a snapshot and from its checkpoint file', async () => {
    const straight = new PqnTrainer(backend, SMALL, 7);
    await straight.run();
    const first = new PqnTrainer(backend, SMALL, 7);
    await first.run(3 * 256);
    const state = structuredClone(await first.getState());
    first.dispose();
    expect(state.envs).toEqual([]);
    expect(state.deviceEnv?.length).toBe(7 * 64);
    const fromFile = decodePqnCheckpoint(openCheckpoint(encodePqnCheckpoint(state, { preset: 'pqn-cartpole' }), 'checkpoint.zip')).state;
    expect(fromFile.deviceEnv).toEqual(state.deviceEnv);
    for (const snapshot of [state, fromFile]) {
      const resumed = new PqnTrainer(backend, SMALL, 7);
      resumed.restore(snapshot);
      await resumed.run();
      expect(resumed.steps).toBe(straight.steps);
      expect(resumed.episodes).toBe(straight.episodes);
      expect(resumed.lastLoss).toBe(straight.lastLoss);
      expect(resumed.meanReturn100).toBe(straight.meanReturn100);
      expect(await weights(resumed)).toEqual(await weights(straight));
      expect((await resumed.getState()).deviceEnv).toEqual((await straight.getState()).deviceEnv);
      resumed.dispose();
    }
    // A host-env snapshot does not restore a device run, and the reverse.
    const host = new PqnTrainer(backend, { ...SMALL, envOn: 'host' }, 7);
    expect(() => host.restore(state)).toThrow(/env states/);
    expect(() => new PqnTrainer(backend, SMALL, 7).restore({ ...state, deviceEnv: undefined })).toThrow(/device env values/);
    host.dispose();
    straight.dispose();
  });

  it('reads back twice per iteration: the episode statistics once, the loss once', async () => {
    const { perIteration, trainer } = await twoIterations(backend);
    expect(perIteration).toBe(2);
    trainer.dispose();
  });

  it('gathers a minibatch on the device (updateGathered) with the bits of the same rows copied on the host (update)', async () => {
    const rng = new Rng(2);
    const R = 96;
    const B = 32;
    const obs = Float32Array.from({ length: R * 4 }, () => rng.uniform(-2, 2));
    const actions = Float32Array.from({ length: R }, () => rng.integers(2));
    const returns = Float32Array.from({ length: R }, () => rng.uniform(0, 10));
    const rows = Int32Array.from({ length: B }, () => rng.integers(R));
    const config = { hidden: [16, 16], init: 'torch_default' as const, batchSize: B, maxGradNorm: 10 };
    const [host, device] = [new PqnAgent(backend, config, 4, 2, new Rng(5)), new PqnAgent(backend, config, 4, 2, new Rng(5))];
    const mb = { observations: new Float32Array(B * 4), actions: new Float32Array(B), returns: new Float32Array(B) };
    rows.forEach((r, k) => {
      mb.observations.set(obs.subarray(4 * r, 4 * r + 4), 4 * k);
      mb.actions[k] = actions[r];
      mb.returns[k] = returns[r];
    });
    const tensors = { observations: backend.tensor([R, 4], obs), actions: backend.tensor([R, 1], actions), returns: backend.tensor([R, 1], returns) };
    for (let k = 0; k < 3; k++) {
      host.update(mb, 1e-3);
      device.updateGathered(tensors, rows, 1e-3);
    }
    expect((await device.getWeights()).map((w) => Array.from(w))).toEqual((await host.getWeights()).map((w) => Array.from(w)));
    expect(await device.readLoss()).toBe(await host.readLoss());
    for (const t of Object.values(tensors)) t.dispose();
    host.dispose();
    device.dispose();
  });

  it("reads a checkpoint written before envOn existed as envOn 'host'", async () => {
    const host = new PqnTrainer(backend, { ...SMALL, envOn: 'host', numEnvs: 4, numSteps: 32, steps: 256 }, 1);
    await host.run(128);
    const state = await host.getState();
    const { envOn: _, ...older } = state.config;
    const decoded = decodePqnCheckpoint(openCheckpoint(encodePqnCheckpoint({ ...state, config: older as PqnConfig }, { preset: 'pqn-cartpole' }), 'c.zip')).state;
    expect(decoded.config.envOn).toBe('host');
    expect(decoded.deviceEnv).toBeUndefined();
    host.dispose();
  });

  it('refuses envs the device cannot run, naming why', () => {
    expect(() => validatePqnConfig({ ...SMALL, env: 'CartPolePoleDown-v1' })).toThrow(/envOn device: envs on the device support CartPole-v1, Acrobot-v1, MountainCar-v0 only, not CartPolePoleDown-v1/);
    expect(() => validatePqnConfig({ ...SMALL, numEnvs: 32, numMinibatches: 2 })).toThrow(/envOn device: .*multiple of 64 envs/);
    expect(() => new PqnTrainer(backend, { ...SMALL, numEnvs: 4 }, 0)).toThrow(/multiple of 64/);
  });
});

describe("PqnTrainer with envOn 'device' on WebGPU", needs('webgpu', gpu !== null), () => {
  it('reads back twice per iteration, and plays the CPU episodes when every action is random', async () => {
    const g = gpu as Backend;
    const { perIteration, trainer } = await twoIterations(g);
    expect(perIteration).toBe(2);
    expect(Number.isFinite(trainer.lastLoss)).toBe(true);
    trainer.dispose();
    const random: PqnConfig = { ...SMALL, epsilonStart: 1, epsilonEnd: 1, evalFreq: 0 };
    const logs: EpisodeLog[][] = [];
    const cpu32 = new CpuBackend({ kernels: 'js' });
    for (const b of [cpu32, g]) {
      const episodes: EpisodeLog[] = [];
      const t = new PqnTrainer(b, random, 5, { onEpisode: (log) => void episodes.push(log) });
      await t.run();
      t.dispose();
      logs.push(episodes);
    }
    cpu32.destroy();
    const strip = (e: EpisodeLog) => [e.episode, e.steps, e.return, e.length];
    expect(logs[1].map(strip)).toEqual(logs[0].map(strip));
    expect(logs[0].length).toBeGreaterThan(50);
  });
});
