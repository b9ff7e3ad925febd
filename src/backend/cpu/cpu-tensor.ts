/** The CPU backend's tensor: a typed array plus its shape. */
import type { FloatArray, Shape, Tensor } from '../backend.js';
import { InvalidArgumentError } from '../../errors.js';

/** A host-memory tensor. `data` is exposed for the CPU kernels; other code goes through the Backend. */
export class CpuTensor implements Tensor {
  readonly shape: Shape;
  readonly rows: number;
  readonly cols: number;
  readonly size: number;
  readonly label: string;
  private storage: FloatArray | null;
  private readonly onDispose: (t: CpuTensor, bytes: number) => void;

  constructor(shape: Shape, storage: FloatArray, label: string, onDispose: (t: CpuTensor, bytes: number) => void) {
    this.shape = shape.length === 1 ? [shape[0]] : [shape[0], shape[1]];
    this.rows = shape.length === 1 ? 1 : shape[0];
    this.cols = shape.length === 1 ? shape[0] : shape[1];
    this.size = this.rows * this.cols;
    this.label = label;
    this.storage = storage;
    this.onDispose = onDispose;
  }

  get disposed(): boolean {
    return this.storage === null;
  }

  /** The element storage; throws if the tensor was disposed. */
  get data(): FloatArray {
    if (this.storage === null) throw new InvalidArgumentError(`tensor '${this.label}' was disposed`);
    return this.storage;
  }

  /** Bytes held by the storage (0 once disposed). */
  get byteLength(): number {
    return this.storage === null ? 0 : this.storage.byteLength;
  }

  dispose(): void {
    if (this.storage === null) return;
    const bytes = this.storage.byteLength;
    this.storage = null;
    this.onDispose(this, bytes);
  }
}
