/**
 * N actions in one flat, row-major array (what a vector env's `step` and a rollout's action buffer
 * hold): N indices for a Discrete space, N rows of `actionDim` float32 values for a Box space. This
 * hands copy i its action without allocating: the index itself, or row i copied into that copy's
 * own Float32Array (a view made once), which also rounds the values to the Box's float32.
 */
import { ShapeError } from '../errors.js';
import { Discrete, actionDim, type ActionOf, type ActionSpace } from './spaces.js';

export class FlatActions<S extends ActionSpace> {
  /** Copies whose actions the array holds. */
  readonly numEnvs: number;
  /** Numbers per action (actionDim: 1 for Discrete). */
  readonly dim: number;
  /** Box: one scratch row per copy (views of one buffer); Discrete: null. */
  private readonly rows: Float32Array[] | null;

  constructor(space: S, numEnvs: number) {
    this.numEnvs = numEnvs;
    this.dim = actionDim(space);
    if (space instanceof Discrete) {
      this.rows = null;
    } else {
      const buffer = new Float32Array(numEnvs * this.dim);
      this.rows = Array.from({ length: numEnvs }, (_, i) => buffer.subarray(i * this.dim, (i + 1) * this.dim));
    }
  }

  /** Throws ShapeError unless `actions` holds numEnvs * dim numbers; `who` names the caller in the message. */
  check(actions: ArrayLike<number>, who: string): void {
    const expected = this.numEnvs * this.dim;
    if (actions.length !== expected) {
      const what = this.rows === null ? `${this.numEnvs} actions` : `${expected} numbers (${this.numEnvs} actions of ${this.dim}, row-major)`;
      throw new ShapeError(`${who}: expected ${what}, got ${actions.length}`);
    }
  }

  /** Copy i's action: `actions[i]` for Discrete; for Box, row i copied into copy i's scratch row (valid until the next call for i). */
  at(actions: ArrayLike<number>, i: number): ActionOf<S> {
    const rows = this.rows;
    if (rows === null) return actions[i] as ActionOf<S>;
    const row = rows[i];
    const from = i * this.dim;
    for (let k = 0; k < row.length; k++) row[k] = actions[from + k];
    return row as ArrayLike<number> as ActionOf<S>;
  }
}
