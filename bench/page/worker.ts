/**
 * The bench page's worker: DqnAgent.update on the WebGPU backend (navigator.gpu in a dedicated
 * worker: SwiftShader in headless Chromium) and on the CPU backend, measured as in Node (interleaved
 * blocks, medians, bench/dqn/update-bench.ts), with the backends' dispatch/submit/readback counters
 * per update. It runs where the demo page trains: in a dedicated worker.
 */
import type { Backend } from '../../src/backend/backend.js';
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
  let webgpu: WebGpuBackend | string;
  try {
    webgpu = await WebGpuBackend.create();
  } catch (error) {
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
      const backends: Backend[] = typeof webgpu === 'string' ? [cpu] : [webgpu, cpu];
      const engines = backends.map((b) => new EngineContender(b, hidden));
      for (const e of engines) await e.warmUp();
      const rates = await interleave(engines, { repeats: request.repeats, secondsPerBlock: request.secondsPerBlock });
      const entry: Record<string, unknown> = {};
      for (const e of engines) {
        const { loss, countersPerUpdate } = await e.finish();
        entry[e.name] = { ...summary(rates.get(e) as number[]), finalLoss: round(loss), countersPerUpdate };
      }
      if (engines.length === 2) entry['engine webgpu / engine cpu'] = medianRatio(rates.get(engines[0]) as number[], rates.get(engines[1]) as number[]);
      result[networkLabel(hidden)] = entry;
    }
  } finally {
    cpu.destroy();
    if (typeof webgpu !== 'string') webgpu.destroy();
  }
  return result;
}

scope.addEventListener('message', (event) => {
  measure(event.data).then(
    (result) => scope.postMessage({ type: 'result', result }),
    (error: unknown) => scope.postMessage({ type: 'error', message: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) }),
  );
});
