/**
 * n-step returns: the replay buffer's windows (one episode of one env, cut by termination,
 * truncation or the newest transition, across interleaved envs and ring overwrites), the agent's TD
 * targets r_sum + gamma^m V(s'), and the trainer's exact resume with n-step windows open.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { Rng } from '../src/random/rng.js';
import { preset, type DqnConfig } from '../src/rl/config.js';
import { DqnAgent } from '../src/rl/dqn-agent.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { ReplayBuffer, createMinibatch, type Minibatch } from '../src/rl/replay-buffer.js';

const GAMMA = 0.5;
/** Observation of step t of stream e: [e, t]; its s' is [e, t + 1]. */
const obs = (e: number, t: number) => [e, t];

/** The window that starts at slot `slot`, as plain numbers. */
function windowAt(buffer: ReplayBuffer, slot: number, nStep: number, gamma = GAMMA) {
  const batch = createMinibatch(1, 2);
  buffer.copyReturn(slot, 0, batch, nStep, gamma);
  return {
    s: Array.from(batch.observations),
    reward: batch.rewards[0],
    next: Array.from(batch.nextObservations),
    terminated: batch.terminated[0],
    discount: batch.discounts[0],
  };
}

describe('ReplayBuffer n-step windows', () => {
  it('sums up to n discounted rewards of one episode and bootstraps with gamma^m', () => {
    const buffer = new ReplayBuffer(16, 2);
    // One episode: rewards 1, 2, 4, 8, 16; not over yet.
    [1, 2, 4, 8, 16].forEach((r, t) => buffer.add(obs(0, t), 0, r, obs(0, t + 1), false));
    expect(windowAt(buffer, 0, 3)).toEqual({ s: [0, 0], reward: 1 + 0.5 * 2 + 0.25 * 4, next: [0, 3], terminated: 0, discount: 0.125 });
    expect(windowAt(buffer, 1, 3)).toEqual({ s: [0, 1], reward: 2 + 0.5 * 4 + 0.25 * 8, next: [0, 4], terminated: 0, discount: 0.125 });
    // Near the newest transition the window is shorter (its successor has not happened yet).
    expect(windowAt(buffer, 3, 3)).toEqual({ s: [0, 3], reward: 8 + 0.5 * 16, next: [0, 5], terminated: 0, discount: 0.25 });
    expect(windowAt(buffer, 4, 3)).toEqual({ s: [0, 4], reward: 16, next: [0, 5], terminated: 0, discount: 0.5 });
    // n = 1 is the one-step transition, discount gamma.
    expect(windowAt(buffer, 2, 1)).toEqual({ s: [0, 2], reward: 4, next: [0, 3], terminated: 0, discount: 0.5 });
  });

  it('stops at a termination (no bootstrap) and at a truncation (bootstrap from the final observation), never entering the next episode', () => {
    const buffer = new ReplayBuffer(16, 2);
    // Episode A terminates at its third transition; episode B is truncated at its second; episode C follows.
    buffer.add(obs(0, 0), 0, 1, obs(0, 1), false);
    buffer.add(obs(0, 1), 1, 2, obs(0, 2), false);
    buffer.add(obs(0, 2), 0, 4, obs(0, 3), true);
    buffer.add(obs(0, 10), 1, 1, obs(0, 11), false);
    buffer.add(obs(0, 11), 0, 2, obs(0, 12), false, true);
    buffer.add(obs(0, 20), 1, 100, obs(0, 21), false);
    buffer.add(obs(0, 21), 1, 100, obs(0, 22), false);
    expect(windowAt(buffer, 0, 5)).toEqual({ s: [0, 0], reward: 1 + 0.5 * 2 + 0.25 * 4, next: [0, 3], terminated: 1, discount: 0 });
    expect(windowAt(buffer, 2, 5)).toEqual({ s: [0, 2], reward: 4, next: [0, 3], terminated: 1, discount: 0 });
    expect(windowAt(buffer, 3, 5)).toEqual({ s: [0, 10], reward: 1 + 0.5 * 2, next: [0, 12], terminated: 0, discount: 0.25 });
    expect(windowAt(buffer, 4, 5)).toEqual({ s: [0, 11], reward: 2, next: [0, 12], terminated: 0, discount: 0.5 });
    expect(windowAt(buffer, 5, 5)).toEqual({ s: [0, 20], reward: 100 + 0.5 * 100, next: [0, 22], terminated: 0, discount: 0.25 });
  });

  it('follows each env of interleaved streams, in whatever order their transitions arrive', () => {
    const buffer = new ReplayBuffer(32, 2, 3);
    // Env 1 ends its episode (termination) at t = 1 and starts another; env 2 adds twice in a row.
    const order = [0, 1, 2, 0, 1, 2, 2, 0, 1, 0, 1];
    const t = [0, 0, 0];
    for (const e of order) {
      const terminated = e === 1 && t[e] === 1;
      buffer.add(obs(e, t[e]), e, 10 * e + t[e], obs(e, t[e] + 1), terminated, false, e);
      t[e] = terminated ? 100 : t[e] + 1;
    }
    // Env 0's transitions are slots 0, 3, 7, 9: rewards 0, 1, 2, 3.
    expect(windowAt(buffer, 0, 3)).toEqual({ s: [0, 0], reward: 0 + 0.5 * 1 + 0.25 * 2, next: [0, 3], terminated: 0, discount: 0.125 });
    // Env 1: slots 1, 4 (terminates), then 8, 10 of its next episode.
    expect(windowAt(buffer, 1, 3)).toEqual({ s: [1, 0], reward: 10 + 0.5 * 11, next: [1, 2], terminated: 1, discount: 0 });
    expect(windowAt(buffer, 8, 3)).toEqual({ s: [1, 100], reward: 110 + 0.5 * 111, next: [1, 102], terminated: 0, discount: 0.25 });
    // Env 2: slots 2, 5, 6.
    expect(windowAt(buffer, 2, 3)).toEqual({ s: [2, 0], reward: 20 + 0.5 * 21 + 0.25 * 22, next: [2, 3], terminated: 0, discount: 0.125 });
    expect(() => buffer.add(obs(3, 0), 0, 0, obs(3, 1), false, false, 3)).toThrow(/stream 3 is not in \[0, 3\)/);
  });

  it('never links to a transition the ring has overwritten', () => {
    const buffer = new ReplayBuffer(4, 2, 2);
    buffer.add(obs(0, 0), 0, 1, obs(0, 1), false, false, 0);
    // Env 1 fills the ring: env 0's transition is overwritten before env 0 steps again.
    for (let t = 0; t < 4; t++) buffer.add(obs(1, t), 0, 2, obs(1, t + 1), false, false, 1);
    buffer.add(obs(0, 1), 0, 4, obs(0, 2), false, false, 0);
    // Slot 1 now holds env 0's second transition; slot 0 holds env 1's t = 3, whose successor is not there.
    expect(windowAt(buffer, 1, 3)).toEqual({ s: [0, 1], reward: 4, next: [0, 2], terminated: 0, discount: 0.5 });
    expect(windowAt(buffer, 0, 3)).toEqual({ s: [1, 3], reward: 2, next: [1, 4], terminated: 0, discount: 0.5 });
    // Env 1's t = 1, 2, 3 are slots 2, 3, 0: the chain crosses the end of the ring.
    expect(windowAt(buffer, 2, 3)).toEqual({ s: [1, 1], reward: 2 + 0.5 * 2 + 0.25 * 2, next: [1, 4], terminated: 0, discount: 0.125 });
  });

  it('samples with the same draws as one-step sampling, and resumes its chains from a saved state', () => {
    const rng = new Rng(3);
    const buffer = new ReplayBuffer(50, 2, 2);
    for (let t = 0; t < 60; t++) {
      for (let e = 0; e < 2; e++) buffer.add(obs(e, t), rng.integers(2), rng.random(), obs(e, t + 1), rng.random() < 0.05, rng.random() < 0.05, e);
    }
    const one = createMinibatch(64, 2);
    const nStep = createMinibatch(64, 2);
    buffer.sample(new Rng(9), one);
    buffer.sampleReturns(new Rng(9), nStep, 1, 0.9);
    expect(Array.from(nStep.observations)).toEqual(Array.from(one.observations));
    expect(Array.from(nStep.rewards)).toEqual(Array.from(one.rewards));
    expect(Array.from(nStep.nextObservations)).toEqual(Array.from(one.nextObservations));
    expect(Array.from(nStep.discounts)).toEqual(Array.from(one.terminated, (t) => (t === 1 ? 0 : Math.fround(0.9))));

    const copy = new ReplayBuffer(50, 2, 2);
    copy.setState(buffer.getState());
    for (const b of [buffer, copy]) b.add(obs(0, 60), 1, 5, obs(0, 61), false, false, 0);
    const a = createMinibatch(64, 2);
    const c = createMinibatch(64, 2);
    buffer.sampleReturns(new Rng(4), a, 4, 0.9);
    copy.sampleReturns(new Rng(4), c, 4, 0.9);
    expect(c).toEqual(a);
    expect(() => new ReplayBuffer(50, 2, 3).setState(buffer.getState())).toThrow(/2 streams, this buffer has 3/);
    expect(() => buffer.sampleReturns(new Rng(0), a, 0, 0.9)).toThrow(/nStep must be a positive integer/);
  });
});

