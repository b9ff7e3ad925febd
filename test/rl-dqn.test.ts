import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { CartPoleEnv } from '../src/envs/cartpole.js';
import { register } from '../src/envs/registry.js';
import { Rng } from '../src/random/rng.js';
import { preset, type DqnConfig } from '../src/rl/config.js';
import { DqnAgent, argmax } from '../src/rl/dqn-agent.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { QNetwork } from '../src/rl/q-network.js';
import { createMinibatch, type Minibatch } from '../src/rl/replay-buffer.js';

const OBS = 3;
const ACTIONS = 4;
const BATCH = 4;

function agentConfig(overrides: Partial<DqnConfig> = {}): DqnConfig {
  return { ...preset('seed'), hidden: [8], loss: 'mse', batchSize: BATCH, maxGradNorm: 0, lr: 1e-3, ...overrides };
}

function fixedBatch(gamma: number): Minibatch {
  const b = createMinibatch(BATCH, OBS);
  const rng = new Rng(5);
  rng.fillUniform(b.observations, -1, 1);
  rng.fillUniform(b.nextObservations, -1, 1);
  b.actions.set([0, 3, 1, 2]);
  b.rewards.set([1, -0.5, 2, 0.25]);
  // Row 1 terminated (no bootstrap); row 2 truncated by a time limit: it still bootstraps.
  b.discounts.set([gamma, 0, gamma, gamma]);
  return b;
}

async function qRows(backend: Backend, net: QNetwork, obs: Float32Array): Promise<number[][]> {
  const x = backend.tensor([BATCH, OBS], obs);
  const q = Array.from(await backend.read(net.forward(x)));
  x.dispose();
  return Array.from({ length: BATCH }, (_, i) => q.slice(i * ACTIONS, (i + 1) * ACTIONS));
}

/** The MSE the agent must report for `batch`, computed from forward passes and the TD-target formula. */
async function expectedLoss(backend: Backend, agent: DqnAgent, batch: Minibatch, double: boolean): Promise<number> {
  const qOnline = await qRows(backend, agent.online, batch.observations);
  const qNextTarget = await qRows(backend, agent.target, batch.nextObservations);
  const qNextOnline = await qRows(backend, agent.online, batch.nextObservations);
  let sum = 0;
  for (let i = 0; i < BATCH; i++) {
    const next = double ? qNextTarget[i][argmax(qNextOnline[i])] : Math.max(...qNextTarget[i]);
    const target = batch.rewards[i] + batch.discounts[i] * next;
    sum += (qOnline[i][batch.actions[i]] - target) ** 2;
  }
  return sum / BATCH;
}

async function makeAgent(config: DqnConfig): Promise<{ backend: Backend; agent: DqnAgent }> {
  const backend = new CpuBackend({ dtype: 'float64' });
  const agent = new DqnAgent(backend, config, OBS, ACTIONS, new Rng(11));
  // Make online and target differ so that Double DQN's choice matters.
  const target = await agent.target.getWeights();
  const rng = new Rng(99);
  agent.target.setWeights(target.map((w) => w.map(() => rng.uniform(-1, 1))));
  return { backend, agent };
}

