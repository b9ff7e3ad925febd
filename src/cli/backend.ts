/** The compute backend a CLI run uses, how it is named in the banner, and the limits it puts on buffers. */
import type { Backend } from '../backend/backend.js';
import { CpuBackend } from '../backend/cpu/cpu-backend.js';
import { createBackend } from '../backend/create-backend.js';
import { MAX_MEMORY_BYTES } from '../backend/wasm/memory-layout.js';
import { enableRelaxedSimdInNode } from '../backend/wasm/node-relaxed-simd.js';
import type { MemoryLimits } from '../rl/memory-budget.js';
import { warn } from './console.js';

/**
 * Opens the backend `kind` names; notices (such as 'auto' falling back to the CPU) go to stderr.
 * WEBGPU_RL_SOFTWARE_ADAPTER=use lets 'auto' take a software adapter (lavapipe, SwiftShader),
 * which it otherwise leaves for the faster CPU backend.
 */
export function openBackend(kind: string): Promise<Backend> {
  // The CLI is a Node entry point: it opts into relaxed-SIMD FMA for the CPU backend's WASM kernels
  // (Node 20 has it behind a V8 flag; a no-op where the runtime has it already).
  enableRelaxedSimdInNode();
  // createBackend's rule: 'auto' trains on the CPU (faster) when the only WebGPU adapter is a software one.
  return createBackend(kind, {
    onNotice: (message) => warn(message + '\n'),
    softwareAdapter: process.env.WEBGPU_RL_SOFTWARE_ADAPTER === 'use' ? 'use' : 'avoid',
  });
}

/** 'cpu (<kernels>)', e.g. 'cpu (WebAssembly SIMD128 + FMA)', or 'webgpu (<adapter>)'. */
export function describeBackend(backend: Backend): string {
  return `${backend.name} (${backend.describe()})`;
}

/** The GPU device behind a WebGPU backend, or null for the CPU backend. */
export function gpuDevice(backend: Backend): GPUDevice | null {
  return (backend as { device?: GPUDevice }).device ?? null;
}

/** The most the CPU backend's WebAssembly memory can hold (for the memory check), or undefined when it has none (WebGPU, the TypeScript kernels). */
export function wasmMemoryLimit(backend: Backend): number | undefined {
  return backend instanceof CpuBackend && backend.wasmHeapStats() !== null ? MAX_MEMORY_BYTES : undefined;
}

/** A WebGPU device's buffer limits (for the memory check), or undefined for the CPU backend. */
export function gpuLimits(backend: Backend): MemoryLimits['gpu'] {
  const device = gpuDevice(backend);
  if (device === null) return undefined;
  return { maxBufferSize: device.limits.maxBufferSize, maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize };
}
