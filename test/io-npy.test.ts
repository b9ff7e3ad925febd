import { describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { readNpy, readNpyHeader, writeNpy, type NdArray } from '../src/io/npy.js';
import { readNpz, writeNpz } from '../src/io/npz.js';
import { decodeMlpWeightsNpz, encodeMlpWeightsNpz } from '../src/io/mlp-weights.js';

/** One array of every dtype with awkward values (extremes, negatives, NaN, -0). */
function everyDtype(): NdArray[] {
  return [
    { dtype: '<f4', shape: [2, 3], data: new Float32Array([1.5, -2.25, 3.4028234663852886e38, -0, NaN, 1e-45]) },
    { dtype: '<f8', shape: [3, 2], data: new Float64Array([Math.PI, -Math.E, Number.MAX_VALUE, 5e-324, -Infinity, NaN]) },
    { dtype: '|i1', shape: [4], data: new Int8Array([-128, -1, 0, 127]) },
    { dtype: '<i2', shape: [2, 2], data: new Int16Array([-32768, -1, 1, 32767]) },
    { dtype: '<i4', shape: [5], data: new Int32Array([-2147483648, -7, 0, 7, 2147483647]) },
    { dtype: '<i8', shape: [1, 3], data: new BigInt64Array([-(2n ** 63n), 42n, 2n ** 63n - 1n]) },
    { dtype: '|u1', shape: [3], data: new Uint8Array([0, 128, 255]) },
    { dtype: '<u2', shape: [2], data: new Uint16Array([0, 65535]) },
    { dtype: '<u4', shape: [2], data: new Uint32Array([0, 4294967295]) },
    { dtype: '<u8', shape: [2], data: new BigUint64Array([0n, 2n ** 64n - 1n]) },
    { dtype: '|b1', shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) },
    { dtype: '<f8', shape: [], data: new Float64Array([7]) },
    { dtype: '<f4', shape: [0, 3], data: new Float32Array(0) },
  ];
}

function values(array: NdArray): (number | bigint)[] {
  return Array.from(array.data as ArrayLike<number | bigint>);
}

function expectSameArray(actual: NdArray | undefined, expected: NdArray): void {
  expect(actual).toBeDefined();
  expect(actual!.dtype).toBe(expected.dtype);
  expect(actual!.shape).toEqual(expected.shape);
  expect(actual!.data.constructor).toBe(expected.data.constructor);
  // Object.is semantics: NaN equals NaN, -0 differs from 0.
  expect(Array.from(actual!.data as ArrayLike<number | bigint>)).toEqual(Array.from(expected.data as ArrayLike<number | bigint>));
}

/** Builds a .npy file by hand, as another writer (NumPy on a big-endian machine, say) would. */
function handMadeNpy(descr: string, fortran: boolean, shape: string, payload: Uint8Array, version = 1): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;
  const prefix = version === 1 ? 10 : 12;
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const out = new Uint8Array(total + payload.length).fill(0x20);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, total - prefix, true);
  else view.setUint32(8, total - prefix, true);
  for (let i = 0; i < dict.length; i++) out[prefix + i] = dict.charCodeAt(i);
  out[total - 1] = 0x0a;
  out.set(payload, total);
  return out;
}

