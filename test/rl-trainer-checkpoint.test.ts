import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { decodeCheckpoint, encodeCheckpoint, type JsonValue } from '../src/io/checkpoint.js';
import { closestPreset, preset, type DqnConfig } from '../src/rl/config.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { decodeTrainerCheckpoint, encodeTrainerCheckpoint } from '../src/rl/trainer-checkpoint.js';

const small = (name: 'default' | 'seed'): DqnConfig => ({ ...preset(name), hidden: [8], batchSize: 8, learningStarts: 20, steps: 120, episodes: 0, evalFreq: 0 });

async function trainerState(config: DqnConfig) {
  const backend = new CpuBackend();
  const trainer = new DqnTrainer(backend, config, 5);
  await trainer.run(70); // mid-episode, after some updates
  const state = await trainer.getState();
  trainer.dispose();
  return state;
}

describe('trainer checkpoint files', () => {
  it('round-trip the trainer state and the run preset', async () => {
    const state = await trainerState(small('seed'));
    const decoded = decodeTrainerCheckpoint(encodeTrainerCheckpoint(state, { preset: 'seed' }), 'c.zip');
    expect(decoded.run).toEqual({ preset: 'seed' });
    expect(decoded.state).toEqual(state);
  });

  it('label a checkpoint written before runs recorded their preset with the closest preset', async () => {
    const state = await trainerState(small('seed'));
    const current = decodeCheckpoint(encodeTrainerCheckpoint(state, { preset: 'seed' }), 'c.zip');
    const { run: _run, ...olderMeta } = current.meta as Record<string, JsonValue>;
    const older = encodeCheckpoint({ arrays: Object.fromEntries(current.arrays), meta: olderMeta });
    const decoded = decodeTrainerCheckpoint(older, 'old.zip');
    expect(decoded.run).toEqual({ preset: 'seed' });
    expect(decoded.state).toEqual(state);
  });

  it('refuse a run entry without a preset name', async () => {
    const state = await trainerState(small('default'));
    const current = decodeCheckpoint(encodeTrainerCheckpoint(state, { preset: 'default' }), 'c.zip');
    const meta = { ...(current.meta as Record<string, JsonValue>), run: { preset: 7 } };
    expect(() => decodeTrainerCheckpoint(encodeCheckpoint({ arrays: Object.fromEntries(current.arrays), meta }), 'bad.zip')).toThrow(/bad.zip: checkpoint field 'run.preset' must be one of default, vector, pole-down, pole-down-vector, acrobot, acrobot-vector, mountain-car, mountain-car-vector, seed, got 7/);
  });
});

describe('closestPreset', () => {
  it('names the preset a config differs least from', () => {
    expect(closestPreset(preset('default'))).toBe('default');
    expect(closestPreset(preset('seed'))).toBe('seed');
    expect(closestPreset({ ...preset('seed'), steps: 20_000, episodes: 0, hidden: [32] })).toBe('seed');
    expect(closestPreset({ ...preset('default'), lr: 0.01, loss: 'mse' })).toBe('default');
  });
});
