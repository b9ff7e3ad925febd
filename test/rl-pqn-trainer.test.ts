/**
 * PqnTrainer on the CPU backend: its config's rules, that it learns CartPole-v1 with the
 * pqn-cartpole preset's settings over a shorter budget, exact resume from a snapshot taken between
 * iterations, the budget (whole iterations) and callback semantics, the non-finite policies, and
 * the read backs per iteration (on the CPU backend's counter, and on WebGPU where there is a device).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { InvalidArgumentError } from '../src/errors.js';
import { NonFiniteError } from '../src/rl/non-finite-guard.js';
import { PQN_ALGORITHM, describeNetwork } from '../src/rl/algorithms.js';
import { schemaKeys, validateWithSchema, valueOutOfRange } from '../src/rl/config-schema.js';
import type { EpisodeLog, EvaluationLog } from '../src/rl/dqn-trainer.js';
import { PQN_CONFIG, pqnPreset, type PqnConfig } from '../src/rl/pqn-config.js';
import { PqnTrainer, validatePqnConfig } from '../src/rl/pqn-trainer.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const backend = new CpuBackend();
const gpu = await acquireTestBackend();
afterAll(() => {
  backend.destroy();
  gpu?.destroy();
});

/** A small run: 4 envs x 32 steps (128 transitions), 4 minibatches of 32, 2 epochs. */
// Host envs (the presets' auto would put them on the device on WebGPU: test/rl-pqn-device.test.ts covers that).
const SMALL: PqnConfig = { ...pqnPreset('pqn-cartpole'), envOn: 'host', hidden: [16, 16], numSteps: 32, updateEpochs: 2, steps: 1280, evalFreq: 512, evalEpisodes: 2 };

