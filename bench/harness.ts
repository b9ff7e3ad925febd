/** Small timing helpers shared by the benchmark suites. Results are medians over repeats. */

export interface Timing {
  /** Median seconds per call. */
  medianSeconds: number;
  repeats: number;
}

/**
 * Calls `fn` until `minSeconds` have passed (after `warmup` calls), in `repeats` batches, and
 * returns the median time of one call.
 */
export async function time(fn: () => unknown | Promise<unknown>, options: { warmup?: number; repeats?: number; minSeconds?: number } = {}): Promise<Timing> {
  const warmup = options.warmup ?? 3;
  const repeats = options.repeats ?? 5;
  const minSeconds = options.minSeconds ?? 0.2;
  for (let i = 0; i < warmup; i++) await fn();
  // Find a call count per batch that takes about minSeconds / repeats.
  let calls = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) await fn();
    const seconds = (performance.now() - start) / 1000;
    if (seconds >= minSeconds / repeats || calls >= 1 << 20) break;
    calls *= 2;
  }
  const perCall: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) await fn();
    perCall.push((performance.now() - start) / 1000 / calls);
  }
  perCall.sort((a, b) => a - b);
  return { medianSeconds: perCall[Math.floor(perCall.length / 2)], repeats };
}

/** Rounds to 4 significant digits for readable JSON. */
export function round(x: number): number {
  return Number(x.toPrecision(4));
}

/** A benchmark suite: returns a JSON-serialisable record of its figures. */
export type Suite = () => Promise<Record<string, unknown>>;

/** Removes `flag value` from `args` and returns the value, or `fallback` when the flag is absent. */
export function takeOption(args: string[], flag: string, fallback: string): string {
  const i = args.indexOf(flag);
  if (i < 0) return fallback;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
}
