/**
 * Which network a weights file is loaded into, against a run's config and env: the rule the CLI's
 * --load and --mode eval and the page's upload share. Apart from weights-file.ts (the format),
 * since it needs the env registry.
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { envDims, envSizes } from '../envs/registry.js';
import { sameValue, showValue } from './config-values.js';
import { RECORDED_NETWORK_FIELDS, hiddenWidthsOf, networkWeightShapes, weightsForShapes, type NetworkFields, type WeightsFile } from './weights-file.js';

/** A weights file's arrays, decoded for the network settled against the run's. */
export interface ResolvedWeights {
  arrays: Float64Array[];
  /** The run's network, with the file's fields where the caller did not fix them. */
  network: NetworkFields;
}

/**
 * Settles which network a weights file is loaded into, and decodes its arrays for it: the one rule
 * the CLI's --load and --mode eval and the page's upload share. A field the file records takes the
 * file's value unless the caller fixed it (`fixed(key)`: a flag the user gave); a fixed field with
 * another value is refused, naming both (`name` spells fields: the CLI's flags). A file that
 * records no network (numpy-rl-engine's) has no LayerNorm and gets its widths from its W shapes,
 * the rest from `current`. The env is the file's unless fixed; its observation and action counts must be the
 * file's. Whether the algorithm can train the network is its own question
 * (AlgorithmEntry.architectureProblem). Errors start with `source` ("--load 'w.npz'", or the
 * file's name) and say what to do.
 */
export function resolveWeightsNetwork(
  file: WeightsFile,
  source: string,
  current: NetworkFields,
  fixed: (key: keyof NetworkFields) => boolean,
  name: (key: keyof NetworkFields) => string = (key) => key,
): ResolvedWeights {
  const network: NetworkFields = { ...current, hidden: [...current.hidden] };
  const recorded = file.network;
  if (recorded !== null) {
    const conflicts: string[] = [];
    for (const key of RECORDED_NETWORK_FIELDS) {
      if (!fixed(key)) (network as unknown as Record<string, unknown>)[key] = Array.isArray(recorded[key]) ? [...(recorded[key] as number[])] : recorded[key];
      else if (!sameValue(current[key], recorded[key])) conflicts.push(`${name(key)} ${showValue(current[key])} (the file's network has ${showValue(recorded[key])})`);
    }
    if (conflicts.length > 0) throw new InvalidArgumentError(`${source} does not fit ${conflicts.join(', ')}; leave the flag out to use the file's value`);
    if (recorded.env !== undefined && !fixed('env')) network.env = recorded.env;
  } else if (!current.dueling) {
    // Only this engine writes LayerNorm networks and actor-critics, and it always records them: a file without a record is a plain Q-network.
    network.layerNorm = false;
    network.policy = 'q-network';
    const inferred = hiddenWidthsOf(file.entries);
    if (inferred !== null) {
      if (fixed('hidden') && !sameValue(inferred, current.hidden)) throw new InvalidArgumentError(`${source} holds a ${inferred.join(',')} network; it does not fit ${name('hidden')} ${current.hidden.join(',')}`);
      network.hidden = inferred;
    }
  }
  // A Q-network needs Discrete actions (envDims refuses a Box env); an actor-critic takes either.
  const { obsDim, nActions } = network.policy === 'actor-critic' ? envSizes(network.env) : envDims(network.env);
  if (recorded !== null && (recorded.obsDim !== obsDim || recorded.nActions !== nActions)) {
    throw new ShapeError(`${source} holds weights for ${recorded.obsDim} observations and ${recorded.nActions} actions${recorded.env ? ` (${recorded.env})` : ''}; ${network.env} has ${obsDim} and ${nActions}`);
  }
  const continuous = network.policy === 'actor-critic' && envSizes(network.env).box !== null;
  return { arrays: weightsForShapes(file, networkWeightShapes(network, obsDim, nActions, continuous)), network };
}