describe('DQN update', () => {
  it('regresses Q(s, a) on r + gamma * max Q_target(s\'), with no bootstrap on termination', async () => {
    const { backend, agent } = await makeAgent(agentConfig());
    const batch = fixedBatch(0.99);
    const expected = await expectedLoss(backend, agent, batch, false);
    const doubleValue = await expectedLoss(backend, agent, batch, true);
    expect(Math.abs(expected - doubleValue)).toBeGreaterThan(1e-3); // the two targets really differ here
    agent.update(batch);
    expect(await agent.readLoss()).toBeCloseTo(expected, 10);
    agent.dispose();
  });

  it("Double DQN evaluates the online network's argmax with the target network", async () => {
    const { backend, agent } = await makeAgent(agentConfig({ doubleDqn: true }));
    const batch = fixedBatch(0.9);
    const expected = await expectedLoss(backend, agent, batch, true);
    agent.update(batch);
    expect(await agent.readLoss()).toBeCloseTo(expected, 10);
    agent.dispose();
  });

  it('moves Q(s, a) toward the target and leaves the target network to the update rule', async () => {
    for (const targetUpdate of ['soft', 'hard'] as const) {
      const { backend, agent } = await makeAgent(agentConfig({ targetUpdate, tau: 0.5, lr: 1e-2 }));
      const batch = fixedBatch(0.99);
      const before = await expectedLoss(backend, agent, batch, false);
      const targetBefore = await agent.target.getWeights();
      for (let i = 0; i < 20; i++) agent.update(batch);
      const onlineAfter = await agent.online.getWeights();
      const targetAfter = await agent.target.getWeights();
      if (targetUpdate === 'hard') {
        expect(targetAfter).toEqual(targetBefore);
        agent.syncTarget();
        expect(await agent.target.getWeights()).toEqual(onlineAfter);
      } else {
        // Soft: after many lerps with tau 0.5 the target has moved most of the way to the online net.
        const gap = (a: Float64Array[], b: Float64Array[]) => a.reduce((s, w, k) => s + w.reduce((t, x, j) => t + Math.abs(x - b[k][j]), 0), 0);
        expect(gap(targetAfter as Float64Array[], onlineAfter as Float64Array[])).toBeLessThan(0.01 * gap(targetBefore as Float64Array[], onlineAfter as Float64Array[]));
      }
      agent.update(batch);
      expect(await agent.readLoss()).toBeLessThan(before);
      agent.dispose();
    }
  });

  it('dueling heads give Q = V + A - mean(A) and train', async () => {
    const { backend, agent } = await makeAgent(agentConfig({ dueling: true, hidden: [8, 8] }));
    const batch = fixedBatch(0.99);
    const q = await qRows(backend, agent.online, batch.observations);
    expect(q[0]).toHaveLength(ACTIONS);
    const before = await expectedLoss(backend, agent, batch, false);
    agent.update(batch);
    expect(await agent.readLoss()).toBeCloseTo(before, 10);
    for (let i = 0; i < 30; i++) agent.update(batch);
    expect(await agent.readLoss()).toBeLessThan(before);
    agent.dispose();
  });
});

describe('DqnTrainer', () => {
  register({ id: 'CartPoleShort-v1', create: (o) => new CartPoleEnv(o), maxEpisodeSteps: 4 });
  const small = (overrides: Partial<DqnConfig>): DqnConfig => ({
    ...preset('default'),
    hidden: [16],
    batchSize: 8,
    bufferSize: 1000,
    learningStarts: 20,
    trainFreq: 4,
    gradientSteps: 2,
    steps: 200,
    evalFreq: 0,
    ...overrides,
  });

  it('stores truncated transitions as non-terminal and terminated ones as terminal', async () => {
    const backend = new CpuBackend();
    const truncating = new DqnTrainer(backend, small({ env: 'CartPoleShort-v1', steps: 40 }), 0);
    await truncating.run();
    const t = truncating.replay.getState();
    expect(truncating.episodes).toBe(10); // every episode cut at 4 steps
    expect(Array.from(t.terminated.subarray(0, t.size)).every((f) => f === 0)).toBe(true);
    truncating.dispose();

    const terminating = new DqnTrainer(backend, small({ steps: 300 }), 0);
    await terminating.run();
    const s = terminating.replay.getState();
    const ends = Array.from(s.terminated.subarray(0, s.size)).filter((f) => f === 1).length;
    // Random early CartPole episodes all end by falling, each storing exactly one terminal transition.
    expect(ends).toBeGreaterThanOrEqual(terminating.episodes);
    expect(ends).toBeLessThanOrEqual(terminating.episodes + 1);
    terminating.dispose();
  });

  it('reproduces itself from the same seed and resumes exactly from a snapshot', async () => {
    const backend = new CpuBackend();
    const config = small({ steps: 600 });
    const straight = new DqnTrainer(backend, config, 3);
    await straight.run();
    const reference = await straight.agent.online.getWeights();

    const again = new DqnTrainer(backend, config, 3);
    await again.run();
    expect(await again.agent.online.getWeights()).toEqual(reference);

    // Snapshots in the middle of the first (seeded) episode, in a later episode, and between episodes.
    const trainers = [straight, again];
    for (const stopAt of [5, 250, -1]) {
      const first = new DqnTrainer(backend, config, 3);
      await first.run(Number.POSITIVE_INFINITY, () => (stopAt > 0 ? first.steps >= stopAt : first.steps > 300 && first.atEpisodeBoundary));
      expect(first.atEpisodeBoundary).toBe(stopAt < 0);
      const snapshot = await first.getState();
      const resumed = new DqnTrainer(backend, config, 3);
      resumed.restore(snapshot);
      await resumed.run();
      expect(resumed.steps).toBe(600);
      expect(resumed.episodes).toBe(straight.episodes);
      expect(await resumed.agent.online.getWeights()).toEqual(reference);
      trainers.push(first, resumed);
    }
    for (const t of trainers) t.dispose();
  });
});
