/** The CPU backend. */
export { CpuBackend, type CpuBackendOptions } from './cpu-backend.js';
export { CpuTensor } from './cpu-tensor.js';
