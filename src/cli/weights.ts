/** Reading a weights file (.npz) for the network a config describes. */
import type { DqnConfig } from '../rl/config.js';
import { qNetworkWeightShapes } from '../rl/q-network.js';
import { decodeWeightsNpz, inferMlpHiddenWidths } from '../rl/weights-file.js';
import { readInput } from './run-folder.js';

/** Reads a weights file for a network built from `config` (hidden sizes inferred from the file for plain MLPs). */
export function loadWeights(path: string, config: Pick<DqnConfig, 'hidden' | 'dueling'>, obsDim: number, nActions: number): { arrays: Float64Array[]; hidden: number[] } {
  const bytes = readInput(path, '--load');
  // The file says how wide the layers are: W1 (obs, h1), b1, W2 (h1, h2), ...
  const hidden = (!config.dueling && inferMlpHiddenWidths(bytes, path)) || config.hidden;
  const shapes = qNetworkWeightShapes({ obsDim, nActions, hidden, dueling: config.dueling });
  return { arrays: decodeWeightsNpz(bytes, shapes, path), hidden };
}
