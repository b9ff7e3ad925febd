/** The WebGPU backend. */
export { WebGpuBackend, type MatmulPath, type WebGpuBackendOptions } from './webgpu-backend.js';
export type { WebGpuTensor } from './webgpu-ops.js';
export { ShaderCompileError, DeviceLostError, GpuError, GpuOutOfMemoryError, NoAdapterError } from './gpu-errors.js';
export { compileShaderModule } from './pipelines.js';
export { type GpuObjectCounts, cachedObjectTotal } from './gpu-counters.js';
export { SHADER_FILES, type ShaderFile } from './kernels.js';
export { isSoftwareAdapter, type AcquiredDevice, type AdapterProbe, type DeviceRequest } from './device.js';
