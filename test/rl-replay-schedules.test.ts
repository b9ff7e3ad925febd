import { describe, expect, it } from 'vitest';
import { Rng } from '../src/random/rng.js';
import { ReplayBuffer, createMinibatch } from '../src/rl/replay-buffer.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { EPSILON_SCHEDULES, PRESETS, preset, validateConfig, type DqnConfig, type EpsilonScheduleName } from '../src/rl/config.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { ExponentialEpisodeDecay, LinearStepDecay, createEpsilonSchedule } from '../src/rl/schedules.js';

describe('ReplayBuffer', () => {
  const obs = (x: number) => [x, x + 0.25];

  it('wraps around, overwriting the oldest transitions', () => {
    const buffer = new ReplayBuffer(3, 2);
    for (let i = 0; i < 5; i++) buffer.add(obs(i), i % 2, i * 10, obs(i + 1), i === 4);
    expect(buffer.size).toBe(3);
    // Slots hold transitions 3, 4, 2 (slot 0 <- 3, slot 1 <- 4, slot 2 <- 2).
    const batch = createMinibatch(3, 2);
    [0, 1, 2].forEach((slot) => buffer.copyTransition(slot, slot, batch));
    expect(Array.from(batch.rewards)).toEqual([30, 40, 20]);
    expect(Array.from(batch.observations)).toEqual([3, 3.25, 4, 4.25, 2, 2.25]);
    expect(Array.from(batch.nextObservations)).toEqual([4, 4.25, 5, 5.25, 3, 3.25]);
    expect(Array.from(batch.actions)).toEqual([1, 0, 0]);
    // Transition 4 terminated; the others did not.
    expect(Array.from(batch.terminated)).toEqual([0, 1, 0]);
  });

  it('samples uniformly with replacement from the stored transitions only, reproducibly', () => {
    const buffer = new ReplayBuffer(100, 1);
    for (let i = 0; i < 10; i++) buffer.add([i], 0, i, [i], false);
    const batch = createMinibatch(5000, 1);
    buffer.sample(new Rng(7), batch);
    const counts = new Array<number>(10).fill(0);
    for (const r of batch.rewards) counts[r]++;
    // Only the 10 stored transitions are drawn, each about 500 times (binomial sd ~21).
    expect(counts.reduce((a, b) => a + b, 0)).toBe(5000);
    for (const c of counts) expect(Math.abs(c - 500)).toBeLessThan(100);
    const again = createMinibatch(5000, 1);
    buffer.sample(new Rng(7), again);
    expect(Array.from(again.rewards)).toEqual(Array.from(batch.rewards));
    // The indices are NumPy's Generator.integers(0, 10) for the same seed.
    const rng = new Rng(7);
    expect(batch.rewards[0]).toBe(rng.integers(10));
  });

  it('round-trips its state and rejects bad input', () => {
    const buffer = new ReplayBuffer(4, 2);
    for (let i = 0; i < 6; i++) buffer.add(obs(i), 1, i, obs(i + 1), false);
    const copy = new ReplayBuffer(4, 2);
    copy.setState(buffer.getState());
    const a = createMinibatch(16, 2);
    const b = createMinibatch(16, 2);
    buffer.sample(new Rng(1), a);
    copy.sample(new Rng(1), b);
    expect(b).toEqual(a);
    expect(() => new ReplayBuffer(8, 2).setState(buffer.getState())).toThrow(/capacity 4 x obsDim 2/);
    expect(() => buffer.add([1, 2, 3], 0, 0, [1, 2], false)).toThrow(/length 2/);
    expect(() => new ReplayBuffer(2, 2).sample(new Rng(0), createMinibatch(1, 2))).toThrow(/empty/);
  });
});

