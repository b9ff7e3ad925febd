/**
 * .npz files crossing between this engine and NumPy: written here and checked by numpy.load in
 * a python3 subprocess, and written by np.savez / np.savez_compressed and read here. The
 * committed fixture covers machines without NumPy.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeMlpWeightsNpz, encodeMlpWeightsNpz } from '../src/io/mlp-weights.js';
import type { NdArray } from '../src/io/npy.js';
import { readNpz, writeNpz } from '../src/io/npz.js';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'npz-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function python(script: string): string {
  return execFileSync('python3', ['-c', script], { encoding: 'utf8' });
}

/** The fixture's formula (see test/fixtures/make-numpy-rl-engine-weights.py). */
function fixtureWeight(k: number, i: number, j: number): number {
  return (((31 * i + 17 * j + 7 * k) % 23) - 11) / 16;
}
function fixtureBias(k: number, j: number): number {
  return (((5 * j + 3 * k) % 13) - 6) / 32;
}

describe('the committed numpy-rl-engine fixture (no NumPy needed)', () => {
  it('loads as a 4-64-64-2 float64 MLP with the values NumPy wrote', () => {
    const bytes = readFileSync(new URL('./fixtures/numpy-rl-engine-weights.npz', import.meta.url));
    const layers = decodeMlpWeightsNpz(bytes, 'numpy-rl-engine-weights.npz');
    expect(layers.map((l) => [l.inputs, l.outputs])).toEqual([[4, 64], [64, 64], [64, 2]]);
    layers.forEach((layer, index) => {
      const k = index + 1;
      for (let i = 0; i < layer.inputs; i++) {
        for (let j = 0; j < layer.outputs; j++) expect(layer.weight[i * layer.outputs + j]).toBe(fixtureWeight(k, i, j));
      }
      for (let j = 0; j < layer.outputs; j++) expect(layer.bias[j]).toBe(fixtureBias(k, j));
    });
    const raw = readNpz(bytes);
    expect([...raw.keys()]).toEqual(['arr_0', 'arr_1', 'arr_2', 'arr_3', 'arr_4', 'arr_5']);
    expect(raw.get('arr_1')!.shape).toEqual([1, 64]);
  });
});

