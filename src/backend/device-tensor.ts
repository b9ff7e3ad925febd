/** The one tensor class of every backend: a shape, a label, and the device's storage handle. */
import type { Shape, Tensor } from './backend.js';
import { InvalidArgumentError } from '../errors.js';

/**
 * A tensor of the backend `owner`, holding storage of type S (a typed array on the CPU, a GPU
 * buffer on WebGPU). Disposing it hands the storage back to the backend once.
 */
export class DeviceTensor<S> implements Tensor {
  readonly shape: Shape;
  readonly rows: number;
  readonly cols: number;
  readonly size: number;
  readonly label: string;
  /** The backend that created this tensor (ops reject tensors of other backends). */
  readonly owner: object;
  private current: S | null;
  private readonly onDispose: (t: DeviceTensor<S>, storage: S) => void;

  constructor(shape: Shape, storage: S, label: string, owner: object, onDispose: (t: DeviceTensor<S>, storage: S) => void) {
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

  /** The device storage; throws if the tensor was disposed. */
  get storage(): S {
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

/** The size of a shape: n, or rows * cols. */
export function shapeSize(shape: Shape): number {
  return shape.length === 1 ? shape[0] : shape[0] * shape[1];
}
