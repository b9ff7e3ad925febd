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
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface, type Interface } from 'node:readline';
import { CpuBackend } from '../../src/backend/cpu/cpu-backend.js';
import { availableCpuKernels } from '../../src/backend/cpu/cpu-kernels.js';
import { NoAdapterError, WebGpuBackend } from '../../src/backend/webgpu/index.js';
import { BATCH, EngineContender, NETWORKS, UPDATE_DESCRIPTION, interleave, medianRatio, networkLabel, round, summary, type Contender } from '../dqn/update-bench.js';

const SECONDS_PER_BLOCK = 0.25;
const REPEATS = Number(process.env.BENCH_DQN_REPEATS ?? 7);
const NUMPY_SCRIPT = fileURLToPath(new URL('../numpy/dqn_update.py', import.meta.url));
const ONE_THREAD = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

/** The NumPy script in --serve mode: one JSON request and one JSON reply a line. */
class NumpyServer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private readonly reader: Interface;
  private stderr = '';

  constructor() {
    this.child = spawn('python3', [NUMPY_SCRIPT, '--serve'], { env: { ...process.env, ...ONE_THREAD } });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.reader = createInterface({ input: this.child.stdout });
    this.lines = this.reader[Symbol.asyncIterator]();
  }

  async request(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.child.stdin.write(JSON.stringify(message) + '\n');
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`${NUMPY_SCRIPT} exited: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return JSON.parse(value) as Record<string, unknown>;
  }

  close(): void {
    this.child.stdin.end();
    this.reader.close();
    if (this.child.exitCode === null) this.child.kill();
  }
}

class NumpyContender implements Contender {
  readonly name = 'numpy';
  constructor(
    private readonly server: NumpyServer,
    private readonly hidden: readonly number[],
  ) {}
  async run(updates: number): Promise<number> {
    const reply = await this.server.request({ hidden: this.hidden, updates });
    return reply.seconds as number;
  }
}

async function webgpuOrReason(): Promise<WebGpuBackend | string> {
  try {
    return await WebGpuBackend.create();
  } catch (error) {
    if (error instanceof NoAdapterError) return `no WebGPU adapter (${error.message})`;
    throw error;
  }
}

function numpyOrReason(): NumpyServer | string {
  const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.error) return `python3 not found (${probe.error.message})`;
  if (probe.status !== 0) return 'python3 has no NumPy';
  return new NumpyServer();
}

/** The CPU backend's kernel variants this runtime has (bench/run.ts opts into relaxed SIMD). */
function cpuVariants(): CpuBackend[] {
  return availableCpuKernels().map((kernels) => new CpuBackend({ kernels }));
}

export default async function dqnUpdateSuite(): Promise<Record<string, unknown>> {
  const cpus = cpuVariants();
  const webgpu = await webgpuOrReason();
  const numpy = numpyOrReason();
  const result: Record<string, unknown> = {
    update: UPDATE_DESCRIPTION,
    batch: BATCH,
    repeats: REPEATS,
    method: 'interleaved blocks of ~0.25 s per contender, order alternating per repeat; medians; ratio = median of per-repeat ratios',
    cpuKernels: Object.fromEntries(cpus.map((c) => [`cpu ${c.kernels}`, c.kernelsDescription])),
    webgpuAdapter: typeof webgpu === 'string' ? webgpu : webgpu.adapterDescription,
    numpy: typeof numpy === 'string' ? numpy : await numpy.request({ info: true }),
  };
  try {
    for (const hidden of NETWORKS) {
      const label = networkLabel(hidden);
      process.stderr.write(`bench: dqn-update ${label}\n`);
      const engines = [
        ...cpus.map((cpu) => new EngineContender(cpu, hidden, `cpu ${cpu.kernels}`)),
        ...(typeof webgpu === 'string' ? [] : [new EngineContender(webgpu, hidden, 'webgpu')]),
      ];
      for (const e of engines) await e.warmUp();
      const contenders: Contender[] = [...engines, ...(typeof numpy === 'string' ? [] : [new NumpyContender(numpy, hidden)])];
      const rates = await interleave(contenders, { repeats: REPEATS, secondsPerBlock: SECONDS_PER_BLOCK });
      const entry: Record<string, unknown> = {};
      const numpyRates = typeof numpy === 'string' ? null : (rates.get(contenders[contenders.length - 1]) as number[]);
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
      entry.numpy = numpyRates ? summary(numpyRates) : numpy;
      result[label] = entry;
    }
  } finally {
    if (typeof numpy !== 'string') numpy.close();
    for (const cpu of cpus) cpu.destroy();
    if (typeof webgpu !== 'string') webgpu.destroy();
  }
  return result;
}
