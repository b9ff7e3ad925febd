/**
 * NumPy .npy format (versions 1.0, 2.0 and 3.0) read and write, browser-safe.
 *
 * Arrays are held as {@link NdArray}: C-order data in a typed array of the platform's (little)
 * byte order. Reading converts big-endian data and Fortran-order layouts to that form, so the
 * caller never sees either.
 */
import { formatShape, InvalidArgumentError, ShapeError } from '../errors.js';

/** The dtypes we read and write, spelt as NumPy's `descr` for little-endian data. */
export const NPY_DTYPES = ['<f4', '<f8', '|i1', '<i2', '<i4', '<i8', '|u1', '<u2', '<u4', '<u8', '|b1'] as const;
export type NpyDType = (typeof NPY_DTYPES)[number];

/** The typed array that holds each dtype's elements. Booleans are bytes that are 0 or 1. */
export interface NpyDataOf {
  '<f4': Float32Array;
  '<f8': Float64Array;
  '|i1': Int8Array;
  '<i2': Int16Array;
  '<i4': Int32Array;
  '<i8': BigInt64Array;
  '|u1': Uint8Array;
  '<u2': Uint16Array;
  '<u4': Uint32Array;
  '<u8': BigUint64Array;
  '|b1': Uint8Array;
}

export type NpyData = NpyDataOf[NpyDType];

/** An n-dimensional array in C (row-major) order; `data.length` is the product of `shape`. */
export interface NdArray<D extends NpyDType = NpyDType> {
  dtype: D;
  shape: number[];
  data: NpyDataOf[D];
}

interface DTypeInfo {
  size: number;
  make: (buffer: ArrayBuffer) => NpyData;
}

const INFO: Record<NpyDType, DTypeInfo> = {
  '<f4': { size: 4, make: (b) => new Float32Array(b) },
  '<f8': { size: 8, make: (b) => new Float64Array(b) },
  '|i1': { size: 1, make: (b) => new Int8Array(b) },
  '<i2': { size: 2, make: (b) => new Int16Array(b) },
  '<i4': { size: 4, make: (b) => new Int32Array(b) },
  '<i8': { size: 8, make: (b) => new BigInt64Array(b) },
  '|u1': { size: 1, make: (b) => new Uint8Array(b) },
  '<u2': { size: 2, make: (b) => new Uint16Array(b) },
  '<u4': { size: 4, make: (b) => new Uint32Array(b) },
  '<u8': { size: 8, make: (b) => new BigUint64Array(b) },
  '|b1': { size: 1, make: (b) => new Uint8Array(b) },
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Number of elements a shape holds (1 for a scalar shape `[]`). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Makes an NdArray after checking that the shape is valid and matches the data length. */
export function ndarray<D extends NpyDType>(dtype: D, shape: readonly number[], data: NpyDataOf[D]): NdArray<D> {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`ndarray: bad shape ${formatShape(shape)}`);
  }
  if (shapeSize(shape) !== data.length) {
    throw new ShapeError(`ndarray: shape ${formatShape(shape)} holds ${shapeSize(shape)} elements, data has ${data.length}`);
  }
  const expected = INFO[dtype].make(new ArrayBuffer(0)).constructor;
  if (data.constructor !== expected) {
    throw new InvalidArgumentError(`ndarray: dtype ${dtype} needs a ${expected.name}, got a ${data.constructor.name}`);
  }
  return { dtype, shape: [...shape], data };
}

/** The .npy dtype that matches a typed array (Uint8Array maps to '|u1'). */
export function dtypeOf(data: NpyData): NpyDType {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof BigInt64Array) return '<i8';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Uint32Array) return '<u4';
  if (data instanceof BigUint64Array) return '<u8';
  return '|u1';
}

/** Wraps a typed array as an NdArray of the matching dtype; shape defaults to 1-D. */
export function fromTypedArray(data: NpyData, shape: readonly number[] = [data.length]): NdArray {
  return ndarray(dtypeOf(data), shape, data);
}

