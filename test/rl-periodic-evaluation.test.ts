/** Periodic greedy evaluation keeps the best weights whether or not a callback listens, and a tie keeps the later ones. */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { CartPoleEnv } from '../src/envs/cartpole.js';
import { register } from '../src/envs/registry.js';
import { Rng } from '../src/random/rng.js';
import { preset } from '../src/rl/config.js';
import { DqnAgent } from '../src/rl/dqn-agent.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { PeriodicEvaluation } from '../src/rl/periodic-evaluation.js';

/**
 * CartPole cut at 3 steps: from a reset (|theta| <= 0.05 rad) no sequence of pushes tips the pole
 * past 12 degrees (0.21 rad) in 3 steps, so every episode returns exactly 3, whatever the policy.
 */
const TIED_ENV = 'CartPoleThreeSteps-v1';
register({ id: TIED_ENV, create: (o) => new CartPoleEnv(o), maxEpisodeSteps: 3 });

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

describe('PeriodicEvaluation', () => {
  it('keeps the later weights when an evaluation ties the best mean return (mean >= best, as README.md and docs/sb3-semantics.md say)', async () => {
    const backend = new CpuBackend();
    const agent = new DqnAgent(backend, { ...preset('default'), hidden: [8] }, 4, 2, new Rng(3));
    const evaluation = new PeriodicEvaluation(TIED_ENV, 4, 7);
    const earlier = await agent.policy.getWeights();
    const first = await evaluation.evaluate(agent, 100);

    const rng = new Rng(9);
    agent.online.setWeights(earlier.map((w) => Array.from(w, () => rng.uniform(-1, 1))));
    const later = await agent.policy.getWeights();
    expect(later).not.toEqual(earlier);
    const second = await evaluation.evaluate(agent, 200);

    // The tie this test is about: both evaluations score exactly the same.
    expect([first.meanReturn, second.meanReturn]).toEqual([3, 3]);
    expect([first.best, second.best]).toEqual([true, true]);
    expect(evaluation.bestMeanReturn).toBe(3);
    expect(evaluation.bestSteps).toBe(200);
    expect(evaluation.bestWeights).toEqual(later);
    evaluation.dispose();
    agent.dispose();
    backend.destroy();
  });
});
