/**
 * The allocator of float32 regions in one WebAssembly.Memory.
 *
 * - Every region starts on a multiple of ALIGN_BYTES (256) and its capacity is rounded up to a
 *   multiple of it, so SIMD loads are aligned and a sub-view at an aligned offset (a tensor in a
 *   parameter arena) follows the same rule as a WebGPU binding offset.
 * - First fit over an address-ordered free list; freeing coalesces with both neighbours.
 * - When nothing fits, the memory grows (by at least a quarter of its size, to amortise). Growth
 *   detaches the old ArrayBuffer, so every Float32Array over it becomes empty. Regions therefore
 *   hold no view: `view()` derives one from the current buffer (cached per buffer generation, so
 *   warm calls allocate nothing). Only `alloc` grows the memory: a view stays valid until the
 *   next allocation; take views per op, never store them across allocations.
 */
import { InvalidArgumentError, errorMessage } from '../../errors.js';
import { ALIGN_BYTES, ALIGN_FLOATS, MAX_MEMORY_BYTES, PAGE_BYTES } from './memory-layout.js';

/** A float32 range of WASM memory: a whole allocation, or a view into one (an arena's tensor). */
export class WasmRegion {
  private cachedView: Float32Array | null = null;
  private cachedGeneration = -1;

  constructor(
    private readonly heap: WasmHeap,
    /** Byte address in the memory (the value kernels take). Fixed for the region's life. */
    readonly ptr: number,
    /** Length in floats. */
    readonly length: number,
    /** Bytes reserved (a multiple of ALIGN_BYTES; 0 for a sub-view, which owns nothing). */
    readonly capacityBytes: number,
    readonly label: string,
    /** The allocation a sub-view lives in (null for an allocation). */
    readonly parent: WasmRegion | null,
  ) {}

  /** Index of the first float in the heap's Float32Array. */
  get offset(): number {
    return this.ptr >>> 2;
  }

  get freed(): boolean {
    return this.parent !== null ? this.parent.freed : !this.heap.owns(this);
  }

  /**
   * A Float32Array over exactly this region, from the memory's current buffer. Valid until the
   * next allocation on the heap (which may grow the memory); call again rather than keep it.
   */
  view(): Float32Array {
    if (this.cachedGeneration !== this.heap.generation || this.cachedView === null) {
      if (this.freed) throw new InvalidArgumentError(`wasm region '${this.label}' was freed`);
      this.cachedView = new Float32Array(this.heap.memory.buffer, this.ptr, this.length);
      this.cachedGeneration = this.heap.generation;
    }
    return this.cachedView;
  }

  /** The same as view(): the region's floats (the CPU backend's storage interface, cpu-storage.ts). */
  get data(): Float32Array {
    return this.view();
  }

  /**
   * A view of `length` floats starting `offsetFloats` into this region (a tensor in an arena).
   * offsetFloats must be a multiple of ALIGN_FLOATS; the sub-view is freed with its parent.
   */
  subview(offsetFloats: number, length: number, label = `${this.label}[${offsetFloats}]`): WasmRegion {
    if (!Number.isInteger(offsetFloats) || offsetFloats < 0 || offsetFloats % ALIGN_FLOATS !== 0) {
      throw new InvalidArgumentError(`subview of '${this.label}': offset ${offsetFloats} is not a non-negative multiple of ${ALIGN_FLOATS} floats`);
    }
    if (!Number.isInteger(length) || length < 0 || offsetFloats + length > this.length) {
      throw new InvalidArgumentError(`subview of '${this.label}': [${offsetFloats}, ${offsetFloats + length}) is outside its ${this.length} floats`);
    }
    return new WasmRegion(this.heap, this.ptr + 4 * offsetFloats, length, 0, label, this.parent ?? this);
  }

  /** Returns the allocation to the heap (sub-views cannot be freed alone). */
  free(): void {
    if (this.parent !== null) throw new InvalidArgumentError(`'${this.label}' is a view into '${this.parent.label}': free the arena instead`);
    this.heap.free(this);
  }
}

export interface WasmHeapStats {
  /** Live allocations. */
  regions: number;
  /** Bytes reserved by live allocations. */
  bytesInUse: number;
  /** Size of the memory in bytes. */
  memoryBytes: number;
  /** Times the memory has grown. */
  grows: number;
}

/** Rounds a float count up to the allocation granule (at least one granule). */
export function alignedFloats(floats: number): number {
  return Math.max(ALIGN_FLOATS, Math.ceil(floats / ALIGN_FLOATS) * ALIGN_FLOATS);
}

export class WasmHeap {
  /** Bumped whenever the memory grows (its buffer is then a new object). */
  generation = 0;
  private grows = 0;
  private bytesInUse = 0;
  private readonly live = new Set<WasmRegion>();
  /** Free blocks [start, end) in bytes, sorted by address, never adjacent (coalesced). */
  private readonly freeStarts: number[] = [];
  private readonly freeEnds: number[] = [];
  private wholeView: Float32Array;
  private wholeGeneration = 0;

