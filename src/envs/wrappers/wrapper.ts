/** Base class of env wrappers: delegates everything to the wrapped env; subclasses override what they change. */
import { Env } from '../env.js';
import type { ActionOf, ActionSpace, Box, Discrete } from '../spaces.js';
import type { Info, RenderMode, ResetOptions, RgbFrame, StepRecord } from '../types.js';

/** Gymnasium's `gymnasium.Wrapper`, for either kind of action space (S, Discrete by default). */
export class Wrapper<S extends ActionSpace = Discrete> extends Env<S> {
  /** The wrapped env. */
  readonly env: Env<S>;

  constructor(env: Env<S>) {
    super();
    this.env = env;
    this.spec = env.spec;
  }

  get observationSpace(): Box {
    return this.env.observationSpace;
  }

  get actionSpace(): S {
    return this.env.actionSpace;
  }

  get renderMode(): RenderMode | null {
    return this.env.renderMode;
  }

  resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined {
    return this.env.resetInto(obs, offset, options);
  }

  stepInto(action: ActionOf<S>, obs: Float32Array, offset: number, out: StepRecord): void {
    this.env.stepInto(action, obs, offset, out);
  }

  render(): RgbFrame | null {
    return this.env.render();
  }

  override close(): void {
    this.env.close();
  }

  override get unwrapped(): Env<S> {
    return this.env.unwrapped;
  }

  override toString(): string {
    return `<${this.constructor.name}${this.env.toString()}>`;
  }
}
