/** Device acquisition in Node: Dawn through the npm `webgpu` package (the only Node-specific GPU code). */
import { create, globals } from 'webgpu';
import { NoAdapterError } from './gpu-errors.js';
import { requestDeviceFrom, type AcquiredDevice, type DeviceRequest } from './device-types.js';

let globalsInstalled = false;

/**
 * Creates a Dawn instance, picks an adapter and requests a device. Dawn keeps Node alive while
 * its instance is referenced, so `release()` destroys the device and drops the instance.
 */
export async function acquireDevice(request: DeviceRequest = {}): Promise<AcquiredDevice> {
  if (!globalsInstalled) {
    // GPUBufferUsage, GPUMapMode, ... as in a browser.
    Object.assign(globalThis, globals);
    globalsInstalled = true;
  }
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  let gpu: GPU | null = create([]);
  const adapter = await gpu.requestAdapter(request.powerPreference ? { powerPreference: request.powerPreference } : {});
  if (adapter === null) {
    gpu = null;
    throw new NoAdapterError('no WebGPU adapter: Dawn found no Vulkan driver (install libvulkan1 and mesa-vulkan-drivers >= 25)');
  }
  return requestDeviceFrom(adapter, () => {
    gpu = null;
  });
}
