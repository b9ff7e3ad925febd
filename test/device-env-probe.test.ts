/**
 * Env 0 of PQN's device envs for the page's canvas (src/rl/device-env-probe.ts, through the
 * trainer's `deviceEnvInProgress`), on the CPU backend and on the real Dawn device: it is env 0's column of the
 * env state (its physics and its episode's steps so far), it costs one dispatch and exactly one read
 * back, and a read started between iterations returns the state of that point while the next
 * iteration is recorded meanwhile.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { initialEnvState } from '../src/backend/cpu/env-step.js';
import { pqnPreset, type PqnConfig } from '../src/rl/pqn-config.js';
import { PqnTrainer } from '../src/rl/pqn-trainer.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const cpu = new CpuBackend();
const gpu = await acquireTestBackend();
afterAll(() => {
  cpu.destroy();
  gpu?.destroy();
});

const N = 128;
const SEED = 7;
/** 128 device envs x 8 steps a rollout, a small network, no evaluation. */
const CONFIG: PqnConfig = { ...pqnPreset('pqn-cartpole'), envOn: 'device', numEnvs: N, numSteps: 8, hidden: [16, 16], updateEpochs: 1, numMinibatches: 2, steps: 8 * N * 10, evalFreq: 0 };
/** CartPole's state rows: x, x_dot, theta, theta_dot, then the episode's steps, its return, the RNG counter. */
const ROWS = 7;

/** Env 0's column of a device state read back whole (DeviceRollout.getState: (S, N) row-major). */
function column0(state: number[]): number[] {
  return Array.from({ length: ROWS }, (_, r) => state[r * N]);
}

function probeCases(name: string, backend: () => Backend | null): void {
  it(`${name}: env 0's physics and episode step, for one dispatch and exactly one read back`, async () => {
    const b = backend() as Backend;
    const trainer = new PqnTrainer(b, CONFIG, SEED);
    const read = async () => {
      const env = await trainer.deviceEnvInProgress();
      if (env === null) throw new Error('no env in progress on the device');
      return env;
    };

    // Before any step: env 0's counter-0 reset draw, at step 0.
    const initial = initialEnvState('CartPole-v1', SEED, N, 'float32').state;
    const first = await read();
    expect(first.state).toEqual(Array.from({ length: 4 }, (_, r) => initial[r * N]));
    expect(first.episodeStep).toBe(0);

    await trainer.run(3 * 8 * N); // 3 iterations: env 0 has moved (and may have reset)
    const s0 = b.stats();
    const now = await read();
    const s1 = b.stats();
    expect(s1.readbacks - s0.readbacks).toBe(1);
    expect(s1.dispatches - s0.dispatches).toBe(1);
    if (b.name === 'webgpu') expect(s1.submits - s0.submits).toBe(1);
    const whole = column0(await trainer.device?.getState() as number[]);
    expect(now.state).toEqual(whole.slice(0, 4));
    expect(now.episodeStep).toBe(whole[4]);
    expect(now.episodeStep).toBeGreaterThan(0);
    expect(now.state).not.toEqual(first.state);
    // A physical CartPole state, inside the termination bounds (an ended episode was reset).
    expect(Math.abs(now.state[0])).toBeLessThanOrEqual(2.4);
    expect(Math.abs(now.state[2])).toBeLessThanOrEqual((12 * 2 * Math.PI) / 360);
    trainer.dispose();
  });

  it(`${name}: a read started between iterations gives that point's state while the next iteration runs`, async () => {
    const b = backend() as Backend;
    const trainer = new PqnTrainer(b, CONFIG, SEED);
    await trainer.run(2 * 8 * N);
    const before = column0(await trainer.device?.getState() as number[]);
    const pending = trainer.deviceEnvInProgress();
    await trainer.run(8 * N); // recorded, submitted and read (its statistics, its loss) while the probe's read is out
    const read = await pending;
    expect(read?.state).toEqual(before.slice(0, 4));
    expect(read?.episodeStep).toBe(before[4]);
    const after = column0(await trainer.device?.getState() as number[]);
    expect(after.slice(0, 5)).not.toEqual(before.slice(0, 5));
    trainer.dispose();
  });
}

describe('env 0 of the device envs (FirstEnvProbe)', () => {
  probeCases('CPU', () => cpu);
});

describe('env 0 of the device envs on WebGPU (Dawn)', needs('webgpu', gpu !== null), () => {
  probeCases('WebGPU', () => gpu);
});
