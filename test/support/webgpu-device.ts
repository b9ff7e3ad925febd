/**
 * The WebGPU backend for a test file, created once per file (top-level await). Without an adapter
 * the WebGPU tests FAIL when CI=true (never a silent skip there); elsewhere they are skipped and
 * counted in the run's last line (see requirements.ts). The adapter is looked at in a child process
 * first, so a machine without one gets no Dawn warnings in the test output.
 */
import { NoAdapterError, WebGpuBackend, type WebGpuBackendOptions } from '../../src/backend/webgpu/index.js';
import { probeAdapter } from '../../src/backend/webgpu/device-node.js';
import { failOnCi } from './requirements.js';

/** A WebGpuBackend, or null when no adapter exists outside CI. */
export async function acquireTestBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend | null> {
  const adapter = await probeAdapter();
  if (adapter.found === false) return noAdapter(adapter.reason);
  try {
    return await WebGpuBackend.create(options);
  } catch (error) {
    if (!(error instanceof NoAdapterError)) throw error;
    return noAdapter(error.message);
  }
}

function noAdapter(reason: string): null {
  failOnCi(reason); // 'no WebGPU adapter: ...'
  return null;
}
