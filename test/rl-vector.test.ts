/**
 * Vector training and batched acting (issue 12): N envs stepped side by side with same-step
 * autoreset, one forward pass (and one read back) per vector step, the two-group acting pipeline,
 * how the counters count with N envs, exact resume with N envs, and side-by-side greedy
 * evaluation returning exactly the sequential returns.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { make } from '../src/envs/registry.js';
import { Rng } from '../src/random/rng.js';
import { preset, type DqnConfig } from '../src/rl/config.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { GreedyEvaluator, evaluateGreedy } from '../src/rl/greedy-evaluation.js';
import { QNetwork } from '../src/rl/q-network.js';
import { envRngState, makeDiscreteEnv } from '../src/rl/training-env.js';
import { TrainingEnvs } from '../src/rl/training-envs.js';
import { decodeTrainerCheckpoint, encodeTrainerCheckpoint } from '../src/rl/trainer-checkpoint.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const cpu = new CpuBackend();
const gpu = await acquireTestBackend();
afterAll(() => {
  cpu.destroy();
  gpu?.destroy();
});

const small = (overrides: Partial<DqnConfig>): DqnConfig => ({
  ...preset('default'),
  hidden: [16],
  batchSize: 8,
  bufferSize: 1000,
  learningStarts: 20,
  trainFreq: 1,
  gradientSteps: 2,
  steps: 400,
  evalFreq: 0,
  ...overrides,
});

describe('training with N envs', () => {
  it('steps N envs per vector step, stores every transition, and counts env steps over all of them', async () => {
    const trainer = new DqnTrainer(cpu, small({ numEnvs: 4, steps: 400, gradientSteps: 3, trainFreq: 2, learningStarts: 40 }), 5);
    const episodes: number[] = [];
    const logged = new DqnTrainer(cpu, small({ numEnvs: 4, steps: 400, gradientSteps: 3, trainFreq: 2, learningStarts: 40 }), 5, {
      onEpisode: (log) => void episodes.push(log.length),
    });
    await trainer.run();
    await logged.run();
    expect(trainer.steps).toBe(400);
    expect(trainer.replay.size).toBe(400);
    // A round of 3 updates every 2 vector steps (8 env steps) once past 40 env steps: at env steps 48, 56, ..., 400.
    expect(trainer.updates).toBe(3 * ((400 - 40) / 8));
    // Every finished episode was logged, and the episodes' lengths add up to at most the steps taken.
    expect(episodes.length).toBe(logged.episodes);
    expect(episodes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(400);
    trainer.dispose();
    logged.dispose();
  });

  it('seeds env i with seed + i (Gymnasium\'s vector convention), so env 0 is the one-env run', () => {
    const envs = new TrainingEnvs({ env: 'CartPole-v1', rewardShaping: 'none', numEnvs: 3 });
    envs.open(11);
    for (let i = 0; i < 3; i++) {
      const [obs] = make('CartPole-v1').reset({ seed: 11 + i });
      expect(Array.from(envs.observations.subarray(4 * i, 4 * i + 4))).toEqual(Array.from(obs));
    }
    envs.close();
  });

  it('refuses acting groups that do not divide the envs', () => {
    expect(() => new DqnTrainer(cpu, small({ numEnvs: 3, actingGroups: 2 }), 0)).toThrow('actingGroups 2 needs an even numEnvs, got 3');
    expect(() => new DqnTrainer(cpu, small({ numEnvs: 0 }), 0)).toThrow('numEnvs must be a positive integer, got 0');
    expect(() => new DqnTrainer(cpu, small({ actingGroups: 3 }), 0)).toThrow('actingGroups must be 1 or 2, got 3');
  });

  for (const [numEnvs, actingGroups] of [
    [4, 1],
    [4, 2],
    [6, 2],
  ] as const) {
    it(`resumes exactly from snapshots taken anywhere in a run of ${numEnvs} envs in ${actingGroups} acting group(s)`, async () => {
      const config = small({ numEnvs, actingGroups, steps: 600 });
      const straight = new DqnTrainer(cpu, config, 3);
      await straight.run();
      const reference = await straight.agent.online.getWeights();
      for (const stopAt of [numEnvs, 130, 333]) {
        const first = new DqnTrainer(cpu, config, 3);
        await first.run(Number.POSITIVE_INFINITY, () => first.steps >= stopAt);
        const snapshot = await first.getState();
        const resumed = new DqnTrainer(cpu, config, 3);
        // Through the checkpoint file format, as --resume reads it.
        resumed.restore(decodeTrainerCheckpoint(encodeTrainerCheckpoint(snapshot, { preset: 'default' }), 'test.zip').state);
        await resumed.run();
        expect(resumed.steps).toBe(straight.steps);
        expect(resumed.episodes).toBe(straight.episodes);
        expect(await resumed.agent.online.getWeights()).toEqual(reference);
        first.dispose();
        resumed.dispose();
      }
      straight.dispose();
    });
  }

  it('refuses a snapshot of another number of envs', async () => {
    const four = new DqnTrainer(cpu, small({ numEnvs: 4, steps: 40 }), 1);
    await four.run();
    const snapshot = await four.getState();
    const two = new DqnTrainer(cpu, small({ numEnvs: 2, steps: 40 }), 1);
    expect(() => two.restore(snapshot)).toThrow('checkpoint holds 4 env states, this run steps 2 envs');
    four.dispose();
    two.dispose();
  });
});

/** Read backs per env step of a training run, minus the loss reads (one per read round). */
async function readbacksPerStep(backend: Backend, config: DqnConfig): Promise<{ perStep: number; lossReads: number; steps: number }> {
  const trainer = new DqnTrainer(backend, config, 4);
  const before = backend.stats().readbacks;
  await trainer.run();
  const readbacks = backend.stats().readbacks - before;
  const updates = trainer.updates;
  const lossReads = Math.ceil(updates / config.lossReadInterval);
  const steps = trainer.steps;
  trainer.dispose();
  return { perStep: (readbacks - lossReads) / steps, lossReads, steps };
}

