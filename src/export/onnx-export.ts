/**
 * A trained policy's weights file (.npz) as an ONNX model (opset 17, IR version 8): the greedy
 * policy the engine plays in `--mode eval`, runnable by any ONNX runtime without the engine.
 *
 * - Input `observation` float32 [batch, obsDim].
 * - A Q-network (DQN, QR-DQN, PQN, numpy-rl-engine's files): `q_values` float32 [batch, nActions]
 *   (QR-DQN: the mean of each action's quantiles, also output as `quantiles` [batch, nActions, N])
 *   and `action` int64 [batch], the argmax (the first index on ties, as the engine's).
 * - PPO's actor (its critic is not exported), reading observations normalised as in training where
 *   the file holds obs_mean / obs_var: clip((obs - obs_mean) / obs_std, -10, 10), with obs_std =
 *   sqrt(obs_var + 1e-8) precomputed; categorical: `logits` and `action` int64 (the argmax);
 *   Gaussian: `mean` [batch, k], `log_std` [k] and `action` float32 [batch, k], the mean clipped to
 *   the action bounds (the file's record, else the registered env's; else unclipped, and the
 *   model's doc_string says so).
 *
 * Initializers are float32 and named after the file's entries (arr_0, ..., log_std, obs_mean);
 * biases, LayerNorm scales and log_std are 1-D. See docs/export.md.
 */
import { OP_DEFAULTS } from '../backend/op-defaults.js';
import type { Activation } from '../backend/backend.js';
import { NORMALIZE_CLIP, NORMALIZE_EPSILON } from '../rl/rollout-normalizer.js';
import { OnnxGraph, type OnnxValue } from './onnx-graph.js';
import { readPolicy, type ExportedPolicy } from './exported-policy.js';

/** The ONNX opset the models use (LayerNormalization is opset 17's) and the IR version of that opset. */
export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
export const ONNX_PRODUCER = 'webgpu-rl-engine';

/** The name of the model's input. */
export const OBSERVATION_INPUT = 'observation';
/** The symbolic batch dimension of every input and output. */
const BATCH = 'batch';

export interface ExportOptions {
  /** The file's name, for errors and the model's metadata (default 'weights.npz'). */
  fileName?: string;
  /** The engine's version, recorded as the model's producer_version (the CLI passes package.json's). */
  producerVersion?: string;
  /** The hidden activation of a file that records no network (numpy-rl-engine's); default relu. */
  activation?: Activation;
}

/** An exported model and what it holds. */
export interface OnnxExport {
  model: Uint8Array;
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  /** The policy read from the file. */
  policy: ExportedPolicy;
}

/** The ONNX model of the policy in `weights` (a weights .npz's bytes); throws naming the file and why when it is not a policy. */
export function exportOnnx(weights: Uint8Array, options: ExportOptions = {}): Uint8Array {
  return buildOnnxExport(weights, options).model;
}

/** exportOnnx, with the model's inputs and outputs and the policy it was built from. */
export function buildOnnxExport(weights: Uint8Array, options: ExportOptions = {}): OnnxExport {
  const fileName = options.fileName ?? 'weights.npz';
  const policy = readPolicy(weights, fileName, { activation: options.activation });
  const g = new OnnxGraph();
  const observation = g.input({ name: OBSERVATION_INPUT, dtype: 'float32', shape: [BATCH, policy.obsDim], doc: `the env's observations, one row each (float32, ${policy.obsDim} values)` });
  if (policy.kind === 'q-network') qNetworkGraph(g, policy, observation);
  else actorGraph(g, policy, observation);
  const { inputs, outputs } = g.signature();
  const docString = modelDoc(policy, inputs, outputs);
  const metadata: Record<string, string> = {
    network: policy.recordJson,
    algorithm: policy.algorithm,
    env: policy.env ?? 'unknown',
    policy: policy.kind,
    // The file's name without its folders: a model shipped elsewhere does not carry local paths.
    source: policy.fileName.split(/[\\/]/).pop() ?? policy.fileName,
    inputs: JSON.stringify(Object.fromEntries(inputs.map((v) => [v.name, v.doc]))),
    outputs: JSON.stringify(Object.fromEntries(outputs.map((v) => [v.name, v.doc]))),
    ...(policy.bounds !== null ? { action_bounds: JSON.stringify({ low: Array.from(policy.bounds.low), high: Array.from(policy.bounds.high), source: policy.bounds.source }) } : {}),
    ...(policy.notes.length > 0 ? { notes: policy.notes.join('\n') } : {}),
  };
  const model = g.encodeModel({
    graphName: `${policy.algorithm} ${policy.kind} policy`,
    opset: ONNX_OPSET,
    irVersion: ONNX_IR_VERSION,
    producerName: ONNX_PRODUCER,
    producerVersion: options.producerVersion ?? '',
    docString,
    metadata,
  });
  return { model, inputs, outputs, policy };
}

