/**
 * Child process of test/wasm-kernels.test.ts: runs a DQN update (4-64-64-2, batch 64) as WASM
 * kernel calls, plus a LayerNorm forward and backward (fractional eps and slope: no boxed double),
 * 300 times to warm up and 3000 times measured, and prints how many garbage collections the
 * measured updates caused. Run with a tiny young generation
 * (--max-semi-space-size=1) so that any per-call allocation shows as scavenges.
 *   node --max-semi-space-size=1 --import tsx test/support/wasm-gc-probe.ts simd128|fma
 */
import { collectionsDuring } from './gc-count.js';
import type { AdamHyperParameters } from '../../src/backend/backend.js';
import { WasmKernels } from '../../src/backend/wasm/index.js';
import { enableRelaxedSimdInNode } from '../../src/backend/wasm/node-relaxed-simd.js';
import { Rng } from '../../src/random/rng.js';

const fma = process.argv[2] === 'fma';
if (fma) enableRelaxedSimdInNode();
const kernels = WasmKernels.create({ fma });
const { heap } = kernels;
const rng = new Rng(0);
const region = (n: number, lo = -1, hi = 1) => {
  const r = heap.alloc(n, 'probe');
  rng.fillUniform(r.view(), lo, hi);
  return r;
};
const sizes = [4, 64, 64, 2];
const batch = 64;
const layers = sizes.slice(1).map((out, l) => ({ inF: sizes[l], out, w: region(sizes[l] * out, -0.3, 0.3), b: region(out, -0.1, 0.1), y: heap.alloc(batch * out), dz: heap.alloc(batch * out) }));
const params = layers.flatMap((l) => [l.w, l.b]);
const grads = params.map((p) => heap.alloc(p.length));
const moments = params.map((p) => [heap.alloc(p.length), heap.alloc(p.length)]);
const s = region(batch * 4);
const qNext = heap.alloc(batch * 2);
const actions = heap.alloc(batch);
for (let r = 0; r < batch; r++) actions.view()[r] = r % 2;
const rewards = region(batch);
const terminated = heap.alloc(batch);
for (let r = 0; r < batch; r++) terminated.view()[r] = r % 20 === 0 ? 1 : 0;
const loss = heap.alloc(1);
const ss = heap.alloc(1);
const ln = { gamma: region(64), beta: region(64), out: heap.alloc(batch * 64), stats: heap.alloc(2 * batch), dy: region(batch * 64), dgamma: heap.alloc(64), dbeta: heap.alloc(64) };
const hp: AdamHyperParameters = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, step: 1 };

function forward(input: number): number {
  let x = input;
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    kernels.linearForward(x, l.w.ptr, l.b.ptr, l.y.ptr, batch, l.inF, l.out, i < layers.length - 1 ? 'relu' : 'identity', 0);
    x = l.y.ptr;
  }
  return x;
}

function update(): void {
  kernels.copy(forward(s.ptr), qNext.ptr, batch * 2);
  const q = forward(s.ptr);
  kernels.tdLoss(qNext.ptr, 0, q, actions.ptr, rewards.ptr, terminated.ptr, 0.99, layers[2].dz.ptr, loss.ptr, 0, batch, 2, 'huber', 1);
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    const input = i === 0 ? s.ptr : layers[i - 1].y.ptr;
    kernels.linearParamGrads(input, l.dz.ptr, grads[2 * i].ptr, grads[2 * i + 1].ptr, batch, l.inF, l.out, false);
    if (i > 0) kernels.linearInputGrad(l.dz.ptr, l.w.ptr, layers[i - 1].y.ptr, layers[i - 1].dz.ptr, batch, l.out, l.inF, 'relu', 0);
  }
  kernels.layerNorm(layers[0].y.ptr, ln.gamma.ptr, ln.beta.ptr, ln.out.ptr, ln.stats.ptr, batch, 64, 1e-5, 'leaky_relu', 0.01);
  kernels.layerNormBackward(layers[0].y.ptr, ln.gamma.ptr, ln.stats.ptr, ln.dy.ptr, ln.out.ptr, ln.dy.ptr, ln.dgamma.ptr, ln.dbeta.ptr, batch, 64, false, 'leaky_relu', 0.01);
  for (let i = 0; i < params.length; i++) kernels.sumSquares(grads[i].ptr, grads[i].length, ss.ptr, i > 0);
  for (let i = 0; i < params.length; i++) kernels.adam(params[i].ptr, grads[i].ptr, moments[i][0].ptr, moments[i][1].ptr, params[i].length, hp, ss.ptr, 10);
  hp.step++;
}

for (let i = 0; i < 300; i++) update();
const regionsBefore = heap.stats().regions;
const updates = 3000;
const collections = await collectionsDuring(() => {
  for (let i = 0; i < updates; i++) update();
});
process.stdout.write(JSON.stringify({ collections, updates, lossFinite: Number.isFinite(loss.view()[0]), heapRegionsStable: heap.stats().regions === regionsBefore }));
