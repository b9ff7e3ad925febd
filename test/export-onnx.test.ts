/**
 * The ONNX export (src/export): every kind of network the engine trains, exported, run in
 * onnxruntime-node on random observations and compared with the engine's own forward pass on the
 * CPU backend (the policy `--mode eval` plays): outputs within 1e-5 relative, the same greedy
 * actions. Also what the model declares (opset, IR version, names, shapes, metadata) and the files
 * that are not policies.
 */
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { createBackend } from '../src/backend/create-backend.js';
import { envSizes } from '../src/envs/registry.js';
import { withAlgorithm, type AlgorithmName } from '../src/rl/algorithms.js';
import { encodeCheckpoint } from '../src/io/checkpoint.js';
import { writeNpz } from '../src/io/npz.js';
import { buildOnnxExport, exportOnnx } from '../src/export/onnx-export.js';
import { encodeWeightsNpz, networkWeightShapes, type NetworkRecord } from '../src/rl/weights-file.js';
import { Box } from '../src/envs/spaces.js';
import { EXPORT_CASES, decidedRows, engineOutputs, exportCaseFile, randomObservations } from './support/export-cases.js';
import { relativeError } from './support/relative-error.js';

const { onnx } = onnxProto;
const ROWS = 64;
const TOLERANCE = 1e-5;

/** Runs `model` in onnxruntime-node on `rows` observations; returns every output by name. */
async function runModel(model: Uint8Array, observations: Float32Array, rows: number): Promise<Record<string, Tensor>> {
  const session = await InferenceSession.create(model);
  try {
    const obsDim = observations.length / rows;
    return await session.run({ observation: new Tensor('float32', observations, [rows, obsDim]) });
  } finally {
    await session.release();
  }
}

/** The largest relative error seen per case, for the report line at the end. */
const errors: Record<string, number> = {};
afterAll(() => {
  console.log(`ONNX export vs the engine (onnxruntime-node), max relative error: ${Object.entries(errors).map(([name, e]) => `${name} ${e.toExponential(2)}`).join('; ')}`);
});

describe('ONNX export in onnxruntime-node matches the engine', () => {
  for (const c of EXPORT_CASES) {
    it(c.name, async () => {
      const bytes = exportCaseFile(c);
      const exported = buildOnnxExport(bytes, { fileName: 'case.npz' });
      const { obsDim, nActions, kind } = exported.policy;
      const observations = randomObservations(ROWS, obsDim, c.obsScale);
      const out = await runModel(exported.model, observations, ROWS);
      const ref = await engineOutputs(bytes, observations, ROWS, c.box ?? null);
      const valuesName = kind === 'q-network' ? 'q_values' : kind === 'categorical' ? 'logits' : 'mean';
      expect(Object.keys(out).sort()).toEqual(exported.outputs.map((o) => o.name).sort());
      const values = out[valuesName];
      expect(values.dims).toEqual([ROWS, nActions]);
      expect(values.type).toBe('float32');
      const error = relativeError(values.data as Float32Array, ref.values);
      errors[c.name] = error;
      expect(error).toBeLessThanOrEqual(TOLERANCE);
      const action = out.action;
      if (kind === 'gaussian') {
        expect(action.type).toBe('float32');
        expect(action.dims).toEqual([ROWS, nActions]);
        const actions = action.data as Float32Array;
        expect(relativeError(actions, ref.actions as Float32Array)).toBeLessThanOrEqual(TOLERANCE);
        // The bounds do clip: some actions sit on them, and none is outside.
        const box = c.box as Box;
        const onBound = Array.from(actions).filter((a, i) => a === box.low[i % nActions] || a === box.high[i % nActions]).length;
        expect(onBound).toBeGreaterThan(0);
        expect(Array.from(actions).every((a, i) => a >= box.low[i % nActions] && a <= box.high[i % nActions])).toBe(true);
        const logStd = out.log_std;
        expect(logStd.dims).toEqual([nActions]);
        expect(Array.from(logStd.data as Float32Array)).toEqual(Array.from(Float32Array.from(exported.policy.arrays.get('log_std') as Float64Array)));
      } else {
        expect(action.type).toBe('int64');
        expect(action.dims).toEqual([ROWS]);
        const actions = Array.from(action.data as BigInt64Array, Number);
        // The model's action is its own values' argmax; the engine's is the same on every row not decided by a rounding.
        const own = Array.from({ length: ROWS }, (_, r) => {
          const row = Array.from((values.data as Float32Array).subarray(r * nActions, (r + 1) * nActions));
          return row.indexOf(Math.max(...row));
        });
        expect(actions).toEqual(own);
        const decided = decidedRows(ref.values, nActions);
        expect(decided.length).toBeGreaterThanOrEqual(ROWS - 4);
        expect(decided.map((r) => actions[r])).toEqual(decided.map((r) => (ref.actions as number[])[r]));
        expect(new Set(actions).size).toBeGreaterThan(1);
      }
      if (ref.quantiles !== null) {
        const quantiles = out.quantiles;
        expect(quantiles.dims).toEqual([ROWS, nActions, exported.policy.network.quantiles]);
        expect(relativeError(quantiles.data as Float32Array, ref.quantiles)).toBeLessThanOrEqual(TOLERANCE);
      }
    });
  }

});

