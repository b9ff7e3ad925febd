/** Weight initialisers. Every draw comes from the Rng passed in, in row-major order of W (in, out). */
import { InvalidArgumentError, checkName } from '../errors.js';
import type { Rng } from '../random/rng.js';
import { orthonormalColumns } from './orthogonal.js';

/** The gain of the `orthogonal` initialiser: sqrt(2), CleanRL's `layer_init` default (ReLU's gain). */
export const ORTHOGONAL_GAIN = Math.SQRT2;

export const INITIALIZERS = ['he_uniform', 'glorot_uniform', 'normal', 'torch_default', 'orthogonal'] as const;
/**
 * - `he_uniform`: U(-b, b), b = sqrt(6 / fan_in) (torch's kaiming_uniform_ for ReLU);
 * - `glorot_uniform`: U(-b, b), b = sqrt(6 / (fan_in + fan_out)) (xavier_uniform_);
 * - `normal`: N(0, 0.01^2), numpy-rl-engine's `randn(in, out) * 0.01`;
 * - `torch_default`: what torch.nn.Linear does (and so Stable-Baselines3's DQN): W and b both
 *   U(-1/sqrt(fan_in), 1/sqrt(fan_in)), W drawn first.
 * - `orthogonal`: torch's `orthogonal_(weight, gain=sqrt(2))` with zero biases, CleanRL's `layer_init`
 *   (its PQN and PPO): a standard normal (in, out) matrix, drawn row-major, made orthogonal by its QR
 *   decomposition with R's diagonal positive (a Haar-distributed orthogonal matrix), times the gain.
 *   W's columns are orthonormal (times the gain) when in >= out, its rows when in < out.
 * Only `torch_default` gives non-zero biases.
 */
export type Initializer = (typeof INITIALIZERS)[number];

/** Checks an initialiser name (UnknownNameError listing the valid ones). */
export function checkInitializer(name: string): Initializer {
  return checkName('initializer', name, INITIALIZERS);
}

/**
 * The weights of a (fanIn, fanOut) matrix, row-major, drawn from `rng`. `gain` scales the
 * `orthogonal` matrix (default ORTHOGONAL_GAIN; CleanRL's PPO uses 0.01 for the actor's head and 1
 * for the critic's) and is refused for the other initialisers, whose scale their rule fixes.
 */
export function initWeights(name: Initializer | string, fanIn: number, fanOut: number, rng: Rng, gain?: number): Float64Array {
  const kind = checkInitializer(name);
  if (gain !== undefined && (kind !== 'orthogonal' || !(gain > 0) || !Number.isFinite(gain))) {
    throw new InvalidArgumentError(kind !== 'orthogonal' ? `a gain applies to the orthogonal initializer only, not ${kind}` : `orthogonal gain must be a finite number > 0, got ${gain}`);
  }
  const out = new Float64Array(fanIn * fanOut);
  switch (kind) {
    case 'he_uniform': {
      const bound = Math.sqrt(6 / fanIn);
      rng.fillUniform(out, -bound, bound);
      break;
    }
    case 'glorot_uniform': {
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      rng.fillUniform(out, -bound, bound);
      break;
    }
    case 'normal':
      rng.fillNormal(out, 0, 0.01);
      break;
    case 'torch_default': {
      const bound = 1 / Math.sqrt(fanIn);
      rng.fillUniform(out, -bound, bound);
      break;
    }
    case 'orthogonal': {
      rng.fillNormal(out, 0, 1);
      const q = fanIn >= fanOut ? orthonormalColumns(out, fanIn, fanOut) : transpose(orthonormalColumns(transpose(out, fanIn, fanOut), fanOut, fanIn), fanOut, fanIn);
      const g = gain ?? ORTHOGONAL_GAIN;
      for (let i = 0; i < out.length; i++) out[i] = g * q[i]!;
      break;
    }
  }
  return out;
}

/** The initial bias of a (fanIn, fanOut) layer, drawn after its weights; null means zeros. */
export function initBias(name: Initializer | string, fanIn: number, fanOut: number, rng: Rng): Float64Array | null {
  if (checkInitializer(name) !== 'torch_default') return null;
  const out = new Float64Array(fanOut);
  const bound = 1 / Math.sqrt(fanIn);
  rng.fillUniform(out, -bound, bound);
  return out;
}

/** The transpose of a (rows, cols) row-major matrix. */
function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c]!;
  return t;
}
