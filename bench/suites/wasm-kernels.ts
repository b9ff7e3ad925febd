/**
 * The WASM SIMD kernels (src/backend/wasm) as direct calls, before they are wired into a backend:
 * - matmul GFLOP/s at 64^3, 256^3, 1024^3 for a b, a^T b and a b^T, for SIMD128 and relaxed-SIMD
 *   FMA, next to the TypeScript kernel of the CPU backend (src/backend/cpu/matmul.ts);
 * - DQN updates per second at 4-64-64-2 and 4-256-256-2, batch 64: the whole update as kernel
 *   calls on parameter arenas (minibatch upload, target forward on s', [online forward on s' for
 *   Double DQN,] TD target + Huber loss + gradient at the chosen actions in one call, online forward
 *   on s, backward with fused bias/activation gradients, global-norm clipping, Adam fused with the
 *   clip and the soft target update), next to DqnAgent.update on today's CPU backend.
 *
 * The machine is shared: each figure is a median of repeats (bench/harness.ts), and the CPU-time
 * median (process.cpuUsage, which does not count time the process spent descheduled) is given
 * beside the wall-clock one.
 */
import type { AdamHyperParameters } from '../../src/backend/backend.js';
import { CpuBackend } from '../../src/backend/cpu/index.js';
import { matmul as tsMatmul } from '../../src/backend/cpu/matmul.js';
import { alignedFloats, detectWasmSupport, WasmKernels, type WasmRegion } from '../../src/backend/wasm/index.js';
import { enableRelaxedSimdInNode } from '../../src/backend/wasm/node-relaxed-simd.js';
import { DqnAgent } from '../../src/rl/dqn-agent.js';
import { preset } from '../../src/rl/config.js';
import { Rng } from '../../src/random/rng.js';
import { round, time } from '../harness.js';

interface Measured {
  /** Wall-clock median seconds per call. */
  wall: number;
  /** CPU-time median seconds per call. */
  cpu: number;
}

/** Median wall and CPU seconds per call over `repeats` batches of about minSeconds / repeats each. */
async function measure(fn: () => void, options: { warmup?: number; repeats?: number; minSeconds?: number } = {}): Promise<Measured> {
  const repeats = options.repeats ?? 7;
  const minSeconds = options.minSeconds ?? 0.5;
  const wall = await time(fn, { warmup: options.warmup ?? 3, repeats, minSeconds });
  // Same batch size for the CPU-time repeats: one call count that takes about minSeconds / repeats.
  const calls = Math.max(1, Math.round(minSeconds / repeats / wall.medianSeconds));
  const cpu: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i++) fn();
    const used = process.cpuUsage(start);
    cpu.push((used.user + used.system) / 1e6 / calls);
  }
  cpu.sort((a, b) => a - b);
  return { wall: wall.medianSeconds, cpu: cpu[Math.floor(repeats / 2)] };
}

const CASES = [
  ['a b', false, false],
  ['a^T b', true, false],
  ['a b^T', false, true],
] as const;

async function matmulFigures(variants: WasmKernels[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const n of [64, 256, 1024]) {
    const rng = new Rng(n);
    const row: Record<string, unknown> = {};
    const flops = 2 * n ** 3;
    const options = { warmup: n >= 1024 ? 1 : 3, repeats: n >= 1024 ? 5 : 7, minSeconds: n >= 1024 ? 1.5 : 0.5 };
    for (const kernels of variants) {
      const a = kernels.heap.alloc(n * n, 'a');
      const b = kernels.heap.alloc(n * n, 'b');
      const c = kernels.heap.alloc(n * n, 'c');
      rng.fillUniform(a.view(), -1, 1);
      rng.fillUniform(b.view(), -1, 1);
      const figures: Record<string, { wall: number; cpu: number }> = {};
      for (const [name, transA, transB] of CASES) {
        const t = await measure(() => kernels.matmul(a.ptr, b.ptr, c.ptr, n, n, n, transA, transB, false), options);
        figures[name] = { wall: round(flops / t.wall / 1e9), cpu: round(flops / t.cpu / 1e9) };
      }
      row[kernels.fma ? 'wasm relaxed-SIMD FMA' : 'wasm SIMD128'] = figures;
      for (const r of [a, b, c]) r.free();
    }
    const a = new Float32Array(n * n);
    const b = new Float32Array(n * n);
    const c = new Float32Array(n * n);
    rng.fillUniform(a, -1, 1);
    rng.fillUniform(b, -1, 1);
    const ts: Record<string, { wall: number; cpu: number }> = {};
    for (const [name, transA, transB] of CASES) {
      const args = { a, b, out: c, m: n, k: n, n, transA, transB, accumulate: false };
      const t = await measure(() => tsMatmul(args), { ...options, repeats: n >= 1024 ? 3 : 5 });
      ts[name] = { wall: round(flops / t.wall / 1e9), cpu: round(flops / t.cpu / 1e9) };
    }
    row['typescript (cpu backend)'] = ts;
    out[`${n}^3`] = row;
  }
  return out;
}