/** Each algorithm's trainer at one of its presets, trained some 2000 env steps: the file --save writes (Trainer.weightsFile). */
const TRAINED: [AlgorithmName, string][] = [
  ['dqn', 'default'],
  ['pqn', 'pqn-cartpole'],
  ['ppo', 'ppo-cartpole'],
  ['ppo', 'ppo-pendulum'],
];

describe('files written by the trainers, trained a little, match in onnxruntime-node', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await createBackend('cpu');
  });
  afterAll(() => backend.destroy());

  for (const [algo, preset] of TRAINED) {
    it(`${algo} ${preset}`, async () => {
      const bytes = await withAlgorithm(algo, async (entry) => {
        const trainer = entry.createTrainer(backend, entry.preset(preset), 1);
        await trainer.run(2000);
        expect(trainer.updates).toBeGreaterThan(0);
        const file = await trainer.weightsFile(await trainer.policy.getWeights());
        trainer.dispose();
        return file;
      });
      const exported = buildOnnxExport(bytes, { fileName: `${algo}.npz` });
      const { obsDim, nActions, kind } = exported.policy;
      const box = kind === 'gaussian' ? envSizes(exported.policy.env as string).box : null;
      const observations = randomObservations(ROWS, obsDim, 1);
      const out = await runModel(exported.model, observations, ROWS);
      const ref = await engineOutputs(bytes, observations, ROWS, box);
      const values = out[kind === 'q-network' ? 'q_values' : kind === 'categorical' ? 'logits' : 'mean'];
      const error = relativeError(values.data as Float32Array, ref.values);
      errors[`${algo} ${preset} (trained)`] = error;
      expect(error).toBeLessThanOrEqual(TOLERANCE);
      if (box !== null) expect(relativeError(out.action.data as Float32Array, ref.actions as Float32Array)).toBeLessThanOrEqual(TOLERANCE);
      else {
        const decided = decidedRows(ref.values, nActions);
        expect(decided.length).toBeGreaterThanOrEqual(ROWS - 4);
        const actions = Array.from(out.action.data as BigInt64Array, Number);
        expect(decided.map((r) => actions[r])).toEqual(decided.map((r) => (ref.actions as number[])[r]));
      }
    }, 60_000);
  }
});

