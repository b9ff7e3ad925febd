/** Messages between the bench page (main.ts) and its worker (worker.ts). */
import type { MatmulPath } from '../../src/backend/webgpu/webgpu-ops.js';

/** What the page asks the worker to measure. */
export interface PageBenchRequest {
  /** Interleaved repeats per network. */
  repeats: number;
  /** Seconds per measured block. */
  secondsPerBlock: number;
  /** Hidden widths of each network measured (default: bench/dqn/update-bench.ts's NETWORKS). */
  networks?: number[][];
  /** The WebGPU backend's matmul paths to measure side by side (default ['auto']; A/B of kernels on the page's adapter). */
  webgpuPaths?: MatmulPath[];
}

export type PageBenchReply = { type: 'result'; result: Record<string, unknown> } | { type: 'error'; message: string };
