/** The one tensor class of every backend: a shape, a label, and the device's storage handle. */
import type { Shape, Tensor } from './backend.js';
import { InvalidArgumentError } from '../errors.js';

/**
 * A tensor of the backend `owner`, holding storage of type S (a typed array on the CPU, a range of
 * a GPU buffer on WebGPU). A tensor made by `tensor()` owns its storage and hands it back to the
 * backend once, when disposed. A view (`Backend.view`) shares part of another tensor's storage: it
 * owns nothing, and is disposed when it or any tensor it views is.
 */
export class DeviceTensor<S> implements Tensor {
  readonly shape: Shape;
  readonly rows: number;
  readonly cols: number;
  readonly size: number;
  readonly label: string;
  /** The backend that created this tensor (ops reject tensors of other backends). */
  readonly owner: object;
  /** The tensor owning the storage this one lives in (itself unless a view). */
  readonly root: DeviceTensor<S>;
  /** Offset in elements of this tensor's first element inside `root`. */
  readonly offset: number;
  private readonly parent: DeviceTensor<S> | null;
  private current: S | null;
  private readonly onDispose: ((t: DeviceTensor<S>, storage: S) => void) | null;

  /**
   * @param onDispose called once with the storage when an owning tensor is disposed.
   * @param viewOf for a view: the tensor viewed and the offset (elements) inside it.
   */
  constructor(
    shape: Shape,
    storage: S,
    label: string,
    owner: object,
    onDispose: ((t: DeviceTensor<S>, storage: S) => void) | null,
    viewOf: { parent: DeviceTensor<S>; offset: number } | null = null,
  ) {
    this.shape = shape.length === 1 ? [shape[0]] : [shape[0], shape[1]];
    this.rows = shape.length === 1 ? 1 : shape[0];
    this.cols = shape.length === 1 ? shape[0] : shape[1];
    this.size = this.rows * this.cols;
    this.label = label;
    this.owner = owner;
    this.current = storage;
    this.onDispose = onDispose;
    this.parent = viewOf === null ? null : viewOf.parent;
    this.root = viewOf === null ? this : viewOf.parent.root;
    this.offset = viewOf === null ? 0 : viewOf.parent.offset + viewOf.offset;
  }

  get disposed(): boolean {
    return this.current === null || (this.parent !== null && this.parent.disposed);
  }

  /** Whether this tensor is a view of another one's storage. */
  get isView(): boolean {
    return this.parent !== null;
  }

  /** The device storage; throws if the tensor was disposed. */
  get storage(): S {
    if (this.current === null || this.disposed) throw new InvalidArgumentError(`tensor '${this.label}' was disposed`);
    return this.current;
  }

  dispose(): void {
    if (this.current === null) return;
    const storage = this.current;
    this.current = null;
    this.onDispose?.(this, storage);
  }
}

/**
 * Whether two tensors share any element: the same tensor, or two tensors of one storage (views)
 * whose ranges intersect.
 */
export function overlaps(a: Tensor, b: Tensor): boolean {
  if (a === b) return true;
  if (!(a instanceof DeviceTensor) || !(b instanceof DeviceTensor) || a.root !== b.root) return false;
  return a.offset < b.offset + b.size && b.offset < a.offset + a.size;
}

/** Whether two tensors are exactly the same elements (the same tensor, or views of one range). */
export function sameElements(a: Tensor, b: Tensor): boolean {
  if (a === b) return true;
  if (!(a instanceof DeviceTensor) || !(b instanceof DeviceTensor)) return false;
  return a.root === b.root && a.offset === b.offset && a.size === b.size;
}

/** The size of a shape: n, or rows * cols. */
export function shapeSize(shape: Shape): number {
  return shape.length === 1 ? shape[0] : shape[0] * shape[1];
}
