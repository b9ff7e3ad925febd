/** What Sequential needs from a layer. */
import type { Tensor } from '../backend/backend.js';
import type { Parameter } from './parameter.js';

export interface Layer {
  /** A short description for error messages, e.g. 'Dense(4 -> 64, relu)'. */
  readonly description: string;
  /**
   * Computes the output for x (batch, features). The output tensor is owned by the layer, cached
   * per batch size and overwritten by the next forward with the same batch size. The layer keeps
   * a reference to x for backward: x must stay unchanged until then.
   */
  forward(x: Tensor): Tensor;
  /**
   * Backward through the most recent forward: accumulates parameter gradients (or overwrites them
   * when `accumulate` is false, which saves a zeroGrad) and returns the gradient with respect to
   * the input (owned by the layer) when `needInputGrad`, else null.
   */
  backward(gradOut: Tensor, needInputGrad: boolean, accumulate?: boolean): Tensor | null;
  /** Trainable parameters with layer-local names ('W', 'b'); empty for parameter-free layers. */
  parameters(): readonly Parameter[];
  /** Releases every tensor the layer owns. */
  dispose(): void;
}
