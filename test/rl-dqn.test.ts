import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { CartPoleEnv } from '../src/envs/cartpole.js';
import type { Env } from '../src/envs/env.js';
import { make, register } from '../src/envs/registry.js';
import { newStepRecord, type StepRecord } from '../src/envs/types.js';
import { Rng } from '../src/random/rng.js';
import { preset, type DqnConfig } from '../src/rl/config.js';
import { DqnAgent, argmax } from '../src/rl/dqn-agent.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { QNetwork } from '../src/rl/q-network.js';
import { makeDiscreteEnv } from '../src/rl/training-env.js';
import { mlp } from '../src/nn/sequential.js';
import { ReplayBuffer, createMinibatch, type Minibatch } from '../src/rl/replay-buffer.js';

register({ id: 'CartPoleShort-v1', create: (o) => new CartPoleEnv(o), maxEpisodeSteps: 4 });

const OBS = 3;
const ACTIONS = 4;
const BATCH = 4;

function agentConfig(overrides: Partial<DqnConfig> = {}): DqnConfig {
  return { ...preset('seed'), hidden: [8], loss: 'mse', batchSize: BATCH, maxGradNorm: 0, lr: 1e-3, ...overrides };
}

function fixedBatch(): Minibatch {
  const b = createMinibatch(BATCH, OBS);
  const rng = new Rng(5);
  rng.fillUniform(b.observations, -1, 1);
  rng.fillUniform(b.nextObservations, -1, 1);
  b.actions.set([0, 3, 1, 2]);
  b.rewards.set([1, -0.5, 2, 0.25]);
  // Row 1 terminated (no bootstrap).
  b.terminated.set([0, 1, 0, 0]);
  return b;
}

async function qRows(backend: Backend, net: QNetwork, obs: Float32Array): Promise<number[][]> {
  const x = backend.tensor([BATCH, net.spec.obsDim], obs);
  const q = Array.from(await backend.read(net.forward(x)));
  x.dispose();
  return Array.from({ length: BATCH }, (_, i) => q.slice(i * ACTIONS, (i + 1) * ACTIONS));
}

/**
 * The MSE the agent must report for `batch`, computed from forward passes and the TD-target formula
 * r + gamma (1 - terminated) max_a' Q_target(s', a'), with `bootstraps[i]` saying which rows bootstrap.
 */
async function expectedLoss(backend: Backend, agent: DqnAgent, batch: Minibatch, double: boolean, bootstraps: readonly boolean[] = Array.from(batch.terminated, (t) => t === 0)): Promise<number> {
  const qOnline = await qRows(backend, agent.online, batch.observations);
  const qNextTarget = await qRows(backend, agent.target, batch.nextObservations);
  const qNextOnline = await qRows(backend, agent.online, batch.nextObservations);
  let sum = 0;
  for (let i = 0; i < BATCH; i++) {
    const next = double ? qNextTarget[i][argmax(qNextOnline[i])] : Math.max(...qNextTarget[i]);
    const target = batch.rewards[i] + (bootstraps[i] ? agent.config.gamma * next : 0);
    sum += (qOnline[i][batch.actions[i]] - target) ** 2;
  }
  return sum / BATCH;
}

/** Plays `env` with `action` from a seeded reset until the episode ends; returns the last transition. */
function lastTransition(env: Env, action: number): { obs: Float32Array; next: Float32Array; step: StepRecord } {
  const obs = new Float32Array(env.obsDim);
  const next = new Float32Array(env.obsDim);
  const step = newStepRecord();
  env.resetInto(next, 0, { seed: 1 });
  do {
    obs.set(next);
    env.stepInto(action, next, 0, step);
  } while (!step.terminated && !step.truncated);
  return { obs, next, step };
}

async function makeAgent(config: DqnConfig, obsDim = OBS): Promise<{ backend: Backend; agent: DqnAgent }> {
  const backend = new CpuBackend({ dtype: 'float64' });
  const agent = new DqnAgent(backend, config, obsDim, ACTIONS, new Rng(11));
  // Make online and target differ so that Double DQN's choice matters.
  const target = await agent.target.getWeights();
  const rng = new Rng(99);
  agent.target.setWeights(target.map((w) => w.map(() => rng.uniform(-1, 1))));
  return { backend, agent };
}

