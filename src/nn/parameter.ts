/** A trainable tensor and its gradient, as optimisers see it. */
import type { Tensor } from '../backend/backend.js';
import type { ParameterArena } from './parameter-arena.js';

export interface Parameter {
  /** 'W1', 'b1', ... in a Sequential; 'W' or 'b' inside a layer. */
  readonly name: string;
  readonly value: Tensor;
  /** Same shape as `value`; backward passes accumulate into it. */
  readonly grad: Tensor;
  /** The arena `value` and `grad` are views of, when the network keeps its parameters in one. */
  readonly arena?: ParameterArena;
}
