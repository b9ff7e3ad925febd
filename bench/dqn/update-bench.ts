/**
 * What the reference DQN-update benches share, in Node and in the bench page (browser-safe: no
 * Node import): issue 10's update as a DqnAgent config, minibatches drawn beforehand, the engine
 * as a contender (DqnAgent.update on a backend, with its counters), and the interleaved measurement
 * every contender goes through.
 *
 * The update: target forward on s', TD target r + gamma (1 - terminated) max Q_target(s'), online
 * forward on s, Huber loss (delta 1, mean over the batch) at the chosen actions, backward, Adam
 * (lr 1e-3, eps 1e-8), soft target update tau 0.01; no Double DQN, no clipping; MLPs 4-64-64-2 and
 * 4-256-256-2 with ReLU, batch 64. bench/suites/dqn-update.ts measures the same update against NumPy.
 */
import type { Backend, BackendStats } from '../../src/backend/backend.js';
import { Rng } from '../../src/random/rng.js';
import { preset, type DqnConfig } from '../../src/rl/config.js';
import { DqnAgent, type DqnAgentState } from '../../src/rl/dqn-agent.js';
import { ReplayBuffer, createMinibatch, type Minibatch } from '../../src/rl/replay-buffer.js';
import { round } from '../harness.js';

export { round };

export const UPDATE_DESCRIPTION =
  "issue 10: target fwd s', TD target, online fwd s, Huber(1) at chosen actions, backward, Adam 1e-3, soft target tau 0.01 (no Double DQN, no clipping)";
export const NETWORKS: readonly (readonly number[])[] = [
  [64, 64],
  [256, 256],
];
export const OBS = 4;
export const ACTIONS = 2;
export const BATCH = 64;
export const GAMMA = 0.99;
export const LR = 1e-3;
export const ADAM_EPS = 1e-8;
export const HUBER_DELTA = 1;
export const TAU = 0.01;
const PREPARED_BATCHES = 64;
/** Updates before any timing: pipelines compiled, pools filled, JIT warm. */
export const WARMUP_UPDATES = 30;

/** "4-64-64-2" for hidden [64, 64]. */
export function networkLabel(hidden: readonly number[]): string {
  return [OBS, ...hidden, ACTIONS].join('-');
}

/** The update above as a DqnAgent config. */
export function updateConfig(hidden: readonly number[]): DqnConfig {
  return {
    ...preset('default'),
    hidden: [...hidden],
    activation: 'relu',
    init: 'torch_default',
    dueling: false,
    doubleDqn: false,
    gamma: GAMMA,
    nStep: 1,
    lr: LR,
    adamEps: ADAM_EPS,
    loss: 'huber',
    huberDelta: HUBER_DELTA,
    maxGradNorm: 0,
    batchSize: BATCH,
    targetUpdate: 'soft',
    tau: TAU,
  };
}

/**
 * Random CartPole-like minibatches, drawn beforehand through the replay buffer's public API (the
 * one place that knows how a Minibatch is filled); about 5% of them terminal.
 */
export function prepareMinibatches(rng: Rng): Minibatch[] {
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

/** Something timed in blocks: `run(n)` does n units of work (updates, matmuls) and returns the seconds they took. */
export interface Contender {
  readonly name: string;
  run(units: number): Promise<number>;
}

/**
 * DqnAgent.update on one backend, one submission per update on WebGPU (as in training).
 *
 * Regimes: by default (continued) the agent keeps training across every block, as the README's
 * figures were measured. With `fresh`, the agent's initial state (online and target weights, a
 * zeroed Adam) is restored before each block, untimed, so every block runs on live gradients (the
 * NumPy side's "fresh" requests do the same: bench/numpy/dqn_update.py).
 */
export class EngineContender implements Contender {
  readonly name: string;
  private readonly agent: DqnAgent;
  private readonly batches: Minibatch[];
  private readonly fresh: boolean;
  private initial: DqnAgentState | null = null;
  private next = 0;
  private readonly counters = new BlockCounters();

  constructor(
    private readonly backend: Backend,
    hidden: readonly number[],
    /** The name in the figures (default `engine <backend>`). */
    name?: string,
    options: { fresh?: boolean } = {},
  ) {
    this.name = name ?? `engine ${backend.name}`;
    this.fresh = options.fresh ?? false;
    this.agent = new DqnAgent(backend, updateConfig(hidden), OBS, ACTIONS, new Rng(0));
    this.batches = prepareMinibatches(new Rng(1));
  }

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
    if (this.fresh) this.initial = await this.agent.getState();
    await this.block(WARMUP_UPDATES);
    this.counters.warm = true;
  }

  async run(updates: number): Promise<number> {
    if (this.initial !== null) {
      this.agent.setState(this.initial);
      await this.backend.sync();
    }
    return this.counters.around(this.backend, updates, () => this.block(updates));
  }

  /** The last loss (which must be finite) and the counters' increase per timed update; disposes the agent. */
  async finish(): Promise<{ loss: number; countersPerUpdate: Record<string, number> }> {
    const loss = await this.agent.readLoss();
    if (!Number.isFinite(loss)) throw new Error(`${this.name}: the update diverged (loss ${loss})`);
    const counters = this.counters.perUpdate(this.name);
    this.agent.dispose();
    return { loss, countersPerUpdate: counters };
  }
}

