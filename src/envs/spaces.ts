/**
 * Gymnasium's `Box` and `Discrete` spaces, and the action-space types the env API is generic over:
 * an env's actions are one Discrete index (`number`) or one Box vector (`ArrayLike<number>`).
 */
import { InvalidArgumentError, formatShape } from '../errors.js';
import { Rng } from '../random/rng.js';

/** A generator seeded from fresh entropy (used only when a space or env is sampled before any seed was given). */
export function entropyRng(): Rng {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  return new Rng(words[0] * 2 ** 21 + (words[1] >>> 11));
}

/** A finite set of integer actions `{start, ..., start + n - 1}` (Gymnasium `Discrete`). */
export class Discrete {
  readonly n: number;
  readonly start: number;
  readonly shape: readonly number[] = [];
  readonly dtype = 'int64';
  private rng: Rng | undefined;

  constructor(n: number, options: { start?: number; seed?: number } = {}) {
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`Discrete(n) needs a positive integer n, got ${n}`);
    this.n = n;
    this.start = options.start ?? 0;
    if (options.seed !== undefined) this.rng = new Rng(options.seed);
  }

  /** True when `x` is an integer in `[start, start + n)`. */
  contains(x: unknown): boolean {
    return typeof x === 'number' && Number.isInteger(x) && x >= this.start && x < this.start + this.n;
  }

  /** Re-seeds the sampler: `numpy.random.default_rng(seed)` as Gymnasium's `space.seed(seed)`. */
  seed(seed: number): void {
    this.rng = new Rng(seed);
  }

  /** A uniformly random element: `start + np_random.integers(n)`, identical to Gymnasium for the same seed. */
  sample(): number {
    this.rng ??= entropyRng();
    return this.start + this.rng.integers(this.n);
  }

  /** Same n and start (Gymnasium's `Discrete.__eq__`). */
  equals(other: ActionSpace): boolean {
    return other instanceof Discrete && other.n === this.n && other.start === this.start;
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }
}

/**
 * `rows` vectors of `low`'s length from `src` (row-major from `srcOffset`) clipped into
 * `[low, high]`, `np.clip(action, low, high)`, into `dst` from `dstOffset`; NaN passes through.
 * Box.clipInto's rule, for readers that have the bounds without a Box (the policy runtime).
 */
export function clipIntoBounds(low: ArrayLike<number>, high: ArrayLike<number>, src: ArrayLike<number>, srcOffset: number, dst: Float32Array, dstOffset: number, rows = 1): void {
  const d = low.length;
  for (let i = 0; i < rows * d; i++) {
    const k = i % d;
    dst[dstOffset + i] = Math.min(Math.max(src[srcOffset + i], low[k]), high[k]);
  }
}

/**
 * A box in R^n with float32 bounds (Gymnasium `Box(low, high, dtype=float32)`); bounds may be infinite.
 * Only 1-D shapes are needed by the classic-control envs.
 */
export class Box {
  readonly low: Float32Array;
  readonly high: Float32Array;
  readonly shape: readonly number[];
  readonly dtype = 'float32';
  private rng: Rng | undefined;

  constructor(low: ArrayLike<number>, high: ArrayLike<number>) {
    if (low.length !== high.length) {
      throw new InvalidArgumentError(`Box low and high differ in shape: ${formatShape([low.length])} vs ${formatShape([high.length])}`);
    }
    this.low = Float32Array.from(low);
    this.high = Float32Array.from(high);
    for (let i = 0; i < this.low.length; i++) {
      if (!(this.low[i] <= this.high[i])) throw new InvalidArgumentError(`Box low[${i}]=${this.low[i]} exceeds high[${i}]=${this.high[i]}`);
    }
    this.shape = [this.low.length];
  }

  /**
   * `rows` actions of the box's length from `src` (row-major from `srcOffset`) clipped into
   * `[low, high]`, `np.clip(action, low, high)`, into `dst` from `dstOffset`; NaN passes through.
   * ClipAction's, PPO's acting and greedy play's one rule.
   */
  clipInto(src: ArrayLike<number>, srcOffset: number, dst: Float32Array, dstOffset: number, rows = 1): void {
    clipIntoBounds(this.low, this.high, src, srcOffset, dst, dstOffset, rows);
  }

  /** True when `x` has the box's length and every element lies within `[low, high]` after float32 rounding. */
  contains(x: ArrayLike<number>): boolean {
    if (x.length !== this.low.length) return false;
    for (let i = 0; i < x.length; i++) {
      const v = Math.fround(x[i]);
      if (!(v >= this.low[i] && v <= this.high[i])) return false;
    }
    return true;
  }

  /** Re-seeds the sampler. */
  seed(seed: number): void {
    this.rng = new Rng(seed);
  }

  /**
   * A random element, element by element: uniform where both bounds are finite (the same draws as
   * Gymnasium for a fully bounded box), a normal deviate where both are infinite, and `low + Exp(1)`
   * or `high - Exp(1)` where one is. (Gymnasium draws the unbounded parts with NumPy's ziggurat, so
   * those values differ.)
   */
  sample(): Float32Array {
    this.rng ??= entropyRng();
    const out = new Float32Array(this.low.length);
    for (let i = 0; i < out.length; i++) {
      const lo = this.low[i], hi = this.high[i];
      const loFinite = Number.isFinite(lo), hiFinite = Number.isFinite(hi);
      if (loFinite && hiFinite) out[i] = this.rng.uniform(lo, hi);
      else if (!loFinite && !hiFinite) out[i] = this.rng.normal();
      else if (loFinite) out[i] = lo - Math.log1p(-this.rng.random());
      else out[i] = hi + Math.log1p(-this.rng.random());
    }
    return out;
  }

  /** Same shape and bounds (Gymnasium's `Box.__eq__`). */
  equals(other: ActionSpace): boolean {
    if (!(other instanceof Box) || other.low.length !== this.low.length) return false;
    for (let i = 0; i < this.low.length; i++) {
      if (other.low[i] !== this.low[i] || other.high[i] !== this.high[i]) return false;
    }
    return true;
  }

  /** Gymnasium's repr: `Box(-2.0, 2.0, (1,), float32)`, the bounds listed when they differ by element. */
  toString(): string {
    const bound = (b: Float32Array) => (b.every((v) => v === b[0]) ? pyFloat(b[0]) : `[${Array.from(b, pyFloat).join(' ')}]`);
    return `Box(${bound(this.low)}, ${bound(this.high)}, ${formatShape(this.shape)}, float32)`;
  }
}

/** A float as Python prints it: `2.0`, `-inf`, `0.07`. */
function pyFloat(v: number): string {
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

/** The action spaces an env can have. */
export type ActionSpace = Discrete | Box;

/** What one action of space S is: an index for Discrete, a vector (float32 values) for Box. */
export type ActionOf<S extends ActionSpace> = S extends Box ? ArrayLike<number> : number;

/**
 * How many numbers one action takes in a flat, row-major array of actions (the vector env's
 * `step(actions)`, a rollout's action buffer): 1 for Discrete (the index itself, not the number of
 * choices: that is `space.n`), the vector's length for Box.
 */
export function actionDim(space: ActionSpace): number {
  return space instanceof Box ? space.shape[0] : 1;
}

/** True for a Box (continuous) action space. */
export function isBox(space: ActionSpace): space is Box {
  return space instanceof Box;
}
