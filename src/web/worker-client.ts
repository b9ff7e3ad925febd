/** The page's end of the worker protocol: typed requests that resolve with the worker's reply. */
import type { ReplyValues, WorkerMessage, WorkerRequest } from './protocol.js';

type ProgressMessage = Extract<WorkerMessage, { type: 'progress' }>;
type NoticeMessage = Extract<WorkerMessage, { type: 'notice' }>;
type StatusMessage = Extract<WorkerMessage, { type: 'status' }>;
type StartedMessage = Extract<WorkerMessage, { type: 'started' }>;
type EnvCheckPhaseMessage = Extract<WorkerMessage, { type: 'env-check-phase' }>;

export interface WorkerClientHandlers {
  onProgress(message: ProgressMessage): void;
  onNotice(message: NoticeMessage): void;
  onStatus(message: StatusMessage): void;
  onStarted(message: StartedMessage): void;
  onEnvCheckPhase?(message: EnvCheckPhaseMessage): void;
}

/** A request that got no reply within its time limit (the worker may be stuck: its owner decides). */
export class RequestTimeoutError extends Error {
  constructor(
    readonly requestType: WorkerRequest['type'],
    readonly seconds: number,
  ) {
    super(`the training worker did not answer '${requestType}' within ${seconds} s`);
    this.name = 'RequestTimeoutError';
  }
}

export class WorkerClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private disposed = false;

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
      else if (message.type === 'env-check-phase') handlers.onEnvCheckPhase?.(message);
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

  /**
   * Sends a request; resolves with its reply value or rejects with the worker's error. With
   * `timeoutS`, rejects with RequestTimeoutError when no reply came within that many seconds.
   */
  request<T extends WorkerRequest['type']>(request: Extract<WorkerRequest, { type: T }>, transfer: Transferable[] = [], options: { timeoutS?: number } = {}): Promise<ReplyValues[T]> {
    if (this.disposed) return Promise.reject(new Error('the training worker was stopped'));
    const id = this.nextId++;
    return new Promise<ReplyValues[T]>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.pending.delete(id);
      };
      this.pending.set(id, {
        resolve: (value) => {
          settle();
          resolve(value as ReplyValues[T]);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      const timeoutS = options.timeoutS;
      if (timeoutS !== undefined) timer = setTimeout(() => this.pending.get(id)?.reject(new RequestTimeoutError(request.type, timeoutS)), timeoutS * 1000);
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }

  /** Terminates the worker; every request still waiting rejects with `reason`. */
  dispose(reason: string): void {
    this.disposed = true;
    this.worker.terminate();
    for (const waiter of [...this.pending.values()]) waiter.reject(new Error(reason));
    this.pending.clear();
  }
}
