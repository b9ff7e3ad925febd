/**
 * The bench page: starts the worker (worker.ts) and gives the driver (bench/suites/page-dqn-update.ts,
 * through Playwright) `window.runDqnBench(request)`, which resolves to the worker's figures.
 */
import type { PageBenchReply, PageBenchRequest } from './protocol.js';

declare global {
  interface Window {
    runDqnBench(request: PageBenchRequest): Promise<Record<string, unknown>>;
  }
}

window.runDqnBench = (request) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    worker.addEventListener('message', (event: MessageEvent<PageBenchReply>) => {
      worker.terminate();
      if (event.data.type === 'result') resolve(event.data.result);
      else reject(new Error(event.data.message));
    });
    worker.addEventListener('error', (event) => {
      worker.terminate();
      reject(new Error(`bench worker: ${event.message}`));
    });
    worker.postMessage(request);
  });
