/**
 * The policy runtime (src/policy, `webgpu-rl-engine/policy`) against the engine: for every network
 * the engine writes (DQN with each hidden activation, dueling, QR-DQN, PQN's LayerNorm network,
 * PPO's categorical and Gaussian actors with observation statistics, numpy-rl-engine's record-less
 * file), a real weights file written by the engine's writer from random weights is played by
 * loadPolicy and by the engine's greedy forward pass (playableNetwork on the CPU backend, its WASM
 * kernels) on 64 random observations: outputs within 1e-5 relative (test/support/relative-error.ts),
 * Discrete actions identical, Box actions as close and on the same bounds where clipped. Then the
 * refusals (each names the file and the reason), buffer reuse, and the bundle: no training code,
 * and its size.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activation } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { encodeCheckpoint } from '../src/io/checkpoint.js';
import { readNpz, writeNpz } from '../src/io/npz.js';
import { loadPolicy, type Policy } from '../src/policy/index.js';
import { argmaxRow } from '../src/rl/network-layout.js';
import { playableNetwork } from '../src/rl/playable-network.js';
import { Box } from '../src/envs/spaces.js';
import { encodeWeightsNpz, networkRecord, networkWeightShapes, trainedBy } from '../src/rl/weights-file.js';
import { bundle, measurePolicySize, POLICY_ENTRY } from '../scripts/policy-size.js';
import { ensurePolicyBuilt, network, observations, writeWeights, type Written } from './support/policy-files.js';
import { relativeError } from './support/relative-error.js';

const root = resolve(import.meta.dirname, '..');
const ROWS = 64;
const TOLERANCE = 1e-5;

let backend: CpuBackend;
beforeAll(() => {
  backend = new CpuBackend();
});
afterAll(() => backend.destroy());

/** The engine's greedy outputs and actions for `obs` (the CPU backend, as --mode eval plays the file). */
async function engineOutputs(w: Written, obs: Float32Array): Promise<{ outputs: Float32Array; actions: number[] }> {
  const played = playableNetwork(backend, w.network, w.obsDim, w.nActions, w.box);
  played.setWeights(w.arrays);
  const outputs = Float32Array.from(await played.qValuesBatch(obs, ROWS));
  played.dispose();
  const actions: number[] = [];
  const clipped = new Float32Array(w.nActions);
  for (let r = 0; r < ROWS; r++) {
    if (w.box === null) actions.push(argmaxRow(outputs, r * w.nActions, w.nActions));
    else {
      w.box.clipInto(outputs, r * w.nActions, clipped, 0);
      actions.push(...clipped);
    }
  }
  return { outputs, actions };
}


/** Plays `w` with the runtime, one observation at a time and as a batch, and compares with the engine. */
async function compare(w: Written, seed: number, fileName = 'w.npz'): Promise<{ policy: Policy; error: number }> {
  const obs = observations(w.obsDim, seed);
  const policy = loadPolicy(w.bytes, fileName);
  const expected = await engineOutputs(w, obs);
  const single = new Float32Array(ROWS * w.nActions);
  const singleActions: number[] = [];
  for (let r = 0; r < ROWS; r++) {
    const row = obs.subarray(r * w.obsDim, (r + 1) * w.obsDim);
    single.set(policy.outputs(row), r * w.nActions);
    const action = policy.act(row);
    if (typeof action === 'number') singleActions.push(action);
    else singleActions.push(...action);
  }
  const batch = Float32Array.from(policy.outputsBatch(obs, ROWS));
  const batchActions = Array.from(policy.actBatch(obs, ROWS));
  const error = Math.max(relativeError(single, expected.outputs), relativeError(batch, expected.outputs));
  expect(error).toBeLessThanOrEqual(TOLERANCE);
  if (w.box === null) {
    expect(singleActions).toEqual(expected.actions);
    expect(batchActions).toEqual(expected.actions);
  } else {
    // Box actions are the outputs clipped: as close as the outputs, and exactly the bound wherever the engine's is.
    const atBound = (actions: number[]) => actions.map((a, i) => (a === w.box!.low[i % w.nActions] || a === w.box!.high[i % w.nActions] ? a : null));
    for (const actions of [singleActions, batchActions]) {
      expect(relativeError(actions, expected.actions)).toBeLessThanOrEqual(TOLERANCE);
      expect(atBound(actions)).toEqual(atBound(expected.actions));
    }
  }
  errors.push([`${w.network.policy} ${fileName}`, error]);
  return { policy, error };
}

