/**
 * Reading a weights file (.npz) for the network the flags describe: the file's network decides
 * every field the user gave no flag for, and a flag given with another value is refused, naming
 * both (resolveWeightsNetwork in rl/weights-file.ts, the rule the page's upload shares).
 */
import type { DqnConfig } from '../rl/config.js';
import { readWeightsFile, resolveWeightsNetwork, type ResolvedWeights } from '../rl/weights-file.js';
import { flagName } from './config-flags.js';

/**
 * Decodes `bytes` (the file `path`, read for `flag`) for the network of `config`, where
 * `given(key)` tells whether the user set that field by a flag. Throws naming the flag and the file.
 */
export function loadWeightsFor(bytes: Uint8Array, path: string, flag: string, config: DqnConfig, given: (key: keyof DqnConfig) => boolean): ResolvedWeights {
  return resolveWeightsNetwork(readWeightsFile(bytes, path), `${flag} '${path}'`, config, given, flagName);
}