type CounterKey = 'dispatches' | 'submits' | 'readbacks' | 'tensorsAlive';
const COUNTER_KEYS: readonly CounterKey[] = ['dispatches', 'submits', 'readbacks', 'tensorsAlive'];

/**
 * The backend's counters summed over the timed blocks only (not over what a contender does untimed
 * between them, such as restoring a fresh state), for the figures per update.
 */
export class BlockCounters {
  /** Set once the contender has warmed up; blocks before do not count. */
  warm = false;
  private updates = 0;
  private readonly sums: Record<CounterKey, number> = { dispatches: 0, submits: 0, readbacks: 0, tensorsAlive: 0 };

  /** Runs `block` and adds the counters' increase over it. */
  async around(backend: Backend, updates: number, block: () => Promise<number>): Promise<number> {
    const before = backend.stats();
    const seconds = await block();
    if (this.warm) this.add(before, backend.stats(), updates);
    return seconds;
  }

  private add(before: BackendStats, after: BackendStats, updates: number): void {
    for (const key of COUNTER_KEYS) this.sums[key] += after[key] - before[key];
    this.updates += updates;
  }

  /** dispatches, submits and readbacks per update, and the tensors allocated per update (which must be 0). */
  perUpdate(name: string): Record<string, number> {
    if (!this.warm) throw new Error(`${name}: finish() before warmUp()`);
    const per = (key: CounterKey): number => round(this.sums[key] / this.updates);
    return { dispatches: per('dispatches'), submits: per('submits'), readbacks: per('readbacks'), tensorsAllocatedPerUpdate: per('tensorsAlive') };
  }
}

/** Units per block so that one block of `contender` takes about `seconds`. */
export async function calibrate(contender: Contender, seconds: number, start = 10): Promise<number> {
  let units = start;
  for (;;) {
    const took = await contender.run(units);
    if (took >= seconds / 4 || units >= 1 << 16) return Math.max(1, Math.round((units * seconds) / took));
    units *= 4;
  }
}

/**
 * Measures the contenders in interleaved blocks of about `secondsPerBlock` each (forward order on
 * even repeats, reverse on odd ones), so that noise on a shared machine hits them all alike.
 * `before` runs ahead of each block, untimed (switching a library's active backend, say). Returns
 * units per second, one figure per repeat, for each contender.
 */
export async function interleave(
  contenders: readonly Contender[],
  options: { repeats: number; secondsPerBlock: number; calibrateFrom?: number; before?: (c: Contender) => Promise<void> },
): Promise<Map<Contender, number[]>> {
  const before = options.before ?? (async () => {});
  const perBlock = new Map<Contender, number>();
  for (const c of contenders) {
    await before(c);
    perBlock.set(c, await calibrate(c, options.secondsPerBlock, options.calibrateFrom));
  }
  const rates = new Map<Contender, number[]>(contenders.map((c) => [c, []]));
  for (let r = 0; r < options.repeats; r++) {
    const order = r % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) {
      await before(c);
      const units = perBlock.get(c) as number;
      (rates.get(c) as number[]).push(units / (await c.run(units)));
    }
  }
  return rates;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median of the per-repeat ratios a[i] / b[i] (both measured in the same repeat). */
export function medianRatio(a: readonly number[], b: readonly number[]): number {
  return round(median(a.map((x, i) => x / b[i])));
}

/** Median, min and max of per-repeat rates, under `key` (updatesPerSecond, gflops, ...). */
export function summary(rates: readonly number[], key = 'updatesPerSecond'): Record<string, number> {
  return { [key]: round(median(rates)), min: round(Math.min(...rates)), max: round(Math.max(...rates)) };
}
