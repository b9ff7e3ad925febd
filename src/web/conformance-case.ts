/**
 * Fixed cases that the page runs on its backend and a test runs on the Node CPU backend, so the
 * two can be compared number for number: a few ops on seeded inputs, and a few DQN updates of a
 * seeded agent on seeded minibatches. Everything here is plain data in, plain arrays out.
 */
import type { Backend, Tensor } from '../backend/backend.js';
import { preset } from '../rl/config.js';
import { DqnAgent, agentConfigOf, type DqnAgentConfig } from '../rl/dqn-agent.js';
import { createMinibatch } from '../rl/replay-buffer.js';
import { Rng } from '../random/rng.js';

/** Named result arrays of the fixed cases (plain number arrays, so they cross postMessage and page.evaluate). */
export interface ConformanceResult {
  backend: string;
  ops: Record<string, number[]>;
  training: { weights: number[][]; losses: number[] };
}

/**
 * The agent of the training case: the default preset's agent (so a new agent field comes with
 * it), made small and pinned where the case needs it: Double DQN, Huber, clipping, 1-step targets,
 * soft target updates fast enough to move the target in five updates.
 */
export const CONFORMANCE_AGENT: DqnAgentConfig = {
  ...agentConfigOf(preset('default')),
  hidden: [32, 32],
  activation: 'relu',
  init: 'he_uniform',
  dueling: false,
  quantiles: 1,
  munchausen: 0,
  doubleDqn: true,
  gamma: 0.99,
  nStep: 1,
  lr: 1e-3,
  loss: 'huber',
  huberDelta: 1,
  maxGradNorm: 10,
  batchSize: 32,
  gradientSteps: 1,
  targetUpdate: 'soft',
  tau: 0.05,
  policyAverageTau: 0,
};
/** Observation size and actions of the training case (CartPole's). */
export const CONFORMANCE_OBS_DIM = 4;
export const CONFORMANCE_ACTIONS = 2;
/** Updates in the training case. */
export const CONFORMANCE_UPDATES = 5;

function uniformArray(rng: Rng, length: number, low = -1, high = 1): Float32Array {
  const out = new Float32Array(length);
  rng.fillUniform(out, low, high);
  return out;
}

async function readAll(backend: Backend, tensors: Record<string, Tensor>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(tensors)) out[name] = Array.from(await backend.read(t));
  return out;
}

/** A forward/backward chain of ops on seeded inputs: matmuls (with transposes), bias + activations, reductions, a loss, an Adam step. */
export async function runOpCase(backend: Backend): Promise<Record<string, number[]>> {
  const rng = new Rng(20_240_601);
  const x = backend.tensor([8, 5], uniformArray(rng, 40), 'case.x');
  const w = backend.tensor([5, 6], uniformArray(rng, 30), 'case.w');
  const b = backend.tensor([1, 6], uniformArray(rng, 6), 'case.b');
  const target = backend.tensor([8, 6], uniformArray(rng, 48), 'case.target');
  const indices = backend.tensor([8, 1], Float32Array.from({ length: 8 }, (_, i) => (i * 5) % 6), 'case.indices');
  const h = backend.tensor([8, 6], undefined, 'case.h');
  const y = backend.tensor([8, 6], undefined, 'case.y');
  const loss = backend.tensor([1, 1], undefined, 'case.loss');
  const grad = backend.tensor([8, 6], undefined, 'case.grad');
  const gradPre = backend.tensor([8, 6], undefined, 'case.grad_pre');
  const gradW = backend.tensor([5, 6], undefined, 'case.grad_w');
  const gradB = backend.tensor([1, 6], undefined, 'case.grad_b');
  const gradX = backend.tensor([8, 5], undefined, 'case.grad_x');
  const rowMax = backend.tensor([8, 1], undefined, 'case.row_max');
  const argmax = backend.tensor([8, 1], undefined, 'case.argmax');
  const gathered = backend.tensor([8, 1], undefined, 'case.gathered');
  const m = backend.tensor([5, 6], undefined, 'case.m');
  const v = backend.tensor([5, 6], undefined, 'case.v');
  try {
    backend.matmul(x, w, h);
    backend.biasActivation(h, b, 'tanh', y);
    backend.loss('huber', y, target, loss, grad, { delta: 0.5 });
    backend.activationBackward('tanh', y, grad, gradPre);
    backend.matmul(x, gradPre, gradW, { transA: true });
    backend.columnSum(gradPre, gradB);
    backend.matmul(gradPre, w, gradX, { transB: true });
    backend.rowMax(y, rowMax);
    backend.rowArgmax(y, argmax);
    backend.gatherColumns(y, indices, gathered);
    backend.adam(w, gradW, m, v, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, step: 1 });
    return await readAll(backend, { y, loss, gradW, gradB, gradX, rowMax, argmax, gathered, adamW: w });
  } finally {
    for (const t of [x, w, b, target, indices, h, y, loss, grad, gradPre, gradW, gradB, gradX, rowMax, argmax, gathered, m, v]) t.dispose();
  }
}

/** A seeded DQN agent takes CONFORMANCE_UPDATES updates on seeded minibatches; returns its weights and every loss. */
export async function runTrainingCase(backend: Backend): Promise<{ weights: number[][]; losses: number[] }> {
  const agent = new DqnAgent(backend, CONFORMANCE_AGENT, CONFORMANCE_OBS_DIM, CONFORMANCE_ACTIONS, new Rng(7));
  const data = new Rng(8);
  const batch = createMinibatch(CONFORMANCE_AGENT.batchSize, CONFORMANCE_OBS_DIM);
  const losses: number[] = [];
  try {
    for (let u = 0; u < CONFORMANCE_UPDATES; u++) {
      data.fillUniform(batch.observations, -2, 2);
      data.fillUniform(batch.nextObservations, -2, 2);
      for (let i = 0; i < batch.size; i++) {
        batch.actions[i] = data.integers(CONFORMANCE_ACTIONS);
        batch.rewards[i] = data.uniform(0, 1);
        batch.terminated[i] = data.random() < 0.1 ? 1 : 0;
      }
      agent.update(batch);
      losses.push(await agent.readLoss());
    }
    const weights = await agent.online.getWeights();
    return { weights: weights.map((w) => Array.from(w)), losses };
  } finally {
    agent.dispose();
  }
}

/** Both cases on `backend`. */
export async function runConformanceCases(backend: Backend): Promise<ConformanceResult> {
  return { backend: backend.name, ops: await runOpCase(backend), training: await runTrainingCase(backend) };
}
