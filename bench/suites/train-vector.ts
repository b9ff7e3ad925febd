/**
 * Training throughput with N envs (issue 12): env steps per second of the DQN training loop
 * (acting, env steps, replay, the rounds of updates, no evaluation) for N = 1, 16 and 64 on the CPU
 * backend and, when an adapter exists, on WebGPU, with one acting group and with two. Each run
 * keeps the default preset's replay ratio (one update per two env steps: N envs, a round of N / 2
 * updates every vector step) and is timed after the learning starts. Also the read backs and
 * dispatches per env step, from backend.stats() (deterministic counts).
 */
import type { Backend } from '../../src/backend/backend.js';
import { CpuBackend } from '../../src/backend/cpu/cpu-backend.js';
import { WebGpuBackend } from '../../src/backend/webgpu/index.js';
import { preset, type DqnConfig } from '../../src/rl/config.js';
import { DqnTrainer } from '../../src/rl/dqn-trainer.js';
import { round } from '../harness.js';

const NUM_ENVS = [1, 16, 64];
/** Env steps timed per run, after the learning starts. */
const TIMED_STEPS = { cpu: 8000, webgpu: 3000 } as const;

function configFor(numEnvs: number, actingGroups: number, steps: number): DqnConfig {
  const base = preset('default');
  return {
    ...base,
    numEnvs,
    actingGroups,
    // The default preset's replay ratio: one update per two env steps.
    trainFreq: numEnvs === 1 ? 2 : 1,
    gradientSteps: numEnvs === 1 ? 1 : numEnvs / 2,
    steps: base.learningStarts + steps,
    evalFreq: 0,
  };
}

async function measure(backend: Backend, numEnvs: number, actingGroups: number, steps: number): Promise<Record<string, number>> {
  const config = configFor(numEnvs, actingGroups, steps);
  const trainer = new DqnTrainer(backend, config, 0);
  await trainer.run(config.learningStarts);
  await backend.sync();
  const before = backend.stats();
  const started = performance.now();
  const taken = await trainer.run();
  await backend.sync();
  const seconds = (performance.now() - started) / 1000;
  const after = backend.stats();
  trainer.dispose();
  return {
    envStepsPerSecond: round(taken / seconds),
    readbacksPerEnvStep: round((after.readbacks - before.readbacks) / taken),
    dispatchesPerEnvStep: round((after.dispatches - before.dispatches) / taken),
    submitsPerEnvStep: round((after.submits - before.submits) / taken),
  };
}

export default async function trainVectorSuite(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const backends: [string, () => Promise<Backend>, number][] = [['cpu', () => Promise.resolve(new CpuBackend()), TIMED_STEPS.cpu]];
  let gpu: WebGpuBackend | null = null;
  try {
    gpu = await WebGpuBackend.create();
    out.adapter = gpu.adapterDescription;
    const shared = gpu;
    backends.push(['webgpu', () => Promise.resolve(shared), TIMED_STEPS.webgpu]);
  } catch (error) {
    out.webgpu = { skipped: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
  for (const [name, open, steps] of backends) {
    const backend = await open();
    const rows: Record<string, unknown> = {};
    for (const numEnvs of NUM_ENVS) {
      for (const groups of numEnvs === 1 ? [1] : [1, 2]) {
        process.stderr.write(`bench train-vector: ${name} N=${numEnvs} groups=${groups}\n`);
        rows[`N=${numEnvs}${groups === 2 ? ', 2 acting groups' : ''}`] = await measure(backend, numEnvs, groups, steps);
      }
    }
    out[name] = rows;
    if (backend !== gpu) backend.destroy();
  }
  gpu?.destroy();
  return out;
}
