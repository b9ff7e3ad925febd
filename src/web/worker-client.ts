/** The page's end of the worker protocol: typed requests that resolve with the worker's reply. */
import type { ReplyValues, WorkerMessage, WorkerRequest } from './protocol.js';

type ProgressMessage = Extract<WorkerMessage, { type: 'progress' }>;
type NoticeMessage = Extract<WorkerMessage, { type: 'notice' }>;
type StatusMessage = Extract<WorkerMessage, { type: 'status' }>;
type StartedMessage = Extract<WorkerMessage, { type: 'started' }>;

export interface WorkerClientHandlers {
  onProgress(message: ProgressMessage): void;
  onNotice(message: NoticeMessage): void;
  onStatus(message: StatusMessage): void;
  onStarted(message: StartedMessage): void;
}

export class WorkerClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  constructor(
    private readonly worker: Worker,
    handlers: WorkerClientHandlers,
  ) {
    worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => {
      const message = event.data;
      if (message.type === 'progress') handlers.onProgress(message);
      else if (message.type === 'notice') handlers.onNotice(message);
      else if (message.type === 'status') handlers.onStatus(message);
      else if (message.type === 'started') handlers.onStarted(message);
      else {
        const waiter = this.pending.get(message.id);
        if (!waiter) return;
        this.pending.delete(message.id);
        if (message.ok) waiter.resolve(message.value);
        else waiter.reject(new Error(message.error));
      }
    });
    worker.addEventListener('error', (event) => {
      handlers.onNotice({ type: 'notice', level: 'error', text: `worker failed: ${event.message}` });
    });
  }

  /** Sends a request; resolves with its reply value or rejects with the worker's error. */
  request<T extends WorkerRequest['type']>(request: Extract<WorkerRequest, { type: T }>, transfer: Transferable[] = []): Promise<ReplyValues[T]> {
    const id = this.nextId++;
    return new Promise<ReplyValues[T]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }
}