describe('npy', () => {
  it('round-trips every dtype, including a scalar and an empty array', () => {
    for (const array of everyDtype()) expectSameArray(readNpy(writeNpy(array)), array);
  });

  it('writes version 1.0 headers padded to 64 bytes and ending in a newline', () => {
    const bytes = writeNpy({ dtype: '<f8', shape: [4, 64], data: new Float64Array(256) });
    const header = readNpyHeader(bytes);
    expect(header.version).toEqual([1, 0]);
    expect(header.dataOffset % 64).toBe(0);
    expect(bytes[header.dataOffset - 1]).toBe(0x0a);
    expect(header.shape).toEqual([4, 64]);
    expect(header.descr).toBe('<f8');
  });

  it('switches to version 2.0 when the header outgrows 64 KiB', () => {
    const shape = new Array<number>(25000).fill(1);
    const bytes = writeNpy({ dtype: '|u1', shape, data: new Uint8Array([9]) });
    expect(bytes[6]).toBe(2);
    const back = readNpy(bytes);
    expect(back.shape.length).toBe(25000);
    expect(back.data[0]).toBe(9);
  });

  it('reads headers of version 2.0 and 3.0 written by other tools', () => {
    const payload = new Uint8Array(new Float64Array([4, 5]).buffer);
    for (const version of [2, 3]) {
      const a = readNpy(handMadeNpy('<f8', false, '(2,)', payload, version));
      expect(values(a)).toEqual([4, 5]);
    }
  });

  it('reads big-endian data of every width', () => {
    const be = new DataView(new ArrayBuffer(8 * 3));
    [1.5, -2, 1e300].forEach((v, i) => be.setFloat64(i * 8, v, false));
    expect(values(readNpy(handMadeNpy('>f8', false, '(3,)', new Uint8Array(be.buffer))))).toEqual([1.5, -2, 1e300]);
    const b4 = new DataView(new ArrayBuffer(8));
    b4.setFloat32(0, 0.25, false);
    b4.setFloat32(4, -8, false);
    expect(values(readNpy(handMadeNpy('>f4', false, '(2,)', new Uint8Array(b4.buffer))))).toEqual([0.25, -8]);
    const i4 = new DataView(new ArrayBuffer(8));
    i4.setInt32(0, -5, false);
    i4.setInt32(4, 123456789, false);
    expect(values(readNpy(handMadeNpy('>i4', false, '(2,)', new Uint8Array(i4.buffer))))).toEqual([-5, 123456789]);
    const i8 = new DataView(new ArrayBuffer(8));
    i8.setBigInt64(0, -77n, false);
    const r = readNpy(handMadeNpy('>i8', false, '(1,)', new Uint8Array(i8.buffer)));
    expect(r.dtype).toBe('<i8');
    expect(r.data[0]).toBe(-77n);
  });

  it('transposes Fortran-order arrays into C order on read (2-D and 3-D)', () => {
    // Column-major storage of [[0, 1, 2], [3, 4, 5]] is 0, 3, 1, 4, 2, 5.
    const f2 = new Float64Array([0, 3, 1, 4, 2, 5]);
    const a = readNpy(handMadeNpy('<f8', true, '(2, 3)', new Uint8Array(f2.buffer)));
    expect(a.shape).toEqual([2, 3]);
    expect(values(a)).toEqual([0, 1, 2, 3, 4, 5]);
    // 3-D: element (i, j, k) = 100 i + 10 j + k, stored with i fastest.
    const shape = [2, 3, 4];
    const f3 = new Int32Array(24);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) f3[i + 2 * (j + 3 * k)] = 100 * i + 10 * j + k;
    const b = readNpy(handMadeNpy('<i4', true, '(2, 3, 4)', new Uint8Array(f3.buffer)));
    expect(b.shape).toEqual(shape);
    expect(b.data[1 * 12 + 2 * 4 + 3]).toBe(123);
    expect(b.data[0 * 12 + 1 * 4 + 2]).toBe(12);
  });

  it('normalises other spellings of the same dtype', () => {
    expect(readNpy(handMadeNpy('|u1', false, '(1,)', new Uint8Array([7]))).dtype).toBe('|u1');
    expect(readNpy(handMadeNpy('<u1', false, '(1,)', new Uint8Array([7]))).dtype).toBe('|u1');
    expect(readNpy(handMadeNpy('=i4', false, '(1,)', new Uint8Array([1, 0, 0, 0]))).data[0]).toBe(1);
    expect(readNpy(handMadeNpy('|b1', false, '(2,)', new Uint8Array([0, 2]))).data[1]).toBe(1);
  });

  it('rejects bad files with messages that name the entry and the problem', () => {
    expect(() => readNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'x.npy')).toThrow(/x\.npy: not a \.npy file \(bad magic\)/);
    expect(() => readNpy(handMadeNpy('<c16', false, '(1,)', new Uint8Array(16)), 'c.npy')).toThrow(/c\.npy: unsupported dtype '<c16'/);
    expect(() => readNpy(handMadeNpy('<U5', false, '(1,)', new Uint8Array(20)), 's.npy')).toThrow(/unsupported dtype '<U5'/);
    expect(() => readNpy(handMadeNpy('<f8', false, '(4,)', new Uint8Array(16)), 't.npy')).toThrow(
      /t\.npy: truncated data: shape \(4,\) of <f8 needs 32 bytes, found 16/,
    );
    const bad = handMadeNpy('<f8', false, '(1,)', new Uint8Array(8));
    bad[6] = 9;
    expect(() => readNpy(bad, 'v.npy')).toThrow(/unsupported \.npy version 9\.0/);
  });
});

