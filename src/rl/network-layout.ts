/**
 * The layout of a network's arrays: the (rows, cols) of its parameters, in the order its layers
 * hold them and its weights file stores them (a Q-network's, q-network.ts, and a PPO policy's,
 * ppo-agent.ts), how a QR-DQN head's quantiles make Q-values, and which action a row of outputs
 * picks (its argmax). Pure functions of the
 * architecture, in a module of their own so that readers of weights files (the policy runtime)
 * have them without the layers.
 */
import type { PolicyHead } from '../backend/policy-ops.js';

/** What decides a Q-network's parameter shapes (QNetworkSpec's fields). */
export interface QNetworkShape {
  obsDim: number;
  nActions: number;
  hidden: readonly number[];
  dueling: boolean;
  /** Outputs per action (QR-DQN's quantiles; 1 otherwise). */
  quantiles: number;
  /** Dense -> LayerNorm -> activation per hidden layer (PQN). */
  layerNorm?: boolean;
}

/**
 * The most hidden layers a Q-network may have (a config refuses more, up front): its weights file
 * then stays far inside what a reader accepts (weights-file.ts), and 256 is beyond any useful MLP.
 */
export const MAX_HIDDEN_LAYERS = 256;

/** The (rows, cols) of every parameter of a Q-network, in getWeights() order, without building one. */
export function qNetworkWeightShapes(spec: QNetworkShape): [number, number][] {
  const { obsDim, nActions, hidden, dueling, quantiles } = spec;
  const sizes = dueling ? [obsDim, ...hidden] : [obsDim, ...hidden, nActions * quantiles];
  const shapes: [number, number][] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    shapes.push([sizes[i], sizes[i + 1]], [1, sizes[i + 1]]);
    // A hidden layer's LayerNorm: gamma, then beta.
    if (spec.layerNorm === true && i < hidden.length) shapes.push([1, sizes[i + 1]], [1, sizes[i + 1]]);
  }
  if (dueling) {
    const h = hidden[hidden.length - 1];
    shapes.push([h, 1], [1, 1], [h, nActions], [1, nActions]);
  }
  return shapes;
}

/** The (rows, cols) of a PPO agent's parameters in getWeights() order: the actor's W, b per layer, the critic's, then the log-std (gaussian). */
export function ppoWeightShapes(obsDim: number, actionDim: number, hidden: readonly number[], head: PolicyHead): [number, number][] {
  const mlp = (out: number): [number, number][] => {
    const sizes = [obsDim, ...hidden, out];
    return sizes.slice(1).flatMap((n, i): [number, number][] => [[sizes[i], n], [1, n]]);
  };
  return [...mlp(actionDim), ...mlp(1), ...(head === 'gaussian' ? [[1, actionDim] as [number, number]] : [])];
}

/**
 * A PPO policy's arrays as weights files and the kept best weights hold them: ppoWeightShapes',
 * then the observation mean and variance (1, obsDim) each where observations are normalised.
 */
export function ppoPolicyShapes(obsDim: number, actionDim: number, hidden: readonly number[], head: PolicyHead, normalizeObservation: boolean): [number, number][] {
  const shapes = ppoWeightShapes(obsDim, actionDim, hidden, head);
  return normalizeObservation ? [...shapes, [1, obsDim], [1, obsDim]] : shapes;
}

/** out[g] <- the mean of quantiles[g n .. g n + n - 1] for each of `groups` groups (summed in float64, in order). */
export function quantileMeans(quantiles: ArrayLike<number>, out: Float32Array, groups: number, n: number): void {
  for (let g = 0; g < groups; g++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += quantiles[g * n + j];
    out[g] = sum / n;
  }
}

/** Index of the first maximum (NumPy's argmax). */
export function argmax(values: ArrayLike<number>, length = values.length): number {
  return argmaxRow(values, 0, length);
}

/** Index (from `offset`) of the first maximum of values[offset .. offset + length). */
export function argmaxRow(values: ArrayLike<number>, offset: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[offset + i] > values[offset + best]) best = i;
  return best;
}