/** Every comparison's worst error, printed at the end (for the report). */
const errors: [string, number][] = [];
afterAll(() => console.log(`policy runtime vs engine, worst relative error per file: ${errors.map(([what, e]) => `${what} ${e.toExponential(2)}`).join(', ')}`));

describe('loadPolicy plays every network the engine writes as the engine does', () => {
  const hiddenActivations: Activation[] = ['identity', 'relu', 'leaky_relu', 'tanh', 'sigmoid', 'softmax'];
  for (const [i, activation] of hiddenActivations.entries()) {
    it(`a DQN Q-network with ${activation} hidden layers: its Q-values and greedy action`, async () => {
      const w = writeWeights(network('CartPole-v1', { activation }), 'dqn', 10 + i);
      const { policy } = await compare(w, 100 + i, `dqn-${activation}.npz`);
      expect(policy).toMatchObject({ actionSpace: 'discrete', obsDim: 4, nActions: 2, network: { activation, algorithm: 'dqn', actionSpace: 'discrete' } });
    });
  }

  it('a dueling Q-network (V + A - mean A)', async () => {
    const w = writeWeights(network('Acrobot-v1', { dueling: true, activation: 'tanh', hidden: [32, 16] }), 'dqn', 20);
    const { policy } = await compare(w, 200, 'dueling.npz');
    expect(policy).toMatchObject({ obsDim: 6, nActions: 3, network: { dueling: true } });
  });

  it("QR-DQN: each action's mean over its quantiles", async () => {
    const w = writeWeights(network('CartPole-v1', { quantiles: 25, hidden: [48] }), 'dqn', 21);
    const { policy } = await compare(w, 201, 'qr-dqn.npz');
    expect(policy.outputs(new Float32Array(4))).toHaveLength(2);
    expect(policy.network.quantiles).toBe(25);
  });

  it("PQN: Dense -> LayerNorm -> relu with the record's normEps", async () => {
    const w = writeWeights(network('MountainCar-v0', { layerNorm: true, hidden: [64, 64] }), 'pqn', 22);
    const { policy } = await compare(w, 202, 'pqn.npz');
    expect(policy).toMatchObject({ obsDim: 2, nActions: 3, network: { layerNorm: true, algorithm: 'pqn' } });
  });

  it("PPO on Discrete actions: the argmax of the actor's logits (the critic unused)", async () => {
    const w = writeWeights(network('CartPole-v1', { policy: 'actor-critic', activation: 'tanh', hidden: [64, 64] }), 'ppo', 23);
    const { policy } = await compare(w, 203, 'ppo-cartpole.npz');
    expect(policy).toMatchObject({ actionSpace: 'discrete', nActions: 2, network: { policy: 'actor-critic' } });
  });

  it("PPO on Box actions with observation statistics: the actor's mean, clipped to the bounds its record holds", async () => {
    const w = writeWeights(network('Pendulum-v1', { policy: 'actor-critic', activation: 'tanh', hidden: [16, 16], normalizeObservation: true }), 'ppo', 24, 8);
    const { policy } = await compare(w, 204, 'ppo-pendulum.npz');
    if (policy.actionSpace !== 'box') throw new Error('expected a Box policy');
    expect(Array.from(policy.actionLow ?? [])).toEqual([-2]);
    expect(Array.from(policy.actionHigh ?? [])).toEqual([2]);
    // The weights make means beyond the bounds for some observations: the clipping is exercised.
    const means = policy.outputsBatch(observations(3, 204, 6), ROWS);
    expect(Math.max(...means.map(Math.abs))).toBeGreaterThan(2);
    const actions = policy.actBatch(observations(3, 204, 6), ROWS);
    expect(Math.max(...actions.map(Math.abs))).toBe(2);
  });

  it('PPO on MountainCarContinuous-v0: relu, no statistics, its own bounds', async () => {
    const w = writeWeights(network('MountainCarContinuous-v0', { policy: 'actor-critic', activation: 'relu', hidden: [8], normalizeObservation: false }), 'ppo', 25);
    const { policy } = await compare(w, 205, 'ppo-mcc.npz');
    expect(policy).toMatchObject({ actionSpace: 'box', obsDim: 2, nActions: 1, network: { actionLow: [-1], actionHigh: [1] } });
  });

  it('a Box with an unbounded side: the record holds null there (JSON has no infinity) and reads back as an infinity; only the bounded side clips', () => {
    const w = writeWeights(network('Pendulum-v1', { policy: 'actor-critic', activation: 'tanh', hidden: [16] }), 'ppo', 27, 8);
    const shapes = networkWeightShapes(w.network, 3, 1, true);
    const bytes = encodeWeightsNpz(w.arrays, shapes, networkRecord(w.network, 3, 1, trainedBy('ppo', new Box([-Infinity], [0.5]))));
    expect(JSON.parse(new TextDecoder().decode(readNpz(bytes, 'half.npz').get('network')?.data as Uint8Array))).toMatchObject({ actionLow: [null], actionHigh: [0.5] });
    const policy = loadPolicy(bytes, 'half.npz');
    if (policy.actionSpace !== 'box') throw new Error('expected a Box policy');
    expect([Array.from(policy.actionLow ?? []), Array.from(policy.actionHigh ?? [])]).toEqual([[-Infinity], [0.5]]);
    const obs = observations(3, 208, 6);
    const means = Float32Array.from(policy.outputsBatch(obs, ROWS));
    expect(Math.min(...means)).toBeLessThan(-2);
    expect(Array.from(policy.actBatch(obs, ROWS))).toEqual(Array.from(means, (m) => Math.min(m, 0.5)));
  });

  it('a Box-action file from before the bounds were recorded: loaded, its means played unclipped', async () => {
    const w = writeWeights(network('Pendulum-v1', { policy: 'actor-critic', activation: 'tanh', hidden: [16] }), 'ppo', 26, 8);
    const shapes = networkWeightShapes(w.network, 3, 1, true);
    const old = encodeWeightsNpz(w.arrays, shapes, networkRecord(w.network, 3, 1, { algorithm: 'ppo', actionSpace: 'box' }));
    const policy = loadPolicy(old, 'old.npz');
    if (policy.actionSpace !== 'box') throw new Error('expected a Box policy');
    expect([policy.actionLow, policy.actionHigh, policy.network.actionLow]).toEqual([null, null, undefined]);
    const obs = observations(3, 207, 6);
    const means = Float32Array.from(policy.outputsBatch(obs, ROWS));
    expect(Math.max(...means.map(Math.abs))).toBeGreaterThan(2);
    expect(Array.from(policy.actBatch(obs, ROWS))).toEqual(Array.from(means));
    // The same weights with the bounds recorded: clipped.
    expect(Math.max(...loadPolicy(w.bytes, 'new.npz').actBatch(obs, ROWS).map(Math.abs))).toBe(2);
  });

  it("numpy-rl-engine's file (no record): a relu MLP with the widths of its W shapes", async () => {
    const bytes = new Uint8Array(readFileSync(join(root, 'test/fixtures/numpy-rl-engine-weights.npz')));
    const arrays = [...readNpz(bytes).values()].map((a) => a.data as Float64Array);
    const w: Written = { bytes, arrays, network: network('CartPole-v1', { hidden: [64, 64] }), obsDim: 4, nActions: 2, box: null };
    const { policy } = await compare(w, 206, 'numpy-rl-engine-weights.npz');
    expect(policy.network).toEqual({ obsDim: 4, nActions: 2, hidden: [64, 64], activation: 'relu', dueling: false, quantiles: 1, layerNorm: false, policy: 'q-network' });
  });
});

