/**
 * The numbers by which the kernels, WASM and WGSL alike, know a name: its index in its list in
 * backend.ts. The shaders spell these numbers out (`case 1u` is relu in shaders/activations.wgsl;
 * loss.wgsl's `kind`s), so a list only ever grows at its end (test/webgpu-kernels.test.ts pins them).
 */
import { ACTIVATIONS, LOSSES, TD_LOSSES, type Activation, type LossKind, type TdLossKind } from './backend.js';

function codesOf<N extends string>(names: readonly N[]): Readonly<Record<N, number>> {
  return Object.fromEntries(names.map((name, i) => [name, i])) as Record<N, number>;
}

/** identity 0, relu 1, leaky_relu 2, tanh 3, sigmoid 4, softmax 5. */
export const ACTIVATION_CODES: Readonly<Record<Activation, number>> = codesOf(ACTIVATIONS);
/** mse 0, huber 1, softmax_cross_entropy 2, cross_entropy 3. */
export const LOSS_CODES: Readonly<Record<LossKind, number>> = codesOf(LOSSES);
/** mse 0, huber 1. */
export const TD_LOSS_CODES: Readonly<Record<TdLossKind, number>> = codesOf(TD_LOSSES);