/** The file's array `name`, as the file holds it (float64). */
function arrayOf(policy: ExportedPolicy, name: string): Float64Array {
  const values = policy.arrays.get(name);
  if (values === undefined) throw new Error(`ONNX export: ${policy.fileName} has no entry ${name} (a bug: readPolicy checked the layout)`);
  return values;
}

/** x W + b: the file's W (arr_i, (in, out)) and b (arr_{i+1}, 1-D), one Gemm. */
function dense(g: OnnxGraph, policy: ExportedPolicy, x: string, w: string, b: string, rows: number, cols: number, output: string): string {
  g.floats(w, [rows, cols], arrayOf(policy, w));
  g.floats(b, [cols], arrayOf(policy, b));
  return g.node('Gemm', [x, w, b], output);
}

/** The engine's activation (backend.ts ACTIVATIONS) of x; identity adds nothing. */
function activate(g: OnnxGraph, activation: Activation, x: string, output: string): string {
  switch (activation) {
    case 'identity':
      return x;
    case 'relu':
      return g.node('Relu', [x], output);
    case 'leaky_relu':
      return g.node('LeakyRelu', [x], output, { alpha: { float: OP_DEFAULTS.leakySlope } });
    case 'tanh':
      return g.node('Tanh', [x], output);
    case 'sigmoid':
      return g.node('Sigmoid', [x], output);
    case 'softmax':
      return g.node('Softmax', [x], output, { axis: { int: -1 } });
  }
}

/**
 * The hidden layers from arr_0: Dense with the activation, or with LayerNorm (PQN) Dense, then
 * LayerNormalization (epsilon OP_DEFAULTS.layerNormEps, the last axis), then the activation.
 * Returns the features and the index of the next array.
 */
function hiddenLayers(g: OnnxGraph, policy: ExportedPolicy, x: string): { features: string; next: number } {
  const { hidden, activation, layerNorm } = policy.network;
  const sizes = [policy.obsDim, ...hidden];
  let h = x;
  let i = 0;
  for (let layer = 0; layer < hidden.length; layer++) {
    h = dense(g, policy, h, `arr_${i}`, `arr_${i + 1}`, sizes[layer], sizes[layer + 1], `hidden_${layer}/linear`);
    i += 2;
    if (layerNorm) {
      const gamma = g.floats(`arr_${i}`, [sizes[layer + 1]], arrayOf(policy, `arr_${i}`));
      const beta = g.floats(`arr_${i + 1}`, [sizes[layer + 1]], arrayOf(policy, `arr_${i + 1}`));
      h = g.node('LayerNormalization', [h, gamma, beta], `hidden_${layer}/layer_norm`, { axis: { int: -1 }, epsilon: { float: OP_DEFAULTS.layerNormEps } });
      i += 2;
    }
    h = activate(g, activation, h, `hidden_${layer}/${activation}`);
  }
  return { features: h, next: i };
}

const ACTION_DOC = "the greedy action: the index of the largest value (the first on ties, as the engine's argmax)";

/** The argmax of `values` over its last axis as the int64 output `action`. */
function argmaxAction(g: OnnxGraph, values: string, doc: string): void {
  g.node('ArgMax', [values], 'action', { axis: { int: 1 }, keepdims: { int: 0 }, select_last_index: { int: 0 } });
  g.output({ name: 'action', dtype: 'int64', shape: [BATCH], doc });
}

function qNetworkGraph(g: OnnxGraph, policy: ExportedPolicy, observation: string): void {
  const { hidden, dueling, quantiles } = policy.network;
  const n = policy.nActions;
  const width = hidden[hidden.length - 1];
  const { features, next: i } = hiddenLayers(g, policy, observation);
  if (dueling) {
    // Q = V + A - mean_a A (DuelingHead): the value stream's Wv, bv, then the advantage stream's Wa, ba.
    const value = dense(g, policy, features, `arr_${i}`, `arr_${i + 1}`, width, 1, 'head/value');
    const advantage = dense(g, policy, features, `arr_${i + 2}`, `arr_${i + 3}`, width, n, 'head/advantage');
    const mean = g.node('ReduceMean', [advantage], 'head/advantage_mean', { axes: { ints: [1] }, keepdims: { int: 1 } });
    const centred = g.node('Sub', [advantage, mean], 'head/advantage_centred');
    g.node('Add', [value, centred], 'q_values');
  } else if (quantiles > 1) {
    // QR-DQN: action a's N quantiles are columns a N .. a N + N - 1; Q(s, a) is their mean.
    const flat = dense(g, policy, features, `arr_${i}`, `arr_${i + 1}`, width, n * quantiles, 'head/quantiles_flat');
    const shape = g.int64s('quantiles_shape', [3], [0, n, quantiles]);
    g.node('Reshape', [flat, shape], 'quantiles');
    g.node('ReduceMean', ['quantiles'], 'q_values', { axes: { ints: [2] }, keepdims: { int: 0 } });
  } else {
    dense(g, policy, features, `arr_${i}`, `arr_${i + 1}`, width, n, 'q_values');
  }
  const qDoc = quantiles > 1 ? `Q(s, a) of each of the ${n} actions: the mean of its ${quantiles} return quantiles` : `Q(s, a) of each of the ${n} actions`;
  g.output({ name: 'q_values', dtype: 'float32', shape: [BATCH, n], doc: qDoc });
  if (quantiles > 1) {
    g.output({ name: 'quantiles', dtype: 'float32', shape: [BATCH, n, quantiles], doc: `the ${quantiles} quantiles of each action's return (QR-DQN), in ascending quantile fractions` });
  }
  argmaxAction(g, 'q_values', `${ACTION_DOC} of q_values`);
}