describe('read backs with N envs', () => {
  for (const numEnvs of [1, 8, 16]) {
    it(`acting reads back at most once per vector step: ${numEnvs} env(s) on the CPU backend's counter`, async () => {
      const { perStep } = await readbacksPerStep(cpu, small({ numEnvs, steps: 320, lossReadInterval: 1000 }));
      expect(perStep).toBeLessThanOrEqual(1 / numEnvs);
      expect(perStep).toBeGreaterThan(0.5 / numEnvs);
    });
  }

  it('on WebGPU, 16 envs in two acting groups read back at most 2 times per 16 env steps (one per group)', needs('webgpu', gpu !== null), async () => {
    const { perStep } = await readbacksPerStep(gpu as WebGpuBackend, small({ numEnvs: 16, actingGroups: 2, steps: 320, lossReadInterval: 1000 }));
    expect(perStep).toBeLessThanOrEqual(2 / 16);
  });
});

describe('greedy evaluation side by side', () => {
  const evaluatorOf = (id: string) => new GreedyEvaluator(() => makeDiscreteEnv(id));

  for (const [id, episodes] of [
    ['CartPole-v1', 100],
    ['Acrobot-v1', 5],
    ['MountainCar-v0', 5],
  ] as const) {
    it(`returns the sequential returns on ${id} (${episodes} episodes), and leaves the stream where the sequential play leaves it`, async () => {
      const env = make(id);
      const network = new QNetwork(cpu, { obsDim: env.obsDim, nActions: env.actionSpace.n, hidden: [8], activation: 'tanh', init: 'he_uniform', dueling: false, quantiles: 1 }, new Rng(9));
      const sequentialStream = make(id);
      const batchedStream = make(id);
      const evaluator = evaluatorOf(id);
      // Two evaluations in a row: the first seeded, the second continuing the stream.
      for (const seed of [17, undefined]) {
        const sequential = await evaluateGreedy(network, sequentialStream, episodes, seed);
        const before = cpu.stats().readbacks;
        const batched = await evaluator.evaluate(network, batchedStream, episodes, seed);
        const readbacks = cpu.stats().readbacks - before;
        expect(batched).toEqual(sequential);
        expect(envRngState(batchedStream)).toEqual(envRngState(sequentialStream));
        // One read back per step of the longest episode (every step's reward is +1 or -1 in these envs).
        expect(readbacks).toBe(Math.max(...sequential.map(Math.abs)));
      }
      evaluator.close();
      network.dispose();
    });
  }
});
