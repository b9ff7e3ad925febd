/** Messages between the bench page (main.ts) and its worker (worker.ts). */

/** What the page asks the worker to measure. */
export interface PageBenchRequest {
  /** Interleaved repeats per network. */
  repeats: number;
  /** Seconds per measured block. */
  secondsPerBlock: number;
  /** Hidden widths of each network measured (default: bench/dqn/update-bench.ts's NETWORKS). */
  networks?: number[][];
}

export type PageBenchReply = { type: 'result'; result: Record<string, unknown> } | { type: 'error'; message: string };
