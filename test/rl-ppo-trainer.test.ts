/**
 * PpoTrainer on the CPU backend: its config's rules, that it learns CartPole-v1 with the
 * ppo-cartpole preset, exact resume from a snapshot taken between iterations (also through the
 * checkpoint file), the budget and callback semantics, the non-finite policies, the read backs per
 * iteration, and the ops one update records (on the CPU backend's counter, and on WebGPU where there
 * is a device).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { InvalidArgumentError } from '../src/errors.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { PPO_ALGORITHM, describeNetwork } from '../src/rl/algorithms.js';
import { schemaKeys, validateWithSchema, valueOutOfRange } from '../src/rl/config-schema.js';
import type { EpisodeLog, EvaluationLog } from '../src/rl/dqn-trainer.js';
import { NonFiniteError } from '../src/rl/non-finite-guard.js';
import { PPO_CHECKPOINT } from '../src/rl/ppo-checkpoint.js';
import { PPO_CONFIG, ppoPreset, type PpoConfig } from '../src/rl/ppo-config.js';
import { PpoTrainer, validatePpoConfig } from '../src/rl/ppo-trainer.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const backend = new CpuBackend();
const gpu = await acquireTestBackend();
afterAll(() => {
  backend.destroy();
  gpu?.destroy();
});

/** A small run: 4 envs x 32 steps (128 transitions), 4 minibatches of 32, 2 epochs. */
// Host envs (the presets' auto would put CartPole's on the device on WebGPU: test/rl-ppo-device.test.ts covers that).
const SMALL: PpoConfig = { ...ppoPreset('ppo-cleanrl'), envOn: 'host', hidden: [16, 16], numSteps: 32, updateEpochs: 2, steps: 1280, evalFreq: 512, evalEpisodes: 2 };
/** SMALL on Pendulum-v1 (Box actions: a Gaussian policy), with both normalisations. */
const SMALL_BOX: PpoConfig = { ...SMALL, env: 'Pendulum-v1', normalizeObservation: true, normalizeReward: true, evalEpisodes: 1 };

