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
  /**
   * What 'auto' does with a software WebGPU adapter (Mesa's lavapipe, SwiftShader): 'use' it
   * (default), or 'avoid' it in favour of the CPU backend, which is faster than a CPU-emulated GPU
   * for networks of this size. The CLI avoids it; the web demo uses it.
   */
  softwareAdapter?: 'use' | 'avoid';
}

/**
 * Creates the backend `kind` names. 'webgpu' throws when no WebGPU device can be had; 'auto'
 * then falls back to the CPU backend and reports why through `onNotice` (also, with
 * `softwareAdapter: 'avoid'`, when the only adapter is a software one).
 */
export async function createBackend(kind: BackendKind | string, options: CreateBackendOptions = {}): Promise<Backend> {
  const checked = checkName('backend', kind, BACKEND_KINDS);
  if (checked === 'cpu') return new CpuBackend(options.cpu);
  if (checked === 'webgpu') return WebGpuBackend.create(options.webgpu);
  const notice = options.onNotice ?? ((message: string) => console.error(message));
  let webgpu: WebGpuBackend;
  try {
    webgpu = await WebGpuBackend.create(options.webgpu);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    notice(`backend auto: using the CPU backend because WebGPU is unavailable (${reason})`);
    return new CpuBackend(options.cpu);
  }
  if (webgpu.software && options.softwareAdapter === 'avoid') {
    const adapter = webgpu.adapterDescription;
    webgpu.destroy();
    notice(`backend auto: using the CPU backend because the only WebGPU adapter is a software one (${adapter}), slower than the CPU here; --backend webgpu uses it anyway`);
    return new CpuBackend(options.cpu);
  }
  return webgpu;
}
