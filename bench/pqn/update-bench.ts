/**
 * What the PQN-update bench needs beside the DQN one's helpers (bench/dqn/update-bench.ts):
 * PqnAgent.update's settings, minibatches drawn beforehand, and the engine as a contender in the
 * fresh regime. Browser-safe (no Node import), like the DQN one.
 *
 * The step: forward of a Q-network whose hidden layers are Dense -> LayerNorm -> ReLU, MSE of
 * Q(s, a) against the given returns (tdLoss with gamma 0), backward, clipping by global norm at 10,
 * RAdam (torch semantics, lr 2.5e-4: CleanRL's pqn.py before its decay, which does not change the
 * cost); networks 4-256-256-2 and CleanRL's 4-120-84-2, batch 128. bench/suites/pqn-update.ts
 * measures it against NumPy (bench/numpy/pqn_update.py).
 */
import type { Backend } from '../../src/backend/backend.js';
import { Rng } from '../../src/random/rng.js';
import { PqnAgent, type PqnAgentConfig, type PqnAgentState, type PqnMinibatch } from '../../src/rl/pqn-agent.js';
import { BlockCounters } from '../dqn/update-bench.js';

export const PQN_UPDATE_DESCRIPTION = 'PqnAgent.update: fwd (Dense, LayerNorm, ReLU per hidden layer), MSE of Q(s, a) vs returns, backward, clip global norm 10, RAdam lr 2.5e-4 (torch)';
/** The target, 4-256-256-2, and CleanRL's pqn.py network, 4-120-84-2. */
export const PQN_NETWORKS: readonly (readonly number[])[] = [
  [256, 256],
  [120, 84],
];
export const PQN_OBS = 4;
export const PQN_ACTIONS = 2;
export const PQN_BATCH = 128;
export const PQN_LR = 2.5e-4;
export const PQN_MAX_GRAD_NORM = 10;
/**
 * Minibatches per submission on WebGPU, and the agent's minibatch slots: CleanRL's minibatches per
 * epoch, which PqnTrainer records back to back and flushes once.
 */
export const PQN_SLOTS = 4;
const PREPARED_BATCHES = 64;
/** Updates before any timing: pipelines compiled, pools filled, JIT warm. */
export const PQN_WARMUP_UPDATES = 32;

export function pqnAgentConfig(hidden: readonly number[]): PqnAgentConfig {
  return { hidden: [...hidden], init: 'torch_default', batchSize: PQN_BATCH, maxGradNorm: PQN_MAX_GRAD_NORM, slots: PQN_SLOTS };
}

/** Minibatches of observations U(-2, 2), random actions and returns U(0, 10) (the returns carry no signal, so the loss stays up). */
export function preparePqnMinibatches(rng: Rng, count = PREPARED_BATCHES): PqnMinibatch[] {
  return Array.from({ length: count }, () => ({
    observations: Float32Array.from({ length: PQN_BATCH * PQN_OBS }, () => rng.uniform(-2, 2)),
    actions: Float32Array.from({ length: PQN_BATCH }, () => rng.integers(PQN_ACTIONS)),
    returns: Float32Array.from({ length: PQN_BATCH }, () => rng.uniform(0, 10)),
  }));
}

/**
 * PqnAgent.update on one backend in the fresh regime: before each timed block (untimed) the agent
 * gets back its initial weights and a zeroed RAdam (step 0), so every block measures a network in
 * its first few hundred steps on random returns, with live gradients; NumPy does the same. On
 * WebGPU the updates are flushed PQN_SLOTS at a time, as PqnTrainer does an epoch.
 */
export class PqnEngineContender {
  readonly name: string;
  private readonly agent: PqnAgent;
  private readonly batches: PqnMinibatch[];
  private initial: PqnAgentState | null = null;
  private next = 0;
  private readonly counters = new BlockCounters();

  constructor(
    private readonly backend: Backend,
    hidden: readonly number[],
    /** The name in the figures (default `engine <backend>`). */
    name?: string,
  ) {
    this.name = name ?? `engine ${backend.name}`;
    this.agent = new PqnAgent(backend, pqnAgentConfig(hidden), PQN_OBS, PQN_ACTIONS, new Rng(0));
    this.batches = preparePqnMinibatches(new Rng(1));
  }

  private async block(updates: number): Promise<number> {
    const { agent, backend, batches } = this;
    const start = performance.now();
    for (let i = 0; i < updates; i++) {
      agent.update(batches[this.next], PQN_LR);
      this.next = (this.next + 1) % batches.length;
      if ((i + 1) % PQN_SLOTS === 0) backend.flush();
    }
    backend.flush();
    await backend.sync();
    return (performance.now() - start) / 1000;
  }

  private async restore(): Promise<void> {
    if (this.initial === null) this.initial = await this.agent.getState();
    this.agent.setState(this.initial);
    await this.backend.sync();
  }

  async warmUp(): Promise<void> {
    await this.restore();
    await this.block(PQN_WARMUP_UPDATES);
    this.counters.warm = true;
  }

  async run(updates: number): Promise<number> {
    await this.restore();
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
