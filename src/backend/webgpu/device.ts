/**
 * How the WebGPU backend gets a GPU device. Two modules do the platform part, with the same exports:
 *
 * - device-node.ts: Node, through Dawn (npm `webgpu`);
 * - device-browser.ts: a browser, through navigator.gpu.
 *
 * The backend imports device-node.ts; the browser bundle swaps it for device-browser.ts (see
 * web-build.ts: every import of a NAME-node.js module of this folder becomes NAME-browser). What
 * both share is here: what they return, the device request itself, and how an adapter is described
 * and classified.
 */
/// <reference types="@webgpu/types" preserve="true" />
// The reference above puts the WebGPU types (GPUDevice, ...) that the published .d.ts files name
// into a TypeScript consumer's program: @webgpu/types is a dependency of the package.

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

/**
 * What a look at the adapter, without creating a device, found. In Node the look is taken in a
 * child process, so nothing Dawn prints reaches this process's terminal.
 */
export type AdapterProbe =
  | { found: true; description: string; software: boolean }
  | { found: false; reason: string }
  /** The look itself failed (no child process could run): only creating a device will tell. */
  | { found: 'unknown'; reason: string };

/**
 * Requests a device from `adapter` with the buffer size limits raised to what the adapter allows,
 * and `subgroups` when offered (kernels that need it are built only then: see kernels.ts).
 */
export async function requestDeviceFrom(adapter: GPUAdapter, release: () => void): Promise<AcquiredDevice> {
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: adapter.features.has('subgroups') ? ['subgroups'] : [],
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

/** The fields of GPUAdapterInfo that describe and classify an adapter (plain data: it crosses processes). */
export type AdapterIdentity = Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'> & {
  isFallbackAdapter?: boolean;
};

/** `vendor architecture (description)`, e.g. `mesa software (llvmpipe: Mesa 25.0.7 ...)`. */
export function describeAdapter(info: AdapterIdentity | undefined): string {
  if (info === undefined) return 'unknown adapter';
  const parts = [info.vendor, info.architecture].filter((s) => s !== '');
  const description = info.description !== '' ? ` (${info.description})` : '';
  return `${parts.join(' ') || 'unknown adapter'}${description}`;
}

/** Whether the adapter is a CPU implementation of WebGPU (Mesa llvmpipe/lavapipe, SwiftShader). */
export function isSoftwareAdapter(info: AdapterIdentity | undefined): boolean {
  if (info === undefined) return false;
  if (info.isFallbackAdapter === true) return true;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return /llvmpipe|lavapipe|swiftshader|software/.test(text);
}

/** The plain-data identity of an adapter's info (GPUAdapterInfo's fields are getters on the prototype). */
export function adapterIdentity(info: GPUAdapterInfo): AdapterIdentity {
  const fallback = (info as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    ...(fallback === undefined ? {} : { isFallbackAdapter: fallback }),
  };
}

/** The probe result for an adapter at hand. */
export function probeOf(info: AdapterIdentity): AdapterProbe {
  return { found: true, description: describeAdapter(info), software: isSoftwareAdapter(info) };
}
