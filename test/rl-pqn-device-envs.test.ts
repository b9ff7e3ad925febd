/**
 * PqnTrainer with `envOn: 'device'` on the device envs beyond CartPole (Acrobot-v1, MountainCar-v0;
 * test/rl-pqn-device.test.ts covers the rest on CartPole-v1): validation accepts them, an iteration
 * runs on the CPU backend with their observation and action sizes, one seed gives the same
 * weights and episodes twice, and a snapshot resumes exactly (its first observations recomputed
 * from the env state: Acrobot's are cos/sin, not state rows). (Whether it learns was measured once, outside the tests:
 * docs/device-envs.md.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEVICE_ENVS, DEVICE_ENV_SPECS } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { initialEnvState, observationsOf } from '../src/backend/cpu/env-step.js';
import type { EpisodeLog } from '../src/rl/dqn-trainer.js';
import { pqnPreset, type PqnConfig } from '../src/rl/pqn-config.js';
import { PqnTrainer, validatePqnConfig } from '../src/rl/pqn-trainer.js';

const backend = new CpuBackend();
afterAll(() => backend.destroy());

/** 64 device envs x 8 steps, 2 minibatches x 1 epoch of a small network. */
const SMALL: PqnConfig = { ...pqnPreset('pqn-acrobot'), envOn: 'device', numEnvs: 64, numSteps: 8, hidden: [16, 16], numMinibatches: 2, updateEpochs: 1, evalFreq: 0 };

describe("PqnTrainer with envOn 'device' on Acrobot-v1 and MountainCar-v0", () => {
  it('accepts both envs and runs an iteration of each, its state the env rows of 64 envs', async () => {
    for (const env of ['Acrobot-v1', 'MountainCar-v0'] as const) {
      const config = { ...SMALL, env, steps: 512 };
      expect(() => validatePqnConfig(config)).not.toThrow();
      const trainer = new PqnTrainer(backend, config, 3);
      await trainer.run();
      expect(trainer.steps).toBe(512);
      expect(Number.isFinite(trainer.lastLoss)).toBe(true);
      expect((await trainer.getState()).deviceEnv?.length).toBe(DEVICE_ENV_SPECS[env].stateRows * 64);
      trainer.dispose();
    }
  });

  it('gives the same weights and episodes twice from one seed on Acrobot-v1 (every env through its 500-step limit or the goal)', async () => {
    const config = { ...SMALL, steps: 64 * 8 * 66 };
    const runs: { w: number[][]; episodes: EpisodeLog[] }[] = [];
    for (let k = 0; k < 2; k++) {
      const episodes: EpisodeLog[] = [];
      const t = new PqnTrainer(backend, config, 11, { onEpisode: (log) => void episodes.push({ ...log, wallTime: 0 }) });
      await t.run();
      runs.push({ w: (await t.agent.getWeights()).map((w) => Array.from(w)), episodes });
      t.dispose();
    }
    expect(runs[1].w).toEqual(runs[0].w);
    expect(runs[1].episodes).toEqual(runs[0].episodes);
    expect(runs[0].episodes.length).toBeGreaterThanOrEqual(64);
    for (const e of runs[0].episodes) {
      // Reward -1 a step, 0 on the terminating one.
      expect(e.length).toBeLessThanOrEqual(500);
      expect([-e.length, 1 - e.length]).toContain(e.return);
    }
  }, 120_000);

  it('resumes exactly from a snapshot on both envs: the first observations follow from the env state as envStep computes them', async () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const env of DEVICE_ENVS) {
        const { state, obs } = initialEnvState(env, 5, 7, dtype);
        expect(Array.from(observationsOf(env, state, 7, dtype))).toEqual(Array.from(obs));
      }
    }
    for (const env of ['Acrobot-v1', 'MountainCar-v0'] as const) {
      const config = { ...SMALL, env, steps: 64 * 8 * 6 };
      const straight = new PqnTrainer(backend, config, 7);
      await straight.run();
      const first = new PqnTrainer(backend, config, 7);
      await first.run(64 * 8 * 3);
      const snapshot = structuredClone(await first.getState());
      first.dispose();
      const resumed = new PqnTrainer(backend, config, 7);
      resumed.restore(snapshot);
      await resumed.run();
      expect(resumed.lastLoss).toBe(straight.lastLoss);
      expect((await resumed.agent.getWeights()).map((w) => Array.from(w))).toEqual((await straight.agent.getWeights()).map((w) => Array.from(w)));
      expect((await resumed.getState()).deviceEnv).toEqual((await straight.getState()).deviceEnv);
      resumed.dispose();
      straight.dispose();
    }
  });
});
