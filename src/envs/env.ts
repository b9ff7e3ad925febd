/**
 * The environment base class: Gymnasium's `reset` / `step` / `render` API on top of two
 * allocation-free primitives (`resetInto`, `stepInto`) that write the observation into a caller's
 * Float32Array. Wrappers and the vector env use the primitives; `reset` and `step` allocate a fresh
 * observation each call, as Gymnasium does.
 */
import { InvalidArgumentError } from '../errors.js';
import { Rng } from '../random/rng.js';
import { Discrete, entropyRng, type ActionOf, type ActionSpace, type Box } from './spaces.js';
import { newStepRecord, type Info, type RenderMode, type ResetOptions, type ResetResult, type RgbFrame, type StepRecord, type StepResult } from './types.js';

/** Raised by `step` before the first `reset` (Gymnasium's OrderEnforcing `ResetNeeded`). */
export class ResetNeededError extends Error {
  override name = 'ResetNeededError';
}

/** What `make` knows about a registered env (Gymnasium `EnvSpec`, reduced). */
export interface EnvSpec {
  id: string;
  /** TimeLimit applied by `make`; `null` for none. */
  maxEpisodeSteps: number | null;
  /** Return at which the task counts as solved, when defined. */
  rewardThreshold: number | null;
}

/**
 * A Gymnasium-style environment with a float32 Box observation and an action space S: Discrete
 * (the default, so `Env` alone is a discrete-action env, what the value-based algorithms take) or
 * Box (continuous actions, passed as `ArrayLike<number>`). `Env<ActionSpace>` is an env of either kind.
 */
export abstract class Env<S extends ActionSpace = Discrete> {
  abstract get observationSpace(): Box;
  abstract get actionSpace(): S;
  abstract get renderMode(): RenderMode | null;
  /** Set by `make`. */
  spec: EnvSpec | null = null;
  private scratch: StepRecord | undefined;

  /** Length of one observation. */
  get obsDim(): number {
    return this.observationSpace.shape[0];
  }

  /** Resets and writes the first observation at `obs[offset..offset+obsDim)`; returns the info (or undefined for `{}`). */
  abstract resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined;

  /**
   * Steps and writes the observation at `obs[offset..)`, the rest into `out`. Throws on an invalid
   * action. A Box action is read during the call only, so the caller may reuse its array.
   */
  abstract stepInto(action: ActionOf<S>, obs: Float32Array, offset: number, out: StepRecord): void;

  /** An RGBA frame of the current state (`renderMode: 'rgb_array'`), or null without a render mode. */
  abstract render(): RgbFrame | null;

  /** `[obs, info]`, with a fresh Float32Array observation. */
  reset(options?: ResetOptions): ResetResult {
    const obs = new Float32Array(this.obsDim);
    const info = this.resetInto(obs, 0, options);
    return [obs, info ?? {}];
  }

  /** `[obs, reward, terminated, truncated, info]`, with a fresh Float32Array observation. */
  step(action: ActionOf<S>): StepResult {
    const obs = new Float32Array(this.obsDim);
    const rec = (this.scratch ??= newStepRecord());
    rec.info = undefined;
    this.stepInto(action, obs, 0, rec);
    return [obs, rec.reward, rec.terminated, rec.truncated, rec.info ?? {}];
  }

  /** Releases resources (nothing to release for the built-in envs). */
  close(): void {}

  /** The innermost env under any wrappers. */
  get unwrapped(): Env<S> {
    return this;
  }

  toString(): string {
    return `<${this.constructor.name}${this.spec ? `<${this.spec.id}>` : ''}>`;
  }
}

/** Common seeding, action checking and render-mode handling of the classic-control envs. */
export abstract class ClassicControlEnv<S extends ActionSpace = Discrete> extends Env<S> {
  /** Gymnasium's `env.np_random`: re-created by `reset({ seed })`, otherwise continued. */
  npRandom: Rng | undefined = undefined;
  /** The seed last given to `reset`, if any. */
  npRandomSeed: number | undefined = undefined;
  protected hasState = false;
  private readonly mode: RenderMode | null;

  constructor(renderMode: RenderMode | null | undefined) {
    super();
    if (renderMode !== undefined && renderMode !== null && renderMode !== 'rgb_array') {
      throw new InvalidArgumentError(`renderMode '${String(renderMode)}' is not supported; use 'rgb_array' or leave it out`);
    }
    this.mode = renderMode ?? null;
  }

  get renderMode(): RenderMode | null {
    return this.mode;
  }

  /** Gymnasium's `Env.reset(seed=...)`: a seed re-creates the generator; none keeps the current stream. */
  protected seedForReset(seed: number | undefined): Rng {
    if (seed !== undefined) {
      this.npRandom = new Rng(seed);
      this.npRandomSeed = seed;
    } else {
      this.npRandom ??= entropyRng();
    }
    return this.npRandom;
  }

  /** Throws ResetNeededError before the first reset and InvalidArgumentError for an action the env cannot take (actionProblem). */
  protected checkStep(action: ActionOf<S>): void {
    if (!this.hasState) throw new ResetNeededError(`${this.toString()}: call reset() before step()`);
    const problem = actionProblem(this.actionSpace, action);
    if (problem !== null) throw new InvalidArgumentError(problem);
  }

  render(): RgbFrame | null {
    if (this.mode === null || !this.hasState) return null;
    return this.renderFrame();
  }

  /** Draws the current state. */
  protected abstract renderFrame(): RgbFrame;
}

/**
 * Why `action` is not one the classic-control envs take, or null. Discrete: an integer in the
 * space. Box: an array of the space's length of finite numbers; values beyond the bounds are taken
 * (Pendulum and MountainCarContinuous clip the force they apply, as Gymnasium's do), but NaN and
 * infinities are refused, as they would poison the float64 state.
 */
export function actionProblem(space: ActionSpace, action: number | ArrayLike<number>): string | null {
  if (space instanceof Discrete) {
    return space.contains(action) ? null : `action ${String(action)} is not in the action space ${space.toString()}`;
  }
  const dim = space.shape[0];
  if (typeof action === 'number' || action === null || typeof action !== 'object' || action.length !== dim) {
    return `action ${describeAction(action)} does not fit the action space ${space.toString()}: it takes an array of ${dim} number${dim === 1 ? '' : 's'}`;
  }
  for (let i = 0; i < dim; i++) {
    if (typeof action[i] !== 'number' || !Number.isFinite(action[i])) {
      return `action ${describeAction(action)} does not fit the action space ${space.toString()}: element ${i} is not a finite number`;
    }
  }
  return null;
}

function describeAction(action: unknown): string {
  if (typeof action === 'object' && action !== null && 'length' in action) return `[${Array.from(action as ArrayLike<unknown>, String).join(', ')}]`;
  return String(action);
}

/** Reads Gymnasium's optional `{ low, high }` reset bounds (`utils.maybe_parse_reset_bounds`). */
export function resetBounds(options: Record<string, number> | undefined, low: number, high: number): [number, number] {
  const lo = options?.low ?? low;
  const hi = options?.high ?? high;
  if (!(lo <= hi)) throw new InvalidArgumentError(`reset bounds need low <= high, got low=${lo}, high=${hi}`);
  return [lo, hi];
}
