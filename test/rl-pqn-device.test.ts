/**
 * PqnTrainer with `envOn: 'device'` (src/rl/device-rollout.ts): it learns CartPole-v1 on the CPU
 * backend, one seed gives the same weights twice, a snapshot (and a checkpoint file) resumes
 * exactly, a rollout reads back once (its episode statistics; plus the iteration's loss), the
 * minibatches gathered on the device are the host's bits, CPU and WebGPU play the same episodes
 * where the arithmetic allows (epsilon 1), and what the device cannot run is refused. Any number of
 * envs runs and resumes exactly (1, 5, 32, 100: the rollout's steps padded to aligned blocks), and
 * a multiple of 64 gives the bits it gave before the padding existed.
 */
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import type { EpisodeLog } from '../src/rl/dqn-trainer.js';
import { estimatePqnMemory } from '../src/rl/memory-budget.js';
import { decodePqnCheckpoint, encodePqnCheckpoint } from '../src/rl/pqn-checkpoint.js';
import { DEVICE_ENVS } from '../src/backend/backend.js';
import { registeredEnvIds } from '../src/envs/registry.js';
import { PQN_PRESET_NAMES, pqnConfigFor, pqnPreset, resolveEnvOn, type PqnConfig } from '../src/rl/pqn-config.js';
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

/** Envs counts that are not multiples of 64 (each rollout step padded to 64 columns on the device). */
const ANY_N = [1, 5, 32, 100];

/** SMALL with `n` envs: 4 steps a rollout, 2 minibatches, 6 iterations, an evaluation every 2. */
function smallWith(n: number): PqnConfig {
  return { ...SMALL, numEnvs: n, numMinibatches: 2, steps: 6 * 4 * n, evalFreq: 2 * 4 * n };
}

/**
 * A run of `config` straight through against one snapshotted after 2 iterations (through a
 * checkpoint file) and resumed by a fresh trainer: the same steps, episodes, loss, weights and env
 * state. Returns the straight run's episodes.
 */