describe('npz', () => {
  it('round-trips every dtype, stored and deflated', () => {
    const arrays = everyDtype();
    const named = Object.fromEntries(arrays.map((a, i) => [`a${i}`, a]));
    for (const compress of [false, true]) {
      const back = readNpz(writeNpz(named, { compress }));
      expect([...back.keys()]).toEqual(Object.keys(named));
      arrays.forEach((a, i) => expectSameArray(back.get(`a${i}`), a));
    }
  });

  it('names a positional list arr_0, arr_1, ... like np.savez(file, *arrays)', () => {
    const arrays = everyDtype().slice(0, 3);
    const back = readNpz(writeNpz(arrays));
    expect([...back.keys()]).toEqual(['arr_0', 'arr_1', 'arr_2']);
  });

  it('stores entries uncompressed by default and deflates when asked', () => {
    const big: NdArray = { dtype: '<f8', shape: [1000], data: new Float64Array(1000) };
    const stored = writeNpz({ z: big });
    const deflated = writeNpz({ z: big }, { compress: true });
    expect(stored.length).toBeGreaterThan(8000);
    expect(deflated.length).toBeLessThan(1000);
    // Local file header: compression method at offset 8 (0 stored, 8 deflate); name 'z.npy'.
    expect(stored[8]).toBe(0);
    expect(deflated[8]).toBe(8);
    expect(new TextDecoder().decode(stored.subarray(30, 35))).toBe('z.npy');
    // Same arrays, same bytes.
    expect(writeNpz({ z: big })).toEqual(stored);
  });

  it('rejects non-zips, single .npy files, corrupt zips and bad entries clearly', () => {
    expect(() => readNpz(new TextEncoder().encode('hello world'), 'w.npz')).toThrow(/w\.npz: not a zip archive/);
    const npy = writeNpy({ dtype: '<f4', shape: [1], data: new Float32Array([1]) });
    expect(() => readNpz(npy, 'one.npz')).toThrow(/one\.npz: this is a single \.npy file/);
    const good = writeNpz({ a: { dtype: '<f8', shape: [100], data: new Float64Array(100).fill(1) } });
    expect(() => readNpz(good.subarray(0, good.length - 30), 'cut.npz')).toThrow(/cut\.npz: corrupt or truncated zip/);
    const badEntry = zipSync({ 'w.npy': new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) }, { level: 0 });
    expect(() => readNpz(badEntry, 'e.npz')).toThrow(/e\.npz: entry 'w\.npy': not a \.npy file \(bad magic\)/);
    const shortEntry = zipSync({ 'w.npy': npy.subarray(0, npy.length - 2) }, { level: 0 });
    expect(() => readNpz(shortEntry, 's.npz')).toThrow(/s\.npz: entry 'w\.npy': truncated data/);
    const complex = zipSync({ 'c.npy': handMadeNpy('<c8', false, '(1,)', new Uint8Array(8)) }, { level: 0 });
    expect(() => readNpz(complex, 'c.npz')).toThrow(/c\.npz: entry 'c\.npy': unsupported dtype '<c8'/);
  });
});

describe('MLP weights in numpy-rl-engine layout', () => {
  const layers = [
    { inputs: 2, outputs: 3, weight: new Float64Array([1, 2, 3, 4, 5, 6]), bias: new Float64Array([0.5, -0.5, 0]) },
    { inputs: 3, outputs: 1, weight: new Float32Array([0.25, -1, 2]), bias: new Float32Array([3]) },
  ];

  it('writes arr_0..arr_3 as float64 with W (in, out) and b (1, out), and reads them back', () => {
    const bytes = encodeMlpWeightsNpz(layers);
    const raw = readNpz(bytes);
    expect([...raw.keys()]).toEqual(['arr_0', 'arr_1', 'arr_2', 'arr_3']);
    expect(raw.get('arr_0')!.shape).toEqual([2, 3]);
    expect(raw.get('arr_1')!.shape).toEqual([1, 3]);
    expect(raw.get('arr_2')!.dtype).toBe('<f8');
    const back = decodeMlpWeightsNpz(bytes);
    expect(back.map((l) => [l.inputs, l.outputs])).toEqual([[2, 3], [3, 1]]);
    expect(Array.from(back[0].weight)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(back[1].bias)).toEqual([3]);
  });

  it('reads (out,) biases and float32 files too', () => {
    const back = decodeMlpWeightsNpz(encodeMlpWeightsNpz(layers, { biasShape: 'flat', dtype: '<f4' }));
    expect(Array.from(back[0].bias)).toEqual([0.5, -0.5, 0]);
    expect(back[1].weight[0]).toBe(0.25);
  });

  it('rejects layers that do not chain or biases of the wrong shape', () => {
    const broken = writeNpz([
      { dtype: '<f8', shape: [2, 3], data: new Float64Array(6) },
      { dtype: '<f8', shape: [1, 3], data: new Float64Array(3) },
      { dtype: '<f8', shape: [4, 1], data: new Float64Array(4) },
      { dtype: '<f8', shape: [1], data: new Float64Array(1) },
    ]);
    expect(() => decodeMlpWeightsNpz(broken, 'b.npz')).toThrow(/b\.npz: W2 takes 4 inputs but layer 1 gives 3/);
    const badBias = writeNpz([
      { dtype: '<f8', shape: [2, 3], data: new Float64Array(6) },
      { dtype: '<f8', shape: [3, 1], data: new Float64Array(3) },
    ]);
    expect(() => decodeMlpWeightsNpz(badBias, 'c.npz')).toThrow(/arr_1 \(b1\) must be \(3,\) or \(1, 3\), got \(3, 1\)/);
    const odd = writeNpz([{ dtype: '<f8', shape: [2, 3], data: new Float64Array(6) }]);
    expect(() => decodeMlpWeightsNpz(odd, 'o.npz')).toThrow(/found 1 entries/);
    const ints = writeNpz([
      { dtype: '<i4', shape: [1, 1], data: new Int32Array(1) },
      { dtype: '<f8', shape: [1], data: new Float64Array(1) },
    ]);
    expect(() => decodeMlpWeightsNpz(ints, 'i.npz')).toThrow(/entry 'arr_0' has dtype <i4/);
  });
});
