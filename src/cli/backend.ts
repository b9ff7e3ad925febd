/** The compute backend a CLI run uses, and how it is named in the banner. */
import type { Backend } from '../backend/backend.js';
import { CpuBackend } from '../backend/cpu/cpu-backend.js';
import { createBackend } from '../backend/create-backend.js';
import { enableRelaxedSimdInNode } from '../backend/wasm/node-relaxed-simd.js';

/** Opens the backend `kind` names; notices (such as 'auto' falling back to the CPU) go to stderr. */
export function openBackend(kind: string): Promise<Backend> {
  // The CLI is a Node entry point: it opts into relaxed-SIMD FMA for the CPU backend's WASM kernels
  // (Node 20 has it behind a V8 flag; a no-op where the runtime has it already).
  enableRelaxedSimdInNode();
  // createBackend's rule: 'auto' trains on the CPU (faster) when the only WebGPU adapter is a software one.
  return createBackend(kind, { onNotice: (message) => process.stderr.write(message + '\n') });
}

/** 'cpu (<kernels>)', e.g. 'cpu (WebAssembly SIMD128 + FMA)', or 'webgpu (<adapter>)'. */
export function describeBackend(backend: Backend): string {
  if (backend instanceof CpuBackend) return `${backend.name} (${backend.kernelsDescription})`;
  const description = (backend as { adapterDescription?: string }).adapterDescription;
  return description ? `${backend.name} (${description})` : backend.name;
}