describe('DqnAgent with n-step returns', () => {
  it("targets r_sum + discount V(s'), the discount replacing gamma (1 - terminated)", async () => {
    const backend = new CpuBackend();
    const config = { ...preset('default'), hidden: [8], batchSize: 4, nStep: 3, doubleDqn: false, gamma: 0.9 };
    const agent = new DqnAgent(backend, config, 2, 2, new Rng(0));
    const batch: Minibatch = createMinibatch(4, 2);
    batch.observations.set([0.1, 0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8]);
    batch.nextObservations.set([0.2, 0.1, -0.3, 0.5, 0.6, 0.6, -0.1, 0.9]);
    batch.actions.set([0, 1, 1, 0]);
    batch.rewards.set([1, 1.9, 2.71, 0.5]);
    // Row 2's window ended in a termination (discount 0); row 3 was cut by a truncation after one step.
    batch.terminated.set([0, 0, 1, 0]);
    batch.discounts.set([0.729, 0.729, 0, 0.9]);
    const nextQ = await agent.target.qValuesBatch(batch.nextObservations, 4);
    agent.update(batch);
    const targets = await agent.readTdTargets();
    for (let i = 0; i < 4; i++) {
      const v = Math.max(nextQ[2 * i], nextQ[2 * i + 1]);
      expect(targets[i]).toBeCloseTo(batch.rewards[i] + batch.discounts[i] * v, 6);
    }
    agent.dispose();
    backend.destroy();
  });
});

