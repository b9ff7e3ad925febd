/**
 * Weights files of every kind of network the engine trains, for the ONNX export's tests: random
 * parameters of the engine's own shapes (networkWeightShapes), written by the engine's writer
 * (encodeWeightsNpz), and the engine's own forward pass of them on the CPU backend
 * (playableNetwork, the policy `--mode eval` plays), the reference an exported model must match.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../src/backend/backend.js';
import { createBackend } from '../../src/backend/create-backend.js';
import { Box } from '../../src/envs/spaces.js';
import { Rng } from '../../src/random/rng.js';
import { argmaxRow } from '../../src/rl/dqn-agent.js';
import { playableNetwork } from '../../src/rl/playable-network.js';
import { QNetwork } from '../../src/rl/q-network.js';
import { encodeWeightsNpz, hiddenWidthsOf, networkWeightShapes, readWeightsFile, weightsForShapes, type NetworkRecord } from '../../src/rl/weights-file.js';
import { root } from './cli-process.js';

export interface ExportCase {
  name: string;
  /** The record the file is written with (undefined: numpy-rl-engine's file, no record). */
  record?: NetworkRecord & { actionLow?: number[]; actionHigh?: number[] };
  /** The bytes, when the case is a file rather than a record to draw weights for. */
  bytes?: Uint8Array;
  /** The Box the engine clips a Gaussian policy's action to (null: unclipped). */
  box?: Box | null;
  /** Observation scale (std of the random observations). */
  obsScale: number;
  /** Scale of the random W (default 1.5 / sqrt(fan_in)); larger drives a Gaussian mean past its bounds. */
  weightScale?: number;
}

const discrete = (algorithm: string) => ({ algorithm, actionSpace: 'discrete' as const });
const base = { dueling: false, quantiles: 1, layerNorm: false, policy: 'q-network' as const };

/** One case per kind of network (and the activations), each small. */
export const EXPORT_CASES: ExportCase[] = [
  { name: 'DQN relu', record: { obsDim: 4, nActions: 2, hidden: [32, 32], activation: 'relu', ...base, env: 'CartPole-v1', ...discrete('dqn') }, obsScale: 2 },
  { name: 'DQN dueling tanh', record: { obsDim: 6, nActions: 3, hidden: [32, 16], activation: 'tanh', ...base, dueling: true, env: 'Acrobot-v1', ...discrete('dqn') }, obsScale: 2 },
  { name: 'DQN leaky_relu', record: { obsDim: 2, nActions: 3, hidden: [16], activation: 'leaky_relu', ...base, env: 'MountainCar-v0', ...discrete('dqn') }, obsScale: 2 },
  { name: 'QR-DQN', record: { obsDim: 4, nActions: 2, hidden: [24, 24], activation: 'relu', ...base, quantiles: 7, env: 'CartPole-v1', ...discrete('dqn') }, obsScale: 2 },
  { name: 'PQN LayerNorm', record: { obsDim: 6, nActions: 3, hidden: [32, 32], activation: 'relu', ...base, layerNorm: true, env: 'Acrobot-v1', ...discrete('pqn') }, obsScale: 2 },
  { name: 'PPO categorical', record: { obsDim: 4, nActions: 2, hidden: [16, 16], activation: 'tanh', ...base, policy: 'actor-critic', env: 'CartPole-v1', ...discrete('ppo') }, obsScale: 2 },
  {
    name: 'PPO Gaussian, normalised observations, bounds in the record',
    record: { obsDim: 5, nActions: 3, hidden: [16, 16], activation: 'tanh', ...base, policy: 'actor-critic', normalizeObservation: true, env: 'my-arm', algorithm: 'ppo', actionSpace: 'box', actionLow: [-1, -0.25, -2], actionHigh: [1, 0.25, 0.5] },
    box: new Box([-1, -0.25, -2], [1, 0.25, 0.5]),
    obsScale: 3,
  },
  {
    name: 'PPO Gaussian sigmoid, bounds from the registered env',
    record: { obsDim: 3, nActions: 1, hidden: [8, 8], activation: 'sigmoid', ...base, policy: 'actor-critic', env: 'Pendulum-v1', algorithm: 'ppo', actionSpace: 'box' },
    box: new Box([-2], [2]),
    obsScale: 2,
    weightScale: 6,
  },
  { name: "numpy-rl-engine's file (no record)", bytes: new Uint8Array(readFileSync(join(root, 'test', 'fixtures', 'numpy-rl-engine-weights.npz'))), obsScale: 2 },
];

