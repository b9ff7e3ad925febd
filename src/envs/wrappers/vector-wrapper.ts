/** Base class of vector env wrappers (Gymnasium's `VectorWrapper`): delegates everything; subclasses override what they change. */
import type { ActionSpace, Box, Discrete } from '../spaces.js';
import type { Info } from '../types.js';
import type { AutoresetMode, VectorEnvLike, VectorStepResult } from '../vector-env.js';

export class VectorWrapper<S extends ActionSpace = Discrete> implements VectorEnvLike<S> {
  /** The wrapped vector env. */
  readonly env: VectorEnvLike<S>;

  constructor(env: VectorEnvLike<S>) {
    this.env = env;
  }

  get numEnvs(): number {
    return this.env.numEnvs;
  }

  get obsDim(): number {
    return this.env.obsDim;
  }

  get actionDim(): number {
    return this.env.actionDim;
  }

  get autoresetMode(): AutoresetMode {
    return this.env.autoresetMode;
  }

  get singleObservationSpace(): Box {
    return this.env.singleObservationSpace;
  }

  get singleActionSpace(): S {
    return this.env.singleActionSpace;
  }

  reset(options: { seed?: number } = {}): [Float32Array, Info[]] {
    return this.env.reset(options);
  }

  step(actions: ArrayLike<number>): VectorStepResult {
    return this.env.step(actions);
  }

  close(): void {
    this.env.close();
  }
}
