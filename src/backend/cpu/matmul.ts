/**
 * CPU matrix multiply, out (m, n) = op(a) (m, k) @ op(b) (k, n), for the four transpose cases
 * without materialising a transpose: one register-tiled kernel reads op(a)(i, p) at
 * a[i * aRow + p * aCol] and op(b)(p, j) at b[p * bRow + j * bCol], so a transpose only swaps
 * strides. Each pass computes a 4 x 4 tile of out in 16 local accumulators (float64), loading
 * four values of op(a) and four of op(b) per step of p: 16 multiply-adds per 8 loads, with every
 * load stream sequential or of a fixed stride. The k dimension is cut into blocks of K_BLOCK and
 * the columns into blocks of N_BLOCK so the panel of op(b) being reused stays in cache.
 * Sums run in float64 and are rounded when stored into `out`: once per k block, so at most
 * ceil(k / K_BLOCK) float32 roundings per element (4 at k = 1024), far inside a float32 device's
 * own summation error.
 */
import type { FloatArray } from '../backend.js';
import type { MatmulCall } from '../backend-base.js';

/** Depth of a k block: a 4 x K_BLOCK slice of op(a) (4 KiB in float32) stays in L1. */
const K_BLOCK = 256;
/** Width of a column block: a K_BLOCK x N_BLOCK panel of op(b) (256 KiB in float32) stays in L2. */
const N_BLOCK = 256;

/** A matmul (backend-base.ts's MatmulCall) on the operands' storage arrays. */
export interface MatmulArgs extends MatmulCall {
  a: FloatArray;
  b: FloatArray;
  out: FloatArray;
}

/** out = op(a) op(b) (or += with accumulate). a, b and out must not alias. */
export function matmul(args: MatmulArgs): void {
  const { a, b, out, m, k, n, transA, transB, accumulate } = args;
  const aRow = transA ? 1 : k;
  const aCol = transA ? m : 1;
  const bRow = transB ? 1 : n;
  const bCol = transB ? k : 1;
  if (k === 0) {
    if (!accumulate) out.fill(0, 0, m * n);
    return;
  }
  for (let p0 = 0; p0 < k; p0 += K_BLOCK) {
    const p1 = Math.min(k, p0 + K_BLOCK);
    // The first k block overwrites out unless accumulating; later blocks add to it.
    const add = accumulate || p0 > 0;
    for (let j0 = 0; j0 < n; j0 += N_BLOCK) {
      const j1 = Math.min(n, j0 + N_BLOCK);
      const jTiles = j0 + ((j1 - j0) & ~3);
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        let j = j0;
        for (; j < jTiles; j += 4) tile4x4(a, b, out, i, j, p0, p1, n, aRow, aCol, bRow, bCol, add);
        for (; j < j1; j++) tile4x1(a, b, out, i, j, p0, p1, n, aRow, aCol, bRow, bCol, add);
      }
      for (; i < m; i++) {
        let j = j0;
        for (; j < jTiles; j += 4) tile1x4(a, b, out, i, j, p0, p1, n, aRow, aCol, bRow, bCol, add);
        for (; j < j1; j++) single(a, b, out, i, j, p0, p1, n, aRow, aCol, bRow, bCol, add);
      }
    }
  }
}