describe('PQN config', () => {
  it('accepts the preset, which follows CleanRL pqn.py', () => {
    const p = pqnPreset('pqn-cartpole');
    expect(() => validatePqnConfig(p)).not.toThrow();
    expect(p).toMatchObject({ numEnvs: 4, numSteps: 128, numMinibatches: 4, updateEpochs: 4, hidden: [120, 84], lr: 2.5e-4, lrDecay: true, gamma: 0.99, qLambda: 0.65 });
    expect(p).toMatchObject({ epsilonStart: 1, epsilonEnd: 0.05, explorationFraction: 0.5, steps: 500_000, maxGradNorm: 10 });
    expect(Object.keys(PQN_CONFIG.fields).sort()).toEqual(Object.keys(p).sort());
  });

  it('refuses minibatches that do not divide the rollout, and a budget under one rollout', () => {
    expect(() => validatePqnConfig({ ...SMALL, numMinibatches: 3 })).toThrow(/multiple of numMinibatches 3/);
    expect(() => validatePqnConfig({ ...SMALL, steps: 100 })).toThrow(/less than one rollout/);
    expect(() => validatePqnConfig({ ...SMALL, qLambda: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => new PqnTrainer(backend, SMALL, -1)).toThrow(InvalidArgumentError);
  });
});

describe('the pqn registry entry', () => {
  it('refuses each field\'s out-of-range value, naming the field', () => {
    const base = PQN_ALGORITHM.preset('pqn-cartpole');
    const fields = PQN_ALGORITHM.config.fields;
    for (const key of schemaKeys(fields)) {
      const bad = valueOutOfRange(fields[key].kind);
      if (bad === null) continue;
      expect(() => validateWithSchema(PQN_ALGORITHM.config, { ...base, [key]: bad } as PqnConfig), key).toThrow(new RegExp(`^${key} must `));
    }
  });

  it('describes and builds a PQN trainer', async () => {
    expect(PQN_ALGORITHM.presetFor('Acrobot-v1', 'cpu')).toBe('pqn-acrobot');
    expect(PQN_ALGORITHM.presetFor('MountainCar-v0', 'cpu')).toBe('pqn-cartpole');
    expect(PQN_ALGORITHM.presetFor('CartPole-v1', 'webgpu')).toBe('pqn-cartpole-vector');
    const config = PQN_ALGORITHM.preset(PQN_ALGORITHM.presetNames[0]);
    expect(PQN_ALGORITHM.describe(config)).toBe('PQN');
    expect(describeNetwork(PQN_ALGORITHM, config, 4, 2)).toBe('4-120-84-2 layernorm');
    const trainer = PQN_ALGORITHM.createTrainer(backend, SMALL, 1);
    expect(trainer.weightShapes()[0]).toEqual([4, 16]);
    expect(await trainer.run(1)).toBe(128);
    trainer.dispose();
  });
});

describe('PqnTrainer', () => {
  it('learns CartPole-v1: the last 100 training returns after 100k steps average well above a random policy (~22)', async () => {
    // Seed 0 measured 80.6 (epsilon 1 -> 0.05 over 50k steps, lr annealed over 100k; about 3 s here).
    // The full preset (500k steps) reaches a mean of 490-500 by 300k steps on seeds 0-2.
    const trainer = new PqnTrainer(backend, { ...pqnPreset('pqn-cartpole'), steps: 100_000, evalFreq: 0 }, 0);
    await trainer.run();
    expect(trainer.done).toBe(true);
    expect(trainer.steps).toBe(195 * 512);
    expect(trainer.meanReturn100).toBeGreaterThan(50);
    trainer.dispose();
  }, 60_000);

  it('trains in whole iterations, to floor(steps / (numEnvs x numSteps)) of them', async () => {
    const episodes: EpisodeLog[] = [];
    const evaluations: EvaluationLog[] = [];
    const trainer = new PqnTrainer(backend, SMALL, 3, { onEpisode: (log) => void episodes.push(log), onEvaluation: (log) => void evaluations.push(log) });
    expect(trainer.totalIterations).toBe(10);
    expect(await trainer.run(0)).toBe(0);
    expect(await trainer.run(Number.POSITIVE_INFINITY, () => true)).toBe(0);
    expect(Number.isNaN(trainer.lastLoss)).toBe(true);
    // A slice of one step takes one whole iteration.
    expect(await trainer.run(1)).toBe(128);
    expect(trainer.updates).toBe(2 * 4);
    expect(Number.isFinite(trainer.lastLoss)).toBe(true);
    expect(await trainer.run()).toBe(9 * 128);
    expect(trainer.done).toBe(true);
    expect(trainer.steps).toBe(1280);
    expect(trainer.updates).toBe(10 * 2 * 4);
    expect(await trainer.run()).toBe(0);
    // Episodes as DQN logs them, numbered in order, with their own steps.
    expect(episodes.length).toBe(trainer.episodes);
    expect(episodes.map((e) => e.episode)).toEqual(episodes.map((_, i) => i + 1));
    for (const e of episodes) {
      expect(e.return).toBe(e.length);
      expect(e.shapedReturn).toBe(e.return);
      expect(e.steps % 4).toBe(0);
      expect(e.epsilon).toBeGreaterThanOrEqual(0.05);
    }
    // Evaluations at the iterations that pass 512 and 1024 env steps.
    expect(evaluations.map((e) => e.steps)).toEqual([512, 1024]);
    expect(trainer.bestWeights).not.toBeNull();
    expect(await trainer.finalWeights()).toBe(trainer.bestWeights);
    trainer.dispose();
  });

  it('resumes exactly from a snapshot taken between iterations', async () => {
    const straight = new PqnTrainer(backend, SMALL, 7);
    await straight.run();
    const first = new PqnTrainer(backend, SMALL, 7);
    await first.run(3 * 128);
    const state = structuredClone(await first.getState());
    first.dispose();
    const resumed = new PqnTrainer(backend, SMALL, 7);
    resumed.restore(state);
    expect(resumed.steps).toBe(3 * 128);
    await resumed.run();
    expect(resumed.steps).toBe(straight.steps);
    expect(resumed.episodes).toBe(straight.episodes);
    expect(resumed.updates).toBe(straight.updates);
    expect(resumed.lastLoss).toBe(straight.lastLoss);
    expect(resumed.meanReturn100).toBe(straight.meanReturn100);
    expect(resumed.bestMeanReturn).toBe(straight.bestMeanReturn);
    const [a, b] = [await straight.getState(), await resumed.getState()];
    expect(b.rng).toEqual(a.rng);
    expect(b.agent.weights.map((w) => Array.from(w))).toEqual(a.agent.weights.map((w) => Array.from(w)));
    expect(b.agent.optimizer).toEqual(a.agent.optimizer);
    expect(b.bestWeights).toEqual(a.bestWeights);
    expect(() => new PqnTrainer(backend, SMALL, 8).restore(state)).toThrow(/seed 7/);
    straight.dispose();
    resumed.dispose();
  });

  it("stops on a non-finite loss ('stop'), or undoes that iteration's updates ('skip')", async () => {
    const diverging: PqnConfig = { ...SMALL, lr: 1e30, lrDecay: false, maxGradNorm: 0 };
    const stopping = new PqnTrainer(backend, diverging, 2);
    await expect(stopping.run()).rejects.toThrow(NonFiniteError);
    stopping.dispose();
    const skipping = new PqnTrainer(backend, { ...diverging, onNonFinite: 'skip' }, 2);
    const before = await skipping.agent.getWeights();
    await skipping.run(1);
    expect(skipping.skippedIterations).toBe(1);
    expect(skipping.updates).toBe(0);
    expect((await skipping.agent.getWeights()).map((w) => Array.from(w))).toEqual(before.map((w) => Array.from(w)));
    skipping.dispose();
  });

  /** Two iterations of SMALL on `b` (no evaluation): the read backs per iteration, and the trainer. */
  async function twoIterations(b: Backend): Promise<{ perIteration: number; trainer: PqnTrainer }> {
    const trainer = new PqnTrainer(b, { ...SMALL, evalFreq: 0 }, 4);
    const before = b.stats().readbacks;
    await trainer.run(2 * 128);
    return { perIteration: (b.stats().readbacks - before) / 2, trainer };
  }

  it('reads back at most once per vector step (acting), once for the returns and once for the loss per iteration', async () => {
    const { perIteration, trainer } = await twoIterations(backend);
    expect(perIteration).toBeLessThanOrEqual(SMALL.numSteps + 2);
    expect(perIteration).toBeGreaterThanOrEqual(2);
    trainer.dispose();
  });

  it('trains on WebGPU: finite loss and weights, and the same read backs per iteration', needs('webgpu', gpu !== null), async () => {
    const { perIteration, trainer } = await twoIterations(gpu as Backend);
    expect(perIteration).toBeLessThanOrEqual(SMALL.numSteps + 2);
    expect(trainer.updates).toBe(2 * 2 * 4);
    expect(Number.isFinite(trainer.lastLoss)).toBe(true);
    expect((await trainer.agent.getWeights()).every((w) => w.every(Number.isFinite))).toBe(true);
    trainer.dispose();
  });
});
