export { WasmKernels, type WasmKernelsOptions } from './wasm-kernels.js';
export { WasmHeap, WasmRegion, alignedFloats, type WasmHeapStats } from './heap.js';
export { detectWasmSupport, WasmSimdUnavailableError, type WasmSupport } from './features.js';
export { buildKernelModule } from './kernel-module.js';
export { ALIGN_BYTES, ALIGN_FLOATS } from './memory-layout.js';
