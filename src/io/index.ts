/** Browser-safe file formats: NumPy .npy/.npz, MLP weight files, checkpoints, PNG and GIF. */
export {
  NPY_DTYPES,
  dtypeOf,
  fromTypedArray,
  ndarray,
  readNpy,
  readNpyHeader,
  shapeSize,
  writeNpy,
  type NdArray,
  type NpyData,
  type NpyDataOf,
  type NpyDType,
  type NpyHeader,
} from './npy.js';
export { readNpz, writeNpz, type NpzEntry, type NpzWriteOptions } from './npz.js';
export { decodeMlpWeightsNpz, encodeMlpWeightsNpz, type DenseWeights, type MlpWeightsWriteOptions } from './mlp-weights.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  decodeCheckpoint,
  encodeCheckpoint,
  openCheckpoint,
  readCheckpointArrays,
  type Checkpoint,
  type CheckpointWriteOptions,
  type DecodedCheckpoint,
  type JsonValue,
  type OpenedCheckpoint,
} from './checkpoint.js';
export { decodePng, encodePng, type PngOptions, type RgbaImage } from './png.js';
export { encodeGif, encodeGifAsync, GifWriter, type GifOptions } from './gif.js';
export { crc32 } from './crc32.js';