describe('loadPolicy refuses what is not a policy, naming the file and the reason', () => {
  const good = () => writeWeights(network('CartPole-v1', {}), 'dqn', 30);

  it('a checkpoint, another archive, a file that is not a zip, a truncated file', () => {
    const checkpoint = encodeCheckpoint({ arrays: { a: new Float32Array([1]) }, meta: { kind: 'x' } });
    expect(() => loadPolicy(checkpoint, 'run/checkpoint.zip')).toThrow(/^run\/checkpoint\.zip: this is a checkpoint/);
    const other = writeNpz({ images: { dtype: '<f4', shape: [2], data: new Float32Array(2) } });
    expect(() => loadPolicy(other, 'data.npz')).toThrow(/^data\.npz: not a weights file: it holds 'images\.npy'/);
    expect(() => loadPolicy(new TextEncoder().encode('hello'), 'notes.txt')).toThrow(/^notes\.txt: not a zip archive/);
    const bytes = good().bytes;
    expect(() => loadPolicy(bytes.subarray(0, bytes.length - 30), 'cut.npz')).toThrow(/^cut\.npz: corrupt or truncated zip/);
  });

  it('arrays that do not fit the record, non-finite weights, a bad record, a record-less file without hidden layers', () => {
    const { arrays } = good();
    const record = new TextEncoder().encode(JSON.stringify({ format: 'webgpu-rl-engine-q-network', version: 1, obsDim: 4, nActions: 2, hidden: [32, 24], activation: 'relu', dueling: false }));
    const entries = (values: Float64Array[], shapes: [number, number][], json: Uint8Array = record) => {
      const out: Record<string, { dtype: '<f8' | '|u1'; shape: number[]; data: Float64Array | Uint8Array }> = {};
      values.forEach((data, i) => (out[`arr_${i}`] = { dtype: '<f8', shape: shapes[i], data }));
      out.network = { dtype: '|u1', shape: [json.length], data: json };
      return writeNpz(out as never);
    };
    const shapes = networkWeightShapes(network('CartPole-v1', {}), 4, 2);
    expect(() => loadPolicy(entries(arrays, shapes.map(([r, c]) => [c, r])), 'swapped.npz')).toThrow(/^swapped\.npz: arr_0 has shape \(32, 4\), the network needs \(4, 32\)/);
    const nan = arrays.map((a) => Float64Array.from(a));
    nan[2][5] = Number.NaN;
    expect(() => loadPolicy(entries(nan, shapes), 'nan.npz')).toThrow(/^nan\.npz: arr_2 holds NaN at index 5: weights must be finite/);
    const badBounds = new TextEncoder().encode(JSON.stringify({ format: 'webgpu-rl-engine-q-network', version: 1, obsDim: 4, nActions: 2, hidden: [32, 24], activation: 'relu', dueling: false, actionSpace: 'box', actionLow: [-1], actionHigh: [1, 1] }));
    expect(() => loadPolicy(entries(arrays, shapes, badBounds), 'bounds.npz')).toThrow(/^bounds\.npz: its 'network' entry field 'actionLow' must be a list of 2 numbers, or null for an unbounded side/);
    const crossed = new TextEncoder().encode(JSON.stringify({ format: 'webgpu-rl-engine-q-network', version: 1, obsDim: 4, nActions: 2, hidden: [32, 24], activation: 'relu', dueling: false, actionSpace: 'box', actionLow: [-1, 2], actionHigh: [1, 1] }));
    expect(() => loadPolicy(entries(arrays, shapes, crossed), 'crossed.npz')).toThrow(/^crossed\.npz: its 'network' entry field 'actionLow' exceeds 'actionHigh' at index 1 \(2 > 1\)/);
    const linear = writeNpz([{ dtype: '<f8', shape: [4, 2], data: new Float64Array(8) }, { dtype: '<f8', shape: [1, 2], data: new Float64Array(2) }]);
    expect(() => loadPolicy(linear, 'linear.npz')).toThrow(/^linear\.npz: records no network and its arrays are not an MLP's/);
  });

  it("takes an ArrayBuffer (fetch's) as well as a Uint8Array, and names what it got otherwise", () => {
    const { bytes } = good();
    const copy = bytes.slice().buffer;
    expect(loadPolicy(copy, 'w.npz').act([0.1, 0.2, 0.3, 0.4])).toBe(loadPolicy(bytes, 'w.npz').act([0.1, 0.2, 0.3, 0.4]));
    expect(() => loadPolicy([1, 2] as unknown as Uint8Array, 'w.npz')).toThrow("w.npz: loadPolicy takes the file's bytes (a Uint8Array or an ArrayBuffer), got Array");
    expect(() => loadPolicy('w.npz' as unknown as Uint8Array)).toThrow("weights.npz: loadPolicy takes the file's bytes (a Uint8Array or an ArrayBuffer), got string");
  });

  it('observations of the wrong length or batch size', () => {
    const policy = loadPolicy(good().bytes, 'w.npz');
    expect(() => policy.act([1, 2, 3])).toThrow(/^policy: 1 observation of 4 values need 4 values, got 3 values$/);
    expect(() => policy.actBatch(new Float32Array(8), 3)).toThrow(/^policy: 3 observations of 4 values need 12 values, got 8 values$/);
    expect(() => policy.outputsBatch(new Float32Array(8), 0)).toThrow(/^policy: 0 observations/);
  });
});

describe('acting reuses its buffers', () => {
  it('the same arrays per batch size after the first call, each call overwriting them', () => {
    const w = writeWeights(network('Pendulum-v1', { policy: 'actor-critic', hidden: [8], normalizeObservation: true }), 'ppo', 40);
    const policy = loadPolicy(w.bytes, 'w.npz');
    if (policy.actionSpace !== 'box') throw new Error('expected a Box policy');
    const first = policy.act([1, 0, 0]);
    const kept = Float32Array.from(first);
    const second = policy.act([0, 1, 3]);
    expect(second).toBe(first);
    expect(Array.from(policy.act([1, 0, 0]))).toEqual(Array.from(kept));
    expect(policy.outputs([1, 0, 0])).toBe(policy.outputs([0, 0, 0]));
    expect(policy.actBatch(new Float32Array(6), 2)).toBe(policy.actBatch(new Float32Array(6), 2));
    expect(policy.actBatch(new Float32Array(6), 2)).not.toBe(first);
  });
});

describe('acting allocates nothing once warm', () => {
  // A child process with a tiny young generation (--max-semi-space-size=1): one boxed number per call would force scavenges.
  const probe = join(root, 'test', 'support', 'policy-gc-probe.ts');
  for (const kind of ['pqn', 'ppo'] as const) {
    it(`${kind}: 50000 calls of act and actBatch cause no garbage collection`, () => {
      const run = spawnSync(process.execPath, ['--max-semi-space-size=1', '--expose-gc', '--import', 'tsx', probe, kind], { cwd: root, encoding: 'utf8', timeout: 120_000 });
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ kind, collections: 0, calls: 50000, finite: true });
    });
  }
});

