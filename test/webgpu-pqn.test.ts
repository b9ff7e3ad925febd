/**
 * PQN's update on the WebGPU backend (a real Dawn device): the same updates as on the CPU backend
 * (default WASM kernels, float32) over 10 minibatches with a decaying learning rate, and what one
 * update costs in deterministic counts. The network is CleanRL's pqn.py's, 4-120-84-2 with
 * LayerNorm, minibatch 128 (4 envs x 128 steps / 4 minibatches), clipping at 10:
 *
 *   forward: per hidden layer linear and layerNorm with the ReLU fused (2 x 2), the
 *            head's linear 1                                                            5
 *   MSE of Q(s, a) against the returns and its gradient (tdLoss)                        1
 *   backward: head dW+db 1 and input gradient 1; per hidden layer layerNorm backward
 *             through ReLU's mask (fused), dW+db (and, above the first, its input
 *             gradient)                                                                 7
 *   sum of squares of the gradient arena (0 on a CPU-emulated adapter: the radam
 *             kernel of a small arena sums them itself, as Adam's does)                1
 *   clipping + RAdam (one fused op over the parameter arena)                            1
 *                                                                                     --
 *                                                                                     15, or 14
 *
 * (Before the ReLU was fused into layerNorm and layerNormBackward it was 19, or 18: a biasActivation
 * forward and an activationBackward backward per hidden layer. LayerNorm itself stays a dispatch of
 * its own after the linear: see LayerNormOf in src/backend/backend.ts for why it is not the matmul's
 * epilogue.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, FloatArray } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { Rng } from '../src/random/rng.js';
import { PqnAgent, type PqnAgentConfig, type PqnMinibatch } from '../src/rl/pqn-agent.js';
import { relativeError } from './support/relative-error.js';
import { needs } from './support/requirements.js';
import { countRounds, type RoundCounts } from './support/round-counts.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
const cpu = new CpuBackend();
afterAll(() => {
  gpu?.destroy();
  cpu.destroy();
});

const OBS = 4;
const ACTIONS = 2;
const CLEANRL: PqnAgentConfig = { hidden: [120, 84], init: 'torch_default', batchSize: 128, maxGradNorm: 10 };
const UPDATES = 10;
const LR = 2.5e-3;

/** Minibatches of plausible CartPole-sized observations, random actions and returns of a few units. */
function minibatches(config: PqnAgentConfig, count: number, seed: number): PqnMinibatch[] {
  const rng = new Rng(seed);
  const b = config.batchSize;
  return Array.from({ length: count }, () => ({
    observations: Float32Array.from({ length: b * OBS }, () => rng.uniform(-2, 2)),
    actions: Float32Array.from({ length: b }, () => rng.integers(ACTIONS)),
    returns: Float32Array.from({ length: b }, () => rng.uniform(0, 10)),
  }));
}

/** UPDATES updates with CleanRL's linear learning-rate decay; the loss after each, and the final weights and moments. */
async function train(backend: Backend): Promise<{ losses: number[]; weights: FloatArray[]; m: FloatArray[]; v: FloatArray[] }> {
  const agent = new PqnAgent(backend, CLEANRL, OBS, ACTIONS, new Rng(5));
  try {
    const losses: number[] = [];
    for (const [i, batch] of minibatches(CLEANRL, UPDATES, 11).entries()) {
      agent.update(batch, LR * (1 - i / UPDATES));
      losses.push(await agent.readLoss());
    }
    const state = await agent.optimizer.getState();
    return { losses, weights: await agent.getWeights(), m: state.slots.m, v: state.slots.v };
  } finally {
    agent.dispose();
  }
}

/** Counter deltas over `rounds` rounds of `perRound` updates, each round flushed, after two warm-up rounds. */
async function countUpdates(backend: Backend, config: PqnAgentConfig, rounds: number, perRound = 1): Promise<RoundCounts> {
  const agent = new PqnAgent(backend, config, OBS, ACTIONS, new Rng(0));
  const batches = minibatches(config, (rounds + 2) * perRound, 7);
  let next = 0;
  const counts = await countRounds(backend, () => {
    for (let i = 0; i < perRound; i++) agent.update(batches[next++], 1e-3);
  }, rounds);
  agent.dispose();
  return counts;
}

describe("one PQN update of CleanRL's network (4-120-84-2 with LayerNorm, minibatch 128, clipping, RAdam)", () => {
  it('is 15 kernel calls on the CPU backend', async () => {
    expect(await countUpdates(cpu, CLEANRL, 5)).toMatchObject({ dispatches: 5 * 15, submits: 0, readbacks: 0 });
  });

  describe('on WebGPU', needs('webgpu', gpu !== null), () => {
    /** The sum of squares has no dispatch of its own on a CPU-emulated adapter (see the header). */
    const sumOfSquares = gpu?.software === true ? 0 : 1;

    it(`is ${14 + sumOfSquares} dispatches and exactly one submission, with no readback and no new GPU object`, async () => {
      expect(await countUpdates(gpu as WebGpuBackend, CLEANRL, 5)).toEqual({ dispatches: 5 * (14 + sumOfSquares), submits: 5, readbacks: 0, newGpuObjects: 0 });
    });

    it('records an epoch of minibatches into one submission when the agent has a slot per minibatch', async () => {
      const config = { ...CLEANRL, slots: 4 };
      expect(await countUpdates(gpu as WebGpuBackend, config, 3, 4)).toEqual({ dispatches: 3 * 4 * (14 + sumOfSquares), submits: 3, readbacks: 0, newGpuObjects: 0 });
    });

    it('is 14 dispatches without clipping (no sum of squares)', async () => {
      expect(await countUpdates(gpu as WebGpuBackend, { ...CLEANRL, maxGradNorm: 0 }, 3)).toMatchObject({ dispatches: 3 * 14, submits: 3 });
    });

    /*
     * Both backends store float32; they differ in summation order (the WASM kernels accumulate
     * matmuls in float64, the shaders in float32), about 1e-7 relative per op. RAdam's first five
     * steps are momentum steps (linear in the gradient); from step 6 its adaptive step divides by
     * sqrt(v), which amplifies the relative rounding of gradients that nearly cancel over the batch
     * (biases, beta). Measured after 10 updates on lavapipe: the losses within 1.2e-7, the weights
     * and moments within 1.3e-5 (the worst, v of the first LayerNorm's gamma: squares double the
     * relative error). A wrong gradient or update moves the weights by O(lr) = 2.5e-3 per step,
     * relative to weights of about 0.1 to 1 that is 1e-3 or more per update, beyond 1e-4.
     */
    const TOLERANCE = 1e-4;

    it(`gives the CPU backend's losses, weights and RAdam moments over ${UPDATES} updates within ${TOLERANCE}`, async () => {
      const want = await train(cpu);
      const got = await train(gpu as WebGpuBackend);
      expect(relativeError(got.losses, want.losses), 'losses').toBeLessThan(TOLERANCE);
      // The network learned something: the loss fell.
      expect(want.losses[UPDATES - 1]).toBeLessThan(want.losses[0]);
      const arrays = (label: string, a: FloatArray[], b: FloatArray[]) => a.map((x, i) => [`${label}[${i}]`, relativeError(x, b[i])] as const);
      const errors = [...arrays('weight', got.weights, want.weights), ...arrays('m', got.m, want.m), ...arrays('v', got.v, want.v)];
      expect(errors.filter(([, e]) => !(e < TOLERANCE))).toEqual([]);
    });
  });
});
