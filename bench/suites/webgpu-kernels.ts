/**
 * The WebGPU backend's fused ops at the shapes of one DQN update (bench/dqn-ops.ts: the default
 * preset's Double DQN with Huber loss, clipping, Adam and a soft target, batch 64), for the MLPs
 * 4-64-64-2 and 4-256-256-2, on whatever adapter WebGPU gives (lavapipe here): per op, the wall
 * and driver-thread CPU microseconds per call (each op recorded `reps` times into one submission,
 * the ops taken round-robin for BENCH_KERNEL_ROUNDS rounds, default 5; medians), then
 * DqnAgent.update itself: updates per second (one submission each, medians of blocks) with the
 * dispatches and submits per update.
 *
 * Driver-thread CPU (workerCpuNs) is the time Dawn's and the driver's threads ran: on lavapipe,
 * the compute itself and the handing of each dispatch to llvmpipe's threads. To compare two
 * source trees interleaved in one process, use bench/ab-kernels.ts and bench/ab-update.ts.
 */
import { NoAdapterError, WebGpuBackend } from '../../src/backend/webgpu/index.js';
import { Rng } from '../../src/random/rng.js';
import { preset } from '../../src/rl/config.js';
import { DqnAgent } from '../../src/rl/dqn-agent.js';
import { ACTIONS, BATCH, OBS, prepareMinibatches } from '../dqn/update-bench.js';
import { dqnOps, median, timeOp, type OpTiming } from '../dqn-ops.js';
import { round } from '../harness.js';

const ROUNDS = Number(process.env.BENCH_KERNEL_ROUNDS ?? 5);

async function perOp(backend: WebGpuBackend, hidden: number): Promise<Record<string, { wallUs: number; driverCpuUs: number }>> {
  const { ops, dispose } = dqnOps(backend, hidden);
  const reps = hidden <= 64 ? 40 : 10;
  const times: OpTiming[][] = ops.map(() => []);
  for (const op of ops) await timeOp(backend, op, 3); // compiles
  for (let r = 0; r < ROUNDS; r++) for (let i = 0; i < ops.length; i++) times[i].push(await timeOp(backend, ops[i], reps));
  dispose();
  const out: Record<string, { wallUs: number; driverCpuUs: number }> = {};
  ops.forEach((op, i) => {
    out[op.name.trim()] = { wallUs: round(median(times[i].map((t) => t.wallUs))), driverCpuUs: round(median(times[i].map((t) => t.cpuUs))) };
  });
  return out;
}

async function agentUpdates(backend: WebGpuBackend, hidden: number): Promise<Record<string, number>> {
  const config = { ...preset('default'), hidden: [hidden, hidden], batchSize: BATCH };
  const agent = new DqnAgent(backend, config, OBS, ACTIONS, new Rng(0));
  const batches = prepareMinibatches(new Rng(1));
  let next_ = 0;
  const block = async (n: number): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      agent.update(batches[next_]);
      next_ = (next_ + 1) % batches.length;
      backend.flush();
    }
    await backend.sync();
    return (performance.now() - start) / 1000;
  };
  await block(20);
  const perBlock = Math.max(5, Math.round((0.25 * 20) / (await block(20))));
  const before = backend.stats();
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) rates.push(perBlock / (await block(perBlock)));
  const after = backend.stats();
  const updates = perBlock * ROUNDS;
  const loss = await agent.readLoss();
  agent.dispose();
  if (!Number.isFinite(loss)) throw new Error(`DQN update diverged (loss ${loss})`);
  return {
    updatesPerSecond: round(median(rates)),
    min: round(Math.min(...rates)),
    max: round(Math.max(...rates)),
    dispatchesPerUpdate: round((after.dispatches - before.dispatches) / updates),
    submitsPerUpdate: round((after.submits - before.submits) / updates),
  };
}

export default async function webgpuKernelsSuite(): Promise<Record<string, unknown>> {
  let backend: WebGpuBackend;
  try {
    backend = await WebGpuBackend.create();
  } catch (error) {
    if (error instanceof NoAdapterError) return { skipped: `no WebGPU adapter (${error.message})` };
    throw error;
  }
  try {
    const result: Record<string, unknown> = {
      adapter: backend.adapterDescription,
      method: `per op: recorded reps times into one submission, ops round-robin, ${ROUNDS} rounds, medians; driver CPU = CPU time of the process's threads other than the main one`,
    };
    for (const hidden of [64, 256]) {
      const label = `${OBS}-${hidden}-${hidden}-${ACTIONS}`;
      process.stderr.write(`bench: webgpu-kernels ${label}\n`);
      result[label] = { opsMicroseconds: await perOp(backend, hidden), defaultPresetUpdate: await agentUpdates(backend, hidden) };
    }
    return result;
  } finally {
    backend.destroy();
  }
}
