/**
 * Reading a weights file (.npz) for the network the flags describe. A file written by this engine
 * records its network (widths, activation, dueling head, quantiles, env): a flag the user did not give takes
 * the file's value, and a flag given with another value is refused, naming both. A file without
 * that record (numpy-rl-engine's) gets its widths from its W shapes and the rest from the flags.
 */
import { make } from '../envs/registry.js';
import type { DqnConfig } from '../rl/config.js';
import { qNetworkWeightShapes } from '../rl/q-network.js';
import { RECORDED_NETWORK_FIELDS, hiddenWidthsOf, readWeightsFile, weightsForShapes } from '../rl/weights-file.js';
import { UsageError } from './cli-errors.js';
import { kebab } from './config-flags.js';

/** The network fields a weights file decides. */
export type NetworkFields = Pick<DqnConfig, 'env' | 'hidden' | 'activation' | 'dueling' | 'quantiles'>;

/** Loaded weights, and the network fields (the config's, with the file's where the user gave no flag). */
export interface LoadedWeights {
  arrays: Float64Array[];
  network: NetworkFields;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * Decodes `bytes` (the file `path`, read for `flag`) for the network of `config`, where
 * `given(key)` tells whether the user set that field by a flag. Throws UsageError on a conflict.
 */
export function loadWeightsFor(bytes: Uint8Array, path: string, flag: string, config: DqnConfig, given: (key: keyof DqnConfig) => boolean): LoadedWeights {
  const file = readWeightsFile(bytes, path);
  const network: NetworkFields = { env: config.env, hidden: [...config.hidden], activation: config.activation, dueling: config.dueling, quantiles: config.quantiles };
  const recorded = file.network;
  if (recorded !== null) {
    const conflicts: string[] = [];
    for (const key of RECORDED_NETWORK_FIELDS) {
      if (!given(key)) (network as unknown as Record<string, unknown>)[key] = recorded[key];
      else if (!same(config[key], recorded[key])) conflicts.push(`--${kebab(key)} ${show(config[key])} (the file's network has ${show(recorded[key])})`);
    }
    if (conflicts.length > 0) {
      throw new UsageError(`${flag} '${path}' does not fit ${conflicts.join(', ')}; leave the flag out to use the file's value`);
    }
    if (recorded.env !== undefined && !given('env')) network.env = recorded.env;
  } else if (!config.dueling) {
    const inferred = hiddenWidthsOf(file.entries);
    if (inferred !== null) {
      if (given('hidden') && !same(inferred, config.hidden)) {
        throw new UsageError(`${flag} '${path}' holds a ${inferred.join(',')} network; it does not fit --hidden ${config.hidden.join(',')}`);
      }
      network.hidden = inferred;
    }
  }
  const env = make(network.env);
  const obsDim = env.obsDim;
  const nActions = env.actionSpace.n;
  env.close();
  if (recorded !== null && (recorded.obsDim !== obsDim || recorded.nActions !== nActions)) {
    throw new UsageError(
      `${flag} '${path}' holds weights for ${recorded.obsDim} observations and ${recorded.nActions} actions${recorded.env ? ` (${recorded.env})` : ''}; ${network.env} has ${obsDim} and ${nActions}`,
    );
  }
  const shapes = qNetworkWeightShapes({ ...network, obsDim, nActions });
  return { arrays: weightsForShapes(file, shapes), network };
}
