/**
 * What rounds of recorded work cost, in deterministic counts (the dispatch-count tests): kernel
 * dispatches (kernel calls on the CPU backend), queue submissions, readbacks and new GPU objects.
 */
import type { Backend } from '../../src/backend/backend.js';
import { cachedObjectTotal, type WebGpuBackend } from '../../src/backend/webgpu/index.js';

export interface RoundCounts {
  dispatches: number;
  submits: number;
  readbacks: number;
  /** GPU objects (pipelines, bind groups, buffers) created during the counted rounds (0 on the CPU backend). */
  newGpuObjects: number;
}

function gpuObjects(backend: Backend): number {
  return 'gpuObjectsCreated' in backend ? cachedObjectTotal((backend as WebGpuBackend).gpuObjectsCreated()) : 0;
}

/** Counter deltas over `rounds` calls of `round`, each followed by a flush, after two warm-up rounds. */
export async function countRounds(backend: Backend, round: () => void, rounds: number): Promise<RoundCounts> {
  const flushed = () => {
    round();
    backend.flush();
  };
  flushed();
  flushed();
  await backend.sync();
  const objects = gpuObjects(backend);
  const before = backend.stats();
  for (let r = 0; r < rounds; r++) flushed();
  await backend.sync();
  const after = backend.stats();
  return {
    dispatches: after.dispatches - before.dispatches,
    submits: after.submits - before.submits,
    readbacks: after.readbacks - before.readbacks,
    newGpuObjects: gpuObjects(backend) - objects,
  };
}
