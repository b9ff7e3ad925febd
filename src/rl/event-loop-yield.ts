/**
 * Long stretches of synchronous work (rounds of updates and greedy evaluations on the CPU backend,
 * whose reads resolve as microtasks) never let the host's event loop run, so a Ctrl-C, a timer or a
 * worker message would wait for them to end: 20 s and more with large networks. `yieldIfDue` lets
 * the event loop run once at least every YIELD_INTERVAL_MS; the work itself is unchanged (same
 * results, same random streams). Browser-safe.
 */

/** Longest stretch of work between two turns of the event loop, in milliseconds. */
export const YIELD_INTERVAL_MS = 50;

let nextYieldAt = 0;

/** A macrotask: setImmediate in Node, a zero timeout elsewhere. */
function macrotask(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

/** Lets the event loop run when YIELD_INTERVAL_MS have passed since it last did here. */
export async function yieldIfDue(): Promise<void> {
  if (performance.now() < nextYieldAt) return;
  await macrotask();
  nextYieldAt = performance.now() + YIELD_INTERVAL_MS;
}
