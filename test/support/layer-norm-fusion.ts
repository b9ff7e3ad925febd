/**
 * Dense -> LayerNorm -> activation -> Dense, built twice on one backend with the same weights: once
 * with the activation as its own layer (LayerNorm then ActivationLayer: two ops each way), once fused
 * into the LayerNorm (one op each way, as mlp({ layerNorm: true }) and PQN's Q-network build it).
 * The same input and output gradient go through both; `run` returns every result of each and the
 * ops each took, for tests that compare the two paths on every backend.
 */
import type { Activation, Backend, FloatArray } from '../../src/backend/backend.js';
import { ActivationLayer, Dense, LayerNorm, Sequential, type Layer } from '../../src/nn/index.js';
import { Rng } from '../../src/random/rng.js';

export interface FusionResult {
  /** The network output, d loss / d input, then every parameter gradient (W1, b1, gamma2, beta2, W, b of the head). */
  arrays: FloatArray[];
  /** Ops (dispatches) of one forward and of one backward. */
  forwardOps: number;
  backwardOps: number;
}

const [B, IN, H, OUT] = [9, 5, 12, 3];

async function run(backend: Backend, activation: Activation, fused: boolean): Promise<FusionResult> {
  const rng = new Rng(21);
  const layers: Layer[] = [new Dense(backend, IN, H, { rng, init: 'torch_default' })];
  if (fused) layers.push(new LayerNorm(backend, H, { activation, alpha: 0.1 }));
  else layers.push(new LayerNorm(backend, H), new ActivationLayer(backend, activation, H, 0.1));
  layers.push(new Dense(backend, H, OUT, { rng, init: 'torch_default' }));
  const model = new Sequential(backend, layers);
  const data = new Rng(22);
  const norm = layers[1] as LayerNorm;
  // Generic gamma and beta (beta shifts some outputs below zero, where ReLU's mask matters).
  backend.write(norm.gamma.value, Float32Array.from({ length: H }, () => data.uniform(0.5, 1.5)));
  backend.write(norm.beta.value, Float32Array.from({ length: H }, () => data.uniform(-0.5, 0.5)));
  const x = backend.tensor([B, IN], Float32Array.from({ length: B * IN }, () => data.uniform(-2, 2)));
  const gradOut = backend.tensor([B, OUT], Float32Array.from({ length: B * OUT }, () => data.uniform(-1, 1)));
  try {
    const start = backend.stats().dispatches;
    const y = model.forward(x);
    const forwardOps = backend.stats().dispatches - start;
    const dx = model.backward(gradOut, { inputGrad: true, accumulate: false });
    const backwardOps = backend.stats().dispatches - start - forwardOps;
    if (dx === null) throw new Error('no input gradient');
    const arrays = [await backend.read(y), await backend.read(dx)];
    for (const p of model.parameters()) arrays.push(await backend.read(p.grad));
    return { arrays, forwardOps, backwardOps };
  } finally {
    model.dispose();
    x.dispose();
    gradOut.dispose();
  }
}

/** The unfused and the fused network's results on `backend`. */
export async function fusedAndUnfused(backend: Backend, activation: Activation): Promise<{ unfused: FusionResult; fused: FusionResult }> {
  return { unfused: await run(backend, activation, false), fused: await run(backend, activation, true) };
}
