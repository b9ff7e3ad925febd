/**
 * What one DQN update costs, in deterministic counts (issue 11): kernel dispatches, queue
 * submissions, readbacks and GPU objects, on the WebGPU backend (a real Dawn device) and as kernel
 * calls on the CPU backend. The default preset's network is 4-64-64-2 with Double DQN, Huber
 * loss, global-norm clipping, Adam and a soft target update:
 *
 *   target forward on s'                     3 (one fused linear op per layer)
 *   online forward on [s; s']                3
 *   TD targets, loss and its gradient        1 (tdLoss)
 *   backward                                 5 (dW+db per layer, and the input gradient fused
 *                                               with the ReLU derivative below, twice)
 *   sum of squares of the gradient arena     1 (0 on a CPU-emulated adapter: see below)
 *   clipping + Adam + Polyak target          1 (one fused op over the parameter arena)
 *                                           --
 *                                           14, or 13
 *
 * On a CPU-emulated adapter (lavapipe, SwiftShader) the WebGPU backend runs the Adam step of a
 * small arena (this one: 4,672 elements) in one workgroup that sums the squares of the gradient
 * itself, taking the place of the sumSquares dispatch recorded just before it: 13 dispatches.
 * The op count (the CPU backend's kernel calls) stays 14.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { Rng } from '../src/random/rng.js';
import { DqnAgent } from '../src/rl/dqn-agent.js';
import { preset, type DqnConfig } from '../src/rl/config.js';
import { ReplayBuffer, createMinibatch, type Minibatch } from '../src/rl/replay-buffer.js';
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

function minibatches(config: DqnConfig, count: number): Minibatch[] {
  const rng = new Rng(7);
  const replay = new ReplayBuffer(256, OBS);
  const s = new Float32Array(OBS);
  const next = new Float32Array(OBS);
  for (let i = 0; i < 256; i++) {
    for (let k = 0; k < OBS; k++) {
      s[k] = rng.uniform(-1, 1);
      next[k] = rng.uniform(-1, 1);
    }
    replay.add(s, rng.integers(ACTIONS), 1, next, rng.random() < 0.1);
  }
  return Array.from({ length: count }, () => {
    const batch = createMinibatch(config.batchSize, OBS);
    replay.sample(rng, batch);
    return batch;
  });
}

/** Counter deltas over `rounds` rounds of `config.gradientSteps` updates, each round flushed, after two warm-up rounds. */
async function countUpdates(backend: Backend, config: DqnConfig, rounds: number): Promise<RoundCounts> {
  const agent = new DqnAgent(backend, config, OBS, ACTIONS, new Rng(0));
  const batches = minibatches(config, (rounds + 2) * config.gradientSteps);
  let next = 0;
  const counts = await countRounds(backend, () => {
    for (let i = 0; i < config.gradientSteps; i++) agent.update(batches[next++]);
  }, rounds);
  agent.dispose();
  return counts;
}

const DEFAULT = preset('default');

describe('one DQN update of the default preset (4-64-64-2, Double DQN, Huber, clipping, Adam, soft target)', () => {
  it('is 14 kernel calls on the CPU backend', async () => {
    expect(DEFAULT.hidden).toEqual([64, 64]);
    expect(DEFAULT).toMatchObject({ doubleDqn: true, loss: 'huber', targetUpdate: 'soft', dueling: false, gradientSteps: 1 });
    expect(DEFAULT.maxGradNorm).toBeGreaterThan(0);
    expect(await countUpdates(cpu, DEFAULT, 5)).toMatchObject({ dispatches: 5 * 14, submits: 0, readbacks: 0 });
  });

  describe('on WebGPU', needs('webgpu', gpu !== null), () => {
    /** The sum of squares has no dispatch of its own on a CPU-emulated adapter (see the header). */
    const sumOfSquares = gpu?.software === true ? 0 : 1;

    it(`is ${13 + sumOfSquares} dispatches and exactly one submission, with no readback and no new GPU object`, async () => {
      expect(await countUpdates(gpu as WebGpuBackend, DEFAULT, 5)).toEqual({ dispatches: 5 * (13 + sumOfSquares), submits: 5, readbacks: 0, newGpuObjects: 0 });
    });

    it('takes the sum of squares into the Adam step exactly on a CPU-emulated adapter', () => {
      expect(sumOfSquares).toBe(/llvmpipe|swiftshader/i.test((gpu as WebGpuBackend).adapterDescription) ? 0 : 1);
    });

    it('records a round of several gradient steps into one submission', async () => {
      const config = { ...DEFAULT, gradientSteps: 4 };
      expect(await countUpdates(gpu as WebGpuBackend, config, 3)).toEqual({ dispatches: 3 * 4 * (13 + sumOfSquares), submits: 3, readbacks: 0, newGpuObjects: 0 });
    });

    it(`costs ${22 + sumOfSquares} dispatches with a dueling head (its two streams, the combine and their backward are separate ops)`, async () => {
      const config = { ...DEFAULT, dueling: true };
      // Forward 5 per network (2 hidden, value, advantage, combine), tdLoss 1, backward 10 (dueling
      // backward, 2 per stream, the sum of the streams' gradients, ReLU backward and 2 for hidden
      // layer 2, 1 for hidden layer 1), sum of squares (see above) and the fused Adam 1 + 1.
      expect(await countUpdates(gpu as WebGpuBackend, config, 2)).toEqual({ dispatches: 2 * (22 + sumOfSquares), submits: 2, readbacks: 0, newGpuObjects: 0 });
    });

    it(`costs one more dispatch with policy averaging (${14 + sumOfSquares}: the average's lerp over the arena), still one submission`, async () => {
      const config = { ...DEFAULT, policyAverageTau: 0.01 };
      expect(await countUpdates(gpu as WebGpuBackend, config, 3)).toEqual({ dispatches: 3 * (14 + sumOfSquares), submits: 3, readbacks: 0, newGpuObjects: 0 });
    });

    it(`costs the same ${13 + sumOfSquares} dispatches as QR-DQN (25 quantiles per action: a wider head, one quantile loss kernel)`, async () => {
      const config = { ...DEFAULT, quantiles: 25 };
      expect(await countUpdates(gpu as WebGpuBackend, config, 3)).toEqual({ dispatches: 3 * (13 + sumOfSquares), submits: 3, readbacks: 0, newGpuObjects: 0 });
    });

    it(`costs ${13 + sumOfSquares} with Munchausen targets (no Double DQN: the target network values [s; s'] in one forward, the online network s alone)`, async () => {
      const config = { ...DEFAULT, doubleDqn: false, munchausen: 0.9 };
      expect(await countUpdates(gpu as WebGpuBackend, config, 3)).toEqual({ dispatches: 3 * (13 + sumOfSquares), submits: 3, readbacks: 0, newGpuObjects: 0 });
    });

    it('without Double DQN, clipping or a soft target it is 13 (the online forward covers s only)', async () => {
      const config = { ...DEFAULT, doubleDqn: false, maxGradNorm: 0, targetUpdate: 'hard' as const };
      // 3 target + 3 online forward, 1 tdLoss, 5 backward, 1 Adam: no sum of squares.
      expect(await countUpdates(gpu as WebGpuBackend, config, 2)).toEqual({ dispatches: 2 * 13, submits: 2, readbacks: 0, newGpuObjects: 0 });
    });
  });
});