describe('PPO config', () => {
  it('ppo-cleanrl follows CleanRL ppo.py, ppo-cartpole the RL Zoo', () => {
    const p = ppoPreset('ppo-cleanrl');
    expect(() => validatePpoConfig(p)).not.toThrow();
    expect(p).toMatchObject({ numEnvs: 4, numSteps: 128, numMinibatches: 4, updateEpochs: 4, hidden: [64, 64], activation: 'tanh', init: 'orthogonal' });
    expect(p).toMatchObject({ lr: 2.5e-4, lrDecay: true, adamEps: 1e-5, gamma: 0.99, gaeLambda: 0.95, clipCoef: 0.2, valueClip: 0.2, entCoef: 0.01, vfCoef: 0.5, maxGradNorm: 0.5, normalizeAdvantages: true });
    expect(ppoPreset('ppo-cartpole')).toMatchObject({ numEnvs: 8, numSteps: 32, numMinibatches: 1, updateEpochs: 20, gamma: 0.98, gaeLambda: 0.8, lr: 1e-3, entCoef: 0, steps: 100_000 });
    expect(Object.keys(PPO_CONFIG.fields).sort()).toEqual(Object.keys(p).sort());
  });

  it('refuses minibatches that do not divide the rollout, one-row normalised minibatches and a budget under one rollout', () => {
    expect(() => validatePpoConfig({ ...SMALL, numMinibatches: 3 })).toThrow(/multiple of numMinibatches 3/);
    expect(() => validatePpoConfig({ ...SMALL, numEnvs: 1, numSteps: 4, numMinibatches: 4, steps: 4 })).toThrow(/normalizeAdvantages needs minibatches of at least 2/);
    expect(() => validatePpoConfig({ ...SMALL, steps: 100 })).toThrow(/less than one rollout/);
    expect(() => validatePpoConfig({ ...SMALL, gaeLambda: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => new PpoTrainer(backend, SMALL, -1)).toThrow(InvalidArgumentError);
  });
});

describe('the ppo registry entry', () => {
  it("refuses each field's out-of-range value, naming the field", () => {
    const base = PPO_ALGORITHM.preset(PPO_ALGORITHM.presetNames[0]);
    const fields = PPO_ALGORITHM.config.fields;
    for (const key of schemaKeys(fields)) {
      const bad = valueOutOfRange(fields[key].kind);
      if (bad === null) continue;
      expect(() => validateWithSchema(PPO_ALGORITHM.config, { ...base, [key]: bad } as PpoConfig), key).toThrow(new RegExp(`^${key} must `));
    }
  });

  it('describes and builds a PPO trainer', async () => {
    expect(PPO_ALGORITHM.presetFor('CartPole-v1', 'cpu')).toBe('ppo-cartpole');
    const config = PPO_ALGORITHM.preset('ppo-cleanrl');
    expect(PPO_ALGORITHM.describe(config)).toBe('PPO');
    expect(describeNetwork(PPO_ALGORITHM, config, 4, 2)).toBe('4-64-64-2');
    const trainer = PPO_ALGORITHM.createTrainer(backend, SMALL, 1);
    // The actor's W, b per layer, then the critic's.
    expect(trainer.weightShapes()).toEqual([[4, 16], [1, 16], [16, 16], [1, 16], [16, 2], [1, 2], [4, 16], [1, 16], [16, 16], [1, 16], [16, 1], [1, 1]]);
    expect(await trainer.run(1)).toBe(128);
    trainer.dispose();
  });
});

describe('PpoTrainer', () => {
  it('learns CartPole-v1 with ppo-cartpole: the best greedy evaluation within 100k steps reaches 475', async () => {
    const episodes: number[] = [];
    const trainer = new PpoTrainer(backend, ppoPreset('ppo-cartpole'), 0, { onEpisode: (log) => void episodes.push(log.return) });
    await trainer.run();
    expect(trainer.done).toBe(true);
    expect(trainer.steps).toBe(390 * 256);
    expect(trainer.bestMeanReturn).toBeGreaterThanOrEqual(475);
    trainer.dispose();
  }, 120_000);

  it('trains in whole iterations, to floor(steps / (numEnvs x numSteps)) of them', async () => {
    const episodes: EpisodeLog[] = [];
    const evaluations: EvaluationLog[] = [];
    const trainer = new PpoTrainer(backend, SMALL, 3, { onEpisode: (log) => void episodes.push(log), onEvaluation: (log) => void evaluations.push(log) });
    expect(trainer.totalIterations).toBe(10);
    expect(await trainer.run(0)).toBe(0);
    expect(Number.isNaN(trainer.lastLoss)).toBe(true);
    expect(await trainer.run(1)).toBe(128);
    expect(trainer.updates).toBe(2 * 4);
    expect(Number.isFinite(trainer.lastLoss)).toBe(true);
    expect(trainer.lastStats).not.toBeNull();
    expect(await trainer.run()).toBe(9 * 128);
    expect(trainer.done).toBe(true);
    expect(trainer.updates).toBe(10 * 2 * 4);
    expect(episodes.map((e) => e.episode)).toEqual(episodes.map((_, i) => i + 1));
    for (const e of episodes) expect(e.return).toBe(e.length);
    expect(evaluations.map((e) => e.steps)).toEqual([512, 1024]);
    expect(await trainer.finalWeights()).toBe(trainer.bestWeights);
    trainer.dispose();
  });

  it('resumes exactly from a snapshot taken between iterations, also through its checkpoint file', async () => {
    const straight = new PpoTrainer(backend, SMALL, 7);
    await straight.run();
    const first = new PpoTrainer(backend, SMALL, 7);
    await first.run(3 * 128);
    const bytes = PPO_CHECKPOINT.encode(await first.getState(), { preset: 'ppo-cleanrl' });
    first.dispose();
    const { state, run } = PPO_CHECKPOINT.decode(openCheckpoint(bytes, 'checkpoint.zip'));
    expect(run.preset).toBe('ppo-cleanrl');
    const resumed = new PpoTrainer(backend, SMALL, 7);
    resumed.restore(state);
    expect(resumed.steps).toBe(3 * 128);
    await resumed.run();
    expect(resumed.episodes).toBe(straight.episodes);
    expect(resumed.updates).toBe(straight.updates);
    expect(resumed.lastLoss).toBe(straight.lastLoss);
    expect(resumed.bestMeanReturn).toBe(straight.bestMeanReturn);
    const [a, b] = [await straight.getState(), await resumed.getState()];
    expect(b.rng).toEqual(a.rng);
    expect(b.agent.weights.map((w) => Array.from(w))).toEqual(a.agent.weights.map((w) => Array.from(w)));
    expect(b.agent.optimizer.slots.v.map((w) => Array.from(w))).toEqual(a.agent.optimizer.slots.v.map((w) => Array.from(w)));
    expect(() => new PpoTrainer(backend, SMALL, 8).restore(state)).toThrow(/seed 7/);
    straight.dispose();
    resumed.dispose();
  });

  it("stops on a non-finite loss ('stop'), or undoes that iteration's updates ('skip')", async () => {
    const diverging: PpoConfig = { ...SMALL, lr: 1e30, lrDecay: false, maxGradNorm: 0 };
    const stopping = new PpoTrainer(backend, diverging, 2);
    await expect(stopping.run()).rejects.toThrow(NonFiniteError);
    stopping.dispose();
    const skipping = new PpoTrainer(backend, { ...diverging, onNonFinite: 'skip' }, 2);
    const before = await skipping.agent.getWeights();
    await skipping.run(1);
    expect(skipping.skippedIterations).toBe(1);
    expect((await skipping.agent.getWeights()).map((w) => Array.from(w))).toEqual(before.map((w) => Array.from(w)));
    skipping.dispose();
  });

  it('trains a Gaussian policy on Box actions: the envs get actions clipped to the bounds, the policy carries its log-std and observation statistics', async () => {
    const trainer = new PpoTrainer(backend, SMALL_BOX, 5);
    expect(trainer.agent.head).toBe('gaussian');
    // Actor 3-16-16-1, critic 3-16-16-1, log-std (1, 1), then obs_mean and obs_var (1, 3).
    expect(trainer.weightShapes().slice(-3)).toEqual([[1, 1], [1, 3], [1, 3]]);
    await trainer.run(3 * 128);
    const state = await trainer.getState();
    const taken = state.envs.flatMap((e) => e.episodeActions);
    expect(taken.length).toBeGreaterThan(0);
    for (const a of taken) expect(Math.abs(a)).toBeLessThanOrEqual(2);
    // The log-std (initial 0) moved, and the statistics saw the first resets and every step.
    expect(state.normalizer.obs?.count).toBeCloseTo(1e-4 + 4 + 3 * 128, 6);
    expect(state.normalizer.reward?.returns).toHaveLength(4);
    const weights = await trainer.policy.getWeights();
    expect(weights).toHaveLength(trainer.weightShapes().length);
    expect(weights[weights.length - 3][0]).not.toBe(0);
    expect(Array.from(weights[weights.length - 2])).toEqual(state.normalizer.obs?.mean);
    trainer.dispose();
  });

  it('resumes a Box-action run with normalised observations and rewards exactly, through its checkpoint file', async () => {
    const config: PpoConfig = { ...SMALL_BOX, evalFreq: 512 };
    const straight = new PpoTrainer(backend, config, 9);
    await straight.run();
    const first = new PpoTrainer(backend, config, 9);
    await first.run(5 * 128);
    const bytes = PPO_CHECKPOINT.encode(await first.getState(), { preset: 'ppo-cleanrl' });
    first.dispose();
    const resumed = new PpoTrainer(backend, config, 9);
    resumed.restore(PPO_CHECKPOINT.decode(openCheckpoint(bytes, 'checkpoint.zip')).state);
    await resumed.run();
    const [a, b] = [await straight.getState(), await resumed.getState()];
    expect(b.agent.weights.map((w) => Array.from(w))).toEqual(a.agent.weights.map((w) => Array.from(w)));
    expect(b.normalizer).toEqual(a.normalizer);
    expect(b.envs).toEqual(a.envs);
    expect(b.bestWeights?.map((w) => Array.from(w))).toEqual(a.bestWeights?.map((w) => Array.from(w)));
    expect(resumed.lastLoss).toBe(straight.lastLoss);
    straight.dispose();
    resumed.dispose();
  });

  it('learns Pendulum-v1 (RL Zoo settings, no gSDE): the best greedy evaluation within 100k steps is far above a random policy (about -1,200)', async () => {
    const config: PpoConfig = { ...ppoPreset('ppo-cleanrl'), env: 'Pendulum-v1', numSteps: 1024, numMinibatches: 64, updateEpochs: 10, gamma: 0.9, lr: 1e-3, entCoef: 0, valueClip: 0, steps: 102_400, evalFreq: 20_480 };
    const trainer = new PpoTrainer(backend, config, 0);
    await trainer.run();
    expect(trainer.bestMeanReturn).toBeGreaterThan(-400);
    trainer.dispose();
  }, 120_000);

  /** Two iterations of SMALL on `b` (no evaluation): the read backs per iteration, and the trainer. */
  async function twoIterations(b: Backend): Promise<{ perIteration: number; trainer: PpoTrainer }> {
    const trainer = new PpoTrainer(b, { ...SMALL, evalFreq: 0 }, 4);
    const before = b.stats().readbacks;
    await trainer.run(2 * 128);
    return { perIteration: (b.stats().readbacks - before) / 2, trainer };
  }

  it('reads back once per vector step (actions and log-probabilities together) and once per iteration (statistics)', async () => {
    const { perIteration, trainer } = await twoIterations(backend);
    expect(perIteration).toBe(SMALL.numSteps + 1);
    trainer.dispose();
  });

  /**
   * The kernel calls of one iteration of SMALL (T = 32 steps, 2 epochs x 4 minibatches; 2-hidden-layer networks):
   *   acting, per vector step: the actor's 3 linear + policySample                         4 T
   *   advantages: the critic's 3 linear over s and over s', their 2 copies out, GAE        9
   *   per update: 6 gatherRows; actor and critic forward 3 + 3; ppoLoss 1; per network
   *     backward 3 linearGrad + 2 linearInputGrad (10); sum of squares 1 (0 on a
   *     CPU-emulated adapter: the Adam kernel of a small arena sums them itself); Adam 1   25, or 24
   */
  const kernelCallsPerIteration = (perUpdate: number): number => 4 * SMALL.numSteps + 9 + SMALL.updateEpochs * SMALL.numMinibatches * perUpdate;

  it('records 4 T + 9 + 25 per update kernel calls an iteration on the CPU backend', async () => {
    const trainer = new PpoTrainer(backend, { ...SMALL, evalFreq: 0 }, 4);
    await trainer.run(128);
    const before = backend.stats().dispatches;
    await trainer.run(128);
    expect(backend.stats().dispatches - before).toBe(kernelCallsPerIteration(25));
    trainer.dispose();
  });

  it('trains on WebGPU: finite loss and weights, the same read backs, and a fixed count of dispatches per update', needs('webgpu', gpu !== null), async () => {
    const b = gpu as Backend;
    const sumOfSquares = gpu?.software === true ? 0 : 1;
    const counted = new PpoTrainer(b, { ...SMALL, evalFreq: 0 }, 4);
    await counted.run(128);
    const before = b.stats().dispatches;
    await counted.run(128);
    expect(b.stats().dispatches - before).toBe(kernelCallsPerIteration(24 + sumOfSquares));
    counted.dispose();
    const { perIteration, trainer } = await twoIterations(b);
    expect(perIteration).toBe(SMALL.numSteps + 1);
    expect(trainer.updates).toBe(2 * 2 * 4);
    expect(Number.isFinite(trainer.lastLoss)).toBe(true);
    expect((await trainer.agent.getWeights()).every((w) => w.every(Number.isFinite))).toBe(true);
    trainer.dispose();
    const box = new PpoTrainer(b, { ...SMALL_BOX, evalFreq: 0 }, 4);
    await box.run(2 * 128);
    expect(Number.isFinite(box.lastLoss)).toBe(true);
    expect((await box.agent.getWeights()).every((w) => w.every(Number.isFinite))).toBe(true);
    box.dispose();
  });
});
