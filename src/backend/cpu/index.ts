/** The CPU backend. */
export { CpuBackend, type CpuBackendOptions } from './cpu-backend.js';
export { CPU_KERNEL_CHOICES, availableCpuKernels, describeCpuKernels, type CpuKernelChoice, type CpuKernels } from './cpu-kernels.js';
export type { CpuTensor } from './cpu-ops.js';
export type { CpuStorage } from './cpu-storage.js';