/** A weights file of `c`'s network with random parameters drawn from `seed` (LayerNorm scales, log-std and observation statistics too). */
export function exportCaseFile(c: ExportCase, seed = 1): Uint8Array {
  if (c.bytes !== undefined) return c.bytes;
  const record = c.record as NetworkRecord;
  const shapes = networkWeightShapes(record, record.obsDim, record.nActions, record.actionSpace === 'box');
  const rng = new Rng(seed);
  const gamma = (i: number) => record.layerNorm && i < 4 * record.hidden.length && i % 4 === 2;
  const names = shapes.map((_, i) => (gamma(i) ? 'gamma' : i < shapes.length - 2 || !record.normalizeObservation ? '' : i === shapes.length - 2 ? 'mean' : 'var'));
  const arrays = shapes.map(([rows, cols], i) => {
    const values = new Float64Array(rows * cols);
    if (names[i] === 'var') {
      rng.fillUniform(values, 0.05, 4);
      values[0] = 0; // a constant observation: its normalised value saturates at the clip
    } else if (names[i] === 'mean') rng.fillUniform(values, -1, 1);
    else if (names[i] === 'gamma') rng.fillUniform(values, 0.5, 1.5);
    else if (rows === 1) rng.fillUniform(values, -0.3, 0.3); // biases, LayerNorm gammas and betas, log-std
    else {
      const scale = (c.weightScale ?? 1.5) / Math.sqrt(rows);
      rng.fillUniform(values, -scale, scale);
    }
    return values;
  });
  return encodeWeightsNpz(arrays, shapes, record);
}

/** `rows` random observations of `obsDim` values (normal, std `scale`). */
export function randomObservations(rows: number, obsDim: number, scale: number, seed = 7): Float32Array {
  const out = new Float32Array(rows * obsDim);
  new Rng(seed).fillNormal(out, 0, scale);
  return out;
}

/** What the engine's greedy policy gives for a file: its output rows, its actions, and for QR-DQN the quantiles. */
export interface EngineOutputs {
  /** Q-values (QR-DQN: quantile means), logits or Gaussian means: rows x nActions. */
  values: Float32Array;
  /** Discrete: the argmax per row; Box: the mean clipped to `box` (rows x k). */
  actions: number[] | Float32Array;
  quantiles: Float32Array | null;
  nActions: number;
}

let backend: Backend | null = null;
async function cpu(): Promise<Backend> {
  backend ??= await createBackend('cpu');
  return backend;
}

/** The engine's forward pass of the file `bytes` on `rows` observations, on the CPU backend. */
export async function engineOutputs(bytes: Uint8Array, observations: Float32Array, rows: number, box: Box | null): Promise<EngineOutputs> {
  const b = await cpu();
  const file = readWeightsFile(bytes, 'case.npz');
  const record = file.network;
  const obsDim = record?.obsDim ?? (file.entries.get('arr_0') as { shape: number[] }).shape[0];
  const network = record ?? { hidden: hiddenWidthsOf(file.entries) as number[], activation: 'relu' as const, dueling: false, quantiles: 1, layerNorm: false, policy: 'q-network' as const };
  const nActions = record?.nActions ?? (file.entries.get(`arr_${file.entries.size - 2}`) as { shape: number[] }).shape[1];
  const arrays = weightsForShapes(file, networkWeightShapes(network, obsDim, nActions, box !== null));
  const policy = playableNetwork(b, { ...network, env: record?.env ?? 'none' }, obsDim, nActions, box);
  policy.setWeights(arrays);
  const values = Float32Array.from(await policy.qValuesBatch(observations, rows));
  policy.dispose();
  let actions: number[] | Float32Array;
  if (box === null) actions = Array.from({ length: rows }, (_, r) => argmaxRow(values, r * nActions, nActions));
  else box.clipInto(values, 0, (actions = new Float32Array(rows * nActions)), 0, rows);
  let quantiles: Float32Array | null = null;
  if (network.quantiles > 1) {
    const q = new QNetwork(b, { ...network, obsDim, nActions, init: 'torch_default' }, new Rng(0));
    q.setWeights(arrays);
    const input = b.tensor([rows, obsDim], observations, 'case.obs');
    quantiles = new Float32Array(rows * nActions * network.quantiles);
    await b.read(q.forward(input), quantiles);
    input.dispose();
    q.dispose();
  }
  return { values, actions, quantiles, nActions };
}

/**
 * The rows whose greedy action is decided by more than `margin` (relative to the row's largest
 * |value|): there two float32 computations of the same function must pick the same action; a
 * closer call may round either way.
 */
export function decidedRows(values: Float32Array, nActions: number, margin = 1e-4): number[] {
  const rows: number[] = [];
  for (let r = 0; r * nActions < values.length; r++) {
    const row = Array.from(values.subarray(r * nActions, (r + 1) * nActions));
    const sorted = [...row].sort((a, b) => b - a);
    const scale = Math.max(...row.map(Math.abs), 1e-30);
    if (nActions === 1 || (sorted[0] - sorted[1]) / scale > margin) rows.push(r);
  }
  return rows;
}
