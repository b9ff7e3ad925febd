/**
 * The fused ops of one DQN update (Double DQN, Huber, clipping, Adam, soft target) at their shapes
 * for an MLP obs-H-H-actions at batch B, as closures over their own tensors, for per-op timing.
 * Only the public Backend API is used, so the same list runs on any tree's backend (bench/ab-kernels.ts).
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { Backend, Tensor } from '../src/backend/backend.js';
import { arenaLayout } from '../src/nn/parameter-arena.js';

export interface TimedOp {
  name: string;
  /** Not part of the update: a reference figure (the cost of a near-empty dispatch). */
  reference?: boolean;
  /** Records the op once (nothing is read back). */
  record(): void;
}

const OBS = 4;
const ACTIONS = 2;

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** The ops of a DQN update at hidden width `h`, batch `b` (and reference ops), and a disposer. */
export function dqnOps(backend: Backend, h: number, b = 64): { ops: TimedOp[]; dispose(): void } {
  const tensors: Tensor[] = [];
  let seed = 1;
  const t = (rows: number, cols: number, scale = 1): Tensor => {
    const x = backend.tensor([rows, cols], values(rows * cols, seed++).map((v) => v * scale));
    tensors.push(x);
    return x;
  };
  const w1 = t(OBS, h, 0.5);
  const b1 = t(1, h, 0.1);
  const w2 = t(h, h, 1 / Math.sqrt(h));
  const b2 = t(1, h, 0.1);
  const w3 = t(h, ACTIONS, 1 / Math.sqrt(h));
  const b3 = t(1, ACTIONS, 0.1);
  const s = t(2 * b, OBS);
  const sHalf = t(b, OBS);
  const h1 = t(2 * b, h);
  const h2 = t(2 * b, h);
  const q = t(2 * b, ACTIONS);
  const h1t = t(b, h);
  const h2t = t(b, h);
  const qt = t(b, ACTIONS);
  const h1b = t(b, h);
  const h2b = t(b, h);
  const actions = backend.tensor([b, 1], Array.from({ length: b }, (_, i) => i % ACTIONS));
  tensors.push(actions);
  const rewards = t(b, 1);
  const terminated = backend.tensor([b, 1], Array.from({ length: b }, (_, i) => (i % 17 === 0 ? 1 : 0)));
  tensors.push(terminated);
  const loss = t(1, 1);
  const gradQ = t(b, ACTIONS);
  const targets = t(b, 1);
  const g2 = t(b, h, 0.01);
  const g1 = t(b, h, 0.01);
  const dw3 = t(h, ACTIONS);
  const db3 = t(1, ACTIONS);
  const dw2 = t(h, h);
  const db2 = t(1, h);
  const dw1 = t(OBS, h);
  const db1 = t(1, h);
  // The network's parameter arena (each parameter at a VIEW_ALIGNMENT offset, as src/nn lays it out).
  const arena = arenaLayout([[OBS, h], [h], [h, h], [h], [h, ACTIONS], [ACTIONS]]).size;
  const param = t(1, arena, 0.1);
  const grad = t(1, arena, 0.01);
  const m = t(1, arena, 0);
  const v = t(1, arena, 0);
  backend.fill(v, 1e-4);
  const target = t(1, arena, 0.1);
  const ss = t(1, 1);
  const hp = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, step: 10 };
  const fusion = { clip: { sumSquares: ss, maxNorm: 1e9 }, polyak: { target, tau: 0.01 } };
  const ops: TimedOp[] = [
    { name: `linear ${b}x${OBS}x${h} relu`, record: () => backend.linear(sHalf, w1, b1, 'relu', h1t) },
    { name: `linear ${b}x${h}x${h} relu`, record: () => backend.linear(h1t, w2, b2, 'relu', h2t) },
    { name: `linear ${b}x${h}x${ACTIONS}`, record: () => backend.linear(h2t, w3, b3, 'identity', qt) },
    { name: `linear ${2 * b}x${OBS}x${h} relu`, record: () => backend.linear(s, w1, b1, 'relu', h1) },
    { name: `linear ${2 * b}x${h}x${h} relu`, record: () => backend.linear(h1, w2, b2, 'relu', h2) },
    { name: `linear ${2 * b}x${h}x${ACTIONS}`, record: () => backend.linear(h2, w3, b3, 'identity', q) },
    {
      name: `tdLoss B=${b} double huber`,
      record: () =>
        backend.tdLoss({ q, nextQ: qt, actions, rewards, terminated, gamma: 0.99, double: true, loss: 'huber', delta: 1, lossOut: loss, gradQ, targets }),
    },
    { name: `linearGrad ${b}x${h} -> ${h}x${ACTIONS} + db`, record: () => backend.linearGrad(h2b, gradQ, dw3, db3) },
    { name: `linearInputGrad ${b}x${ACTIONS} -> ${b}x${h} relu`, record: () => backend.linearInputGrad(gradQ, w3, h2b, 'relu', g2) },
    { name: `linearGrad ${b}x${h} -> ${h}x${h} + db`, record: () => backend.linearGrad(h1b, g2, dw2, db2) },
    { name: `linearInputGrad ${b}x${h} -> ${b}x${h} relu`, record: () => backend.linearInputGrad(g2, w2, h1b, 'relu', g1) },
    { name: `linearGrad ${b}x${OBS} -> ${OBS}x${h} + db`, record: () => backend.linearGrad(sHalf, g1, dw1, db1) },
    {
      // As the agent records its step: one dispatch on a CPU-emulated adapter for a small arena.
      name: `sumSquares + adam ${arena} clip polyak`,
      record: () => {
        backend.sumSquares(grad, ss);
        backend.adam(param, grad, m, v, hp, fusion);
      },
    },
    { name: `  sumSquares ${arena} alone`, reference: true, record: () => backend.sumSquares(grad, ss) },
    { name: `  adam ${arena} clip polyak alone`, reference: true, record: () => backend.adam(param, grad, m, v, hp, fusion) },
    { name: 'fill 1 element (a near-empty dispatch)', reference: true, record: () => backend.fill(loss, 0) },
  ];
  return {
    ops,
    dispose: () => {
      for (const x of tensors) x.dispose();
    },
  };
}

/**
 * CPU nanoseconds run so far by this process's threads other than the main one (Linux
 * /proc/self/task/<tid>/schedstat), or null elsewhere. On a software adapter that is the driver's
 * work: lavapipe's queue thread and llvmpipe's compute threads. Unlike wall time it hardly depends
 * on what else the machine runs, so it is the steadier A/B figure on a shared machine.
 */
export function workerCpuNs(): number | null {
  if (process.platform !== 'linux') return null;
  let total = 0;
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      if (Number(tid) === process.pid) continue;
      try {
        total += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // The thread ended meanwhile.
      }
    }
  } catch {
    return null;
  }
  return total;
}

export interface OpTiming {
  /** Wall microseconds per call. */
  wallUs: number;
  /** Driver-thread CPU microseconds per call (workerCpuNs), NaN where unavailable. */
  cpuUs: number;
}

/** Per-call costs of `op`: `reps` calls recorded into one submission, then a wait. */
export async function timeOp(backend: Backend, op: TimedOp, reps: number): Promise<OpTiming> {
  const cpu0 = workerCpuNs();
  const start = performance.now();
  for (let i = 0; i < reps; i++) op.record();
  backend.flush();
  await backend.sync();
  const wallUs = ((performance.now() - start) * 1000) / reps;
  const cpu1 = workerCpuNs();
  return { wallUs, cpuUs: cpu0 === null || cpu1 === null ? Number.NaN : (cpu1 - cpu0) / 1000 / reps };
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
