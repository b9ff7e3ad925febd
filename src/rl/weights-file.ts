/**
 * Q-network weights as a NumPy .npz, the format numpy-rl-engine uses: `np.savez(file, *params)`,
 * entries arr_0, arr_1, ... = W1, b1, W2, b2, ... with W shaped (in, out) and b (1, out), float64.
 * Reading accepts float32 or float64 and biases shaped (out,) or (1, out), and checks every shape
 * against the network before anything is overwritten. Browser-safe (no Node APIs).
 */
import type { FloatArray } from '../backend/backend.js';
import { InvalidArgumentError, ShapeError, formatShape } from '../errors.js';
import type { NdArray } from '../io/npy.js';
import { readNpz, writeNpz } from '../io/npz.js';

/** Encodes parameter arrays (flat, row-major) with their (rows, cols) shapes. */
export function encodeWeightsNpz(arrays: readonly FloatArray[], shapes: readonly (readonly [number, number])[]): Uint8Array {
  if (arrays.length !== shapes.length) throw new ShapeError(`encodeWeightsNpz: ${arrays.length} arrays but ${shapes.length} shapes`);
  const entries: NdArray[] = arrays.map((data, i) => {
    const [rows, cols] = shapes[i];
    if (data.length !== rows * cols) throw new ShapeError(`encodeWeightsNpz: arr_${i} has ${data.length} values, shape ${formatShape([rows, cols])} needs ${rows * cols}`);
    return { dtype: '<f8', shape: [rows, cols], data: Float64Array.from(data) } as NdArray;
  });
  return writeNpz(entries);
}

/**
 * Decodes weights for a network whose parameters have `shapes` (W (in, out), b (1, out)), in
 * order. Errors name the file, the entry and both shapes.
 */
export function decodeWeightsNpz(bytes: Uint8Array, shapes: readonly (readonly [number, number])[], fileName: string): Float64Array[] {
  const entries = readNpz(bytes, fileName);
  const expected = shapes.map(([r, c]) => formatShape([r, c])).join(', ');
  if (entries.size !== shapes.length) {
    throw new ShapeError(`${fileName}: holds ${entries.size} arrays, the network needs ${shapes.length} [${expected}]`);
  }
  return shapes.map(([rows, cols], i) => {
    const name = `arr_${i}`;
    const array = entries.get(name);
    if (!array) throw new InvalidArgumentError(`${fileName}: no entry ${name}; entries are ${[...entries.keys()].join(', ')}`);
    if (array.dtype !== '<f8' && array.dtype !== '<f4') {
      throw new InvalidArgumentError(`${fileName}: ${name} has dtype ${array.dtype}; weights must be float32 or float64`);
    }
    const s = array.shape;
    const matches = (s.length === 2 && s[0] === rows && s[1] === cols) || (rows === 1 && s.length === 1 && s[0] === cols);
    if (!matches) {
      throw new ShapeError(`${fileName}: ${name} has shape ${formatShape(s)}, the network needs ${formatShape([rows, cols])} (all: [${expected}])`);
    }
    return Float64Array.from(array.data as Float32Array | Float64Array);
  });
}

/**
 * Hidden layer widths of a plain-MLP Q-network saved as `bytes` (W1 (obs, h1), b1, W2 (h1, h2),
 * ..., the last W's width being the action count), read from the W shapes; null when the file
 * holds fewer than two weight matrices (nothing to infer). Dueling files are not handled.
 */
export function inferMlpHiddenWidths(bytes: Uint8Array, fileName: string): number[] | null {
  const entries = readNpz(bytes, fileName);
  const widths: number[] = [];
  for (let i = 0; i < entries.size; i += 2) {
    const w = entries.get(`arr_${i}`);
    if (w && w.shape.length === 2) widths.push(w.shape[1]);
  }
  return widths.length >= 2 ? widths.slice(0, -1) : null;
}