describe('epsilon schedules', () => {
  it("decays numpy-rl-engine's way: start * decay^episode, floored", () => {
    const s = new ExponentialEpisodeDecay(1, 0.995, 0.01);
    expect(s.value(123, 0)).toBe(1);
    expect(s.value(0, 1)).toBeCloseTo(0.995, 15);
    expect(s.value(0, 100)).toBeCloseTo(0.995 ** 100, 15);
    expect(s.value(0, 5000)).toBe(0.01);
  });

  it("decays Stable-Baselines3's way: linear over a fraction of the step budget", () => {
    const s = new LinearStepDecay(1, 0.04, 0.16, 50_000);
    expect(s.value(0)).toBe(1);
    expect(s.value(4000)).toBeCloseTo(1 - 0.96 * 0.5, 12);
    expect(s.value(8000)).toBeCloseTo(0.04, 12);
    expect(s.value(40_000)).toBe(0.04);
  });

  it('createEpsilonSchedule, for every schedule kind, starts at epsilonStart, reaches exactly epsilonEnd where its decay ends and stays there', () => {
    // epsilonEnd 0.03 (and start 0.8, decay 0.9) is no preset's, so a schedule built from a wrong field or a default shows.
    const END = 0.03;
    const config = { ...preset('default'), epsilonStart: 0.8, epsilonEnd: END, epsilonDecay: 0.9, explorationFraction: 0.25, steps: 1000 };
    expect(Object.values(PRESETS).map((p) => p.epsilonEnd)).not.toContain(END);
    /** Per kind, the [step, episode] where the decay ends and the one just before. */
    const decayEnds: Record<EpsilonScheduleName, { before: [number, number]; end: [number, number] }> = {
      // 0.8 * 0.9^31 = 0.0305 > 0.03 > 0.8 * 0.9^32 = 0.0275: the floor is reached at episode 32.
      'exponential-episode': { before: [0, 31], end: [0, 32] },
      // Linear over the first 0.25 * 1000 env steps.
      'linear-step': { before: [249, 0], end: [250, 0] },
    };
    for (const kind of EPSILON_SCHEDULES) {
      const schedule = createEpsilonSchedule({ ...config, epsilonSchedule: kind });
      const { before, end } = decayEnds[kind];
      expect(schedule.value(0, 0), kind).toBe(0.8);
      expect(schedule.value(...before), kind).toBeGreaterThan(END);
      expect(schedule.value(...end), kind).toBe(END);
      for (const later of [1, 10, 1000, 1_000_000]) expect(schedule.value(end[0] + later, end[1] + later), `${kind}, ${later} later`).toBe(END);
    }
  });

  it('rejects out-of-range parameters naming the config field, in the constructors and in validateConfig alike', () => {
    const base = preset('default');
    const cases: [Partial<DqnConfig>, () => unknown, RegExp][] = [
      [{ epsilonStart: 1.5 }, () => new ExponentialEpisodeDecay(1.5, 0.99, 0.01), /^epsilonStart must be in \[0, 1\], got 1.5$/],
      [{ epsilonEnd: -0.1 }, () => new LinearStepDecay(1, -0.1, 0.1, 100), /^epsilonEnd must be in \[0, 1\], got -0.1$/],
      [{ epsilonDecay: 0 }, () => new ExponentialEpisodeDecay(1, 0, 0.01), /^epsilonDecay must be in \(0, 1\], got 0$/],
      [{ explorationFraction: 0 }, () => new LinearStepDecay(1, 0.05, 0, 100), /^explorationFraction must be in \(0, 1\], got 0$/],
      [{ steps: 0, episodes: 10 }, () => new LinearStepDecay(1, 0.05, 0.1, 0), /^steps must be a positive integer with the 'linear-step' epsilon schedule/],
    ];
    for (const [fields, construct, message] of cases) {
      expect(construct).toThrow(message);
      expect(() => validateConfig({ ...base, ...fields })).toThrow(message);
    }
    // The trainer refuses such a config before building anything, with the same message.
    expect(() => new DqnTrainer(new CpuBackend(), { ...base, steps: 0, episodes: 10 }, 0)).toThrow(/^steps must be a positive integer with the 'linear-step'/);
    // An episode budget is fine for the per-episode schedule.
    expect(() => validateConfig({ ...preset('seed'), steps: 0, episodes: 10 })).not.toThrow();
  });
});
