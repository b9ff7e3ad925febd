/**
 * Every reset of a custom env seeded from a generator the engine holds (and checkpoints): exact
 * resume of a run needs the env's random stream, which a custom env keeps to itself. A seeded
 * reset re-creates the generator from its seed and passes the seed on; an unseeded one draws the
 * next seed from it (Gymnasium's continued stream, with the engine holding it). A seeded custom
 * env (checkEnv checks that the same seed gives the same episode) is then a function of the
 * generator's state and the actions, which is what a checkpoint replays.
 */
import { Rng } from '../../random/rng.js';
import { entropyRng, type ActionSpace } from '../spaces.js';
import type { Info, ResetOptions } from '../types.js';
import { Wrapper } from './wrapper.js';

/** Seeds drawn for unseeded resets lie in [0, 2^31). */
const SEED_RANGE = 2 ** 31;

export class SeededResets<S extends ActionSpace = ActionSpace> extends Wrapper<S> {
  /** The generator the seeds of unseeded resets come from (what the trainers checkpoint, as a classic-control env's). */
  npRandom: Rng | undefined = undefined;
  /** The seed last given to `reset`, if any. */
  npRandomSeed: number | undefined = undefined;

  override resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined {
    if (options?.seed !== undefined) {
      this.npRandom = new Rng(options.seed);
      this.npRandomSeed = options.seed;
      return this.env.resetInto(obs, offset, options);
    }
    this.npRandom ??= entropyRng();
    return this.env.resetInto(obs, offset, { ...options, seed: this.npRandom.integers(SEED_RANGE) });
  }
}