async function checkResumesExactly(b: Backend, config: PqnConfig, seed: number): Promise<EpisodeLog[]> {
  const episodes: EpisodeLog[] = [];
  const straight = new PqnTrainer(b, config, seed, { onEpisode: (log) => void episodes.push(log) });
  await straight.run();
  const first = new PqnTrainer(b, config, seed);
  const rollout = config.numEnvs * config.numSteps;
  await first.run(2 * rollout);
  const state = structuredClone(await first.getState());
  first.dispose();
  expect(state.deviceEnv?.length).toBe(7 * config.numEnvs);
  const fromFile = decodePqnCheckpoint(openCheckpoint(encodePqnCheckpoint(state, { preset: 'pqn-cartpole' }), 'checkpoint.zip')).state;
  const resumed = new PqnTrainer(b, config, seed);
  resumed.restore(fromFile);
  await resumed.run();
  expect(resumed.steps).toBe(straight.steps);
  expect(resumed.episodes).toBe(straight.episodes);
  expect(resumed.lastLoss).toBe(straight.lastLoss);
  expect(Number.isFinite(straight.lastLoss)).toBe(true);
  expect(resumed.meanReturn100).toBe(straight.meanReturn100);
  expect(await weights(resumed)).toEqual(await weights(straight));
  expect((await resumed.getState()).deviceEnv).toEqual((await straight.getState()).deviceEnv);
  resumed.dispose();
  straight.dispose();
  for (const e of episodes) {
    expect(e.return).toBe(e.length);
    expect(e.steps % config.numEnvs).toBe(0);
  }
  return episodes;
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

  it('gives the bits it gave before the rollout steps were padded (64 envs: no padding; recorded on main at 3288bcf)', async () => {
    const episodes = createHash('sha256');
    const t = new PqnTrainer(backend, SMALL, 11, { onEpisode: (l) => void episodes.update(`${l.steps},${l.return},${l.length},${l.loss};`) });
    await t.run();
    const w = createHash('sha256');
    for (const a of await t.agent.getWeights()) w.update(Buffer.from(Float64Array.from(a).buffer));
    expect(w.digest('hex')).toBe('9785103ea09e4d73897fe252df023b617460c4a6a02f0751e8f7bc7b8626d821');
    expect(episodes.digest('hex')).toBe('71369082322ca4716093271539e487de780ae710156ae8fd62bc4832ad238a9a');
    t.dispose();
  });

  it.each(ANY_N)('runs %i envs and resumes exactly from a checkpoint file', async (n) => {
    const episodes = await checkResumesExactly(backend, smallWith(n), 3);
    expect(episodes.length).toBeGreaterThan(0);
  });

  it('reads back once per iteration: the episode statistics and the loss in one range', async () => {
    const { perIteration, trainer } = await twoIterations(backend);
    expect(perIteration).toBe(1);
    expect(Number.isFinite(trainer.lastLoss) && trainer.lastLoss > 0).toBe(true);
    expect(trainer.lastLoss).toBe(await trainer.agent.readLoss());
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

  it("counts the rollout's padding in the memory estimate", () => {
    const [rollout] = estimatePqnMemory({ ...SMALL, numEnvs: 1, numSteps: 16, numMinibatches: 1 }, 4, 2);
    // 1 env padded to 64 per step: 17 steps of observations, then actions, returns and 2 rows of statistics, then the 64-value tail (the loss).
    expect(rollout.largestArray).toBe(17 * 64 * 4 + 4 * 16 * 64 + 64);
    expect(rollout.backendBytes).toBe((17 * 64 * 4 + 4 * 16 * 64 + 64 + 16 * 64 * 7 + 7) * 4);
    expect(estimatePqnMemory({ ...SMALL, numEnvs: 64, numSteps: 16, numMinibatches: 1 }, 4, 2)[0].largestArray).toBe(17 * 64 * 4 + 4 * 16 * 64 + 64);
  });

  it('refuses envs the device cannot run, naming why, and takes any number of envs', () => {
    expect(() => validatePqnConfig({ ...SMALL, env: 'CartPolePoleDown-v1' })).toThrow(/envOn device: envs on the device support CartPole-v1, Acrobot-v1, MountainCar-v0 only, not CartPolePoleDown-v1/);
    for (const n of ANY_N) expect(() => validatePqnConfig(smallWith(n))).not.toThrow();
  });
});

/** An env with no device kernel (whichever kernels exist when the test runs). */
const HOST_ONLY_ENV = registeredEnvIds().find((id) => !(DEVICE_ENVS as readonly string[]).includes(id));

describe("envOn 'auto' (the presets' value)", () => {
  it('settles to device on WebGPU for an env with a device kernel, else host; host and device stay as given', () => {
    // Every preset but the one named for device envs, which runs them on either backend.
    for (const name of PQN_PRESET_NAMES) expect(pqnPreset(name).envOn, name).toBe(name === 'pqn-cartpole-device' ? 'device' : 'auto');
    expect(resolveEnvOn('auto', 'CartPole-v1', 'webgpu')).toBe('device');
    expect(resolveEnvOn('auto', 'CartPole-v1', 'cpu')).toBe('host');
    if (HOST_ONLY_ENV !== undefined) expect(resolveEnvOn('auto', HOST_ONLY_ENV, 'webgpu')).toBe('host');
    expect(resolveEnvOn('host', 'CartPole-v1', 'webgpu')).toBe('host');
    expect(resolveEnvOn('device', 'CartPole-v1', 'cpu')).toBe('device');
    const vector = pqnPreset('pqn-cartpole-vector');
    expect(pqnConfigFor(vector, 'webgpu')).toEqual({ ...vector, envOn: 'device' });
    expect(vector.envOn).toBe('auto');
  });

  it("is settled by the trainer on the CPU backend to host: its config and snapshots say 'host'", async () => {
    const t = new PqnTrainer(backend, { ...pqnPreset('pqn-cartpole-vector'), hidden: [8], steps: 1024, evalFreq: 0 }, 0);
    expect(t.config.envOn).toBe('host');
    expect(t.device).toBeNull();
    await t.run(512);
    expect((await t.getState()).config.envOn).toBe('host');
    t.dispose();
    if (HOST_ONLY_ENV !== undefined) {
      const other = new PqnTrainer(backend, { ...pqnPreset('pqn-cartpole'), env: HOST_ONLY_ENV, hidden: [8], evalFreq: 0 }, 0);
      expect(other.config.envOn).toBe('host');
      other.dispose();
    }
  });

  it("refuses a checkpoint that says 'auto': a checkpoint records the mode its run ran in", async () => {
    const t = new PqnTrainer(backend, { ...SMALL, envOn: 'host', numEnvs: 4, numSteps: 32, steps: 256 }, 1);
    await t.run(128);
    const state = await t.getState();
    t.dispose();
    const bytes = encodePqnCheckpoint({ ...state, config: { ...state.config, envOn: 'auto' } }, { preset: 'pqn-cartpole' });
    expect(() => decodePqnCheckpoint(openCheckpoint(bytes, 'c.zip'))).toThrow(/config\.envOn.*'auto'; a checkpoint records the run's own, 'host' or 'device'/);
  });
});

describe("envOn 'auto' on WebGPU", needs('webgpu', gpu !== null), () => {
  it("settles to device for CartPole-v1 with the pqn-cartpole-vector preset (32 envs): config and snapshots say 'device'", async () => {
    const g = gpu as Backend;
    const t = new PqnTrainer(g, { ...pqnPreset('pqn-cartpole-vector'), hidden: [8], steps: 1024, evalFreq: 0 }, 0);
    expect(t.config.envOn).toBe('device');
    expect(t.device?.numEnvs).toBe(32);
    await t.run(512);
    const state = await t.getState();
    expect(state.config.envOn).toBe('device');
    expect(state.deviceEnv?.length).toBe(7 * 32);
    t.dispose();
    if (HOST_ONLY_ENV !== undefined) {
      const other = new PqnTrainer(g, { ...pqnPreset('pqn-cartpole-vector'), env: HOST_ONLY_ENV, hidden: [8], evalFreq: 0 }, 0);
      expect(other.config.envOn).toBe('host');
      other.dispose();
    }
  });
});

describe("PqnTrainer with envOn 'device' on WebGPU", needs('webgpu', gpu !== null), () => {
  it('reads back once per iteration, and plays the CPU episodes when every action is random', async () => {
    const g = gpu as Backend;
    const { perIteration, trainer } = await twoIterations(g);
    expect(perIteration).toBe(1);
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

  it.each(ANY_N)('runs %i envs and resumes exactly from a checkpoint file', async (n) => {
    const g = gpu as Backend;
    const episodes = await checkResumesExactly(g, smallWith(n), 3);
    // With every action random, the CPU plays the same episodes.
    const random: PqnConfig = { ...smallWith(n), epsilonStart: 1, epsilonEnd: 1, evalFreq: 0 };
    const logs: number[][][] = [];
    const cpu32 = new CpuBackend({ kernels: 'js' });
    for (const b of [cpu32, g]) {
      const got: number[][] = [];
      const t = new PqnTrainer(b, random, 5, { onEpisode: (e) => void got.push([e.episode, e.steps, e.return, e.length]) });
      await t.run();
      t.dispose();
      logs.push(got);
    }
    cpu32.destroy();
    expect(logs[1]).toEqual(logs[0]);
    expect(episodes.length + logs[0].length).toBeGreaterThan(0);
  });
});
