/**
 * The policy runtime (`webgpu-rl-engine/policy`) given what is not a policy: a page or program
 * loads files it did not make, so each is refused with an error that names the file and the
 * reason, and a hostile archive costs no more than a plain refusal (the engine's reader refuses
 * zip bombs before inflating them: at most 1 s and 100 MB here). Rows in docs/reliability.md.
 */
import { describe, expect, it } from 'vitest';
import { encodeCheckpoint } from '../src/io/checkpoint.js';
import { writeNpz } from '../src/io/npz.js';
import { loadPolicy } from '../src/policy/index.js';
import { measure } from './support/peak-memory.js';
import { network, writeWeights } from './support/policy-files.js';
import { BOMB_KINDS, inflatingEntry, overlappingEntries } from './support/zip-bombs.js';

const MAX_MS = 1000;
const MAX_PEAK_GROWTH_MIB = 100;

/** The message loadPolicy throws for `bytes`, or null when it loads. */
function refusal(bytes: Uint8Array, fileName: string): string | null {
  try {
    loadPolicy(bytes, fileName);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('loadPolicy and files that are not policies', () => {
  it('[policy-not-a-policy] a checkpoint, another .npz, a file that is not a zip: the file and what it is', () => {
    const checkpoint = encodeCheckpoint({ arrays: { a: new Float32Array([1]) }, meta: { kind: 'x' } });
    expect(refusal(checkpoint, 'checkpoint.zip')).toMatch(/^checkpoint\.zip: this is a checkpoint/);
    const dataset = writeNpz({ x: { dtype: '<f4', shape: [3], data: new Float32Array(3) } });
    expect(refusal(dataset, 'dataset.npz')).toBe("dataset.npz: not a weights file: it holds 'x.npy'; a weights file holds arr_0.npy, arr_1.npy, ... (each layer's W and b) and network.npy");
    expect(refusal(new TextEncoder().encode('<html>'), 'index.html')).toBe('index.html: not a zip archive (.npz files are zips of .npy files)');
  });

  it('[policy-non-finite-weights] a file whose weights hold NaN (a diverged run written by another tool): the entry and the index', () => {
    const { arrays } = writeWeights(network('CartPole-v1', { hidden: [8] }), 'dqn', 1);
    const nan = arrays.map((a) => Float64Array.from(a));
    nan[0][3] = Number.NaN;
    const shapes: [number, number][] = [[4, 8], [1, 8], [8, 2], [1, 2]];
    const bytes = writeNpz(nan.map((data, i) => ({ dtype: '<f8' as const, shape: shapes[i], data })));
    expect(refusal(bytes, 'diverged.npz')).toBe('diverged.npz: arr_0 holds NaN at index 3: weights must be finite (a diverged run\'s?)');
  });

  it('[policy-zip-bomb] a weights file whose entry inflates to 1 GB (each kind), or whose arrays share one 256 MB stream: refused within 1 s and 100 MB', () => {
    const { bytes } = writeWeights(network('CartPole-v1', { hidden: [8] }), 'dqn', 2);
    const bombs: Record<string, Uint8Array> = Object.fromEntries(BOMB_KINDS.map((kind) => [`bomb-${kind}.npz`, inflatingEntry(bytes, 'arr_0.npy', kind)]));
    bombs['shared.npz'] = overlappingEntries(bytes, ['arr_0.npy', 'arr_1.npy', 'arr_2.npy', 'arr_3.npy'], 256);
    for (const [name, bomb] of Object.entries(bombs)) {
      const { value, ms, peakGrowthMiB } = measure(() => refusal(bomb, name));
      expect(value, name).toMatch(new RegExp(`^${name.replace('.', '\\.')}: `));
      expect(ms, name).toBeLessThan(MAX_MS);
      expect(peakGrowthMiB, name).toBeLessThan(MAX_PEAK_GROWTH_MIB);
    }
  });

  it('[policy-wrong-observation] an observation of the wrong length: how many values it needs and got', () => {
    const policy = loadPolicy(writeWeights(network('Pendulum-v1', { policy: 'actor-critic', hidden: [8] }), 'ppo', 3).bytes, 'pendulum.npz');
    expect(() => policy.act([0, 1])).toThrow('policy: 1 observation of 3 values need 3 values, got 2 values');
    expect(() => policy.actBatch(new Float32Array(7), 2)).toThrow('policy: 2 observations of 3 values need 6 values, got 7 values');
  });
});
