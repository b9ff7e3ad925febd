/**
 * PqnAgent's contract on the CPU backend: the weights file's order and shapes, the initial
 * LayerNorm parameters, acting, argument checks, state round trips and disposal. Its numbers are
 * checked against NumPy in pqn-numpy-crosscheck.test.ts and on WebGPU in webgpu-pqn.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { InvalidArgumentError, ShapeError } from '../src/errors.js';
import { Rng } from '../src/random/rng.js';
import { PqnAgent, pqnWeightShapes, type PqnAgentConfig, type PqnMinibatch } from '../src/rl/pqn-agent.js';

const backend = new CpuBackend();
afterAll(() => backend.destroy());

const OBS = 4;
const ACTIONS = 3;
const CONFIG: PqnAgentConfig = { hidden: [8, 6], init: 'torch_default', batchSize: 5, maxGradNorm: 10 };

function minibatch(seed: number, rows = CONFIG.batchSize): PqnMinibatch {
  const rng = new Rng(seed);
  return {
    observations: Float32Array.from({ length: rows * OBS }, () => rng.uniform(-1, 1)),
    actions: Float32Array.from({ length: rows }, () => rng.integers(ACTIONS)),
    returns: Float32Array.from({ length: rows }, () => rng.uniform(0, 5)),
  };
}

describe('PqnAgent', () => {
  it('keeps its weights in the PQN file order: per hidden layer W, b, gamma, beta, then the head W, b', async () => {
    const agent = new PqnAgent(backend, CONFIG, OBS, ACTIONS, new Rng(0));
    const expected = [[4, 8], [1, 8], [1, 8], [1, 8], [8, 6], [1, 6], [1, 6], [1, 6], [6, 3], [1, 3]];
    expect(agent.weightShapes()).toEqual(expected);
    expect(pqnWeightShapes(OBS, ACTIONS, CONFIG.hidden)).toEqual(expected);
    const weights = await agent.getWeights();
    expect(weights.map((w) => w.length)).toEqual(expected.map(([r, c]) => r * c));
    // LayerNorm starts as torch's: gamma 1, beta 0; torch_default draws non-zero biases.
    for (const k of [0, 1]) {
      expect(Array.from(weights[4 * k + 2])).toEqual(new Array(CONFIG.hidden[k]).fill(1));
      expect(Array.from(weights[4 * k + 3])).toEqual(new Array(CONFIG.hidden[k]).fill(0));
      expect(weights[4 * k + 1].some((b) => b !== 0)).toBe(true);
    }
    agent.dispose();
  });

  it('acts through qValuesBatch: one row of Q-values per observation', async () => {
    const agent = new PqnAgent(backend, CONFIG, OBS, ACTIONS, new Rng(1));
    const q = await agent.qValuesBatch(minibatch(2, 3).observations, 3);
    expect(q.length).toBe(3 * ACTIONS);
    expect(q.every(Number.isFinite)).toBe(true);
    await expect(agent.qValuesBatch(new Float32Array(5), 2)).rejects.toThrow(ShapeError);
    agent.dispose();
  });

  it('checks its arguments', () => {
    expect(() => new PqnAgent(backend, CONFIG, OBS, 1, new Rng(0))).toThrow(InvalidArgumentError);
    expect(() => new PqnAgent(backend, { ...CONFIG, batchSize: 0 }, OBS, ACTIONS, new Rng(0))).toThrow(InvalidArgumentError);
    expect(() => new PqnAgent(backend, { ...CONFIG, maxGradNorm: -1 }, OBS, ACTIONS, new Rng(0))).toThrow(InvalidArgumentError);
    expect(() => new PqnAgent(backend, { ...CONFIG, slots: 0 }, OBS, ACTIONS, new Rng(0))).toThrow(InvalidArgumentError);
    const agent = new PqnAgent(backend, CONFIG, OBS, ACTIONS, new Rng(0));
    expect(() => agent.update(minibatch(3, 4), 1e-3)).toThrow(/expected 5 rows/);
    expect(() => agent.update(minibatch(3), Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => agent.setWeights([new Float32Array(1)])).toThrow(ShapeError);
    expect(agent.updateCount).toBe(0);
    agent.dispose();
  });

  it('uses the learning rate it is given, and 0 leaves the weights alone', async () => {
    const agent = new PqnAgent(backend, CONFIG, OBS, ACTIONS, new Rng(4));
    const before = await agent.getWeights();
    agent.update(minibatch(5), 0);
    expect(await agent.getWeights()).toEqual(before);
    expect(await agent.readLoss()).toBeGreaterThan(0);
    agent.update(minibatch(6), 1e-2);
    expect(agent.optimizer.lr).toBe(1e-2);
    expect(await agent.getWeights()).not.toEqual(before);
    expect(agent.updateCount).toBe(2);
    expect(await agent.readGradNorm()).toBeGreaterThan(0);
    agent.dispose();
  });

  it('resumes exactly from getState, and without clipping reads no gradient norm', async () => {
    const config = { ...CONFIG, maxGradNorm: 0 };
    const a = new PqnAgent(backend, config, OBS, ACTIONS, new Rng(7));
    for (let i = 0; i < 3; i++) a.update(minibatch(10 + i), 1e-2);
    const b = new PqnAgent(backend, config, OBS, ACTIONS, new Rng(8));
    b.setState(await a.getState());
    expect(b.updateCount).toBe(3);
    a.update(minibatch(20), 5e-3);
    b.update(minibatch(20), 5e-3);
    expect(await b.getWeights()).toEqual(await a.getWeights());
    expect(await b.readLoss()).toBe(await a.readLoss());
    expect(await a.readGradNorm()).toBeNaN();
    a.dispose();
    b.dispose();
  });

  it('releases every tensor it made on dispose', () => {
    const alive = backend.stats().tensorsAlive;
    const agent = new PqnAgent(backend, { ...CONFIG, slots: 3 }, OBS, ACTIONS, new Rng(0));
    agent.update(minibatch(1), 1e-3);
    agent.dispose();
    expect(backend.stats().tensorsAlive).toBe(alive);
  });
});
