/** The CPU backend. */
export { CpuBackend, type CpuBackendOptions } from './cpu-backend.js';
export type { CpuTensor } from './cpu-ops.js';