/** out[i..i+4, j..j+4] (+)= sum over p in [p0, p1) of op(a)(i.., p) op(b)(p, j..). */
function tile4x4(
  a: FloatArray,
  b: FloatArray,
  out: FloatArray,
  i: number,
  j: number,
  p0: number,
  p1: number,
  n: number,
  aRow: number,
  aCol: number,
  bRow: number,
  bCol: number,
  add: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let ap = i * aRow + p0 * aCol;
  let bp = p0 * bRow + j * bCol;
  const a1 = aRow;
  const a2 = 2 * aRow;
  const a3 = 3 * aRow;
  const b1 = bCol;
  const b2 = 2 * bCol;
  const b3 = 3 * bCol;
  for (let p = p0; p < p1; p++) {
    const x0 = a[ap];
    const x1 = a[ap + a1];
    const x2 = a[ap + a2];
    const x3 = a[ap + a3];
    const y0 = b[bp];
    const y1 = b[bp + b1];
    const y2 = b[bp + b2];
    const y3 = b[bp + b3];
    c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
    c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
    c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
    c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
    ap += aCol;
    bp += bRow;
  }
  let o = i * n + j;
  if (add) {
    out[o] += c00; out[o + 1] += c01; out[o + 2] += c02; out[o + 3] += c03; o += n;
    out[o] += c10; out[o + 1] += c11; out[o + 2] += c12; out[o + 3] += c13; o += n;
    out[o] += c20; out[o + 1] += c21; out[o + 2] += c22; out[o + 3] += c23; o += n;
    out[o] += c30; out[o + 1] += c31; out[o + 2] += c32; out[o + 3] += c33;
  } else {
    out[o] = c00; out[o + 1] = c01; out[o + 2] = c02; out[o + 3] = c03; o += n;
    out[o] = c10; out[o + 1] = c11; out[o + 2] = c12; out[o + 3] = c13; o += n;
    out[o] = c20; out[o + 1] = c21; out[o + 2] = c22; out[o + 3] = c23; o += n;
    out[o] = c30; out[o + 1] = c31; out[o + 2] = c32; out[o + 3] = c33;
  }
}

/** A 4 x 1 column tile: the right edge when n is not a multiple of 4 (e.g. 2 Q-values). */
function tile4x1(
  a: FloatArray,
  b: FloatArray,
  out: FloatArray,
  i: number,
  j: number,
  p0: number,
  p1: number,
  n: number,
  aRow: number,
  aCol: number,
  bRow: number,
  bCol: number,
  add: boolean,
): void {
  let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  let ap = i * aRow + p0 * aCol;
  let bp = p0 * bRow + j * bCol;
  const a1 = aRow;
  const a2 = 2 * aRow;
  const a3 = 3 * aRow;
  for (let p = p0; p < p1; p++) {
    const y = b[bp];
    c0 += a[ap] * y;
    c1 += a[ap + a1] * y;
    c2 += a[ap + a2] * y;
    c3 += a[ap + a3] * y;
    ap += aCol;
    bp += bRow;
  }
  const o = i * n + j;
  if (add) {
    out[o] += c0; out[o + n] += c1; out[o + 2 * n] += c2; out[o + 3 * n] += c3;
  } else {
    out[o] = c0; out[o + n] = c1; out[o + 2 * n] = c2; out[o + 3 * n] = c3;
  }
}

/** A 1 x 4 row tile: the bottom edge when m is not a multiple of 4 (e.g. a batch of 1). */
function tile1x4(
  a: FloatArray,
  b: FloatArray,
  out: FloatArray,
  i: number,
  j: number,
  p0: number,
  p1: number,
  n: number,
  aRow: number,
  aCol: number,
  bRow: number,
  bCol: number,
  add: boolean,
): void {
  let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  let ap = i * aRow + p0 * aCol;
  let bp = p0 * bRow + j * bCol;
  const b1 = bCol;
  const b2 = 2 * bCol;
  const b3 = 3 * bCol;
  for (let p = p0; p < p1; p++) {
    const x = a[ap];
    c0 += x * b[bp];
    c1 += x * b[bp + b1];
    c2 += x * b[bp + b2];
    c3 += x * b[bp + b3];
    ap += aCol;
    bp += bRow;
  }
  const o = i * n + j;
  if (add) {
    out[o] += c0; out[o + 1] += c1; out[o + 2] += c2; out[o + 3] += c3;
  } else {
    out[o] = c0; out[o + 1] = c1; out[o + 2] = c2; out[o + 3] = c3;
  }
}

/** One element of out: the corner that fits no tile. */
function single(
  a: FloatArray,
  b: FloatArray,
  out: FloatArray,
  i: number,
  j: number,
  p0: number,
  p1: number,
  n: number,
  aRow: number,
  aCol: number,
  bRow: number,
  bCol: number,
  add: boolean,
): void {
  let s = 0;
  let ap = i * aRow + p0 * aCol;
  let bp = p0 * bRow + j * bCol;
  for (let p = p0; p < p1; p++) {
    s += a[ap] * b[bp];
    ap += aCol;
    bp += bRow;
  }
  if (add) out[i * n + j] += s;
  else out[i * n + j] = s;
}