/** Offsets (floats, aligned) of each layer's W and b in a parameter arena of an MLP. */
function arenaLayout(sizes: readonly number[]): { w: number; b: number; inF: number; outF: number }[] {
  let offset = 0;
  return sizes.slice(1).map((outF, l) => {
    const inF = sizes[l];
    const w = offset;
    offset += alignedFloats(inF * outF);
    const b = offset;
    offset += alignedFloats(outF);
    return { w, b, inF, outF };
  });
}

/** One DQN learner as WASM kernel calls on arenas; returns the update function. */
function wasmDqn(kernels: WasmKernels, sizes: readonly number[], batch: number, doubleDqn: boolean): { update: () => void; dispose: () => void; calls: number } {
  const { heap } = kernels;
  const rng = new Rng(0);
  const layout = arenaLayout(sizes);
  const last = layout[layout.length - 1];
  const arenaFloats = last.b + alignedFloats(last.outF);
  const made: WasmRegion[] = [];
  const alloc = (n: number, label: string): WasmRegion => {
    const r = heap.alloc(n, label);
    made.push(r);
    return r;
  };
  const params = alloc(arenaFloats, 'params');
  const grads = alloc(arenaFloats, 'grads');
  const m = alloc(arenaFloats, 'adam.m');
  const v = alloc(arenaFloats, 'adam.v');
  const target = alloc(arenaFloats, 'target');
  for (const l of layout) {
    const bound = 1 / Math.sqrt(l.inF);
    rng.fillUniform(params.subview(l.w, l.inF * l.outF).view(), -bound, bound);
    rng.fillUniform(params.subview(l.b, l.outF).view(), -bound, bound);
  }
  kernels.copy(params.ptr, target.ptr, arenaFloats);
  const obsDim = sizes[0];
  const nActions = last.outF;
  const ys = layout.map((l) => alloc(batch * l.outF, 'y'));
  const targetYs = layout.map((l) => alloc(batch * l.outF, 'target.y'));
  const onlineNextYs = layout.map((l) => alloc(batch * l.outF, 'online.next.y'));
  const dzs = layout.map((l) => alloc(batch * l.outF, 'dz'));
  const s = alloc(batch * obsDim, 's');
  const sNext = alloc(batch * obsDim, 's_next');
  const actions = alloc(batch, 'a');
  const rewards = alloc(batch, 'r');
  const terminated = alloc(batch, 'terminated');
  const loss = alloc(1, 'loss');
  const sumSquares = alloc(1, 'sumSquares');
  // A host minibatch, uploaded every update as the agent does.
  const hostS = new Float32Array(batch * obsDim);
  const hostSNext = new Float32Array(batch * obsDim);
  const hostA = Float32Array.from({ length: batch }, () => rng.integers(nActions));
  const hostR = new Float32Array(batch).fill(1);
  const hostT = Float32Array.from({ length: batch }, (_, i) => (i % 20 === 0 ? 1 : 0));
  rng.fillUniform(hostS, -1, 1);
  rng.fillUniform(hostSNext, -1, 1);
  const hp: AdamHyperParameters = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, step: 0 };
  const wPtr = (arena: WasmRegion, l: number): number => arena.ptr + 4 * layout[l].w;
  const bPtr = (arena: WasmRegion, l: number): number => arena.ptr + 4 * layout[l].b;
  const forward = (arena: WasmRegion, input: number, outs: WasmRegion[]): number => {
    let x = input;
    for (let l = 0; l < layout.length; l++) {
      const hidden = l < layout.length - 1;
      kernels.linearForward(x, wPtr(arena, l), bPtr(arena, l), outs[l].ptr, batch, layout[l].inF, layout[l].outF, hidden ? 'relu' : 'identity', 0);
      x = outs[l].ptr;
    }
    return x;
  };
  const update = (): void => {
    s.view().set(hostS);
    sNext.view().set(hostSNext);
    actions.view().set(hostA);
    rewards.view().set(hostR);
    terminated.view().set(hostT);
    const qNext = forward(target, sNext.ptr, targetYs);
    const qNextOnline = doubleDqn ? forward(params, sNext.ptr, onlineNextYs) : 0;
    const q = forward(params, s.ptr, ys);
    const top = layout.length - 1;
    kernels.tdLoss(qNext, qNextOnline, q, actions.ptr, rewards.ptr, terminated.ptr, 0.99, dzs[top].ptr, loss.ptr, 0, batch, nActions, 'huber', 1);
    for (let l = top; l >= 0; l--) {
      const input = l === 0 ? s.ptr : ys[l - 1].ptr;
      kernels.linearParamGrads(input, dzs[l].ptr, wPtr(grads, l), bPtr(grads, l), batch, layout[l].inF, layout[l].outF, false);
      if (l > 0) kernels.linearInputGrad(dzs[l].ptr, wPtr(params, l), ys[l - 1].ptr, dzs[l - 1].ptr, batch, layout[l].outF, layout[l].inF, 'relu', 0);
    }
    kernels.sumSquares(grads.ptr, arenaFloats, sumSquares.ptr, false);
    hp.step++;
    kernels.adam(params.ptr, grads.ptr, m.ptr, v.ptr, arenaFloats, hp, sumSquares.ptr, 10, target.ptr, 0.01);
  };
  const calls = layout.length * (doubleDqn ? 3 : 2) + 1 + 2 * layout.length - 1 + 2;
  return { update, dispose: () => made.forEach((r) => r.free()), calls };
}