describe('DqnTrainer with n-step returns', () => {
  it('trains reproducibly and resumes exactly with n-step windows open in several envs', async () => {
    const config: DqnConfig = {
      ...preset('default'),
      hidden: [16],
      numEnvs: 3,
      nStep: 3,
      steps: 900,
      learningStarts: 100,
      bufferSize: 500,
      evalFreq: 0,
      explorationFraction: 0.5,
    };
    const backend = new CpuBackend();
    const whole = new DqnTrainer(backend, config, 5);
    await whole.run();
    const first = new DqnTrainer(backend, config, 5);
    await first.run(451);
    const state = await first.getState();
    const resumed = new DqnTrainer(backend, config, 5);
    resumed.restore(state);
    await resumed.run();
    expect(resumed.steps).toBe(whole.steps);
    expect(await resumed.agent.online.getWeights()).toEqual(await whole.agent.online.getWeights());
    // A run with one-step targets learns something else from the same stream.
    const oneStep = new DqnTrainer(backend, { ...config, nStep: 1 }, 5);
    await oneStep.run();
    expect(await oneStep.agent.online.getWeights()).not.toEqual(await whole.agent.online.getWeights());
    for (const t of [whole, first, resumed, oneStep]) t.dispose();
    backend.destroy();
  });
});
