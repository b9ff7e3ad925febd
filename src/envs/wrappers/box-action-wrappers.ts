/** Gymnasium's `ClipAction` and `RescaleAction`: wrappers that transform a Box action before the env takes it. */
import { InvalidArgumentError } from '../../errors.js';
import type { Env } from '../env.js';
import { Box } from '../spaces.js';
import type { StepRecord } from '../types.js';
import { unboundedBox } from './normalize-observation.js';
import { Wrapper } from './wrapper.js';

/**
 * A Box action wrapper (Gymnasium's `TransformAction`): offers `actionSpace`, and passes the env
 * the action `transform` writes into a float32 scratch array of the env's action length (made once:
 * stepping allocates nothing). An action of the wrong length is refused here; the env checks the rest.
 */
export abstract class BoxActionWrapper extends Wrapper<Box> {
  private readonly space: Box;
  private readonly inner: Float32Array;

  constructor(env: Env<Box>, actionSpace: Box) {
    super(env);
    this.space = actionSpace;
    this.inner = new Float32Array(env.actionSpace.shape[0]);
  }

  override get actionSpace(): Box {
    return this.space;
  }

  /** Writes the env's action for `action` into `out` (float32). */
  protected abstract transform(action: ArrayLike<number>, out: Float32Array): void;

  override stepInto(action: ArrayLike<number>, obs: Float32Array, offset: number, out: StepRecord): void {
    if (typeof action !== 'object' || action === null || action.length !== this.inner.length) {
      throw new InvalidArgumentError(`${this.toString()}: an action is an array of ${this.inner.length} numbers, got ${String(action)}`);
    }
    this.transform(action, this.inner);
    this.env.stepInto(this.inner, obs, offset, out);
  }
}

/**
 * Clips each action into the env's bounds, `np.clip(action, low, high)`; its own action space is
 * unbounded (Gymnasium 1.x). NaN passes through (and the env refuses it).
 */
export class ClipAction extends BoxActionWrapper {
  constructor(env: Env<Box>) {
    super(env, unboundedBox(env.actionSpace.shape[0]));
  }

  protected transform(action: ArrayLike<number>, out: Float32Array): void {
    this.env.actionSpace.clipInto(action, 0, out, 0);
  }
}

/**
 * Maps actions affinely from `[minAction, maxAction]` (its action space) onto the env's bounds, as
 * Gymnasium's `rescale_box`: float32 `gradient = (max - min) / (high - low)` and
 * `intercept = gradient * -low + min` (or `max - high` where only the upper bounds are finite), and
 * the env gets float32 `(action - intercept) / gradient`. Values outside the range map outside the
 * bounds (wrap in ClipAction to clip). Bounds that are infinite must be infinite on both sides.
 */
export class RescaleAction extends BoxActionWrapper {
  readonly minAction: Float32Array;
  readonly maxAction: Float32Array;
  private readonly gradient: Float32Array;
  private readonly intercept: Float32Array;

  constructor(env: Env<Box>, minAction: number | ArrayLike<number>, maxAction: number | ArrayLike<number>) {
    const { low, high } = env.actionSpace;
    const n = low.length;
    const newMin = bounds(minAction, n, 'minAction');
    const newMax = bounds(maxAction, n, 'maxAction');
    for (let i = 0; i < n; i++) {
      if (!(newMin[i] <= newMax[i])) throw new InvalidArgumentError(`RescaleAction: minAction[${i}] = ${newMin[i]} exceeds maxAction[${i}] = ${newMax[i]}`);
      const infinite = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b)) || a === b;
      if (!infinite(newMin[i], low[i]) || !infinite(newMax[i], high[i])) {
        throw new InvalidArgumentError(`RescaleAction: bound ${i} is infinite on one side only (new [${newMin[i]}, ${newMax[i]}], env [${low[i]}, ${high[i]}])`);
      }
    }
    super(env, new Box(newMin, newMax));
    this.minAction = Float32Array.from(newMin);
    this.maxAction = Float32Array.from(newMax);
    this.gradient = new Float32Array(n).fill(1);
    this.intercept = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const minFinite = Number.isFinite(newMin[i]), maxFinite = Number.isFinite(newMax[i]);
      if (minFinite && maxFinite) this.gradient[i] = (newMax[i] - newMin[i]) / (high[i] - low[i]);
      if (minFinite) this.intercept[i] = Math.fround(this.gradient[i] * -low[i]) + newMin[i];
      else if (maxFinite) this.intercept[i] = newMax[i] - high[i];
    }
  }

  protected transform(action: ArrayLike<number>, out: Float32Array): void {
    for (let i = 0; i < out.length; i++) out[i] = Math.fround(Math.fround(action[i]) - this.intercept[i]) / this.gradient[i];
  }
}

/** A bound given as one number (for every element) or n numbers, as float64 values (NumPy's np.full). */
function bounds(value: number | ArrayLike<number>, n: number, name: string): number[] {
  const values = typeof value === 'number' ? new Array<number>(n).fill(value) : Array.from(value);
  if (values.length !== n) throw new InvalidArgumentError(`RescaleAction: ${name} needs 1 or ${n} numbers, got ${values.length}`);
  if (values.some(Number.isNaN)) throw new InvalidArgumentError(`RescaleAction: ${name} has NaN`);
  return values;
}
