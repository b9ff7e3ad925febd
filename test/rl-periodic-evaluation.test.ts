/** Periodic greedy evaluation keeps the best weights whether or not a callback listens. */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { preset } from '../src/rl/config.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';

describe('DqnTrainer periodic evaluation', () => {
  it('runs and keeps the best weights without an onEvaluation callback', async () => {
    const backend = new CpuBackend();
    const config = { ...preset('default'), hidden: [8], steps: 600, learningStarts: 100, evalFreq: 200, evalEpisodes: 2 };
    const quiet = new DqnTrainer(backend, config, 1);
    await quiet.run();
    const seen: number[] = [];
    const listened = new DqnTrainer(backend, config, 1, { onEvaluation: (log) => void seen.push(log.meanReturn) });
    await listened.run();
    expect(seen.length).toBe(3);
    expect(quiet.bestWeights).not.toBeNull();
    expect(quiet.bestMeanReturn).toBe(Math.max(...seen));
    expect(quiet.bestSteps).toBe(listened.bestSteps);
    for (const t of [quiet, listened]) t.dispose();
    backend.destroy();
  });
});
