/**
 * The bench page (bench/page, run by `npm run bench -- --only page-dqn-update`) still builds and
 * measures in Chromium: a tiny run (one repeat of short blocks, a small network) gives figures for
 * the WebGPU and the CPU backend, with the same dispatch count per DqnAgent.update as the engine's
 * CPU backend gives in Node for that network, one submission per update on WebGPU (plus the sync
 * that ends each block), no tensor allocated per update, and nothing logged as an error.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { EngineContender } from '../bench/dqn/update-bench.js';
import { runPageBench } from '../bench/page/drive.js';
import { chromiumAvailable } from './support/browser-page.js';
import { needs } from './support/requirements.js';

const HIDDEN = [16, 16];
const LABEL = '4-16-16-2';

interface Counters {
  dispatches: number;
  submits: number;
  readbacks: number;
  tensorsAllocatedPerUpdate: number;
}

async function nodeCpuCounters(): Promise<Counters> {
  const cpu = new CpuBackend();
  const engine = new EngineContender(cpu, HIDDEN);
  await engine.warmUp();
  await engine.run(10);
  const { countersPerUpdate } = await engine.finish();
  cpu.destroy();
  return countersPerUpdate as unknown as Counters;
}

describe('bench page', needs('chromium', chromiumAvailable()), () => {
  it('measures DqnAgent.update on WebGPU and CPU in a worker, with the Node dispatch count', async () => {
    const expected = await nodeCpuCounters();
    const run = await runPageBench({ repeats: 1, secondsPerBlock: 0.05, networks: [HIDDEN] }, 120_000);
    expect(run.problems).toEqual([]);
    const entry = run.figures[LABEL] as Record<string, { updatesPerSecond: number; finalLoss: number; countersPerUpdate: Counters }>;
    expect(Object.keys(entry)).toEqual(expect.arrayContaining(['engine webgpu', 'engine cpu']));
    for (const name of ['engine webgpu', 'engine cpu']) {
      const { updatesPerSecond, finalLoss, countersPerUpdate } = entry[name];
      expect(updatesPerSecond, name).toBeGreaterThan(0);
      expect(Number.isFinite(finalLoss), name).toBe(true);
      expect(countersPerUpdate.dispatches, name).toBe(expected.dispatches);
      expect(countersPerUpdate.tensorsAllocatedPerUpdate, name).toBe(0);
    }
    const webgpuSubmits = entry['engine webgpu'].countersPerUpdate.submits;
    expect(webgpuSubmits).toBeGreaterThanOrEqual(1);
    expect(webgpuSubmits).toBeLessThan(1.5);
  });
});