describe('what an exported model declares', () => {
  it('opset 17, IR version 8, named inputs and outputs with a symbolic batch, the record in the metadata, float32 initializers named after the entries', () => {
    const c = EXPORT_CASES.find((e) => e.name.startsWith('PPO Gaussian, normalised'))!;
    const bytes = exportCaseFile(c);
    const model = onnx.ModelProto.decode(exportOnnx(bytes, { fileName: 'runs/x/ppo_weights.npz', producerVersion: '9.9.9' }));
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect([model.producerName, model.producerVersion]).toEqual(['webgpu-rl-engine', '9.9.9']);
    const graph = model.graph as InstanceType<typeof onnx.GraphProto>;
    const shapeOf = (v: OnnxTypes.IValueInfoProto) => (v.type?.tensorType?.shape?.dim ?? []).map((d) => d.dimParam || Number(d.dimValue));
    expect(graph.input.map((v) => [v.name, shapeOf(v)])).toEqual([['observation', ['batch', 5]]]);
    expect(graph.output.map((v) => [v.name, shapeOf(v)])).toEqual([
      ['mean', ['batch', 3]],
      ['log_std', [3]],
      ['action', ['batch', 3]],
    ]);
    expect(graph.output.every((v) => (v.docString ?? '').length > 10)).toBe(true);
    const initializers = graph.initializer.map((t) => t.name ?? '');
    // The actor's arrays and the statistics; not the critic's, nor obs_var (obs_std = sqrt(obs_var + eps) replaces it).
    expect(initializers).toEqual(expect.arrayContaining(['arr_0', 'arr_1', 'arr_2', 'arr_3', 'arr_4', 'arr_5', 'log_std', 'obs_mean', 'obs_std', 'action_low', 'action_high']));
    expect(initializers.some((name) => name.startsWith('critic_'))).toBe(false);
    expect(graph.initializer.every((t) => t.dataType === onnx.TensorProto.DataType.FLOAT)).toBe(true);
    const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    expect(meta.algorithm).toBe('ppo');
    expect(meta.env).toBe('my-arm');
    expect(meta.source).toBe('ppo_weights.npz');
    expect(JSON.parse(meta.network)).toMatchObject({ format: 'webgpu-rl-engine-q-network', obsDim: 5, nActions: 3, policy: 'actor-critic', obsNorm: { epsilon: 1e-8, clip: 10 }, actionLow: [-1, -0.25, -2] });
    expect(Object.keys(JSON.parse(meta.outputs))).toEqual(['mean', 'log_std', 'action']);
    expect(model.docString).toMatch(/obs_std = sqrt\(obs_var \+ 1e-8\)/);
    expect(model.docString).toMatch(/output action float32\[batch, 3\]: the greedy action: the mean clipped to the action bounds \(from the file's record/);
  });

  it('a Gaussian policy without known bounds: the action is the mean, and the doc_string says so', async () => {
    const record = { obsDim: 2, nActions: 2, hidden: [8], activation: 'relu', dueling: false, quantiles: 1, layerNorm: false, policy: 'actor-critic', env: 'my-unregistered-env', algorithm: 'ppo', actionSpace: 'box' } as NetworkRecord;
    const bytes = exportCaseFile({ name: 'unbounded', record, obsScale: 1 });
    const exported = buildOnnxExport(bytes, { fileName: 'free.npz' });
    const model = onnx.ModelProto.decode(exported.model);
    expect(model.docString).toMatch(/note: the action is the Gaussian mean unclipped: free\.npz records no action bounds .* its env 'my-unregistered-env' is not a registered Box env/);
    const observations = randomObservations(ROWS, 2, 3);
    const out = await runModel(exported.model, observations, ROWS);
    expect(Array.from(out.action.data as Float32Array)).toEqual(Array.from(out.mean.data as Float32Array));
  });

  it('a Box with an unbounded side: the record says null there, the model clips the other side only', async () => {
    const record = { obsDim: 2, nActions: 1, hidden: [8], activation: 'relu', dueling: false, quantiles: 1, layerNorm: false, policy: 'actor-critic', env: 'my-half-box', algorithm: 'ppo', actionSpace: 'box', actionLow: [-Infinity], actionHigh: [0.25] } as NetworkRecord;
    const exported = buildOnnxExport(exportCaseFile({ name: 'half-box', record, obsScale: 3 }), { fileName: 'half.npz' });
    const out = await runModel(exported.model, randomObservations(ROWS, 2, 3), ROWS);
    const means = Array.from(out.mean.data as Float32Array);
    expect(Math.min(...means)).toBeLessThan(-0.25);
    expect(Math.max(...means)).toBeGreaterThan(0.25);
    expect(Array.from(out.action.data as Float32Array)).toEqual(means.map((m) => Math.min(m, 0.25)));
  });

  it('ties pick the first index, as the engine', async () => {
    // A zero head with biases (0.1, 0.7, 0.7): every row's Q-values are tied between actions 1 and 2.
    const record = { obsDim: 3, nActions: 3, hidden: [4], activation: 'relu', dueling: false, quantiles: 1, layerNorm: false, policy: 'q-network', env: 'x', algorithm: 'dqn', actionSpace: 'discrete' } as NetworkRecord;
    const shapes = networkWeightShapes(record, 3, 3);
    const arrays = [new Float64Array(12).fill(0.3), new Float64Array(4), new Float64Array(12), Float64Array.from([0.1, 0.7, 0.7])];
    const bytes = encodeWeightsNpz(arrays, shapes, record);
    const observations = randomObservations(8, 3, 1);
    const out = await runModel(exportOnnx(bytes), observations, 8);
    const ref = await engineOutputs(bytes, observations, 8, null);
    expect(Array.from(out.action.data as BigInt64Array, Number)).toEqual(ref.actions);
    expect(ref.actions).toEqual(new Array(8).fill(1));
  });
});

describe('a file that is not a policy is refused, naming the file and why', () => {
  const record = { obsDim: 4, nActions: 2, hidden: [8], activation: 'relu', dueling: false, quantiles: 1, layerNorm: false, policy: 'q-network', env: 'CartPole-v1' } as NetworkRecord;
  const cases: [string, Uint8Array, RegExp][] = [
    ['a text file', new TextEncoder().encode('hello, not a zip\n'), /^notes\.txt: not a zip archive/],
    ['a checkpoint', encodeCheckpoint({ arrays: { a: new Float32Array([1]) }, meta: { format: 'x' } }), /^run\/checkpoint\.zip: this is a checkpoint, not a policy's weights file/],
    ['an npz with no arrays', writeNpz({}), /^empty\.npz: not a policy: it holds no arrays and no 'network' record/],
    ['an npz of other arrays', writeNpz({ x: { dtype: '<f8', shape: [2], data: new Float64Array(2) } }), /^other\.npz: not a weights file: it holds 'x\.npy'/],
    [
      'wrong shapes',
      encodeWeightsNpz([new Float64Array(4 * 8), new Float64Array(8), new Float64Array(8 * 3), new Float64Array(3)], [[4, 8], [1, 8], [8, 3], [1, 3]], { ...record }),
      /^shapes\.npz: arr_2 has shape \(8, 3\), the network needs \(8, 2\)/,
    ],
    ['a single W', encodeWeightsNpz([new Float64Array(8), new Float64Array(2)], [[4, 2], [1, 2]]), /^single\.npz: not a policy: it holds 2 array\(s\) without a W \(in, out\) per layer/],
  ];
  const names: Record<string, string> = { 'a text file': 'notes.txt', 'a checkpoint': 'run/checkpoint.zip', 'an npz with no arrays': 'empty.npz', 'an npz of other arrays': 'other.npz', 'wrong shapes': 'shapes.npz', 'a single W': 'single.npz' };
  for (const [what, bytes, message] of cases) {
    it(what, () => {
      expect(() => exportOnnx(bytes, { fileName: names[what] })).toThrow(message);
    });
  }
});
