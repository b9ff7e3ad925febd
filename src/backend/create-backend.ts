/**
 * Picks a compute backend by name: 'webgpu', 'cpu', or 'auto' (WebGPU on a hardware adapter,
 * else the CPU, saying why in one line).
 */
import type { Backend } from './backend.js';
import { checkName, errorMessage } from '../errors.js';
import { CpuBackend, type CpuBackendOptions } from './cpu/cpu-backend.js';
import { WebGpuBackend, type WebGpuBackendOptions } from './webgpu/webgpu-backend.js';
import { NoAdapterError } from './webgpu/gpu-errors.js';
import { probeOf, type AdapterProbe } from './webgpu/device.js';
// The browser bundle swaps device-node for device-browser (webgpu/web-build.ts).
import { probeAdapter } from './webgpu/device-node.js';

export const BACKEND_KINDS = ['auto', 'webgpu', 'cpu'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

export interface CreateBackendOptions {
  /** Options of the WebGPU backend (for 'webgpu' and 'auto'). */
  webgpu?: WebGpuBackendOptions;
  /** Options of the CPU backend (for 'cpu' and the 'auto' fallback). */
  cpu?: CpuBackendOptions;
  /**
   * Receives the one-line notice when 'auto' falls back to the CPU (default: console.error), and the
   * reason alone (the notice without its 'backend auto: using the CPU backend because ' lead-in).
   */
  onNotice?: (message: string, reason: string) => void;
  /**
   * What 'auto' does with a software WebGPU adapter (Mesa's lavapipe, SwiftShader): 'avoid' it in
   * favour of the CPU backend (default), which is faster than a CPU-emulated GPU for networks of
   * this size, or 'use' it. 'webgpu' always uses whatever adapter there is.
   */
  softwareAdapter?: 'use' | 'avoid';
}

/**
 * Creates the backend `kind` names. 'webgpu' throws NoAdapterError when no WebGPU device can be
 * had. 'auto' then takes the CPU backend instead, as it does when the only adapter is a software
 * one (unless `softwareAdapter: 'use'`), and reports why through `onNotice`.
 *
 * In Node the adapter is first looked at in a child process (about 0.1 s), so a machine without
 * a usable GPU never loads Dawn here and none of Dawn's native warnings reach the terminal; a
 * device is created in this process only for an adapter that will be used.
 */
export async function createBackend(kind: BackendKind | string, options: CreateBackendOptions = {}): Promise<Backend> {
  const checked = checkName('backend', kind, BACKEND_KINDS);
  if (checked === 'cpu') return new CpuBackend(options.cpu);
  const adapter = await lookAtAdapter(options.webgpu);
  if (checked === 'webgpu') {
    if (adapter.found === false) throw new NoAdapterError(adapter.reason);
    return WebGpuBackend.create(options.webgpu);
  }
  const notice = options.onNotice ?? ((message: string) => console.error(message));
  const onCpu = (why: string): Backend => {
    notice(`backend auto: using the CPU backend because ${why}`, why);
    return new CpuBackend(options.cpu);
  };
  const avoidSoftware = (options.softwareAdapter ?? 'avoid') === 'avoid';
  const softwareNotice = (description: string) =>
    `the only WebGPU adapter is a software one (${description}), slower than the CPU here; asking for 'webgpu' (--backend webgpu, or WebGPU in the page) uses it anyway`;
  if (adapter.found === false) return onCpu(`WebGPU is unavailable: ${adapter.reason}`);
  if (adapter.found === true && adapter.software && avoidSoftware) return onCpu(softwareNotice(adapter.description));
  let webgpu: WebGpuBackend;
  try {
    webgpu = await WebGpuBackend.create(options.webgpu);
  } catch (error) {
    const reason = errorMessage(error).split('\n')[0];
    return onCpu(`WebGPU is unavailable: ${reason}`);
  }
  // Only when the look failed is the adapter's kind first known here.
  if (webgpu.software && avoidSoftware) {
    webgpu.destroy();
    return onCpu(softwareNotice(webgpu.adapterDescription));
  }
  return webgpu;
}

/** The adapter of a device the caller gave, or a look at the one the platform offers. */
function lookAtAdapter(webgpu: WebGpuBackendOptions | undefined): Promise<AdapterProbe> | AdapterProbe {
  if (webgpu?.device !== undefined) return probeOf(webgpu.device.adapterInfo);
  return probeAdapter(webgpu?.powerPreference ? { powerPreference: webgpu.powerPreference } : {});
}
