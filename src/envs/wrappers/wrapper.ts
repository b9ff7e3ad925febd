/** Base class of env wrappers: delegates everything to the wrapped env; subclasses override what they change. */
import { Env } from '../env.js';
import type { Box, Discrete } from '../spaces.js';
import type { Info, RenderMode, ResetOptions, RgbFrame, StepRecord } from '../types.js';

/** Gymnasium's `gymnasium.Wrapper`. */
export class Wrapper extends Env {
  /** The wrapped env. */
  readonly env: Env;

  constructor(env: Env) {
    super();
    this.env = env;
    this.spec = env.spec;
  }

  get observationSpace(): Box {
    return this.env.observationSpace;
  }

  get actionSpace(): Discrete {
    return this.env.actionSpace;
  }

  get renderMode(): RenderMode | null {
    return this.env.renderMode;
  }

  resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined {
    return this.env.resetInto(obs, offset, options);
  }

  stepInto(action: number, obs: Float32Array, offset: number, out: StepRecord): void {
    this.env.stepInto(action, obs, offset, out);
  }

  render(): RgbFrame | null {
    return this.env.render();
  }

  override close(): void {
    this.env.close();
  }

  override get unwrapped(): Env {
    return this.env.unwrapped;
  }

  override toString(): string {
    return `<${this.constructor.name}${this.env.toString()}>`;
  }
}