/** Serialises an array as a .npy file (version 1.0, or 2.0 when the header needs it). */
export function writeNpy(array: NdArray): Uint8Array {
  const info = INFO[array.dtype];
  if (!info) throw new InvalidArgumentError(`writeNpy: unsupported dtype '${String(array.dtype)}'`);
  if (shapeSize(array.shape) !== array.data.length) {
    throw new ShapeError(`writeNpy: shape ${formatShape(array.shape)} does not match ${array.data.length} elements`);
  }
  const header = writeNpyHeader(array.dtype, array.shape);
  const total = header.length;
  const dataBytes = array.data.length * info.size;
  const out = new Uint8Array(total + dataBytes);
  out.set(header, 0);
  const src = array.data;
  out.set(new Uint8Array(src.buffer, src.byteOffset, dataBytes), total);
  if (array.dtype === '|b1') {
    for (let i = 0; i < src.length; i++) out[total + i] = src[i] ? 1 : 0;
  }
  return out;
}

/** The header of a .npy file holding a C-order array of `dtype` and `shape` (its data follows it). */
export function writeNpyHeader(dtype: NpyDType, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let version = 1;
  let prefix = 10;
  let total = align64(prefix + dict.length + 1);
  if (total - prefix > 0xffff) {
    version = 2;
    prefix = 12;
    total = align64(prefix + dict.length + 1);
  }
  const headerLength = total - prefix;
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  for (let i = 0; i < dict.length; i++) out[prefix + i] = dict.charCodeAt(i);
  for (let i = prefix + dict.length; i < total - 1; i++) out[i] = 0x20;
  out[total - 1] = 0x0a;
  return out;
}

function align64(n: number): number {
  return Math.ceil(n / 64) * 64;
}

/** Parsed header of a .npy file. */
export interface NpyHeader {
  /** The descr as written, e.g. '>f8'. */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
  version: [number, number];
}

/**
 * The bytes a .npy file's header takes (magic, version, length and text: where the data starts),
 * from the file's first 12 bytes; null when they do not start a .npy file of a version we read.
 */
export function npyHeaderBytes(first: Uint8Array): number | null {
  if (first.length < 10 || MAGIC.some((m, i) => first[i] !== m)) return null;
  if (first[6] === 1) return 10 + (first[8] | (first[9] << 8));
  if ((first[6] === 2 || first[6] === 3) && first.length >= 12) return 12 + (first[8] | (first[9] << 8) | (first[10] << 16)) + first[11] * 2 ** 24;
  return null;
}

/** Parses the header of a .npy file; `what` names the file or zip entry in error messages. */
export function readNpyHeader(bytes: Uint8Array, what = 'npy'): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new InvalidArgumentError(`${what}: not a .npy file (bad magic)`);
  }
  const major = bytes[6];
  const minor = bytes[7];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let prefix: number;
  let headerLength: number;
  if (major === 1) {
    prefix = 10;
    headerLength = view.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new InvalidArgumentError(`${what}: truncated header`);
    prefix = 12;
    headerLength = view.getUint32(8, true);
  } else {
    throw new InvalidArgumentError(`${what}: unsupported .npy version ${major}.${minor}`);
  }
  if (prefix + headerLength > bytes.length) throw new InvalidArgumentError(`${what}: truncated header`);
  let text = '';
  for (let i = prefix; i < prefix + headerLength; i++) text += String.fromCharCode(bytes[i]);
  if (major === 3) text = new TextDecoder().decode(bytes.subarray(prefix, prefix + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) {
    throw new InvalidArgumentError(`${what}: malformed header ${JSON.stringify(text.trim())}`);
  }
  const dims = shape[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s.replace(/L$/, '')));
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InvalidArgumentError(`${what}: bad shape (${shape[1]}) in header`);
  }
  return { descr: descr[1], fortranOrder: fortran[1] === 'True', shape: dims, dataOffset: prefix + headerLength, version: [major, minor] };
}

