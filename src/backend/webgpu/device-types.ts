/** What device acquisition returns, in Node and in the browser alike. */

export interface DeviceRequest {
  /** Adapter preference passed to requestAdapter. */
  powerPreference?: GPUPowerPreference;
}

export interface AcquiredDevice {
  device: GPUDevice;
  /** `vendor architecture (description)` of the adapter, for logs and bench records. */
  adapterDescription: string;
  /** Whether the adapter offers `shader-f16` (not requested: the backend is float32 only). */
  shaderF16: boolean;
  /** Destroys the device and drops every reference to the GPU entry point (Node exits afterwards). */
  release(): void;
}

/** Requests a device from `adapter` with the buffer size limits raised to what the adapter allows. */
export async function requestDeviceFrom(adapter: GPUAdapter, release: () => void): Promise<AcquiredDevice> {
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
    },
  });
  return {
    device,
    adapterDescription: describeAdapter(adapter.info),
    shaderF16: adapter.features.has('shader-f16'),
    release: () => {
      device.destroy();
      release();
    },
  };
}

/** `vendor architecture (description)`, e.g. `mesa llvmpipe (llvmpipe: Mesa 25.0.7 ...)`. */
export function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (info === undefined) return 'unknown adapter';
  const parts = [info.vendor, info.architecture].filter((s) => s !== '');
  const description = info.description !== '' ? ` (${info.description})` : '';
  return `${parts.join(' ') || 'unknown adapter'}${description}`;
}
