/**
 * The CPU backend: every op runs synchronously on typed arrays (cpu-ops.ts). Storage is
 * Float32Array (the default, matching WebGPU) or Float64Array (`dtype: 'float64'`, for gradient
 * checks through the very same nn code). Validation, defaults and bookkeeping are BackendBase's.
 */
import type { DType, FloatArray } from '../backend.js';
import { BackendBase, type DeviceCounters } from '../backend-base.js';
import { InvalidArgumentError } from '../../errors.js';
import { CpuOps, type CpuTensor } from './cpu-ops.js';

export interface CpuBackendOptions {
  /** Element storage: 'float32' (default) or 'float64'. */
  dtype?: DType;
}

export class CpuBackend extends BackendBase<FloatArray> {
  readonly name = 'cpu' as const;
  readonly dtype: DType;
  protected readonly kind = 'CpuBackend';
  protected readonly ops = new CpuOps();
  private readbacks = 0;

  constructor(options: CpuBackendOptions = {}) {
    super();
    const dtype = options.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') {
      throw new InvalidArgumentError(`CpuBackend: dtype must be 'float32' or 'float64', got '${String(dtype)}'`);
    }
    this.dtype = dtype;
  }

  protected allocateStorage(size: number, _label: string, data: ArrayLike<number> | undefined): FloatArray {
    const storage = this.dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
    if (data !== undefined) storage.set(data);
    return storage;
  }

  protected freeStorage(): void {
    // Typed arrays are garbage collected.
  }

  protected viewStorage(storage: FloatArray, offset: number, size: number): FloatArray {
    return storage.subarray(offset, offset + size);
  }

  protected storageBytes(storage: FloatArray): number {
    return storage.byteLength;
  }

  protected upload(t: CpuTensor, data: ArrayLike<number>, offset: number): void {
    t.storage.set(data, offset);
  }

  protected download(t: CpuTensor, dst: FloatArray | undefined): Promise<FloatArray> {
    this.readbacks++;
    const src = t.storage;
    if (dst === undefined) return Promise.resolve(src.slice(0, t.size));
    dst.set(src.length === t.size ? src : src.subarray(0, t.size));
    return Promise.resolve(dst);
  }

  protected flushDevice(): void {}

  protected syncDevice(): Promise<void> {
    return Promise.resolve();
  }

  protected counters(): DeviceCounters {
    return { dispatches: this.ops.calls, submits: 0, readbacks: this.readbacks };
  }

  protected destroyDevice(): void {}
}
