/** Device acquisition in a browser: navigator.gpu (the only browser-specific GPU code). */
import { NoAdapterError } from './gpu-errors.js';
import { requestDeviceFrom, type AcquiredDevice, type DeviceRequest } from './device-types.js';

/** Picks an adapter from navigator.gpu and requests a device. */
export async function acquireDevice(request: DeviceRequest = {}): Promise<AcquiredDevice> {
  const gpu = typeof navigator === 'undefined' ? undefined : navigator.gpu;
  if (gpu === undefined) {
    throw new NoAdapterError('no WebGPU: navigator.gpu is missing (needs a secure context and a WebGPU-enabled browser)');
  }
  const adapter = await gpu.requestAdapter(request.powerPreference ? { powerPreference: request.powerPreference } : {});
  if (adapter === null) throw new NoAdapterError('no WebGPU adapter: navigator.gpu.requestAdapter() returned null');
  return requestDeviceFrom(adapter, () => {});
}
