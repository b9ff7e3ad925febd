import { PerformanceObserver } from 'node:perf_hooks';

/**
 * Counts the garbage collections (PerformanceObserver 'gc' entries) that happen while `loop` runs:
 * the observer is given 20 ms to settle before the count starts and 20 ms after the loop for the
 * last entries to arrive. Used by the GC probes, which run in a child process of their own.
 */
export async function collectionsDuring(loop: () => void): Promise<number> {
  let collections = 0;
  const observer = new PerformanceObserver((list) => (collections += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  await new Promise((resolve) => setTimeout(resolve, 20));
  collections = 0;
  loop();
  await new Promise((resolve) => setTimeout(resolve, 20));
  observer.disconnect();
  return collections;
}
