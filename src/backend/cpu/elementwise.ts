/** Elementwise CPU kernels: fill, copy, scale, addMul, lerp. Results are rounded on store into `out`. */
import type { FloatArray } from '../backend.js';

export function fill(out: FloatArray, value: number): void {
  out.fill(value);
}

export function copy(src: FloatArray, dst: FloatArray, size: number): void {
  if (src === dst) return;
  if (src.length === size && dst.length === size) dst.set(src);
  else for (let i = 0; i < size; i++) dst[i] = src[i];
}

export function scale(x: FloatArray, alpha: number, out: FloatArray, size: number): void {
  for (let i = 0; i < size; i++) out[i] = alpha * x[i];
}

export function addMul(a: FloatArray, b: FloatArray, c: FloatArray, out: FloatArray, size: number): void {
  for (let i = 0; i < size; i++) out[i] = a[i] + b[i] * c[i];
}

export function lerp(dst: FloatArray, src: FloatArray, t: number, size: number): void {
  for (let i = 0; i < size; i++) {
    const d = dst[i];
    dst[i] = d + t * (src[i] - d);
  }
}
