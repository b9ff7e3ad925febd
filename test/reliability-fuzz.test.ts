/**
 * [fuzz-files] Thousands of damaged weights (.npz) and checkpoint.zip files (bit flips,
 * truncations, spliced chunks, edited zip fields, edited .npy headers, edited JSON, zip bombs,
 * entries sharing one stream), read as a user's file is read (test/support/fuzz-files.ts). Only
 * successes and clean errors naming the file may come out: no TypeError or RangeError, no silent
 * change of contents, no hang (the child is killed after 3 minutes), and no allocation beyond a
 * bound: the child runs with its address space limited to what the same process needs with no
 * cases plus 1 GiB, so a reader that believed a damaged header's 4 GiB size, or inflated a bomb,
 * would fail. Each bomb must be refused within a second, raising the child's peak memory by less
 * than 100 MB. About 9 s here for 2 x 3000 cases alone (the child's 6,000 files: 6 s), 27 s with
 * other work on the machine (measured; CI runs it).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childEnv, root } from './support/cli-process.js';

const SCRIPT = join(root, 'test', 'support', 'fuzz-files.ts');
const ITERATIONS_PER_KIND = 3000;
const SEED = 20_240_601;

interface FuzzReport {
  iterations: number;
  counts: Record<string, number>;
  failures: string[];
  slowestMs: number;
  /** The bomb mutations' slowest read (ms) and largest peak memory growth (MiB). */
  bombs: { slowestMs: number; peakGrowthMiB: number };
  vmPeakKiB: number;
}

function fuzz(iterations: number, addressSpaceKiB: number | null): FuzzReport {
  const node = `"${process.execPath}" --import tsx "${SCRIPT}" ${iterations} ${SEED}`;
  const command = addressSpaceKiB === null ? `exec ${node}` : `ulimit -v ${addressSpaceKiB} && exec ${node}`;
  const r = spawnSync('bash', ['-c', command], { cwd: root, encoding: 'utf8', env: childEnv(), timeout: 180_000, killSignal: 'SIGKILL' });
  expect(r.signal, 'the fuzzer hung').toBeNull();
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as FuzzReport;
}

describe('damaged files', () => {
  it('[fuzz-files] only clean errors or unchanged contents, within bounded memory', () => {
    const baseline = fuzz(0, null).vmPeakKiB;
    const report = fuzz(ITERATIONS_PER_KIND, baseline + 1024 * 1024);
    expect(report.failures).toEqual([]);
    expect(report.iterations).toBe(2 * ITERATIONS_PER_KIND);
    expect(report.counts['total FAILURE'] ?? 0).toBe(0);
    expect((report.counts['total clean error'] ?? 0) + (report.counts['total ok'] ?? 0)).toBe(2 * ITERATIONS_PER_KIND);
    // Most damage is caught; every mutation kind was tried on both kinds of file.
    expect(report.counts['total clean error']).toBeGreaterThan(ITERATIONS_PER_KIND);
    for (const kind of ['npz', 'checkpoint']) {
      for (const mutation of ['flipBits', 'truncate', 'splice', 'editZipField', 'editNpyHeader', 'zipBomb', 'overlappingEntries']) {
        const tried = (report.counts[`${kind} ${mutation} ok`] ?? 0) + (report.counts[`${kind} ${mutation} clean error`] ?? 0);
        expect(tried, `${kind} ${mutation}`).toBeGreaterThan(100);
      }
    }
    // Zip bombs and shared streams: never read, and refused in under a second and 100 MB each.
    for (const kind of ['npz', 'checkpoint']) {
      for (const mutation of ['zipBomb', 'overlappingEntries']) expect(report.counts[`${kind} ${mutation} ok`] ?? 0, `${kind} ${mutation} read`).toBe(0);
    }
    expect(report.bombs.slowestMs).toBeLessThan(1000);
    expect(report.bombs.peakGrowthMiB).toBeLessThan(100);
    console.log(`fuzz: ${report.iterations} files, ${JSON.stringify(report.counts)}; slowest case ${report.slowestMs} ms; bombs: slowest ${report.bombs.slowestMs} ms, peak memory +${report.bombs.peakGrowthMiB} MiB`);
  });
});
