/**
 * QR-DQN (config.quantiles N > 1): what the quantile head learns, how it acts, and how its weights
 * are saved and read. The loss itself is in the conformance table (both backends, against a float64
 * reference) and has a gradient check (gradcheck.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { decodeCheckpoint, encodeCheckpoint, type JsonValue } from '../src/io/checkpoint.js';
import { Rng } from '../src/random/rng.js';
import { preset, validateConfig, type DqnConfig } from '../src/rl/config.js';
import { DqnAgent } from '../src/rl/dqn-agent.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { QNetwork, quantileMeans } from '../src/rl/q-network.js';
import { createMinibatch } from '../src/rl/replay-buffer.js';
import { decodeTrainerCheckpoint, encodeTrainerCheckpoint } from '../src/rl/trainer-checkpoint.js';
import { DQN_ALGORITHM } from '../src/rl/algorithms.js';
import { networkRecord, encodeWeightsNpz, readWeightsFile } from '../src/rl/weights-file.js';

const OBS = 3;

function quantileConfig(overrides: Partial<DqnConfig> = {}): DqnConfig {
  return { ...preset('default'), hidden: [16], quantiles: 4, nStep: 1, batchSize: 8, maxGradNorm: 0, lr: 1e-2, targetUpdate: 'hard', ...overrides };
}

describe('QR-DQN', () => {
  it('learns the quantiles of a random reward: with delta 1 the Huber quantiles of a fair coin {0, 1} are tau_k themselves', async () => {
    // One state, terminal transitions: action 0 pays 0 or 1 (half each), action 1 always 0.25. For
    // rewards {0, 1} and 0 <= theta <= 1, the quantile Huber loss (delta 1) of quantile k is
    // (1 - tau) theta^2 / 2 + tau (1 - theta)^2 / 2 per pair of samples, least at theta = tau_k =
    // (2k + 1) / 2N; with a small delta it is the true quantile, 0 below the median and 1 above.
    for (const [delta, expected] of [
      [1, [0.125, 0.375, 0.625, 0.875]],
      [0.01, [0, 0, 1, 1]],
    ] as const) {
      const backend = new CpuBackend({ dtype: 'float64' });
      const agent = new DqnAgent(backend, quantileConfig({ huberDelta: delta }), OBS, 2, new Rng(3));
      const batch = createMinibatch(8, OBS);
      for (let i = 0; i < 8; i++) batch.observations.set([0.5, -0.3, 0.2], i * OBS);
      batch.actions.set([0, 0, 0, 0, 0, 0, 1, 1]);
      batch.rewards.set([0, 1, 0, 1, 0, 1, 0.25, 0.25]);
      batch.terminated.fill(1);
      for (let i = 0; i < 1500; i++) agent.update(batch);
      const x = backend.tensor([1, OBS], [0.5, -0.3, 0.2]);
      const quantiles = Array.from(await backend.read(agent.online.forward(x)));
      x.dispose();
      quantiles.slice(0, 4).forEach((q, k) => expect(q, `action 0, quantile ${k}, delta ${delta}`).toBeCloseTo(expected[k], 1));
      quantiles.slice(4).forEach((q, k) => expect(q, `action 1, quantile ${k}`).toBeCloseTo(0.25, 1));
      // Q(s, .) is the mean of each action's quantiles: 0.5 and 0.25, so the greedy action is 0.
      const q = await agent.qValues([0.5, -0.3, 0.2]);
      expect(q[0]).toBeCloseTo(0.5, 1);
      expect(q[1]).toBeCloseTo(0.25, 1);
      expect(await agent.greedyAction([0.5, -0.3, 0.2])).toBe(0);
      agent.dispose();
    }
  });

  it("qValuesBatch gives each action's quantile mean, row by row, from one read back", async () => {
    const backend = new CpuBackend();
    const spec = { obsDim: OBS, nActions: 3, hidden: [8], activation: 'relu' as const, init: 'torch_default' as const, dueling: false, quantiles: 5 };
    const net = new QNetwork(backend, spec, new Rng(4));
    const observations = Float32Array.from({ length: 2 * OBS }, (_, i) => Math.sin(i));
    const x = backend.tensor([2, OBS], observations);
    const raw = Float32Array.from(await backend.read(net.forward(x)));
    expect(raw).toHaveLength(2 * 3 * 5);
    const means = new Float32Array(6);
    quantileMeans(raw, means, 6, 5);
    const reads = backend.stats().readbacks;
    expect(await net.qValuesBatch(observations, 2)).toEqual(means);
    expect(backend.stats().readbacks - reads).toBe(1);
    expect(net.weightShapes().at(-1)).toEqual([1, 15]);
    net.dispose();
  });

  it('weights files record the quantiles; files without the record read as 1 and stay as they were', () => {
    const config = quantileConfig({ quantiles: 25 });
    const network = networkRecord({ env: config.env, ...DQN_ALGORITHM.architecture(config) }, OBS, 2);
    const shapes: [number, number][] = [
      [OBS, 16],
      [1, 16],
      [16, 50],
      [1, 50],
    ];
    const arrays = shapes.map(([r, c]) => new Float64Array(r * c).fill(0.5));
    expect(readWeightsFile(encodeWeightsNpz(arrays, shapes, network), 'q.npz').network?.quantiles).toBe(25);
    const plain = encodeWeightsNpz(arrays, shapes, { ...network, quantiles: 1 });
    expect(readWeightsFile(plain, 'p.npz').network?.quantiles).toBe(1);
    // quantiles 1 is not written: a plain DQN's file is byte for byte what it was before QR-DQN.
    expect(new TextDecoder().decode(plain)).not.toContain('quantiles');
  });

  it('refuses settings that do not fit: a loss other than Huber, a dueling head, a non-integer count', () => {
    expect(() => validateConfig(quantileConfig({ loss: 'mse' }))).toThrow(/quantiles 4 \(QR-DQN\) needs loss 'huber', the quantile Huber loss; got 'mse'/);
    expect(() => validateConfig(quantileConfig({ dueling: true }))).toThrow(/quantiles 4 \(QR-DQN\) does not go with dueling/);
    expect(() => validateConfig(quantileConfig({ quantiles: 2.5 }))).toThrow(/quantiles must be a positive integer, got 2\.5/);
    expect(() => validateConfig(quantileConfig({ quantiles: 0 }))).toThrow(/quantiles must be a positive integer, got 0/);
    expect(() => validateConfig(quantileConfig({ doubleDqn: false, munchausen: 0.9 }))).toThrow(/munchausen 0\.9 does not go with quantiles 4: Munchausen targets are for one Q-value per action/);
    const backend = new CpuBackend();
    const spec = { obsDim: OBS, nActions: 2, hidden: [4], activation: 'relu' as const, init: 'torch_default' as const, dueling: true, quantiles: 3 };
    expect(() => new QNetwork(backend, spec, new Rng(1))).toThrow(/a dueling head has no quantiles \(quantiles 3\)/);
  });

  it('trains on CartPole and resumes exactly from a checkpoint file; older checkpoints (no quantiles) read as a plain DQN', async () => {
    const backend = new CpuBackend();
    const config: DqnConfig = { ...preset('default'), quantiles: 8, hidden: [16], bufferSize: 500, batchSize: 16, learningStarts: 50, steps: 400, evalFreq: 0 };
    const straight = new DqnTrainer(backend, config, 5);
    await straight.run();
    const reference = await straight.agent.online.getWeights();
    expect(reference.at(-1)).toHaveLength(2 * 8);

    const first = new DqnTrainer(backend, config, 5);
    await first.run(200);
    const file = encodeTrainerCheckpoint(await first.getState(), { preset: 'default' });
    const { state } = decodeTrainerCheckpoint(file, 'c.zip');
    expect(state.config.quantiles).toBe(8);
    const resumed = new DqnTrainer(backend, config, 5);
    resumed.restore(state);
    await resumed.run();
    expect(await resumed.agent.online.getWeights()).toEqual(reference);

    // A checkpoint from before QR-DQN has no quantiles field: a plain DQN's, which its arrays fit.
    const plain = new DqnTrainer(backend, { ...config, quantiles: 1 }, 5);
    await plain.run(100);
    const saved = decodeCheckpoint(encodeTrainerCheckpoint(await plain.getState(), { preset: 'default' }), 'p.zip');
    const meta = saved.meta as Record<string, JsonValue>;
    const { quantiles: _n, ...olderConfig } = meta.config as Record<string, JsonValue>;
    const older = encodeCheckpoint({ arrays: Object.fromEntries(saved.arrays), meta: { ...meta, config: olderConfig } });
    expect(decodeTrainerCheckpoint(older, 'old.zip').state.config.quantiles).toBe(1);
    for (const t of [straight, first, resumed, plain]) t.dispose();
    backend.destroy();
  });
});
