/**
 * Reading a weights file (.npz) for the network the flags describe: the file's network decides
 * every field the user gave no flag for, and a flag given with another value is refused, naming
 * both (resolveWeightsNetwork in rl/weights-network.ts, the rule the page's upload shares); a network
 * the algorithm cannot train (a PQN file for DQN, say) is refused with the reason.
 */
import { InvalidArgumentError } from '../errors.js';
import type { AlgorithmEntry } from '../rl/algorithms.js';
import type { BaseConfig, BaseState } from '../rl/trainer.js';
import { readWeightsFile } from '../rl/weights-file.js';
import { resolveWeightsNetwork, type ResolvedWeights } from '../rl/weights-network.js';
import { flagName } from './config-flags.js';

/**
 * Decodes `bytes` (the file `path`, read for `flag`) for the network of `config`, where
 * `given(key)` tells whether the user set that field by a flag (LayerNorm has no flag: the file
 * always decides it); returns the arrays and the network settled. Throws naming the flag and the
 * file. --mode eval plays this network as it is; training checks it against the algorithm
 * (loadWeightsFor).
 */
export function readWeightsFor<C extends BaseConfig, S extends BaseState<C>>(
  entry: AlgorithmEntry<C, S>,
  bytes: Uint8Array,
  path: string,
  flag: string,
  config: C,
  given: (key: string) => boolean,
): ResolvedWeights {
  const current = { env: config.env, ...entry.architecture(config) };
  return resolveWeightsNetwork(readWeightsFile(bytes, path), `${flag} '${path}'`, current, (key) => key !== 'layerNorm' && given(key), flagName);
}

/**
 * readWeightsFor, for training with `entry`: a network the algorithm cannot train is refused with
 * the reason; returns the arrays and the config with the file's network.
 */
export function loadWeightsFor<C extends BaseConfig, S extends BaseState<C>>(
  entry: AlgorithmEntry<C, S>,
  bytes: Uint8Array,
  path: string,
  flag: string,
  config: C,
  given: (key: string) => boolean,
): { arrays: Float64Array[]; config: C } {
  const { arrays, network } = readWeightsFor(entry, bytes, path, flag, config, given);
  const problem = entry.architectureProblem(network);
  if (problem !== null) throw new InvalidArgumentError(`${flag} '${path}': its network ${problem}`);
  return { arrays, config: entry.withNetwork(config, network) };
}
