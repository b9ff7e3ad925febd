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
import type { Backend, BackendStats } from '../../src/backend/backend.js';
import { CpuBackend } from '../../src/backend/cpu/cpu-backend.js';
import { availableCpuKernels } from '../../src/backend/cpu/cpu-kernels.js';
import { NoAdapterError, WebGpuBackend } from '../../src/backend/webgpu/index.js';
import { Rng } from '../../src/random/rng.js';
import { preset, type DqnConfig } from '../../src/rl/config.js';
import { DqnAgent } from '../../src/rl/dqn-agent.js';
import { ReplayBuffer, createMinibatch, type Minibatch } from '../../src/rl/replay-buffer.js';
import { round } from '../harness.js';

const NETWORKS = [
  [64, 64],
  [256, 256],
];
const OBS = 4;
const ACTIONS = 2;
const BATCH = 64;
const GAMMA = 0.99;
const PREPARED_BATCHES = 64;
const SECONDS_PER_BLOCK = 0.25;
const REPEATS = Number(process.env.BENCH_DQN_REPEATS ?? 7);
const NUMPY_SCRIPT = fileURLToPath(new URL('../numpy/dqn_update.py', import.meta.url));
const ONE_THREAD = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

/** Issue 10's update as a DqnAgent config. */
function updateConfig(hidden: number[]): DqnConfig {
  return {
    ...preset('default'),
    hidden: [...hidden],
    activation: 'relu',
    init: 'torch_default',
    dueling: false,
    doubleDqn: false,
    gamma: GAMMA,
    nStep: 1,
    lr: 1e-3,
    adamEps: 1e-8,
    loss: 'huber',
    huberDelta: 1,
    maxGradNorm: 0,
    batchSize: BATCH,
    targetUpdate: 'soft',
    tau: 0.01,
  };
}

/**
 * Random minibatches, drawn beforehand through the replay buffer's public API (the one place that
 * knows how a Minibatch is filled).
 */
function prepareMinibatches(rng: Rng): Minibatch[] {
  const replay = new ReplayBuffer(4096, OBS);
  const s = new Float32Array(OBS);
  const next = new Float32Array(OBS);
  for (let i = 0; i < replay.capacity; i++) {
    for (let k = 0; k < OBS; k++) {
      s[k] = rng.uniform(-1, 1) * (k === 2 ? 0.1 : 1);
      next[k] = s[k] + rng.uniform(-0.05, 0.05);
    }
    replay.add(s, rng.integers(ACTIONS), 1, next, rng.random() < 0.05);
  }
  return Array.from({ length: PREPARED_BATCHES }, () => {
    const batch = createMinibatch(BATCH, OBS);
    replay.sample(rng, batch);
    return batch;
  });
}

/** Something that times `updates` consecutive DQN updates. */
interface Contender {
  readonly name: string;
  run(updates: number): Promise<number>;
}

class EngineContender implements Contender {
  readonly name: string;
  private readonly agent: DqnAgent;
  private readonly batches: Minibatch[];
  private next = 0;
  private updatesTimed = 0;
  private statsBefore: BackendStats | null = null;

  constructor(
    private readonly backend: Backend,
    hidden: number[],
  ) {
    this.name = backend instanceof CpuBackend ? `cpu ${backend.kernels}` : backend.name;
    this.agent = new DqnAgent(backend, updateConfig(hidden), OBS, ACTIONS, new Rng(0));
    this.batches = prepareMinibatches(new Rng(1));
  }

  /** Records `updates` updates (one submission each on WebGPU, as in training) and waits for them. */
  private async block(updates: number): Promise<number> {
    const { agent, backend, batches } = this;
    const start = performance.now();
    for (let i = 0; i < updates; i++) {
      agent.update(batches[this.next]);
      this.next = (this.next + 1) % batches.length;
      backend.flush();
    }
    await backend.sync();
    return (performance.now() - start) / 1000;
  }

  async warmUp(): Promise<void> {
    await this.block(30);
    this.statsBefore = this.backend.stats();
  }

  async run(updates: number): Promise<number> {
    const seconds = await this.block(updates);
    this.updatesTimed += updates;
    return seconds;
  }

