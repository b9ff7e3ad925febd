/**
 * MLP weights in numpy-rl-engine's .npz layout: `np.savez(file, *params)` with params
 * `[W1, b1, W2, b2, ...]`, so entries `arr_0, arr_1, ...`; each W shaped (in, out), row-major,
 * each b shaped (1, out) (numpy-rl-engine) or (out,) (both read). Browser-safe.
 */
import { formatShape, InvalidArgumentError, ShapeError } from '../errors.js';
import type { NdArray } from './npy.js';
import { readNpz, writeNpz } from './npz.js';

/**
 * The entry of a weights .npz that describes the network (JSON bytes, see rl/weights-file.ts);
 * not a parameter, so layer readers skip it.
 */
export const WEIGHTS_META_ENTRY = 'network';

/** One dense layer: y = x W + b with W (inputs, outputs) row-major and b of length outputs. */
export interface DenseWeights {
  inputs: number;
  outputs: number;
  /** inputs * outputs values, row i holding the weights from input i. */
  weight: Float32Array | Float64Array;
  /** outputs values. */
  bias: Float32Array | Float64Array;
}

/** Options for {@link encodeMlpWeightsNpz}. */
export interface MlpWeightsWriteOptions {
  /** Element type in the file (default '<f8', as numpy-rl-engine saves). */
  dtype?: '<f4' | '<f8';
  /** 'row' writes b as (1, out) like numpy-rl-engine (default); 'flat' writes (out,). */
  biasShape?: 'row' | 'flat';
  /** Deflate the entries (default false, like np.savez). */
  compress?: boolean;
}

/** Encodes layers as numpy-rl-engine's weights .npz (arr_0 = W1, arr_1 = b1, ...). */
export function encodeMlpWeightsNpz(layers: readonly DenseWeights[], options: MlpWeightsWriteOptions = {}): Uint8Array {
  const dtype = options.dtype ?? '<f8';
  const arrays: NdArray[] = [];
  layers.forEach((layer, k) => {
    if (layer.weight.length !== layer.inputs * layer.outputs) {
      throw new ShapeError(`layer ${k + 1}: weight has ${layer.weight.length} values, expected ${layer.inputs}x${layer.outputs}`);
    }
    if (layer.bias.length !== layer.outputs) {
      throw new ShapeError(`layer ${k + 1}: bias has ${layer.bias.length} values, expected ${layer.outputs}`);
    }
    const convert = (src: Float32Array | Float64Array) => (dtype === '<f8' ? Float64Array.from(src) : Float32Array.from(src));
    arrays.push({ dtype, shape: [layer.inputs, layer.outputs], data: convert(layer.weight) } as NdArray);
    const biasShape = options.biasShape === 'flat' ? [layer.outputs] : [1, layer.outputs];
    arrays.push({ dtype, shape: biasShape, data: convert(layer.bias) } as NdArray);
  });
  return writeNpz(arrays, { compress: options.compress });
}

/**
 * Decodes a weights .npz (float32 or float64; biases (out,) or (1, out)) into float64 layers,
 * checking that consecutive layers chain (outputs of one = inputs of the next).
 */
export function decodeMlpWeightsNpz(bytes: Uint8Array, fileName = 'weights.npz'): DenseWeights[] {
  const entries = readNpz(bytes, fileName);
  entries.delete(WEIGHTS_META_ENTRY);
  const count = entries.size;
  if (count === 0 || count % 2 !== 0) {
    throw new InvalidArgumentError(`${fileName}: expected pairs W, b as arr_0..arr_{2L-1}, found ${count} entries`);
  }
  const layers: DenseWeights[] = [];
  for (let k = 0; k < count / 2; k++) {
    const w = entry(entries, `arr_${2 * k}`, fileName);
    const b = entry(entries, `arr_${2 * k + 1}`, fileName);
    if (w.shape.length !== 2) {
      throw new ShapeError(`${fileName}: arr_${2 * k} (W${k + 1}) must be 2-D (in, out), got ${formatShape(w.shape)}`);
    }
    const [inputs, outputs] = w.shape;
    const biasOk =
      (b.shape.length === 1 && b.shape[0] === outputs) || (b.shape.length === 2 && b.shape[0] === 1 && b.shape[1] === outputs);
    if (!biasOk) {
      throw new ShapeError(
        `${fileName}: arr_${2 * k + 1} (b${k + 1}) must be (${outputs},) or (1, ${outputs}), got ${formatShape(b.shape)}`,
      );
    }
    const previous = layers[k - 1];
    if (previous && previous.outputs !== inputs) {
      throw new ShapeError(`${fileName}: W${k + 1} takes ${inputs} inputs but layer ${k} gives ${previous.outputs}`);
    }
    layers.push({ inputs, outputs, weight: Float64Array.from(w.data as Float64Array), bias: Float64Array.from(b.data as Float64Array) });
  }
  return layers;
}

function entry(entries: Map<string, NdArray>, name: string, fileName: string): NdArray {
  const array = entries.get(name);
  if (!array) {
    throw new InvalidArgumentError(`${fileName}: missing entry '${name}' (found: ${[...entries.keys()].join(', ')})`);
  }
  if (array.dtype !== '<f4' && array.dtype !== '<f8') {
    throw new InvalidArgumentError(`${fileName}: entry '${name}' has dtype ${array.dtype}, expected float32 or float64`);
  }
  return array;
}