/** Maps a descr as found in files ('>f8', '=i4', '|b1', '<u1', 'f8'...) to ours and its byte order. */
function normaliseDescr(descr: string, what: string): { dtype: NpyDType; bigEndian: boolean } {
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(descr);
  const unsupported = (): never => {
    throw new InvalidArgumentError(
      `${what}: unsupported dtype '${descr}' (supported: f4, f8, i1, i2, i4, i8, u1, u2, u4, u8, b1, either byte order)`,
    );
  };
  if (!m) return unsupported();
  const [, order, kind, sizeText] = m;
  const size = Number(sizeText);
  let dtype: NpyDType | undefined;
  if (kind === 'f' && (size === 4 || size === 8)) dtype = `<f${size}` as NpyDType;
  else if ((kind === 'i' || kind === 'u') && size === 1) dtype = `|${kind}1` as NpyDType;
  else if ((kind === 'i' || kind === 'u') && [2, 4, 8].includes(size)) dtype = `<${kind}${size}` as NpyDType;
  else if (kind === 'b' && size === 1) dtype = '|b1';
  if (!dtype) return unsupported();
  return { dtype, bigEndian: order === '>' && size > 1 };
}

/** A .npy header with its dtype resolved, and the length of the file its dtype and shape imply. */
export interface NpyArrayHeader extends NpyHeader {
  dtype: NpyDType;
  /** Whether the data is big-endian ('>'), to be swapped when read. */
  bigEndian: boolean;
  /** Bytes of the whole file: the header and exactly the data its dtype and shape need. */
  byteLength: number;
}

/** Parses a .npy header and resolves its dtype; refuses dtypes we do not read and shapes no file could hold. */
export function readNpyArrayHeader(bytes: Uint8Array, what = 'npy'): NpyArrayHeader {
  const header = readNpyHeader(bytes, what);
  const { dtype, bigEndian } = normaliseDescr(header.descr, what);
  const byteLength = header.dataOffset + shapeSize(header.shape) * INFO[dtype].size;
  if (!Number.isSafeInteger(byteLength)) {
    throw new InvalidArgumentError(`${what}: shape ${formatShape(header.shape)} of ${header.descr} is larger than any file can be`);
  }
  return { ...header, dtype, bigEndian, byteLength };
}

/** Reads a .npy file into a C-order, native-endian NdArray. `what` names the file in errors. */
export function readNpy(bytes: Uint8Array, what = 'npy'): NdArray {
  const header = readNpyArrayHeader(bytes, what);
  const { dtype, bigEndian } = header;
  const info = INFO[dtype];
  const need = header.byteLength - header.dataOffset;
  const available = bytes.length - header.dataOffset;
  if (available < need) {
    throw new InvalidArgumentError(
      `${what}: truncated data: shape ${formatShape(header.shape)} of ${header.descr} needs ${need} bytes, found ${available}`,
    );
  }
  // Uint8Array.prototype.slice copies also for a Node Buffer (whose own slice shares memory).
  const copy = Uint8Array.prototype.slice.call(bytes, header.dataOffset, header.dataOffset + need);
  if (bigEndian) swapBytes(copy, info.size);
  let data = info.make(copy.buffer);
  if (dtype === '|b1') for (let i = 0; i < data.length; i++) (data as Uint8Array)[i] = data[i] ? 1 : 0;
  if (header.fortranOrder && header.shape.length > 1) data = fortranToC(data, header.shape, info);
  return { dtype, shape: header.shape, data } as NdArray;
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Reorders column-major data of `shape` into row-major order. */
function fortranToC(src: NpyData, shape: readonly number[], info: DTypeInfo): NpyData {
  const n = src.length;
  const dst = info.make(new ArrayBuffer(n * info.size));
  const rank = shape.length;
  const fStride = new Array<number>(rank);
  let s = 1;
  for (let k = 0; k < rank; k++) {
    fStride[k] = s;
    s *= shape[k];
  }
  const index = new Array<number>(rank).fill(0);
  let f = 0;
  const from = src as unknown as ArrayLike<number | bigint> & { [i: number]: number | bigint };
  const to = dst as unknown as { [i: number]: number | bigint };
  for (let c = 0; c < n; c++) {
    to[c] = from[f];
    // Advance the C-order multi-index (last axis fastest), tracking the Fortran offset.
    for (let k = rank - 1; k >= 0; k--) {
      index[k]++;
      f += fStride[k];
      if (index[k] < shape[k]) break;
      f -= fStride[k] * shape[k];
      index[k] = 0;
    }
  }
  return dst;
}
