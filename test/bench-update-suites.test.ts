/**
 * The update benches stay runnable (`npm run bench -- --only pqn-update`, `dqn-update`): the PQN
 * suite end to end in a tiny configuration (one repeat of short blocks, CleanRL's network, the
 * default CPU kernels, WebGPU when an adapter exists, NumPy when python3 has it), its float32 NumPy
 * step against the float64 reference of the cross-check, and the DQN suite's fresh regime on both
 * sides. Timings are not checked (a shared machine): only that each figure is there and sane.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { probeAdapter } from '../src/backend/webgpu/device-node.js';
import { EngineContender } from '../bench/dqn/update-bench.js';
import { pqnUpdate } from '../bench/suites/pqn-update.js';
import { NumpyServer } from '../bench/update-suite.js';
import { numpySkipReason } from './support/numpy-reference.js';
import { failOnCi } from './support/requirements.js';

const CHECK = fileURLToPath(new URL('./support/pqn_bench_check.py', import.meta.url));
const DQN_NUMPY = fileURLToPath(new URL('../bench/numpy/dqn_update.py', import.meta.url));
const hasNumpy = numpySkipReason === null;
if (!hasNumpy) console.warn(`bench-update-suites: the NumPy parts skipped: ${numpySkipReason}`);
// Only asks whether an adapter exists (for the suite's WebGPU contender); the suite makes its own device.
const adapter = await probeAdapter();
if (adapter.found !== true) failOnCi(adapter.reason);

type Json = Record<string, any>;

describe('the pqn-update bench', () => {
  it('is a suite npm run bench finds', () => {
    expect(readdirSync(fileURLToPath(new URL('../bench/suites/', import.meta.url)))).toContain('pqn-update.ts');
  });

  it('runs end to end in a tiny configuration: rates, ratios to NumPy, losses and counters per step', async () => {
    const result = (await pqnUpdate({ repeats: 1, secondsPerBlock: 0.01, networks: [[120, 84]], cpuKernels: [new CpuBackend().kernels], webgpu: adapter.found === true })) as Json;
    expect(result.batch).toBe(128);
    expect(result.regime).toMatch(/^fresh/);
    const entry = result['4-120-84-2'] as Json;
    const engines = Object.keys(entry).filter((k) => k !== 'numpy');
    expect(engines.length).toBe(adapter.found === true ? 2 : 1);
    for (const name of engines) {
      const e = entry[name] as Json;
      expect(e.updatesPerSecond, name).toBeGreaterThan(0);
      expect(Number.isFinite(e.finalLoss), name).toBe(true);
      // Whole dispatches per step: the untimed restores of the fresh regime are not counted.
      expect(Number.isInteger(e.countersPerUpdate.dispatches) && e.countersPerUpdate.dispatches > 0, name).toBe(true);
      expect(e.countersPerUpdate.readbacks, name).toBe(0);
      expect(e.countersPerUpdate.tensorsAllocatedPerUpdate, name).toBe(0);
      if (hasNumpy) expect(e.overNumpy, name).toBeGreaterThan(0);
    }
    if (hasNumpy) {
      expect(entry.numpy.updatesPerSecond).toBeGreaterThan(0);
      expect(Number.isFinite(entry.numpy.finalLoss)).toBe(true);
      expect(result.numpy.threads.OPENBLAS_NUM_THREADS).toBe('1');
    } else {
      expect(typeof entry.numpy).toBe('string');
    }
  });

  it.skipIf(!hasNumpy)("has a NumPy step equal to the float64 reference's (RAdam's first step clipped, a rectified step unclipped)", () => {
    const run = spawnSync('python3', [CHECK], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const cases = JSON.parse(run.stdout) as Record<string, Json>;
    expect([cases.first.rectified, cases.first.clipped, cases.rectified.rectified, cases.rectified.clipped]).toEqual([false, true, true, false]);
    for (const [name, c] of Object.entries(cases)) {
      for (const key of ['loss', 'gradNorm', 'weights', 'm', 'v']) expect(c[key], `${name} ${key}`).toBeLessThan(1e-5);
      // The step itself, p_new - p_old, is a small difference of float32 weights near 1.
      expect(c.weightChange, `${name} weightChange`).toBeLessThan(2e-3);
    }
  });
});

describe("the dqn-update bench's fresh regime", () => {
  it('restarts the engine from its initial state before each block, with counters of the timed updates only', async () => {
    const backend = new CpuBackend();
    const contender = new EngineContender(backend, [16, 16], 'cpu', { fresh: true });
    await contender.warmUp();
    await contender.run(7);
    await contender.run(7);
    const { loss, countersPerUpdate } = await contender.finish();
    backend.destroy();
    expect(Number.isFinite(loss)).toBe(true);
    expect(Number.isInteger(countersPerUpdate.dispatches)).toBe(true);
    expect(countersPerUpdate.tensorsAllocatedPerUpdate).toBe(0);
  });

  it.skipIf(!hasNumpy)('is served by the NumPy script beside the continued one', async () => {
    const server = new NumpyServer(DQN_NUMPY);
    try {
      const fresh = await server.request({ hidden: [8, 8], updates: 5, fresh: true });
      const continued = await server.request({ hidden: [8, 8], updates: 5 });
      expect(fresh.fresh).toBe(true);
      expect(continued.fresh).toBeUndefined();
      expect(fresh.seconds).toBeGreaterThan(0);
      expect(continued.seconds).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });
});
