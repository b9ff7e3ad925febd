/**
 * What the float64 NumPy cross-checks share (dqn- and pqn-numpy-crosscheck.test.ts): whether
 * python3 with NumPy is here, running a reference script on one JSON request, float32-exact
 * inputs, the CPU kernel sets an update runs on, and the worst relative error over arrays.
 */
import { spawnSync } from 'node:child_process';
import { CpuBackend, type CpuBackendOptions } from '../../src/backend/cpu/cpu-backend.js';
import type { Rng } from '../../src/random/rng.js';
import { relativeError } from './relative-error.js';

const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
/** Why the NumPy cross-checks cannot run here, or null when they can. */
export const numpySkipReason: string | null =
  probe.error !== undefined ? `python3 not found (${probe.error.message})` : probe.status !== 0 ? 'python3 has no NumPy' : null;

/** Runs `script` (a path) with `request` as JSON on stdin; its stdout parsed as JSON. */
export function runNumpyReference<T>(script: string, request: unknown): T {
  const run = spawnSync('python3', [script], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`${script} failed (exit ${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** Uniform values, each exactly representable in float32, so a float32 backend holds the very numbers the reference gets. */
export function float32Uniforms(rng: Rng, n: number, low: number, high: number): number[] {
  return Array.from({ length: n }, () => Math.fround(rng.uniform(low, high)));
}

/** The worst relative error over a list of arrays, as `label[index]`, for one readable failure. */
export function worstRelativeError(label: string, actual: ArrayLike<number>[], expected: ArrayLike<number>[]): [string, number] {
  if (actual.length !== expected.length) return [`${label} (array count ${actual.length} vs ${expected.length})`, Number.POSITIVE_INFINITY];
  let result: [string, number] = [label, 0];
  actual.forEach((a, i) => {
    const e = relativeError(a, expected[i]);
    if (!(e <= result[1])) result = [`${label}[${i}]`, e];
  });
  return result;
}

/** The CPU kernels an update runs on, and how close to the float64 reference it must come. */
export interface CrossCheckKernels {
  name: string;
  options: CpuBackendOptions;
  /** Whether these options must give the WASM kernels (Node 20 has WebAssembly SIMD). */
  wasm: boolean;
  tolerance: number;
}

/**
 * The two kernel sets: float64 storage on the TypeScript kernels (only summation order separates
 * it from NumPy), and the default WASM kernels in float32 (what the CLI runs), each with the
 * tolerance the test justifies.
 */
export function crossCheckKernels(tolerance: { float64: number; float32: number }): CrossCheckKernels[] {
  return [
    { name: 'float64 TypeScript kernels', options: { dtype: 'float64' }, wasm: false, tolerance: tolerance.float64 },
    { name: 'default WASM kernels (float32)', options: {}, wasm: true, tolerance: tolerance.float32 },
  ];
}

/** A CPU backend on `kernels`; throws when the options did not give the kernels they name. */
export function crossCheckBackend(kernels: CrossCheckKernels): CpuBackend {
  const backend = new CpuBackend(kernels.options);
  if (backend.kernels.startsWith('wasm') !== kernels.wasm) {
    backend.destroy();
    throw new Error(`${kernels.name}: the backend runs ${backend.kernels}`);
  }
  return backend;
}
