/**
 * How much a stretch of work raised this process's peak memory (Linux): the peak resident set
 * (VmHWM) is reset to the current one through /proc/self/clear_refs, the work runs, and the new
 * peak less the resident set before is what it needed at most, ArrayBuffers included (a heap
 * measure would miss them). Also the preload that reports a child's peak and CPU time: USAGE_PRELOAD.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function statusKiB(field: 'VmRSS' | 'VmHWM' | 'VmPeak', pid: number | 'self' = 'self'): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
}

/** Resets the peak resident set of process `pid` (this one by default) and returns its resident set now, in KiB. */
export function resetPeak(pid: number | 'self' = 'self'): number {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  return statusKiB('VmRSS', pid);
}

/** The peak resident set of process `pid` since it was last reset, in KiB. */
export function peakKiB(pid: number | 'self' = 'self'): number {
  return statusKiB('VmHWM', pid);
}

/** The peak virtual size of this process, in KiB (what `ulimit -v` limits). */
export function vmPeakKiB(): number {
  return statusKiB('VmPeak');
}

/** Runs `work` and returns how much it raised the peak resident set, in MiB, and its time in ms. */
export function measure<T>(work: () => T): { value: T; peakGrowthMiB: number; ms: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const before = resetPeak();
  const started = performance.now();
  const value = work();
  const ms = performance.now() - started;
  return { value, peakGrowthMiB: (peakKiB() - before) / 1024, ms };
}

/** The processes descended from `ancestor` whose command line contains `marker` (Chromium's renderers: '--type=renderer'). */
export function descendants(ancestor: number, marker: string): number[] {
  const parents = new Map<number, number>();
  const lines = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      parents.set(pid, Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0));
      lines.set(pid, readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    } catch {
      // The process ended meanwhile.
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === ancestor) return true;
    return false;
  };
  return [...lines].filter(([pid, line]) => line.includes(marker) && descends(pid)).map(([pid]) => pid);
}

/**
 * A file to preload into a Node child (`NODE_OPTIONS=--require <it>`): when the child exits it
 * writes `{ peakKiB, cpuMs }` (its peak resident set, the CPU time it used) to the file named by
 * USAGE_FILE.
 */
export const USAGE_PRELOAD = join(import.meta.dirname, 'report-usage.cjs');