  constructor(
    readonly memory: WebAssembly.Memory,
    /** First byte the heap may hand out (after the kernels' fixed scratch areas); a multiple of ALIGN_BYTES. */
    start: number,
  ) {
    if (start % ALIGN_BYTES !== 0) throw new InvalidArgumentError(`WasmHeap: start ${start} is not a multiple of ${ALIGN_BYTES}`);
    const size = memory.buffer.byteLength;
    if (size > start) {
      this.freeStarts.push(start);
      this.freeEnds.push(size);
    }
    this.wholeView = new Float32Array(memory.buffer);
  }

  /** A Float32Array over the whole memory (index = byte address / 4); valid until the next allocation. */
  f32(): Float32Array {
    if (this.wholeGeneration !== this.generation) {
      this.wholeView = new Float32Array(this.memory.buffer);
      this.wholeGeneration = this.generation;
    }
    return this.wholeView;
  }

  owns(region: WasmRegion): boolean {
    return this.live.has(region);
  }

  /** A new region of `floats` floats, zero-filled. */
  alloc(floats: number, label = 'region'): WasmRegion {
    if (!Number.isInteger(floats) || floats < 0) throw new InvalidArgumentError(`wasm alloc '${label}': size ${floats} is not a non-negative integer`);
    const bytes = alignedFloats(floats) * 4;
    let index = this.findFit(bytes);
    if (index < 0) {
      this.grow(bytes);
      index = this.findFit(bytes);
      if (index < 0) throw new Error(`wasm alloc '${label}': no block of ${bytes} bytes after growing the memory`);
    }
    const ptr = this.freeStarts[index];
    if (this.freeEnds[index] - ptr === bytes) {
      this.freeStarts.splice(index, 1);
      this.freeEnds.splice(index, 1);
    } else {
      this.freeStarts[index] = ptr + bytes;
    }
    const region = new WasmRegion(this, ptr, floats, bytes, label, null);
    this.live.add(region);
    this.bytesInUse += bytes;
    this.f32().fill(0, ptr >>> 2, (ptr + bytes) >>> 2);
    return region;
  }

  free(region: WasmRegion): void {
    if (!this.live.delete(region)) throw new InvalidArgumentError(`wasm region '${region.label}' was already freed (or belongs to another heap)`);
    this.bytesInUse -= region.capacityBytes;
    this.insertFree(region.ptr, region.ptr + region.capacityBytes);
  }

  stats(): WasmHeapStats {
    return { regions: this.live.size, bytesInUse: this.bytesInUse, memoryBytes: this.memory.buffer.byteLength, grows: this.grows };
  }

  private findFit(bytes: number): number {
    for (let i = 0; i < this.freeStarts.length; i++) if (this.freeEnds[i] - this.freeStarts[i] >= bytes) return i;
    return -1;
  }

  private insertFree(start: number, end: number): void {
    let i = 0;
    while (i < this.freeStarts.length && this.freeStarts[i] < start) i++;
    const mergesLeft = i > 0 && this.freeEnds[i - 1] === start;
    const mergesRight = i < this.freeStarts.length && this.freeStarts[i] === end;
    if (mergesLeft && mergesRight) {
      this.freeEnds[i - 1] = this.freeEnds[i];
      this.freeStarts.splice(i, 1);
      this.freeEnds.splice(i, 1);
    } else if (mergesLeft) {
      this.freeEnds[i - 1] = end;
    } else if (mergesRight) {
      this.freeStarts[i] = start;
    } else {
      this.freeStarts.splice(i, 0, start);
      this.freeEnds.splice(i, 0, end);
    }
  }

  /** Grows the memory so that a block of `bytes` fits at its end. */
  private grow(bytes: number): void {
    const oldSize = this.memory.buffer.byteLength;
    // A free block at the very end extends into the new pages.
    const last = this.freeStarts.length - 1;
    const tailFree = last >= 0 && this.freeEnds[last] === oldSize ? oldSize - this.freeStarts[last] : 0;
    // At least a quarter more (to amortise), but never past the most a memory can hold: near that
    // limit, exactly what is needed still fits.
    const neededPages = Math.ceil((bytes - tailFree) / PAGE_BYTES);
    const roomPages = (MAX_MEMORY_BYTES - oldSize) / PAGE_BYTES;
    const pages = Math.max(neededPages, Math.min(Math.ceil(oldSize / 4 / PAGE_BYTES), roomPages));
    try {
      this.memory.grow(pages);
    } catch (error) {
      throw new Error(`wasm heap: cannot grow the memory from ${oldSize} by ${pages * PAGE_BYTES} bytes (${errorMessage(error)})`);
    }
    this.generation++;
    this.grows++;
    this.insertFree(oldSize, this.memory.buffer.byteLength);
  }
}
