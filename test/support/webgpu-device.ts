/**
 * The WebGPU backend for a test file, created once per file (top-level await). Without an
 * adapter the WebGPU tests FAIL when CI=true (never a silent skip there); elsewhere they are
 * skipped with a loud message.
 */
import { NoAdapterError, WebGpuBackend, type WebGpuBackendOptions } from '../../src/backend/webgpu/index.js';

/** A WebGpuBackend, or null (with a loud warning) when no adapter exists outside CI. */
export async function acquireTestBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend | null> {
  try {
    return await WebGpuBackend.create(options);
  } catch (error) {
    if (!(error instanceof NoAdapterError)) throw error;
    if (process.env.CI === 'true') {
      throw new Error(`CI=true but no WebGPU adapter: the WebGPU tests cannot run (${error.message})`);
    }
    console.warn(`\n!!!!!!!! WEBGPU TESTS SKIPPED: ${error.message} !!!!!!!!\n`);
    return null;
  }
}
