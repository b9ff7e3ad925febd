/**
 * GPU storage buffers for tensors. A disposed tensor's buffer goes back to a free list keyed by
 * byte size, so creating and disposing temporaries of the same shapes creates no GPU buffers
 * after the first time. Bind groups are keyed by buffer id, so they stay valid across reuse.
 */
import type { GpuObjectCounts } from './gpu-counters.js';

/** One storage buffer with the bookkeeping the recorder needs. */
export interface GpuBlock {
  readonly buffer: GPUBuffer;
  /** Unique per buffer, for bind group cache keys. */
  readonly id: number;
  readonly bytes: number;
  /** The recording epoch in which a recorded op last bound this buffer (-1: never). */
  lastEpoch: number;
}

/** A tensor's storage: a byte range of a block (all of it, unless the tensor is a view). */
export interface GpuStorage {
  readonly block: GpuBlock;
  /** Byte offset of the range inside the block (a multiple of 256 for views). */
  readonly offset: number;
  readonly bytes: number;
}

/** The whole of a block as a storage. */
export function wholeBlock(block: GpuBlock): GpuStorage {
  return { block, offset: 0, bytes: block.bytes };
}

/** Free buffers beyond this many bytes are destroyed rather than kept. */
const MAX_POOLED_BYTES = 256 * 1024 * 1024;

export class StoragePool {
  private readonly free = new Map<number, GpuBlock[]>();
  private pooledBytes = 0;
  private nextId = 1;
  private readonly all = new Set<GpuBlock>();

  /**
   * @param beforeDestroy called before a buffer is destroyed when the pool is full, so that
   *   recorded but unsubmitted work using it can be submitted first.
   */
  constructor(
    private readonly device: GPUDevice,
    private readonly counts: GpuObjectCounts,
    private readonly beforeDestroy: (block: GpuBlock) => void = () => {},
  ) {}

  /** A buffer of `bytes` bytes (a multiple of 4); `fresh` is true when newly created (zero-filled). */
  acquire(bytes: number, label: string): { block: GpuBlock; fresh: boolean } {
    const list = this.free.get(bytes);
    const reused = list?.pop();
    if (reused !== undefined) {
      this.pooledBytes -= bytes;
      return { block: reused, fresh: false };
    }
    const buffer = this.device.createBuffer({
      label,
      size: bytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.counts.buffers++;
    const block: GpuBlock = { buffer, id: this.nextId++, bytes, lastEpoch: -1 };
    this.all.add(block);
    return { block, fresh: true };
  }

  /** Returns a buffer to the pool (or destroys it when the pool is full). */
  release(block: GpuBlock): void {
    if (this.pooledBytes + block.bytes > MAX_POOLED_BYTES) {
      this.beforeDestroy(block);
      this.all.delete(block);
      block.buffer.destroy();
      return;
    }
    let list = this.free.get(block.bytes);
    if (list === undefined) {
      list = [];
      this.free.set(block.bytes, list);
    }
    list.push(block);
    this.pooledBytes += block.bytes;
  }

  /** Destroys every buffer, live or pooled. */
  destroyAll(): void {
    for (const s of this.all) s.buffer.destroy();
    this.all.clear();
    this.free.clear();
    this.pooledBytes = 0;
  }
}
