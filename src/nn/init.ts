/** Weight initialisers. Every draw comes from the Rng passed in, in row-major order of W (in, out). */
import { checkName } from '../errors.js';
import type { Rng } from '../random/rng.js';

export const INITIALIZERS = ['he_uniform', 'glorot_uniform', 'normal', 'torch_default'] as const;
/**
 * - `he_uniform`: U(-b, b), b = sqrt(6 / fan_in) (torch's kaiming_uniform_ for ReLU);
 * - `glorot_uniform`: U(-b, b), b = sqrt(6 / (fan_in + fan_out)) (xavier_uniform_);
 * - `normal`: N(0, 0.01^2), numpy-rl-engine's `randn(in, out) * 0.01`;
 * - `torch_default`: what torch.nn.Linear does (and so Stable-Baselines3's DQN): W and b both
 *   U(-1/sqrt(fan_in), 1/sqrt(fan_in)), W drawn first.
 * Only `torch_default` gives non-zero biases.
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
    case 'torch_default': {
      const bound = 1 / Math.sqrt(fanIn);
      rng.fillUniform(out, -bound, bound);
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
