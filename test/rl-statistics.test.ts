/** The statistics reported of episode returns: mean and std of an evaluation, and the mean of the latest 100 episodes. */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { preset } from '../src/rl/config.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { RecentReturns, meanAndStd } from '../src/rl/statistics.js';

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

describe('meanAndStd', () => {
  it("gives NumPy's np.mean and np.std (the population std, ddof=0), not the sample std", () => {
    // Deviations from the mean 5 are -3, -1, -1, -1, 0, 0, 2, 4: squares sum to 32, and 32 / 8 = 4.
    // np.std of this vector is 2.0; the sample std would be sqrt(32 / 7) = 2.138...
    expect(meanAndStd([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ mean: 5, std: 2 });
    // One episode: std 0 (np.std([x]) is 0.0; the sample std would be NaN).
    expect(meanAndStd([500])).toEqual({ mean: 500, std: 0 });
  });
});

describe('RecentReturns', () => {
  it("averages exactly the latest 100 returns (Gymnasium's solve window) and keeps them oldest first", () => {
    const recent = new RecentReturns();
    for (let r = 1; r <= 100; r++) recent.push(r);
    expect(recent.mean).toBe(50.5);
    recent.push(101);
    // Returns 2..101: the first has left, the other 100 count.
    expect(recent.values()).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    expect(recent.mean).toBe(51.5);
  });

  it('keeps the latest 100 of more restored returns', () => {
    const recent = new RecentReturns();
    recent.setValues(Array.from({ length: 150 }, (_, i) => i));
    expect(recent.values()).toEqual(Array.from({ length: 100 }, (_, i) => i + 50));
  });

  it("DqnTrainer's meanReturn100 after 101 episodes is the mean of the latest 100 episode returns", async () => {
    const backend = new CpuBackend();
    // Random acting (epsilon 1 throughout, no updates, no evaluations): episodes of varied returns, quickly.
    const config = { ...preset('default'), hidden: [8], steps: 1_000_000, episodes: 101, learningStarts: 1_000_000, epsilonEnd: 1, evalFreq: 0 };
    const returns: number[] = [];
    const trainer = new DqnTrainer(backend, config, 4, { onEpisode: (log) => void returns.push(log.return) });
    await trainer.run();
    expect(returns.length).toBe(101);
    // The case tells 100 from 99 or 101: those windows have other means here.
    expect(new Set([mean(returns.slice(-99)), mean(returns.slice(-100)), mean(returns)]).size).toBe(3);
    expect(trainer.meanReturn100).toBe(mean(returns.slice(-100)));
    expect((await trainer.getState()).recentReturns).toEqual(returns.slice(-100));
    trainer.dispose();
    backend.destroy();
  });
});
