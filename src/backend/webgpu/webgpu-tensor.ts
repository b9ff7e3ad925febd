/** The WebGPU backend's tensor: a storage buffer plus its shape. */
import type { Shape, Tensor } from '../backend.js';
import { InvalidArgumentError } from '../../errors.js';
import type { GpuStorage } from './storage-pool.js';

export class WebGpuTensor implements Tensor {
  readonly shape: Shape;
  readonly rows: number;
  readonly cols: number;
  readonly size: number;
  readonly label: string;
  /** The backend that created this tensor (ops reject tensors of other backends). */
  readonly owner: object;
  private current: GpuStorage | null;
  private readonly onDispose: (t: WebGpuTensor, storage: GpuStorage) => void;

  constructor(shape: Shape, storage: GpuStorage, label: string, owner: object, onDispose: (t: WebGpuTensor, storage: GpuStorage) => void) {
    this.shape = shape.length === 1 ? [shape[0]] : [shape[0], shape[1]];
    this.rows = shape.length === 1 ? 1 : shape[0];
    this.cols = shape.length === 1 ? shape[0] : shape[1];
    this.size = this.rows * this.cols;
    this.label = label;
    this.owner = owner;
    this.current = storage;
    this.onDispose = onDispose;
  }

  get disposed(): boolean {
    return this.current === null;
  }

  /** The storage buffer; throws if the tensor was disposed. */
  get storage(): GpuStorage {
    if (this.current === null) throw new InvalidArgumentError(`tensor '${this.label}' was disposed`);
    return this.current;
  }

  dispose(): void {
    if (this.current === null) return;
    const storage = this.current;
    this.current = null;
    this.onDispose(this, storage);
  }
}
