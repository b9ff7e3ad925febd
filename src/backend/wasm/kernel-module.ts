/**
 * Assembles the kernel module: every kernel of kernels/ in one WebAssembly module that imports
 * its memory (env.memory). Built at start-up in a millisecond or two; the bytes depend only on
 * whether relaxed-SIMD FMA is used.
 */
import { ModuleBuilder } from './assembler.js';
import { emitActivationFunctions } from './kernels/activation.js';
import { emitDqn } from './kernels/dqn.js';
import { emitElementwise } from './kernels/elementwise.js';
import { emitGemv, emitMatmul, emitMicroKernels, emitPackAFunctions, emitPackFunctions } from './kernels/gemm.js';
import { emitLayerNorm } from './kernels/layer-norm.js';
import { emitLinear } from './kernels/linear.js';
import { emitOptimizers } from './kernels/optimizers.js';
import { HEAP_START, PAGE_BYTES } from './memory-layout.js';

/** Pages the imported memory needs at least (the fixed scratch areas). */
export const MIN_PAGES = Math.ceil(HEAP_START / PAGE_BYTES);

export interface KernelModuleOptions {
  /** Emit f32x4.relaxed_madd (relaxed SIMD) for the GEMM's multiply-adds. */
  fma: boolean;
}

export function buildKernelModule(options: KernelModuleOptions): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder(options.fma);
  mod.importMemory('env', 'memory', MIN_PAGES);
  const gemm = { ...emitPackFunctions(mod), ...emitPackAFunctions(mod), micro: emitMicroKernels(mod), gemv: emitGemv(mod) };
  const act = emitActivationFunctions(mod);
  const elementwise = emitElementwise(mod);
  emitMatmul(mod, gemm);
  emitLinear(mod, gemm, act, elementwise);
  emitLayerNorm(mod);
  emitOptimizers(mod);
  emitDqn(mod);
  return mod.toBytes();
}