  async finish(): Promise<{ loss: number; countersPerUpdate: Record<string, number> | null }> {
    const loss = await this.agent.readLoss();
    if (!Number.isFinite(loss)) throw new Error(`${this.name}: the update diverged (loss ${loss})`);
    const counters = this.statsBefore ? countersPerUpdate(this.statsBefore, this.backend.stats(), this.updatesTimed) : null;
    this.agent.dispose();
    return { loss, countersPerUpdate: counters };
  }
}

/**
 * The increase of every work counter of backend.stats() (dispatches, submits, readbacks) per timed
 * update, and of tensorsAlive (which must be 0: no allocation per update).
 */
function countersPerUpdate(before: BackendStats, after: BackendStats, updates: number): Record<string, number> | null {
  const b = before as unknown as Record<string, unknown>;
  const a = after as unknown as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(a)) {
    if (key === 'tensorsAlive' || key === 'bytesAlive') continue;
    const old = b[key];
    if (typeof value === 'number' && typeof old === 'number') out[key] = round((value - old) / updates);
  }
  if (Object.keys(out).length === 0) return null;
  out.tensorsAllocatedPerUpdate = round((after.tensorsAlive - before.tensorsAlive) / updates);
  return out;
}

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
    private readonly hidden: number[],
  ) {}
  async run(updates: number): Promise<number> {
    const reply = await this.server.request({ hidden: this.hidden, updates });
    return reply.seconds as number;
  }
}

/** Updates per block so that one block takes about SECONDS_PER_BLOCK. */
async function calibrate(contender: Contender): Promise<number> {
  let updates = 10;
  for (;;) {
    const seconds = await contender.run(updates);
    if (seconds >= SECONDS_PER_BLOCK / 4 || updates >= 1 << 16) return Math.max(3, Math.round((updates * SECONDS_PER_BLOCK) / seconds));
    updates *= 4;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function summary(rates: number[]): Record<string, number> {
  return { updatesPerSecond: round(median(rates)), min: round(Math.min(...rates)), max: round(Math.max(...rates)) };
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
    update: "issue 10: target fwd s', TD target, online fwd s, Huber(1) at chosen actions, backward, Adam 1e-3, soft target tau 0.01 (no Double DQN, no clipping)",
    batch: BATCH,
    repeats: REPEATS,
    method: 'interleaved blocks of ~0.25 s per contender, order alternating per repeat; medians; ratio = median of per-repeat ratios',
    cpuKernels: Object.fromEntries(cpus.map((c) => [`cpu ${c.kernels}`, c.kernelsDescription])),
    webgpuAdapter: typeof webgpu === 'string' ? webgpu : webgpu.adapterDescription,
    numpy: typeof numpy === 'string' ? numpy : await numpy.request({ info: true }),
  };
  try {
    for (const hidden of NETWORKS) {
      const label = [OBS, ...hidden, ACTIONS].join('-');
      process.stderr.write(`bench: dqn-update ${label}\n`);
      const engines = [...cpus.map((cpu) => new EngineContender(cpu, hidden)), ...(typeof webgpu === 'string' ? [] : [new EngineContender(webgpu, hidden)])];
      for (const e of engines) await e.warmUp();
      const contenders: Contender[] = [...engines, ...(typeof numpy === 'string' ? [] : [new NumpyContender(numpy, hidden)])];
      const perBlock = new Map<Contender, number>();
      for (const c of contenders) perBlock.set(c, await calibrate(c));
      const rates = new Map<Contender, number[]>(contenders.map((c) => [c, []]));
      for (let r = 0; r < REPEATS; r++) {
        const order = r % 2 === 0 ? contenders : [...contenders].reverse();
        for (const c of order) {
          const updates = perBlock.get(c) as number;
          (rates.get(c) as number[]).push(updates / (await c.run(updates)));
        }
      }
      const entry: Record<string, unknown> = {};
      const numpyRates = typeof numpy === 'string' ? null : (rates.get(contenders[contenders.length - 1]) as number[]);
      for (const e of engines) {
        const engineRates = rates.get(e) as number[];
        const { loss, countersPerUpdate: counters } = await e.finish();
        entry[e.name] = {
          ...summary(engineRates),
          ...(numpyRates ? { overNumpy: round(median(engineRates.map((x, i) => x / numpyRates[i]))) } : {}),
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
