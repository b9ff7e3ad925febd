/** Picks a compute backend by name: 'webgpu', 'cpu', or 'auto' (WebGPU when an adapter exists, else CPU). */
import type { Backend } from './backend.js';
import { checkName } from '../errors.js';
import { CpuBackend, type CpuBackendOptions } from './cpu/cpu-backend.js';
import { WebGpuBackend, type WebGpuBackendOptions } from './webgpu/webgpu-backend.js';

export const BACKEND_KINDS = ['auto', 'webgpu', 'cpu'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

export interface CreateBackendOptions {
  /** Options of the WebGPU backend (for 'webgpu' and 'auto'). */
  webgpu?: WebGpuBackendOptions;
  /** Options of the CPU backend (for 'cpu' and the 'auto' fallback). */
  cpu?: CpuBackendOptions;
  /** Receives the one-line notice when 'auto' falls back to the CPU (default: console.error). */
  onNotice?: (message: string) => void;
}

/**
 * Creates the backend `kind` names. 'webgpu' throws when no WebGPU device can be had; 'auto'
 * then falls back to the CPU backend and reports why through `onNotice`.
 */
export async function createBackend(kind: BackendKind | string, options: CreateBackendOptions = {}): Promise<Backend> {
  const checked = checkName('backend', kind, BACKEND_KINDS);
  if (checked === 'cpu') return new CpuBackend(options.cpu);
  if (checked === 'webgpu') return WebGpuBackend.create(options.webgpu);
  try {
    return await WebGpuBackend.create(options.webgpu);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    const notice = options.onNotice ?? ((message: string) => console.error(message));
    notice(`backend auto: using the CPU backend because WebGPU is unavailable (${reason})`);
    return new CpuBackend(options.cpu);
  }
}