async function dqnFigures(variants: WasmKernels[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const batch = 64;
  for (const hidden of [64, 256]) {
    const sizes = [4, hidden, hidden, 2];
    const row: Record<string, unknown> = {};
    for (const kernels of variants) {
      for (const doubleDqn of [false, true]) {
        const learner = wasmDqn(kernels, sizes, batch, doubleDqn);
        const t = await measure(learner.update, { warmup: 200, repeats: 7, minSeconds: 1 });
        row[`wasm ${kernels.fma ? 'relaxed-SIMD FMA' : 'SIMD128'}${doubleDqn ? ', Double DQN' : ''}`] = {
          wall: round(1 / t.wall),
          cpu: round(1 / t.cpu),
          kernelCalls: learner.calls,
        };
        learner.dispose();
      }
    }
    // The CPU backend on its TypeScript kernels through the public agent, same network and settings
    // (the dqn-update suite measures every kernel variant of the backend).
    for (const doubleDqn of [false, true]) {
      const backend = new CpuBackend({ kernels: 'js' });
      const config = { ...preset('default'), hidden: [hidden, hidden], doubleDqn, batchSize: batch, nStep: 1 };
      const agent = new DqnAgent(backend, config, 4, 2, new Rng(0));
      const rng = new Rng(1);
      const minibatch = {
        size: batch,
        observations: Float32Array.from({ length: batch * 4 }, () => rng.uniform(-1, 1)),
        nextObservations: Float32Array.from({ length: batch * 4 }, () => rng.uniform(-1, 1)),
        actions: Float32Array.from({ length: batch }, () => rng.integers(2)),
        rewards: new Float32Array(batch).fill(1),
        terminated: Float32Array.from({ length: batch }, (_, i) => (i % 20 === 0 ? 1 : 0)),
        discounts: new Float32Array(batch),
      };
      const t = await measure(() => agent.update(minibatch), { warmup: 20, repeats: 5, minSeconds: 1 });
      row[`typescript cpu backend (DqnAgent.update)${doubleDqn ? ', Double DQN' : ''}`] = { wall: round(1 / t.wall), cpu: round(1 / t.cpu) };
      agent.dispose();
      backend.destroy();
    }
    out[`${sizes.join('-')}`] = row;
  }
  return out;
}

export default async function wasmKernelsSuite(): Promise<Record<string, unknown>> {
  const relaxed = enableRelaxedSimdInNode();
  const support = detectWasmSupport();
  const variants = [WasmKernels.create({ fma: false })];
  if (relaxed) variants.push(WasmKernels.create({ fma: true }));
  return {
    support,
    note: 'medians; wall = wall clock, cpu = process CPU time (robust to descheduling on a shared machine)',
    matmulGflops: await matmulFigures(variants),
    dqnUpdatesPerSecond: { batch: 64, loss: 'huber', clip: 10, optimizer: 'adam', target: 'soft, tau 0.01', ...(await dqnFigures(variants)) },
  };
}
