/**
 * The DQN update (bench/dqn/update-bench.ts: issue 10's update, MLPs 4-64-64-2 and 4-256-256-2,
 * ReLU, batch 64) in TensorFlow.js 4.x (bench/tfjs/dqn-update.ts) on its WebGPU backend (Dawn,
 * lavapipe here), its WASM backend (XNNPACK, SIMD, one thread) and its CPU backend, next to the
 * engine's DqnAgent.update on its WebGPU and CPU backends, all in one process and one run.
 *
 * Contenders are measured in interleaved blocks of about 0.25 s (order reversed every other repeat),
 * so machine noise hits all of them; figures are medians over the repeats, and each engine/tfjs
 * ratio is the median of the per-repeat ratios. Per update, the engine's counters (backend.stats())
 * and, for tfjs webgpu, the dispatches/submits/buffer maps seen by wrapping Dawn's
 * GPUComputePassEncoder.dispatchWorkgroups, GPUQueue.submit and GPUBuffer.mapAsync for a few
 * untimed updates. BENCH_TFJS_REPEATS sets the repeats (default 7).
 */
import { CpuBackend } from '../../src/backend/cpu/cpu-backend.js';
import { NoAdapterError, WebGpuBackend } from '../../src/backend/webgpu/index.js';
import { BATCH, EngineContender, NETWORKS, UPDATE_DESCRIPTION, interleave, medianRatio, networkLabel, round, summary, type Contender } from '../dqn/update-bench.js';
import { TfjsDqnContender } from '../tfjs/dqn-update.js';
import { openTfjs, type TfjsSession } from '../tfjs/tfjs-node.js';

const REPEATS = Number(process.env.BENCH_TFJS_REPEATS ?? 7);
const SECONDS_PER_BLOCK = 0.25;
/** Untimed updates over which tfjs webgpu's GPU calls are counted. */
const COUNTED_UPDATES = 20;
/** Issue 11's target: engine WebGPU >= 10x tfjs webgpu at 4-64-64-2 (lavapipe). */
const ISSUE_11_TARGET = { network: '4-64-64-2', ratio: 10 };

async function webgpuOrReason(): Promise<WebGpuBackend | string> {
  try {
    return await WebGpuBackend.create();
  } catch (error) {
    if (error instanceof NoAdapterError) return `no WebGPU adapter (${error.message})`;
    throw error;
  }
}

async function tfjsGpuCallsPerUpdate(session: TfjsSession, contender: TfjsDqnContender): Promise<Record<string, number>> {
  await session.use('webgpu');
  await contender.run(1);
  const counts = await session.countGpuCalls(async () => {
    await contender.run(COUNTED_UPDATES);
  });
  // The one read at the end of run() is the block's sync, not part of an update.
  return { dispatches: round(counts.dispatches / COUNTED_UPDATES), submits: round(counts.submits / COUNTED_UPDATES), readbacksPerBlock: counts.readbacks };
}

export default async function tfjsDqnUpdateSuite(): Promise<Record<string, unknown>> {
  const session = await openTfjs(['webgpu', 'wasm', 'cpu']);
  const cpu = new CpuBackend();
  const webgpu = await webgpuOrReason();
  const result: Record<string, unknown> = {
    update: UPDATE_DESCRIPTION,
    tfjsCode: 'tf.fused.matMul(bias, relu) layers, one-hot mask, tf.losses.huberLoss MEAN, optimizer.minimize (tf.train.adam), Variable.assign soft update, tf.tidy; minibatch uploaded per update',
    batch: BATCH,
    repeats: REPEATS,
    method: 'interleaved blocks of ~0.25 s per contender, order alternating per repeat; medians; ratio = median of per-repeat ratios',
    engineWebgpuAdapter: typeof webgpu === 'string' ? webgpu : webgpu.adapterDescription,
    tfjs: session.info,
    ...(Object.keys(session.unavailable).length > 0 ? { tfjsUnavailable: session.unavailable } : {}),
  };
  try {
    for (const hidden of NETWORKS) {
      const label = networkLabel(hidden);
      process.stderr.write(`bench: tfjs-dqn-update ${label}\n`);
      const engines = [new EngineContender(cpu, hidden), ...(typeof webgpu === 'string' ? [] : [new EngineContender(webgpu, hidden)])];
      for (const e of engines) await e.warmUp();
      const tfjs: TfjsDqnContender[] = [];
      for (const name of session.backends) {
        await session.use(name);
        const contender = new TfjsDqnContender(session.tf, name, hidden);
        await contender.warmUp();
        tfjs.push(contender);
      }
      const contenders: Contender[] = [...engines, ...tfjs];
      const rates = await interleave(contenders, {
        repeats: REPEATS,
        secondsPerBlock: SECONDS_PER_BLOCK,
        before: async (c) => {
          if (c instanceof TfjsDqnContender) await session.use(c.backend);
        },
      });
      const entry: Record<string, unknown> = {};
      const ratios: Record<string, number> = {};
      for (const e of engines) {
        const engineRates = rates.get(e) as number[];
        const { loss, countersPerUpdate } = await e.finish();
        entry[e.name] = { ...summary(engineRates), finalLoss: round(loss), countersPerUpdate };
        for (const t of tfjs) ratios[`${e.name} / ${t.name}`] = medianRatio(engineRates, rates.get(t) as number[]);
      }
      for (const t of tfjs) {
        await session.use(t.backend);
        const { loss, tensorsLeakedPerUpdate } = await t.finish();
        const gpuCalls = t.backend === 'webgpu' ? { gpuCallsPerUpdate: await tfjsGpuCallsPerUpdate(session, t) } : {};
        entry[t.name] = { ...summary(rates.get(t) as number[]), finalLoss: round(loss), tensorsLeakedPerUpdate, ...gpuCalls };
        t.dispose();
      }
      entry.ratios = ratios;
      if (label === ISSUE_11_TARGET.network && 'engine webgpu / tfjs webgpu' in ratios) {
        const ratio = ratios['engine webgpu / tfjs webgpu'];
        entry.issue11Target = { 'engine webgpu / tfjs webgpu': ratio, atLeast: ISSUE_11_TARGET.ratio, met: ratio >= ISSUE_11_TARGET.ratio };
      }
      result[label] = entry;
    }
  } finally {
    session.release();
    cpu.destroy();
    if (typeof webgpu !== 'string') webgpu.destroy();
  }
  return result;
}
