/**
 * PQN training env steps/s with the envs on the host against the envs on the device (envOn), on
 * the CPU backend and on WebGPU (whatever adapter Dawn finds: lavapipe here), alternating host and
 * device runs in one process so both see the same machine load. `pqn-cartpole` with N envs
 * (default 256) x 8 steps a rollout, 4 minibatches x 4 epochs, no evaluation: each timed slice is
 * whole iterations after one warm-up iteration. Prints one JSON line per backend.
 *
 *   npx tsx bench/pqn/env-on.ts [numEnvs] [iterations] [rounds] [updateEpochs] [numMinibatches]
 *
 * updateEpochs and numMinibatches (default 4 and 4, the preset's) set how much of an iteration is
 * updates: 1 and 1 leave mostly the rollout, which is what the env placement changes.
 */
import { createBackend } from '../../src/backend/create-backend.js';
import { pqnPreset, type SettledEnvOn } from '../../src/rl/pqn-config.js';
import { PqnTrainer } from '../../src/rl/pqn-trainer.js';
import { DeviceRollout } from '../../src/rl/device-rollout.js';
import { QNetwork } from '../../src/rl/q-network.js';
import { argmaxRow } from '../../src/rl/dqn-agent.js';
import { TrainingEnvs } from '../../src/rl/training-envs.js';
import { Rng } from '../../src/random/rng.js';
import type { Backend } from '../../src/backend/backend.js';

/**
 * The rollout alone (no update): ms per vector step of N envs acting greedily on the preset's
 * 4-120-84-2 network, host (per step: write obs, forward, read Q, argmax, host env step; then Q of
 * the T N next observations) against device (DeviceRollout.record + its one read), divided by T.
 */
async function rolloutOnly(backend: Backend, n: number, reps: number): Promise<{ hostMsPerStep: number; deviceMsPerStep: number }> {
  const net = new QNetwork(backend, { obsDim: 4, nActions: 2, hidden: [120, 84], activation: 'relu', init: 'torch_default', dueling: false, quantiles: 1, layerNorm: true }, new Rng(0));
  const envs = new TrainingEnvs({ env: 'CartPole-v1', rewardShaping: 'none', numEnvs: n });
  envs.open(0);
  const actions = new Int32Array(n);
  const hostStep = async () => {
    const q = await net.qValuesBatch(envs.observations, n);
    for (let i = 0; i < n; i++) actions[i] = argmaxRow(q, 2 * i, 2);
    envs.step(actions);
  };
  // The host trainer's returns: Q of the T N next observations in one forward pass and a read (the
  // qLambdaReturns op and its read left out: a little in the host's favour).
  const next = new Float32Array(n * numSteps * 4);
  const hostRollout = async () => {
    for (let t = 0; t < numSteps; t++) await hostStep();
    await net.qValuesBatch(next, n * numSteps);
  };
  await hostRollout();
  let start = performance.now();
  for (let k = 0; k < reps; k++) await hostRollout();
  const hostMsPerStep = (performance.now() - start) / (reps * numSteps);
  envs.close();
  const rollout = new DeviceRollout(backend, { env: 'CartPole-v1', numEnvs: n, numSteps, seed: 0, gamma: 0.99, qLambda: 0.65, rewardScale: 1 });
  const eps = new Float64Array(numSteps);
  rollout.record(net, eps, 0);
  await rollout.read();
  start = performance.now();
  for (let k = 0; k < reps; k++) {
    rollout.record(net, eps, (k + 1) * numSteps);
    await rollout.read();
  }
  const deviceMsPerStep = (performance.now() - start) / (reps * numSteps);
  rollout.dispose();
  net.dispose();
  return { hostMsPerStep: Number(hostMsPerStep.toFixed(3)), deviceMsPerStep: Number(deviceMsPerStep.toFixed(3)) };
}

const numEnvs = Number(process.argv[2] ?? 256);
const iterations = Number(process.argv[3] ?? 4);
const rounds = Number(process.argv[4] ?? 3);
const updateEpochs = Number(process.argv[5] ?? 4);
const numMinibatches = Number(process.argv[6] ?? 4);
const numSteps = 8;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const kind of ['cpu', 'webgpu'] as const) {
  const backend = await createBackend(kind);
  const rates: Record<SettledEnvOn, number[]> = { host: [], device: [] };
  const readbacks: Record<SettledEnvOn, number> = { host: 0, device: 0 };
  for (let r = 0; r < rounds; r++) {
    for (const envOn of ['host', 'device'] as const) {
      const perIteration = numEnvs * numSteps;
      const config = { ...pqnPreset('pqn-cartpole'), envOn, numEnvs, numSteps, updateEpochs, numMinibatches, evalFreq: 0, steps: perIteration * (iterations + 1) };
      const trainer = new PqnTrainer(backend, config, r);
      await trainer.run(1); // warm-up iteration: pipelines, pools, JIT
      const before = backend.stats().readbacks;
      const start = performance.now();
      const steps = await trainer.run();
      rates[envOn].push(steps / ((performance.now() - start) / 1000));
      readbacks[envOn] = (backend.stats().readbacks - before) / iterations;
      trainer.dispose();
    }
  }
  const host = median(rates.host);
  const device = median(rates.device);
  console.log(
    JSON.stringify({
      backend: backend.describe(),
      numEnvs,
      numSteps,
      updateEpochs,
      numMinibatches,
      hostStepsPerSec: Math.round(host),
      deviceStepsPerSec: Math.round(device),
      ratio: Number((device / host).toFixed(2)),
      readbacksPerIteration: readbacks,
      runs: { host: rates.host.map(Math.round), device: rates.device.map(Math.round) },
      rolloutOnly: await rolloutOnly(backend, numEnvs, 20),
    }),
  );
  backend.destroy();
}
