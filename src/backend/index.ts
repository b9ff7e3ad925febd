/** Compute backends: the interface, the CPU and WebGPU implementations, and the factory. */
export * from './backend.js';
export * from './policy-ops.js';
export { CpuBackend, type CpuBackendOptions } from './cpu/cpu-backend.js';
export { initialEnvState } from './cpu/env-step.js';
export { CPU_KERNEL_CHOICES, availableCpuKernels, describeCpuKernels, type CpuKernelChoice, type CpuKernels } from './cpu/cpu-kernels.js';
export { detectWasmSupport, WasmSimdUnavailableError, type WasmSupport } from './wasm/features.js';
export {
  WebGpuBackend,
  type WebGpuBackendOptions,
  ShaderCompileError,
  DeviceLostError,
  GpuError,
  GpuOutOfMemoryError,
  NoAdapterError,
  type GpuObjectCounts,
} from './webgpu/index.js';
export { createBackend, BACKEND_KINDS, type BackendKind, type CreateBackendOptions } from './create-backend.js';
