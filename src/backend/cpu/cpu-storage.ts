/**
 * The storage of a CPU tensor, one interface over two kinds of memory, so that the plain
 * TypeScript kernels run on either:
 * - `HostStorage`: a JavaScript typed array (the TypeScript kernels; float64 for gradient checks);
 * - a `WasmRegion` (src/backend/wasm/heap.ts): float32 elements in the WebAssembly memory of the
 *   backend's WASM kernels, which take its byte address `ptr`.
 * A view (Backend.view) is a storage at an offset into its root's: a subarray, or a pointer offset.
 */
import type { FloatArray } from '../backend.js';

export interface CpuStorage {
  /**
   * The elements (exactly the tensor's size). In WASM memory this array is re-derived after the
   * memory grows (growth detaches the old one), which only an allocation can cause: take it inside
   * an op, never keep it across a tensor allocation.
   */
  readonly data: FloatArray;
  /** Byte address of the first element in WASM memory; -1 for host storage (never passed to a kernel). */
  readonly ptr: number;
  /** Elements. */
  readonly length: number;
  /** The `length` elements from `offset` (elements; a multiple of VIEW_ALIGNMENT), shared, not copied. */
  subview(offset: number, length: number, label?: string): CpuStorage;
  /** Returns the memory (a no-op for host storage, which is garbage collected). Views are never freed. */
  free(): void;
}

/** Storage in a JavaScript typed array. */
export class HostStorage implements CpuStorage {
  readonly ptr = -1;

  constructor(readonly data: FloatArray) {}

  get length(): number {
    return this.data.length;
  }

  subview(offset: number, length: number): HostStorage {
    return new HostStorage(this.data.subarray(offset, offset + length));
  }

  free(): void {}
}
