/**
 * Getting a GPU device in a browser: navigator.gpu. The only browser-specific GPU code; the browser
 * bundle puts this module where device-node.ts is imported (see device.ts).
 */
import { NoAdapterError } from './gpu-errors.js';
import { adapterIdentity, probeOf, requestDeviceFrom, type AcquiredDevice, type AdapterProbe, type DeviceRequest } from './device.js';

/** Picks an adapter from navigator.gpu and requests a device. */
export async function acquireDevice(request: DeviceRequest = {}): Promise<AcquiredDevice> {
  const adapter = await requestAdapter(request);
  return requestDeviceFrom(adapter, () => {});
}

/** Looks at navigator.gpu's adapter without creating a device (a browser prints nothing to hide). */
export async function probeAdapter(request: DeviceRequest = {}): Promise<AdapterProbe> {
  try {
    return probeOf(adapterIdentity((await requestAdapter(request)).info));
  } catch (error) {
    if (error instanceof NoAdapterError) return { found: false, reason: error.message };
    throw error;
  }
}

async function requestAdapter(request: DeviceRequest): Promise<GPUAdapter> {
  const gpu = typeof navigator === 'undefined' ? undefined : navigator.gpu;
  if (gpu === undefined) {
    throw new NoAdapterError('no WebGPU: navigator.gpu is missing (needs a secure context and a WebGPU-enabled browser)');
  }
  const adapter = await gpu.requestAdapter(request.powerPreference ? { powerPreference: request.powerPreference } : {});
  if (adapter === null) throw new NoAdapterError('no WebGPU adapter: navigator.gpu.requestAdapter() returned null');
  return adapter;
}