function actorGraph(g: OnnxGraph, policy: ExportedPolicy, observation: string): void {
  const k = policy.nActions;
  const d = policy.obsDim;
  const { hidden, normalizeObservation } = policy.network;
  let x = observation;
  if (normalizeObservation === true) {
    // As the engine's RolloutNormalizer.normalizeInto: clip((obs - mean) / sqrt(var + eps), -clip, clip).
    const mean = g.floats('obs_mean', [d], arrayOf(policy, 'obs_mean'));
    const std = g.floats('obs_std', [d], arrayOf(policy, 'obs_var').map((v) => Math.sqrt(v + NORMALIZE_EPSILON)));
    const low = g.floats('obs_clip_low', [], [-NORMALIZE_CLIP]);
    const high = g.floats('obs_clip_high', [], [NORMALIZE_CLIP]);
    const centred = g.node('Sub', [x, mean], 'normalize/centred');
    const scaled = g.node('Div', [centred, std], 'normalize/scaled');
    x = g.node('Clip', [scaled, low, high], 'normalize/clipped');
  }
  const { features, next: i } = hiddenLayers(g, policy, x);
  const out = policy.kind === 'gaussian' ? 'mean' : 'logits';
  dense(g, policy, features, `arr_${i}`, `arr_${i + 1}`, hidden[hidden.length - 1], k, out);
  if (policy.kind === 'categorical') {
    g.output({ name: 'logits', dtype: 'float32', shape: [BATCH, k], doc: `the actor's logits of the ${k} actions (softmax gives their probabilities)` });
    argmaxAction(g, 'logits', `${ACTION_DOC} of logits`);
    return;
  }
  g.output({ name: 'mean', dtype: 'float32', shape: [BATCH, k], doc: `the Gaussian policy's mean action (${k} values), unclipped` });
  g.floats('log_std', [k], arrayOf(policy, 'log_std'));
  g.output({ name: 'log_std', dtype: 'float32', shape: [k], doc: `the Gaussian policy's log standard deviation (state-independent, ${k} values)` });
  const bounds = policy.bounds;
  if (bounds === null) {
    g.node('Identity', ['mean'], 'action');
  } else {
    // Box.clipInto's min(max(mean, low), high).
    const low = g.floats('action_low', [k], bounds.low);
    const high = g.floats('action_high', [k], bounds.high);
    g.node('Min', [g.node('Max', ['mean', low], 'action/above_low'), high], 'action');
  }
  const actionDoc = bounds === null ? 'the greedy action: the mean, unclipped (the file gives no action bounds; clip it to your env\'s)' : `the greedy action: the mean clipped to the action bounds (from ${bounds.source})`;
  g.output({ name: 'action', dtype: 'float32', shape: [BATCH, k], doc: actionDoc });
}

function showShape(value: OnnxValue): string {
  return `${value.dtype}[${value.shape.join(', ')}]`;
}

/** The model's doc_string: what it is, where from, and every input and output. */
function modelDoc(policy: ExportedPolicy, inputs: OnnxValue[], outputs: OnnxValue[]): string {
  const { network } = policy;
  const what =
    policy.kind === 'q-network'
      ? `the greedy policy of a ${network.quantiles > 1 ? 'QR-DQN ' : ''}Q-network (${[policy.obsDim, ...network.hidden, policy.nActions].join('-')}, ${network.activation}${network.layerNorm ? ', LayerNorm' : ''}${network.dueling ? ', dueling head' : ''})`
      : `the actor of an actor-critic, ${policy.kind} (${[policy.obsDim, ...network.hidden, policy.nActions].join('-')}, ${network.activation}${network.normalizeObservation === true ? `, observations normalised as in training: clip((observation - obs_mean) / obs_std, -${NORMALIZE_CLIP}, ${NORMALIZE_CLIP}), obs_std = sqrt(obs_var + ${NORMALIZE_EPSILON})` : ''}); the critic is not exported`;
  const lines = [
    `${ONNX_PRODUCER}: ${what}, trained by ${policy.algorithm}${policy.env !== null ? ` on ${policy.env}` : ''}, exported from ${policy.fileName}.`,
    ...inputs.map((v) => `input ${v.name} ${showShape(v)}: ${v.doc}`),
    ...outputs.map((v) => `output ${v.name} ${showShape(v)}: ${v.doc}`),
    ...policy.notes.map((note) => `note: ${note}`),
    `The metadata's 'network' holds the weights file's network record (JSON).`,
  ];
  return lines.join('\n');
}
