/**
 * PQN minibatch steps per second through the public PqnAgent.update (src/rl/pqn-agent.ts: forward
 * of a Q-network with hidden layers Dense -> LayerNorm -> ReLU, MSE of Q(s, a) against the given
 * returns, backward, clipping by global norm at 10, RAdam lr 2.5e-4), networks 4-256-256-2 (the
 * issue's target) and CleanRL's 4-120-84-2, batch 128, on the CPU backend with each of its kernel
 * variants and (when an adapter exists) on WebGPU, beside a vectorised float32 NumPy implementation
 * of the same step (bench/numpy/pqn_update.py) run in a child process on one thread when python3
 * has NumPy. Minibatches are drawn beforehand: observations U(-2, 2), random actions, returns
 * U(0, 10).
 *
 * Regime: fresh networks. Every timed block, engine and NumPy alike, starts (untimed) from the
 * network's initial weights and a zeroed RAdam state, and the random returns keep the loss and the
 * gradients up; so no contender's figure depends on how far its network has trained, and none
 * drifts into float32 subnormals (which slowed the continued DQN bench's NumPy by about 2x at
 * 4-256-256-2: see bench/suites/dqn-update.ts). A block is a few hundred steps, so RAdam's first
 * steps (momentum only, no rectification) are a small, equal share on both sides.
 *
 * The contenders are measured in interleaved blocks (engine, NumPy, NumPy, engine, ...) so that
 * machine noise hits all of them; figures are medians over the repeats, and each ratio is the
 * median of the per-repeat ratios. Each engine entry has its counters per step (countersPerUpdate:
 * dispatches, submits, read backs, tensors allocated); on WebGPU the steps are flushed 4 at a time,
 * as PqnTrainer flushes an epoch of CleanRL's 4 minibatches. BENCH_PQN_REPEATS sets the repeats
 * (default 7).
 */
import { fileURLToPath } from 'node:url';
import { CpuBackend } from '../../src/backend/cpu/cpu-backend.js';
import type { CpuKernels } from '../../src/backend/cpu/cpu-kernels.js';
import { interleave, medianRatio, networkLabel, round, summary, type Contender } from '../dqn/update-bench.js';
import { PQN_BATCH, PQN_NETWORKS, PQN_SLOTS, PQN_UPDATE_DESCRIPTION, PqnEngineContender } from '../pqn/update-bench.js';
import { cpuVariants, numpyOrReason, webgpuOrReason, type NumpyServer } from '../update-suite.js';

const NUMPY_SCRIPT = fileURLToPath(new URL('../numpy/pqn_update.py', import.meta.url));

export interface PqnUpdateOptions {
  repeats: number;
  secondsPerBlock: number;
  networks: readonly (readonly number[])[];
  /** The CPU kernel variants (default: every one this runtime has). */
  cpuKernels?: readonly CpuKernels[];
  /** Whether to try WebGPU (default true; without an adapter the entry says why). */
  webgpu?: boolean;
}

export const PQN_UPDATE_DEFAULTS: PqnUpdateOptions = {
  repeats: Number(process.env.BENCH_PQN_REPEATS ?? 7),
  secondsPerBlock: 0.25,
  networks: PQN_NETWORKS,
};

class NumpyContender implements Contender {
  readonly name = 'numpy';
  lastLoss = Number.NaN;
  constructor(
    private readonly server: NumpyServer,
    private readonly hidden: readonly number[],
  ) {}
  async run(updates: number): Promise<number> {
    const reply = await this.server.request({ hidden: this.hidden, updates });
    this.lastLoss = reply.loss as number;
    return reply.seconds as number;
  }
}

export async function pqnUpdate(options: PqnUpdateOptions): Promise<Record<string, unknown>> {
  const cpus = options.cpuKernels ? options.cpuKernels.map((kernels) => new CpuBackend({ kernels })) : cpuVariants();
  const webgpu = options.webgpu === false ? 'not asked for' : await webgpuOrReason();
  const numpy = numpyOrReason(NUMPY_SCRIPT);
  const result: Record<string, unknown> = {
    update: PQN_UPDATE_DESCRIPTION,
    batch: PQN_BATCH,
    regime: 'fresh: every block starts from the initial weights and a zeroed RAdam (restored untimed), random returns',
    repeats: options.repeats,
    method: `interleaved blocks of ~${options.secondsPerBlock} s per contender, order alternating per repeat; medians; ratio = median of per-repeat ratios; WebGPU flushed every ${PQN_SLOTS} steps`,
    cpuKernels: Object.fromEntries(cpus.map((c) => [`cpu ${c.kernels}`, c.kernelsDescription])),
    webgpuAdapter: typeof webgpu === 'string' ? webgpu : webgpu.adapterDescription,
    numpy: typeof numpy === 'string' ? numpy : await numpy.request({ info: true }),
  };
  try {
    for (const hidden of options.networks) {
      const label = networkLabel(hidden);
      process.stderr.write(`bench: pqn-update ${label}\n`);
      const engines = [
        ...cpus.map((cpu) => new PqnEngineContender(cpu, hidden, `cpu ${cpu.kernels}`)),
        ...(typeof webgpu === 'string' ? [] : [new PqnEngineContender(webgpu, hidden, 'webgpu')]),
      ];
      for (const e of engines) await e.warmUp();
      const numpyContender = typeof numpy === 'string' ? null : new NumpyContender(numpy, hidden);
      const contenders: Contender[] = [...engines, ...(numpyContender ? [numpyContender] : [])];
      const rates = await interleave(contenders, { repeats: options.repeats, secondsPerBlock: options.secondsPerBlock });
      const entry: Record<string, unknown> = {};
      const numpyRates = numpyContender ? (rates.get(numpyContender) as number[]) : null;
      for (const e of engines) {
        const engineRates = rates.get(e) as number[];
        const { loss, countersPerUpdate: counters } = await e.finish();
        entry[e.name] = {
          ...summary(engineRates),
          ...(numpyRates ? { overNumpy: medianRatio(engineRates, numpyRates) } : {}),
          finalLoss: round(loss),
          countersPerUpdate: counters,
        };
      }
      entry.numpy = numpyRates && numpyContender ? { ...summary(numpyRates), finalLoss: round(numpyContender.lastLoss) } : numpy;
      result[label] = entry;
    }
  } finally {
    if (typeof numpy !== 'string') numpy.close();
    for (const cpu of cpus) cpu.destroy();
    if (typeof webgpu !== 'string') webgpu.destroy();
  }
  return result;
}

export default function pqnUpdateSuite(): Promise<Record<string, unknown>> {
  return pqnUpdate(PQN_UPDATE_DEFAULTS);
}