describe("the bundle of 'webgpu-rl-engine/policy'", () => {
  beforeAll(() => ensurePolicyBuilt());

  it('holds none of the training code: no backend object, WASM, trainer, env or layer module, nothing of Node', async () => {
    const { text, inputs } = await bundle(POLICY_ENTRY);
    const sources = inputs.filter((path) => !path.includes('node_modules/') && path !== 'entry.js');
    expect(sources.every((path) => path.startsWith('dist/'))).toBe(true);
    const training = sources.filter((path) => /dist\/(backend\/(wasm|webgpu)\/|backend\/cpu\/(cpu-backend|wasm-ops|cpu-ops)|nn\/|cli\/|web\/|envs\/(registry|env|cartpole|pendulum|vector)|rl\/(.*-trainer|.*-agent|q-network|dqn-|replay|playable))/.test(path));
    expect(training, sources.join(' ')).toEqual([]);
    expect(inputs.filter((path) => path.includes('node_modules/')).map((path) => path.replace(/.*node_modules\/([^/]+)\/.*/, '$1'))).toEqual(['fflate']);
    for (const name of ['DqnTrainer', 'PpoTrainer', 'WebAssembly', 'CartPole', 'createBackend', 'require(']) expect(text).not.toContain(name);
  });

  it('is under 14 KB gzipped with fflate, 11 KB without', async () => {
    const size = await measurePolicySize();
    console.log(`policy runtime bundle: ${JSON.stringify(size)}`);
    expect(size.policy.gzip).toBeLessThan(14 * 1024);
    expect(size.runtime.gzip).toBeLessThan(11 * 1024);
    expect(size.fflateInflate.gzip).toBeLessThan(size.policy.gzip - size.runtime.gzip + 200);
  });
});

describe("import from 'webgpu-rl-engine/policy' in Node (the built package)", () => {
  let dir: string;
  beforeAll(() => {
    ensurePolicyBuilt();
    dir = mkdtempSync(join(root, '.policy-example-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs docs/policy-runtime.md's Node example on a file the engine wrote", () => {
    const doc = readFileSync(join(root, 'docs/policy-runtime.md'), 'utf8');
    const block = /^## In Node\s+[\s\S]*?```js\n([\s\S]*?)```/m.exec(doc);
    if (block === null) throw new Error('docs/policy-runtime.md has no ```js block under "## In Node"');
    const w = writeWeights(network('CartPole-v1', { hidden: [16] }), 'dqn', 50);
    writeFileSync(join(dir, 'cartpole.npz'), w.bytes);
    writeFileSync(join(dir, 'example.mjs'), block[1]);
    const r = spawnSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const policy = loadPolicy(w.bytes, 'cartpole.npz');
    const expected = policy.act([0.01, -0.02, 0.03, 0.04]);
    expect(r.stdout).toBe(`action ${expected}\n`);
  });
});
