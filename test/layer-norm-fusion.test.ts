/**
 * LayerNorm with its activation fused (one layerNorm op forward, one layerNormBackward op backward)
 * against LayerNorm then an ActivationLayer (two ops each way), in Dense -> LayerNorm -> activation
 * -> Dense with the same weights, input and output gradient (test/support/layer-norm-fusion.ts).
 *
 * The fused op computes what the two unfused ops compute, in the same precision and order, so
 * every backend gives the same bits: the CPU backend runs the same activation kernels on the
 * same stored values (the WASM variant its WASM activation kernels, as its unfused ops do), and
 * the shader applies activations.wgsl's functions to the same float32 values the unfused kernels
 * would store and read back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Activation, Backend } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/index.js';
import { fusedAndUnfused } from './support/layer-norm-fusion.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
afterAll(() => gpu?.destroy());

const ACTIVATIONS: readonly Activation[] = ['relu', 'leaky_relu', 'tanh', 'sigmoid'];

async function expectSameBits(backend: Backend, activation: Activation): Promise<void> {
  const { unfused, fused } = await fusedAndUnfused(backend, activation);
  expect(fused.arrays.length).toBe(unfused.arrays.length);
  fused.arrays.forEach((a, i) => expect(Array.from(a), `array ${i}`).toEqual(Array.from(unfused.arrays[i])));
  // Forward: Dense, LayerNorm (+ activation), Dense; backward: the head's dW+db and input gradient,
  // the LayerNorm's (+ the activation's derivative), the first Dense's dW+db and input gradient.
  expect({ fused: [fused.forwardOps, fused.backwardOps], unfused: [unfused.forwardOps, unfused.backwardOps] }).toEqual({ fused: [3, 5], unfused: [4, 6] });
}

describe('Dense -> LayerNorm + activation (fused) -> Dense gives the unfused results bit for bit, in one op fewer each way', () => {
  const cpus = [
    ['float64', () => new CpuBackend({ dtype: 'float64' })],
    ['float32 TypeScript kernels', () => new CpuBackend({ kernels: 'js' })],
    ['float32 WASM kernels', () => new CpuBackend()],
  ] as const;
  for (const [label, make] of cpus) {
    for (const activation of ACTIVATIONS) {
      it(`${activation}, CPU backend, ${label}`, async () => {
        const b = make();
        try {
          await expectSameBits(b, activation);
        } finally {
          b.destroy();
        }
      });
    }
  }

  describe('on WebGPU', needs('webgpu', gpu !== null), () => {
    for (const activation of ACTIVATIONS) {
      it(activation, async () => {
        await expectSameBits(gpu as Backend, activation);
      });
    }
  });
});
