/**
 * The TensorFlow.js reference of the bench (bench/tfjs/dqn-update.ts, measured by
 * bench/suites/tfjs-dqn-update.ts) computes the same DQN update as DqnAgent.update: given the
 * engine's initial weights, 30 updates on the same minibatches give the same loss at every update
 * and the same online and target weights at the end (float32 on both sides: 2e-5 relative), on
 * each tfjs backend the bench measures (cpu, wasm; webgpu where there is an adapter, which the
 * bench-only loader asks Dawn for). A tfjs backend computing something else would make the bench's
 * ratios meaningless; tfjs-wasm 4.22's float32 one-hot did exactly that.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { Rng } from '../src/random/rng.js';
import { DqnAgent } from '../src/rl/dqn-agent.js';
import { ACTIONS, OBS, prepareMinibatches, updateConfig } from '../bench/dqn/update-bench.js';
import { TfjsDqnContender } from '../bench/tfjs/dqn-update.js';
import { openTfjs } from '../bench/tfjs/tfjs-node.js';
import { probeAdapter } from '../src/backend/webgpu/device-node.js';
import { relativeError } from './support/relative-error.js';
import { failOnCi, needs } from './support/requirements.js';

const UPDATES = 30;
/** float32 on both sides: the differences seen are about 3e-6 (loss) and 1.4e-6 (weights). */
const TOLERANCE = 2e-5;
const HIDDEN = [32, 16];

// Only asks whether an adapter exists (for the webgpu case); tfjs makes its own device.
const adapter = await probeAdapter();
if (adapter.found !== true) failOnCi(adapter.reason);
const gpuAvailable = adapter.found === true;
const session = await openTfjs(gpuAvailable ? ['cpu', 'wasm', 'webgpu'] : ['cpu', 'wasm']);
afterAll(() => session.release());

/** The engine's trajectory: the loss after each update, and the final weights. */
async function engineRun(): Promise<{ initial: { online: ArrayLike<number>[]; target: ArrayLike<number>[] }; losses: number[]; online: ArrayLike<number>[]; target: ArrayLike<number>[] }> {
  const backend = new CpuBackend();
  const agent = new DqnAgent(backend, updateConfig(HIDDEN), OBS, ACTIONS, new Rng(5));
  const initial = await agent.getState();
  const batches = prepareMinibatches(new Rng(6));
  const losses: number[] = [];
  for (let i = 0; i < UPDATES; i++) {
    agent.update(batches[i % batches.length]);
    losses.push(await agent.readLoss());
  }
  const final = await agent.getState();
  agent.dispose();
  backend.destroy();
  return { initial: { online: initial.online, target: initial.target }, losses, online: final.online, target: final.target };
}

const engine = await engineRun();

describe('the tfjs reference update equals DqnAgent.update', () => {
  for (const name of ['cpu', 'wasm', 'webgpu'] as const) {
    describe(`tfjs ${name}`, name === 'webgpu' ? needs('webgpu', gpuAvailable) : {}, () => {
      it(`gives the engine's loss at each of ${UPDATES} updates and its final weights`, async () => {
        expect(session.unavailable[name], `tfjs ${name} did not initialise`).toBeUndefined();
        await session.use(name);
        const tfjs = new TfjsDqnContender(session.tf, name, HIDDEN);
        tfjs.setWeights(engine.initial.online, engine.initial.target);
        const batches = prepareMinibatches(new Rng(6));
        for (let i = 0; i < UPDATES; i++) {
          tfjs.update(batches[i % batches.length]);
          const loss = await tfjs.readLoss();
          expect(Math.abs(loss - engine.losses[i]) / Math.abs(engine.losses[i]), `loss at update ${i + 1}: tfjs ${loss}, engine ${engine.losses[i]}`).toBeLessThan(TOLERANCE);
        }
        const weights = await tfjs.getWeights();
        weights.online.forEach((w, k) => expect(relativeError(w, engine.online[k]), `online array ${k}`).toBeLessThan(TOLERANCE));
        weights.target.forEach((w, k) => expect(relativeError(w, engine.target[k]), `target array ${k}`).toBeLessThan(TOLERANCE));
        tfjs.dispose();
      });
    });
  }
});
