/** Weight initialisers. Every draw comes from the Rng passed in, in row-major order of W (in, out). */
import { checkName } from '../errors.js';
import type { Rng } from '../random/rng.js';

export const INITIALIZERS = ['he_uniform', 'glorot_uniform', 'normal'] as const;
/**
 * - `he_uniform`: U(-b, b), b = sqrt(6 / fan_in) (torch's kaiming_uniform_ for ReLU);
 * - `glorot_uniform`: U(-b, b), b = sqrt(6 / (fan_in + fan_out)) (xavier_uniform_);
 * - `normal`: N(0, 0.01^2), numpy-rl-engine's `randn(in, out) * 0.01`.
 */
export type Initializer = (typeof INITIALIZERS)[number];

/** Checks an initialiser name (UnknownNameError listing the valid ones). */
export function checkInitializer(name: string): Initializer {
  return checkName('initializer', name, INITIALIZERS);
}

/** The weights of a (fanIn, fanOut) matrix, row-major, drawn from `rng`. */
export function initWeights(name: Initializer | string, fanIn: number, fanOut: number, rng: Rng): Float64Array {
  const kind = checkInitializer(name);
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
  }
  return out;
}
