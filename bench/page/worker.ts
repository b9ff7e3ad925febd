/**
 * The bench page's worker: DqnAgent.update on the WebGPU backend (navigator.gpu in a dedicated
 * worker: SwiftShader in headless Chromium) and on the CPU backend, measured as in Node (interleaved
 * blocks, medians, bench/dqn/update-bench.ts), with the backends' dispatch/submit/readback counters
 * per update. It runs where the demo page trains: in a dedicated worker.
 */
import { CpuBackend } from '../../src/backend/cpu/cpu-backend.js';
import { WebGpuBackend } from '../../src/backend/webgpu/index.js';
import { BATCH, EngineContender, NETWORKS, UPDATE_DESCRIPTION, interleave, medianRatio, networkLabel, round, summary } from '../dqn/update-bench.js';
import type { PageBenchReply, PageBenchRequest } from './protocol.js';

interface WorkerScope {
  postMessage(message: PageBenchReply): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<PageBenchRequest>) => void): void;
}
const scope = globalThis as unknown as WorkerScope;

async function measure(request: PageBenchRequest): Promise<Record<string, unknown>> {
  const cpu = new CpuBackend();
  const paths = request.webgpuPaths ?? ['auto'];
  const gpus: { backend: WebGpuBackend; name: string }[] = [];
  let webgpu: WebGpuBackend | string;
  try {
    for (const matmulPath of paths) {
      gpus.push({ backend: await WebGpuBackend.create({ matmulPath }), name: matmulPath === 'auto' ? 'engine webgpu' : `engine webgpu (${matmulPath})` });
    }
    webgpu = gpus[0].backend;
  } catch (error) {
    for (const gpu of gpus) gpu.backend.destroy();
    gpus.length = 0;
    webgpu = `no WebGPU: ${error instanceof Error ? error.message : String(error)}`;
  }
  const result: Record<string, unknown> = {
    update: UPDATE_DESCRIPTION,
    batch: BATCH,
    repeats: request.repeats,
    method: `in a dedicated Web Worker; interleaved blocks of ~${request.secondsPerBlock} s per backend, order alternating per repeat; medians; ratio = median of per-repeat ratios`,
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    webgpuAdapter: typeof webgpu === 'string' ? webgpu : webgpu.adapterDescription,
    ...(typeof webgpu === 'string' ? {} : { webgpuSoftware: webgpu.software }),
  };
  try {
    for (const hidden of request.networks ?? NETWORKS) {
      const engines = [...gpus.map((gpu) => new EngineContender(gpu.backend, hidden, gpu.name)), new EngineContender(cpu, hidden)];
      for (const e of engines) await e.warmUp();
      const rates = await interleave(engines, { repeats: request.repeats, secondsPerBlock: request.secondsPerBlock });
      const entry: Record<string, unknown> = {};
      for (const e of engines) {
        const { loss, countersPerUpdate } = await e.finish();
        entry[e.name] = { ...summary(rates.get(e) as number[]), finalLoss: round(loss), countersPerUpdate };
      }
      const cpuRates = rates.get(engines[engines.length - 1]) as number[];
      for (const e of engines.slice(0, -1)) entry[`${e.name} / engine cpu`] = medianRatio(rates.get(e) as number[], cpuRates);
      result[networkLabel(hidden)] = entry;
    }
  } finally {
    cpu.destroy();
    for (const gpu of gpus) gpu.backend.destroy();
  }
  return result;
}

scope.addEventListener('message', (event) => {
  measure(event.data).then(
    (result) => scope.postMessage({ type: 'result', result }),
    (error: unknown) => scope.postMessage({ type: 'error', message: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) }),
  );
});
