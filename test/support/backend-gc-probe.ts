/**
 * Child process of test/cpu-kernels.test.ts: a DQN update (4-64-64-2, batch 64) through the public
 * Backend ops of a CpuBackend with the kernels named on the command line, the way a training step
 * runs it: parameters, gradients, moments and the target network in arenas whose layers are views;
 * a minibatch uploaded with write; linear, tdLoss, linearGrad, linearInputGrad, sumSquares and Adam
 * with fused clipping and Polyak update. 2000 updates warm up (until V8 has optimised the whole
 * path: unoptimised code boxes every double it computes), 20000 are measured, and it prints how
 * many garbage collections the measured ones caused. Run with a tiny young generation
 * (--max-semi-space-size=1) so that any per-op allocation shows as scavenges: one 16-byte number
 * boxed per op is about 2 MB over the measured updates.
 *   node --max-semi-space-size=1 --expose-gc --import tsx test/support/backend-gc-probe.ts wasm-simd128|wasm-fma|js [measured] [warm-up]
 */
import { collectionsDuring } from './gc-count.js';
import { VIEW_ALIGNMENT, type AdamHyperParameters, type TdLossArgs, type Tensor } from '../../src/backend/backend.js';
import { CpuBackend } from '../../src/backend/cpu/cpu-backend.js';
import type { CpuKernelChoice } from '../../src/backend/cpu/cpu-kernels.js';
import { enableRelaxedSimdInNode } from '../../src/backend/wasm/node-relaxed-simd.js';
import { Rng } from '../../src/random/rng.js';

const kernels = process.argv[2] as CpuKernelChoice;
if (kernels === 'wasm-fma') enableRelaxedSimdInNode();
const b = new CpuBackend({ kernels });
const rng = new Rng(0);
const sizes = [4, 64, 64, 2];
const batch = 64;
const aligned = (n: number) => Math.ceil(n / VIEW_ALIGNMENT) * VIEW_ALIGNMENT;

// One arena layout: W then b of each layer, each at an aligned offset.
const layout = sizes.slice(1).map((out, l) => ({ inF: sizes[l], out, w: 0, b: 0 }));
let arenaSize = 0;
for (const l of layout) {
  l.w = arenaSize;
  arenaSize += aligned(l.inF * l.out);
  l.b = arenaSize;
  arenaSize += aligned(l.out);
}
const arena = (init: boolean) => b.tensor([arenaSize], init ? Float32Array.from({ length: arenaSize }, () => rng.uniform(-0.2, 0.2)) : undefined);
const views = (t: Tensor) => layout.map((l) => ({ w: b.view(t, l.w, [l.inF, l.out]), b: b.view(t, l.b, [1, l.out]) }));
const params = arena(true);
const grads = arena(false);
const m = arena(false);
const v = arena(false);
const target = b.tensor([arenaSize], await b.read(params));
const [online, targetNet, gradViews] = [views(params), views(target), views(grads)];
const ys = layout.map((l) => b.tensor([batch, l.out]));
const targetYs = layout.map((l) => b.tensor([batch, l.out]));
const dzs = layout.map((l) => b.tensor([batch, l.out]));
const s = b.tensor([batch, 4]);
const sNext = b.tensor([batch, 4]);
const hostS = Float32Array.from({ length: batch * 4 }, () => rng.uniform(-1, 1));
const hostSNext = Float32Array.from({ length: batch * 4 }, () => rng.uniform(-1, 1));
const hostA = Float32Array.from({ length: batch }, () => rng.integers(2));
const hostR = new Float32Array(batch).fill(1);
const hostT = Float32Array.from({ length: batch }, (_, i) => (i % 20 === 0 ? 1 : 0));
const actions = b.tensor([batch, 1]);
const rewards = b.tensor([batch, 1]);
const terminated = b.tensor([batch, 1]);
const lossOut = b.tensor([1, 1]);
const sumSquares = b.tensor([1, 1]);
const hp: AdamHyperParameters = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, step: 0 };
const fusion = { clip: { sumSquares, maxNorm: 10 }, polyak: { target, tau: 0.01 } };
const top = layout.length - 1;
const td: TdLossArgs = {
  q: ys[top], nextQ: targetYs[top], actions, rewards, terminated, gamma: 0.99, double: false, loss: 'huber', lossOut, gradQ: dzs[top], targets: null,
};

function forward(net: typeof online, input: Tensor, outs: Tensor[]): void {
  let x = input;
  for (let l = 0; l < layout.length; l++) {
    b.linear(x, net[l].w, net[l].b, l < top ? 'relu' : 'identity', outs[l]);
    x = outs[l];
  }
}

function update(): void {
  b.write(s, hostS);
  b.write(sNext, hostSNext);
  b.write(actions, hostA);
  b.write(rewards, hostR);
  b.write(terminated, hostT);
  forward(targetNet, sNext, targetYs);
  forward(online, s, ys);
  b.tdLoss(td);
  for (let l = top; l >= 0; l--) {
    b.linearGrad(l === 0 ? s : ys[l - 1], dzs[l], gradViews[l].w, gradViews[l].b);
    if (l > 0) b.linearInputGrad(dzs[l], online[l].w, ys[l - 1], 'relu', dzs[l - 1]);
  }
  b.sumSquares(grads, sumSquares);
  hp.step++;
  b.adam(params, grads, m, v, hp, fusion);
}

const warmUp = Number(process.argv[4] ?? 2000);
for (let i = 0; i < warmUp; i++) update();
const before = b.stats();
// Start from an empty young generation (node --expose-gc), so that the count does not depend on how
// full it happened to be.
(globalThis as { gc?: () => void }).gc?.();
const updates = Number(process.argv[3] ?? 20000);
const collections = await collectionsDuring(() => {
  for (let i = 0; i < updates; i++) update();
});
const after = b.stats();
const loss = (await b.read(lossOut))[0];
process.stdout.write(
  JSON.stringify({
    kernels: b.kernels,
    collections,
    updates,
    lossFinite: Number.isFinite(loss),
    tensorsStable: after.tensorsAlive === before.tensorsAlive,
    dispatchesPerUpdate: (after.dispatches - before.dispatches) / updates,
  }),
);
b.destroy();
