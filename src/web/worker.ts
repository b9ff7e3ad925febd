/**
 * The training worker: owns the compute backend (and with it the GPU device, which
 * `navigator.gpu` provides in dedicated workers) and the trainer (any algorithm of the registry), so training never blocks
 * the page's drawing. A custom env module the page loads (a same-origin URL or pasted source) runs
 * here only, never in the page (docs/web.md, "A custom env"). Bundled as worker.js beside main.js.
 */
import type { RequestMessage, WorkerMessage } from './protocol.js';
import { errorMessage } from '../errors.js';
import { TrainingSession } from './training-session.js';

interface WorkerScope {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<RequestMessage>) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  addEventListener(type: 'unhandledrejection', listener: (event: PromiseRejectionEvent) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
const session = new TrainingSession((message, transfer) => scope.postMessage(message, transfer ?? []));

scope.addEventListener('message', (event) => {
  void session.handle(event.data);
});
scope.addEventListener('unhandledrejection', (event) => {
  const reason: unknown = event.reason;
  scope.postMessage({ type: 'notice', level: 'error', text: `worker: ${errorMessage(reason)}` });
});
