/**
 * Which kernels a CPU backend runs, decided once here: the WASM SIMD kernels (src/backend/wasm) in
 * float32 where the runtime has WebAssembly SIMD, with relaxed-SIMD FMA where it has that too, or
 * the plain TypeScript kernels (float64 always, and the fallback).
 *
 * Relaxed SIMD is on by default in Chrome and in Node 22+. Node 20 has it only behind a V8 flag,
 * which a Node program turns on with `enableRelaxedSimdInNode()` (exported by
 * 'webgpu-rl-engine/node'; the CLI and the bench call it) before creating the backend; without it
 * 'auto' and 'wasm' take SIMD128 (multiply + add), which is as fast on AMD cores.
 */
import type { DType } from '../backend.js';
import { InvalidArgumentError, checkName } from '../../errors.js';
import { detectWasmSupport, WasmSimdUnavailableError } from '../wasm/features.js';
import { WasmKernels } from '../wasm/wasm-kernels.js';

/**
 * What CpuBackendOptions.kernels accepts:
 * - 'auto' (default): WASM SIMD where available and dtype is float32, else the TypeScript kernels;
 * - 'wasm': the WASM SIMD kernels, with FMA where available (an error where SIMD is missing);
 * - 'wasm-simd128' / 'wasm-fma': exactly that variant (an error where it is missing);
 * - 'js': the TypeScript kernels.
 */
export const CPU_KERNEL_CHOICES = ['auto', 'wasm', 'wasm-simd128', 'wasm-fma', 'js'] as const;
export type CpuKernelChoice = (typeof CPU_KERNEL_CHOICES)[number];

/** The kernels a CPU backend runs. */
export type CpuKernels = 'wasm-fma' | 'wasm-simd128' | 'js';

/** How the banner, the bench and the page name the kernels, e.g. 'WebAssembly SIMD128 + FMA'. */
export function describeCpuKernels(kernels: CpuKernels, dtype: DType): string {
  switch (kernels) {
    case 'wasm-fma':
      return 'WebAssembly SIMD128 + FMA';
    case 'wasm-simd128':
      return 'WebAssembly SIMD128';
    case 'js':
      return dtype === 'float64' ? 'JavaScript, Float64Array' : 'JavaScript, Float32Array';
  }
}

/** Every kernel variant this runtime can run, fastest first (for tests and benchmarks that cover them all). */
export function availableCpuKernels(): CpuKernels[] {
  const support = detectWasmSupport();
  const wasm: CpuKernels[] = support.simd ? (support.relaxedSimd ? ['wasm-fma', 'wasm-simd128'] : ['wasm-simd128']) : [];
  return [...wasm, 'js'];
}

const FMA_HINT = "in Node 20 call enableRelaxedSimdInNode() from 'webgpu-rl-engine/node' first, or run node with --experimental-wasm-relaxed-simd";

/** The WASM kernels the choice asks for (null: the TypeScript kernels); throws when they cannot be had. */
export function openCpuKernels(choice: string, dtype: DType): WasmKernels | null {
  const checked = checkName('CPU kernels', choice, CPU_KERNEL_CHOICES);
  if (checked === 'js') return null;
  if (dtype === 'float64') {
    if (checked === 'auto') return null;
    throw new InvalidArgumentError(`CpuBackend: kernels '${checked}' run in float32 only; dtype 'float64' uses the TypeScript kernels (kernels 'auto' or 'js')`);
  }
  const support = detectWasmSupport();
  if (!support.simd) {
    if (checked === 'auto') return null;
    throw new WasmSimdUnavailableError(support, { what: `CpuBackend: kernels '${checked}' need WebAssembly SIMD`, instead: "kernels 'auto' or 'js' use the TypeScript kernels" });
  }
  if (checked === 'wasm-fma' && !support.relaxedSimd) {
    throw new InvalidArgumentError(`CpuBackend: kernels 'wasm-fma' need relaxed SIMD, which this runtime lacks (${FMA_HINT})`);
  }
  if (checked !== 'auto') return WasmKernels.create({ fma: checked === 'wasm-simd128' ? false : checked === 'wasm-fma' ? true : 'auto' });
  try {
    return WasmKernels.create({ fma: 'auto' });
  } catch (error) {
    // A page whose Content-Security-Policy forbids compiling WebAssembly, or no memory for one:
    // 'auto' runs the TypeScript kernels (backend.kernels says so); any other error is a bug.
    if (error instanceof WebAssembly.CompileError || error instanceof WebAssembly.LinkError || error instanceof RangeError || error instanceof EvalError) return null;
    throw error;
  }
}
