/**
 * DQN updates per second through the public DqnAgent.update (issue 10's update: target forward on
 * s', TD target r + gamma (1 - terminated) max Q_target(s'), online forward on s, Huber loss at the
 * chosen actions, backward, Adam lr 1e-3, soft target update tau 0.01; no Double DQN, no clipping),
 * MLPs 4-64-64-2 and 4-256-256-2 with ReLU, batch 64, on the CPU backend with each of its kernel
 * variants (WASM relaxed-SIMD FMA where the runtime has it, WASM SIMD128, the TypeScript kernels)
 * and (when an adapter exists) on WebGPU, beside a vectorised float32 NumPy implementation of the same update
 * (bench/numpy/dqn_update.py) run in a child process on one thread when python3 has NumPy.
 *
 * The contenders are measured in interleaved blocks (engine, NumPy, NumPy, engine, ...) so that
 * machine noise hits all of them; figures are medians over the repeats, and each ratio is the
 * median of the per-repeat ratios. BENCH_DQN_REPEATS sets the repeats (default 7).
 *
 * BENCH_DQN_REGIME picks the regime (see EngineContender and bench/numpy/dqn_update.py):
 *   continued (default)  each contender's network keeps training across all its blocks. This is what
 *                        the README's figures mean; at 4-256-256-2 about 45 % of NumPy's Adam first
 *                        moments are subnormal after 1000 updates (dead ReLU units' moments decay
 *                        into them), and the issue that added the fresh regime saw NumPy slow down
 *                        about 2x there, which flatters the engine's ratio.
 *   fresh                every block, engine and NumPy alike, starts from the network's initial
 *                        weights and a zeroed Adam (restored untimed): live gradients throughout.
 *                        Figures under `fresh` in each network's entry.
 *   both                 both sets of contenders interleaved in the same run: the old figures where
 *                        they were, the fresh ones under `fresh`, so the two ratios sit side by side.
 */
import { fileURLToPath } from 'node:url';
import { EngineContender, NETWORKS, BATCH, UPDATE_DESCRIPTION, interleave, medianRatio, networkLabel, round, summary, type Contender } from '../dqn/update-bench.js';
import { cpuVariants, numpyOrReason, webgpuOrReason, type NumpyServer } from '../update-suite.js';

const SECONDS_PER_BLOCK = 0.25;
const REPEATS = Number(process.env.BENCH_DQN_REPEATS ?? 7);
const NUMPY_SCRIPT = fileURLToPath(new URL('../numpy/dqn_update.py', import.meta.url));
const REGIMES = { continued: ['continued'], fresh: ['fresh'], both: ['continued', 'fresh'] } as const;
type Regime = 'continued' | 'fresh';

function regimes(): readonly Regime[] {
  const name = process.env.BENCH_DQN_REGIME ?? 'continued';
  if (!(name in REGIMES)) throw new Error(`BENCH_DQN_REGIME must be one of ${Object.keys(REGIMES).join(', ')}, got '${name}'`);
  return REGIMES[name as keyof typeof REGIMES];
}

class NumpyContender implements Contender {
  readonly name = 'numpy';
  constructor(
    private readonly server: NumpyServer,
    private readonly hidden: readonly number[],
    private readonly fresh = false,
  ) {}
  async run(updates: number): Promise<number> {
    const reply = await this.server.request({ hidden: this.hidden, updates, ...(this.fresh ? { fresh: true } : {}) });
    return reply.seconds as number;
  }
}

export default async function dqnUpdateSuite(): Promise<Record<string, unknown>> {
  const cpus = cpuVariants();
  const webgpu = await webgpuOrReason();
  const numpy = numpyOrReason(NUMPY_SCRIPT);
  const result: Record<string, unknown> = {
    update: UPDATE_DESCRIPTION,
    batch: BATCH,
    repeats: REPEATS,
    method: 'interleaved blocks of ~0.25 s per contender, order alternating per repeat; medians; ratio = median of per-repeat ratios',
    regimes: regimes(),
    cpuKernels: Object.fromEntries(cpus.map((c) => [`cpu ${c.kernels}`, c.kernelsDescription])),
    webgpuAdapter: typeof webgpu === 'string' ? webgpu : webgpu.adapterDescription,
    numpy: typeof numpy === 'string' ? numpy : await numpy.request({ info: true }),
  };
  try {
    for (const hidden of NETWORKS) {
      const label = networkLabel(hidden);
      process.stderr.write(`bench: dqn-update ${label}\n`);
      const entry: Record<string, unknown> = {};
      const groups = [];
      for (const regime of regimes()) {
        const fresh = regime === 'fresh';
        const engines = [
          ...cpus.map((cpu) => new EngineContender(cpu, hidden, `cpu ${cpu.kernels}`, { fresh })),
          ...(typeof webgpu === 'string' ? [] : [new EngineContender(webgpu, hidden, 'webgpu', { fresh })]),
        ];
        for (const e of engines) await e.warmUp();
        groups.push({ fresh, engines, numpy: typeof numpy === 'string' ? null : new NumpyContender(numpy, hidden, fresh) });
      }
      const contenders: Contender[] = groups.flatMap((g) => [...g.engines, ...(g.numpy ? [g.numpy] : [])]);
      const rates = await interleave(contenders, { repeats: REPEATS, secondsPerBlock: SECONDS_PER_BLOCK });
      for (const { fresh, engines, numpy: numpyContender } of groups) {
        const target: Record<string, unknown> = fresh ? {} : entry;
        const numpyRates = numpyContender ? (rates.get(numpyContender) as number[]) : null;
        for (const e of engines) {
          const engineRates = rates.get(e) as number[];
          const { loss, countersPerUpdate: counters } = await e.finish();
          target[e.name] = {
            ...summary(engineRates),
            ...(numpyRates ? { overNumpy: medianRatio(engineRates, numpyRates) } : {}),
            finalLoss: round(loss),
            countersPerUpdate: counters,
          };
        }
        target.numpy = numpyRates ? summary(numpyRates) : numpy;
        if (fresh) entry.fresh = target;
      }
      result[label] = entry;
    }
  } finally {
    if (typeof numpy !== 'string') numpy.close();
    for (const cpu of cpus) cpu.destroy();
    if (typeof webgpu !== 'string') webgpu.destroy();
  }
  return result;
}