describe.skipIf(!hasNumpy)('numpy interop (python3 with numpy)', () => {
  it('numpy.load reads every dtype we write, stored and compressed, with equal values', () => {
    const arrays: Record<string, NdArray> = {
      f4: { dtype: '<f4', shape: [2, 3], data: new Float32Array([1.5, -2.25, 3e38, -0, 1e-45, 0.1]) },
      f8: { dtype: '<f8', shape: [3, 2], data: new Float64Array([Math.PI, -Math.E, 1e308, 5e-324, -1, 0.1]) },
      i4: { dtype: '<i4', shape: [4], data: new Int32Array([-2147483648, -7, 7, 2147483647]) },
      i8: { dtype: '<i8', shape: [1, 2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
      u1: { dtype: '|u1', shape: [3], data: new Uint8Array([0, 128, 255]) },
      b1: { dtype: '|b1', shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) },
      scalar: { dtype: '<f8', shape: [], data: new Float64Array([2.5]) },
    };
    for (const compress of [false, true]) {
      const path = join(dir, `ours-${compress}.npz`);
      writeFileSync(path, writeNpz(arrays, { compress }));
      const out = python(`
import json, numpy as np
d = np.load(${JSON.stringify(path)})
print(json.dumps({k: [d[k].dtype.str, list(d[k].shape), [repr(v) for v in d[k].ravel().tolist()]] for k in d.files}))
`);
      const seen = JSON.parse(out) as Record<string, [string, number[], string[]]>;
      expect(Object.keys(seen)).toEqual(Object.keys(arrays));
      expect(seen.f4[0]).toBe('<f4');
      expect(seen.f4[2].map(Number)).toEqual(Array.from(arrays.f4.data as Float32Array));
      expect(seen.f8[1]).toEqual([3, 2]);
      expect(seen.f8[2].map(Number)).toEqual(Array.from(arrays.f8.data as Float64Array));
      expect(seen.i4[2]).toEqual(['-2147483648', '-7', '7', '2147483647']);
      expect(seen.i8[2]).toEqual(['-9223372036854775808', '9223372036854775807']);
      expect(seen.u1[2]).toEqual(['0', '128', '255']);
      expect(seen.b1).toEqual(['|b1', [2, 2], ['True', 'False', 'False', 'True']]);
      expect(seen.scalar).toEqual(['<f8', [], ['2.5']]);
    }
  });

  it('numpy reads our MLP weights as arr_0..arr_5 (float64, W (in, out), b (1, out))', () => {
    const layers = [
      { inputs: 4, outputs: 8, weight: Float64Array.from({ length: 32 }, (_, i) => i / 7 - 2), bias: Float64Array.from({ length: 8 }, (_, i) => -i / 3) },
      { inputs: 8, outputs: 2, weight: Float64Array.from({ length: 16 }, (_, i) => Math.sin(i)), bias: new Float64Array([0.1, -0.2]) },
    ];
    const path = join(dir, 'dqn_weights.npz');
    writeFileSync(path, encodeMlpWeightsNpz(layers));
    const out = python(`
import json, numpy as np
d = np.load(${JSON.stringify(path)})
print(json.dumps({k: [d[k].dtype.str, list(d[k].shape), d[k].ravel().tolist()] for k in d.files}))
`);
    const seen = JSON.parse(out) as Record<string, [string, number[], number[]]>;
    expect(Object.keys(seen)).toEqual(['arr_0', 'arr_1', 'arr_2', 'arr_3']);
    expect(seen.arr_0.slice(0, 2)).toEqual(['<f8', [4, 8]]);
    expect(seen.arr_1.slice(0, 2)).toEqual(['<f8', [1, 8]]);
    expect(seen.arr_0[2]).toEqual(Array.from(layers[0].weight));
    expect(seen.arr_2[2]).toEqual(Array.from(layers[1].weight));
    expect(seen.arr_3[2]).toEqual([0.1, -0.2]);
  });

  it('reads what np.savez and np.savez_compressed write: float64 weights, (out,) and (1, out) biases, odd layouts', () => {
    const savez = join(dir, 'np-savez.npz');
    const compressed = join(dir, 'np-compressed.npz');
    const misc = join(dir, 'np-misc.npz');
    const expected = JSON.parse(
      python(`
import json, numpy as np
rng = np.random.default_rng(0)
params = [rng.standard_normal((4, 64)), rng.standard_normal((1, 64)), rng.standard_normal((64, 64)),
          rng.standard_normal(64), rng.standard_normal((64, 2)), rng.standard_normal((1, 2))]
np.savez(${JSON.stringify(savez)}, *params)
np.savez_compressed(${JSON.stringify(compressed)}, *params)
np.savez(${JSON.stringify(misc)}, big=np.arange(6, dtype='>f8').reshape(2, 3), fort=np.asfortranarray(np.arange(24, dtype=np.int32).reshape(2, 3, 4)),
         b=np.array([True, False, True]), i8=np.array([-5, 2**40], dtype=np.int64), u1=np.arange(3, dtype=np.uint8), f4=np.array([0.1, -2.5], dtype=np.float32))
print(json.dumps([p.ravel().tolist() for p in params]))
`),
    ) as number[][];
    for (const path of [savez, compressed]) {
      const layers = decodeMlpWeightsNpz(readFileSync(path), path);
      expect(layers.map((l) => [l.inputs, l.outputs])).toEqual([[4, 64], [64, 64], [64, 2]]);
      layers.forEach((layer, k) => {
        expect(Array.from(layer.weight)).toEqual(expected[2 * k]);
        expect(Array.from(layer.bias)).toEqual(expected[2 * k + 1]);
      });
    }
    const m = readNpz(readFileSync(misc), misc);
    expect(m.get('big')!.dtype).toBe('<f8');
    expect(Array.from(m.get('big')!.data as Float64Array)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(m.get('fort')!.shape).toEqual([2, 3, 4]);
    expect(Array.from(m.get('fort')!.data as Int32Array)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(m.get('b')).toEqual({ dtype: '|b1', shape: [3], data: new Uint8Array([1, 0, 1]) });
    expect(Array.from(m.get('i8')!.data as BigInt64Array)).toEqual([-5n, 2n ** 40n]);
    expect(m.get('u1')!.dtype).toBe('|u1');
    expect(m.get('f4')!.data).toEqual(new Float32Array([0.1, -2.5]));
  });
});