describe('DQN update', () => {
  it('regresses Q(s, a) on r + gamma * max Q_target(s\'), with no bootstrap on termination', async () => {
    const { backend, agent } = await makeAgent(agentConfig());
    const batch = fixedBatch();
    const expected = await expectedLoss(backend, agent, batch, false);
    const doubleValue = await expectedLoss(backend, agent, batch, true);
    expect(Math.abs(expected - doubleValue)).toBeGreaterThan(1e-3); // the two targets really differ here
    agent.update(batch);
    expect(await agent.readLoss()).toBeCloseTo(expected, 10);
    agent.dispose();
  });

  it('bootstraps from a step cut by the time limit (truncated) and not from a terminal step', async () => {
    // Real env steps: CartPole pushed one way falls over (terminated); CartPoleShort-v1 is cut at 4 steps.
    const fell = lastTransition(make('CartPole-v1'), 1);
    const cut = lastTransition(makeDiscreteEnv('CartPoleShort-v1'), 0);
    expect([fell.step.terminated, fell.step.truncated]).toEqual([true, false]);
    expect([cut.step.terminated, cut.step.truncated]).toEqual([false, true]);
    const replay = new ReplayBuffer(4, OBS + 1);
    const batch = createMinibatch(BATCH, OBS + 1);
    for (const t of [cut, fell, cut, fell]) replay.addStep(t.obs, 1, t.step, t.next);
    for (let i = 0; i < BATCH; i++) replay.copyTransition(i, i, batch);

    const { backend, agent } = await makeAgent(agentConfig(), OBS + 1);
    const q = await qRows(backend, agent.online, batch.observations);
    const qNext = await qRows(backend, agent.target, batch.nextObservations);
    const gamma = agent.config.gamma;
    const targets = [0, 1, 2, 3].map((i) => batch.rewards[i] + (i % 2 === 0 ? gamma * Math.max(...qNext[i]) : 0));
    const expected = targets.reduce((sum, target, i) => sum + (q[i][1] - target) ** 2, 0) / BATCH;
    const ifTruncationEnded = targets.reduce((sum, _, i) => sum + (q[i][1] - batch.rewards[i]) ** 2, 0) / BATCH;
    expect(Math.abs(expected - ifTruncationEnded)).toBeGreaterThan(1e-3); // bootstrapping really matters here
    agent.update(batch);
    expect(await agent.readLoss()).toBeCloseTo(expected, 10);
    agent.dispose();
  });

  it("Double DQN evaluates the online network's argmax with the target network", async () => {
    const { backend, agent } = await makeAgent(agentConfig({ doubleDqn: true, gamma: 0.9 }));
    const batch = fixedBatch();
    const expected = await expectedLoss(backend, agent, batch, true);
    agent.update(batch);
    expect(await agent.readLoss()).toBeCloseTo(expected, 10);
    agent.dispose();
  });

  it("Munchausen DQN regresses Q(s, a) on r + alpha clip(tau log pi(a | s)) + gamma times the soft value of s' under the target network", async () => {
    const alpha = 0.9;
    for (const tau of [0.03, 0.7]) {
      const { backend, agent } = await makeAgent(agentConfig({ doubleDqn: false, munchausen: alpha, munchausenTau: tau, gamma: 0.9 }));
      const batch = fixedBatch();
      const q = await qRows(backend, agent.online, batch.observations);
      const qTargetHere = await qRows(backend, agent.target, batch.observations);
      const qTargetNext = await qRows(backend, agent.target, batch.nextObservations);
      const logPolicy = (row: number[]) => {
        const top = Math.max(...row);
        const logSum = Math.log(row.reduce((sum, v) => sum + Math.exp((v - top) / tau), 0));
        return row.map((v) => (v - top) / tau - logSum);
      };
      let expected = 0;
      let ifPlain = 0;
      for (let i = 0; i < BATCH; i++) {
        const a = batch.actions[i];
        const bonus = alpha * Math.min(0, Math.max(-1, tau * logPolicy(qTargetHere[i])[a]));
        const lp = logPolicy(qTargetNext[i]);
        const soft = lp.reduce((sum, l, c) => sum + Math.exp(l) * (qTargetNext[i][c] - tau * l), 0);
        const bootstrap = batch.terminated[i] === 0 ? agent.config.gamma : 0;
        expected += (q[i][a] - (batch.rewards[i] + bonus + bootstrap * soft)) ** 2;
        ifPlain += (q[i][a] - (batch.rewards[i] + bootstrap * Math.max(...qTargetNext[i]))) ** 2;
      }
      expected /= BATCH;
      ifPlain /= BATCH;
      expect(Math.abs(expected - ifPlain)).toBeGreaterThan(1e-3); // the Munchausen target really differs here
      agent.update(batch);
      expect(await agent.readLoss()).toBeCloseTo(expected, 10);
      agent.dispose();
    }
  });

  it('moves Q(s, a) toward the target and leaves the target network to the update rule', async () => {
    for (const targetUpdate of ['soft', 'hard'] as const) {
      const { backend, agent } = await makeAgent(agentConfig({ targetUpdate, tau: 0.5, lr: 1e-2 }));
      const batch = fixedBatch();
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
    const batch = fixedBatch();
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

describe('QNetwork', () => {
  it('dueling: hidden layers, then value and advantage streams, drawn in that order; Q = V + A - mean(A)', async () => {
    const backend = new CpuBackend({ dtype: 'float64' });
    const spec = { obsDim: OBS, nActions: ACTIONS, hidden: [8, 6], activation: 'tanh', init: 'torch_default', dueling: true, quantiles: 1 } as const;
    const net = new QNetwork(backend, spec, new Rng(3));
    // The same draws as three separate MLPs built one after the other from the same stream.
    const rng = new Rng(3);
    const trunk = mlp(backend, [OBS, 8, 6], { hidden: 'tanh', output: 'tanh', init: 'torch_default', rng });
    const value = mlp(backend, [6, 1], { init: 'torch_default', rng });
    const advantage = mlp(backend, [6, ACTIONS], { init: 'torch_default', rng });
    const parts = [...(await trunk.getWeights()), ...(await value.getWeights()), ...(await advantage.getWeights())];
    expect(await net.getWeights()).toEqual(parts);
    expect(net.weightShapes()).toEqual([[OBS, 8], [1, 8], [8, 6], [1, 6], [6, 1], [1, 1], [6, ACTIONS], [1, ACTIONS]]);

    const obs = fixedBatch().observations;
    const x = backend.tensor([BATCH, OBS], obs);
    const h = trunk.forward(x);
    const v = await backend.read(value.forward(h));
    const a = await backend.read(advantage.forward(h));
    const q = await qRows(backend, net, obs);
    for (let i = 0; i < BATCH; i++) {
      const row = Array.from(a.subarray(i * ACTIONS, (i + 1) * ACTIONS));
      const mean = row.reduce((s, y) => s + y, 0) / ACTIONS;
      row.forEach((ai, j) => expect(q[i][j]).toBeCloseTo(v[i] + ai - mean, 12));
    }
    const gradQ = backend.tensor([BATCH, ACTIONS], new Float64Array(BATCH * ACTIONS).fill(0.5));
    net.forward(x);
    net.backward(gradQ, false); // makes the head's backward buffers, which dispose() must release too
    for (const m of [trunk, value, advantage]) m.dispose();
    for (const t of [x, gradQ]) t.dispose();
    net.dispose();
    expect(backend.stats().tensorsAlive).toBe(0);
  });
});

describe('DqnTrainer', () => {
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
      // stopAt -1: stop right after an episode ended (its env already reset, no step taken yet).
      await first.run(Number.POSITIVE_INFINITY, () => (stopAt > 0 ? first.steps >= stopAt : first.steps > 300 && first.envs.episodeStep(0) === 0));
      expect(first.envs.episodeStep(0) === 0).toBe(stopAt < 0);
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
