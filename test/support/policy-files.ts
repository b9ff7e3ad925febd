/**
 * Weights files for the policy runtime's tests, written by the engine's own writer: random weights
 * of a trained network's scale for a network on a registered env, its record stating the algorithm
 * and the env's action space (a Box's bounds included).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { make } from '../../src/envs/registry.js';
import { isBox, type Box } from '../../src/envs/spaces.js';
import { Rng } from '../../src/random/rng.js';
import { encodeWeightsNpz, networkRecord, networkWeightShapes, trainedBy, type NetworkFields } from '../../src/rl/weights-file.js';

const root = resolve(import.meta.dirname, '..', '..');

/** Builds dist/ unless it holds the policy entry (what `webgpu-rl-engine/policy` resolves to). */
export function ensurePolicyBuilt(): void {
  if (!existsSync(join(root, 'dist', 'policy', 'index.js')) || !existsSync(join(root, 'dist', 'cli', 'train.js'))) execFileSync('npm', ['run', 'build'], { cwd: root });
}

/** A network on an env, written by the engine: random weights (and for an actor with statistics, a mean and a positive variance). */
export interface Written {
  bytes: Uint8Array;
  arrays: Float64Array[];
  network: NetworkFields;
  obsDim: number;
  nActions: number;
  box: Box | null;
}

export function network(env: string, fields: Partial<NetworkFields>): NetworkFields {
  return { env, hidden: [32, 24], activation: 'relu', dueling: false, quantiles: 1, layerNorm: false, policy: 'q-network', ...fields };
}

/** `headScale` scales an actor's head weights (larger means, to reach the bounds). */
export function writeWeights(fields: NetworkFields, algorithm: string, seed: number, headScale = 1): Written {
  const env = make(fields.env);
  const space = env.actionSpace;
  const box = isBox(space) ? space : null;
  const obsDim = env.obsDim;
  const nActions = box !== null ? box.low.length : (space as { n: number }).n;
  env.close();
  const shapes = networkWeightShapes(fields, obsDim, nActions, box !== null);
  const rng = new Rng(seed);
  const arrays = shapes.map(([r, c]) => {
    const values = new Float64Array(r * c);
    // Weights of a trained network's scale (1 / sqrt(fan-in)), biases and LayerNorm's beta small, gamma near 1.
    rng.fillNormal(values, 0, r > 1 ? 1 / Math.sqrt(r) : 0.3);
    return values;
  });
  if (fields.layerNorm) {
    // gamma (the third array of each hidden layer's four) near 1.
    for (let i = 0; i < fields.hidden.length; i++) arrays[4 * i + 2] = arrays[4 * i + 2].map((v) => 1 + v);
  }
  if (fields.policy === 'actor-critic') arrays[2 * fields.hidden.length] = arrays[2 * fields.hidden.length].map((v) => v * headScale);
  if (fields.normalizeObservation === true) {
    arrays[arrays.length - 2] = Float64Array.from({ length: obsDim }, () => rng.normal(0, 2));
    arrays[arrays.length - 1] = Float64Array.from({ length: obsDim }, () => rng.uniform(0.05, 9));
  }
  const record = networkRecord(fields, obsDim, nActions, trainedBy(algorithm, space));
  return { bytes: encodeWeightsNpz(arrays, shapes, record), arrays, network: fields, obsDim, nActions, box };
}

/** `rows` random observations (normal, standard deviation `scale`). */
export function observations(obsDim: number, seed: number, scale = 2, rows = 64): Float32Array {
  const obs = new Float32Array(rows * obsDim);
  new Rng(seed).fillNormal(obs, 0, scale);
  return obs;
}
