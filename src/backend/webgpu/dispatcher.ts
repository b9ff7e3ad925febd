/**
 * Turns "run kernel K on these buffers with these parameters" into recorded WebGPU commands: the
 * parameter slot, the cached bind group, the workgroup grid, and the staging of outputs that alias
 * an input. WebGpuOps (one method per Backend op) is its only client.
 */
import type { GpuObjectCounts } from './gpu-counters.js';
import { KERNELS, KERNEL_NAMES, type KernelName, type ParamsOf } from './kernels.js';
import { ParamWriter, type ParamLayout } from './param-layout.js';
import type { LayoutCache, PipelineCache } from './pipelines.js';
import type { Recorder } from './recorder.js';
import { wholeBlock, type GpuStorage, type StoragePool } from './storage-pool.js';

export class Dispatcher {
  /** Compute dispatches recorded so far (BackendStats.dispatches). */
  dispatches = 0;
  /** The same, per kernel. */
  readonly perKernel = Object.fromEntries(KERNEL_NAMES.map((k) => [k, 0])) as Record<KernelName, number>;
  private readonly bound: GpuStorage[] = [];
  private readonly stagedOriginals: GpuStorage[] = [];
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly scratch = new Map<string, GpuStorage>();
  private readonly writer: ParamWriter<string>;
  private unusedRead: GpuStorage | null = null;
  private unusedWrite: GpuStorage | null = null;
  /** The kernel and recorder number of the latest dispatch (see `dropLatest`). */
  private latestKernel: KernelName | null = null;
  private latestDispatch = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly recorder: Recorder,
    private readonly pipelines: PipelineCache,
    private readonly layouts: LayoutCache,
    private readonly pool: StoragePool,
    private readonly counts: GpuObjectCounts,
    /** Workgroups per grid dimension before a dispatch spills into a second dimension. */
    private readonly maxGroups: number,
  ) {
    this.writer = new ParamWriter(recorder.u32, recorder.f32);
  }

  /** Whether `kernel` can be built on this device (a kernel with an unmet KernelSpec.requires cannot). */
  available(kernel: KernelName): boolean {
    return this.pipelines.offers(kernel);
  }

  /** Reserves the uniform slot of the next dispatch of `kernel`; set its fields by name, then bind and run. */
  params<K extends KernelName>(kernel: K): ParamWriter<ParamsOf<K>> {
    const layout: ParamLayout<string> = KERNELS[kernel].params;
    return this.writer.begin(layout, this.recorder.reserveSlot()) as ParamWriter<ParamsOf<K>>;
  }

  /** The storage buffers of the next dispatch, bindings 1, 2, ... (fixed arity: no array per call). */
  bind(
    s1: GpuStorage,
    s2?: GpuStorage,
    s3?: GpuStorage,
    s4?: GpuStorage,
    s5?: GpuStorage,
    s6?: GpuStorage,
    s7?: GpuStorage,
    s8?: GpuStorage,
  ): this {
    const bound = this.bound;
    bound.length = 0;
    bound.push(s1);
    if (s2 !== undefined) bound.push(s2);
    if (s3 !== undefined) bound.push(s3);
    if (s4 !== undefined) bound.push(s4);
    if (s5 !== undefined) bound.push(s5);
    if (s6 !== undefined) bound.push(s6);
    if (s7 !== undefined) bound.push(s7);
    if (s8 !== undefined) bound.push(s8);
    return this;
  }

  /**
   * Small buffers to bind where a kernel's optional operand is absent (its flags say so, and the
   * kernel never touches it): one for read-only bindings and one for read_write bindings, so the
   * two never alias each other.
   */
  unused(access: 'r' | 'w'): GpuStorage {
    if (access === 'r') return (this.unusedRead ??= wholeBlock(this.pool.acquire(256, 'unused read binding').block));
    return (this.unusedWrite ??= wholeBlock(this.pool.acquire(256, 'unused write binding').block));
  }

  /**
   * Copies `parts` end to end into one scratch buffer and returns it, for a kernel whose operands
   * outnumber the 8 storage buffers a stage may bind (ppoLoss's five (B, 1) inputs): the copies
   * are recorded before the dispatch that binds the scratch, so it reads what earlier ops wrote.
   * One scratch per total size, created once (no buffer after warm-up). Copies are not dispatches.
   */
  pack(parts: readonly GpuStorage[]): GpuStorage {
    let bytes = 0;
    for (const part of parts) bytes += part.bytes;
    const key = `pack:${bytes}`;
    let scratch = this.scratch.get(key);
    if (scratch === undefined) {
      scratch = wholeBlock(this.pool.acquire(bytes, 'packed operands').block);
      this.scratch.set(key, scratch);
    }
    const epoch = this.recorder.epoch;
    let offset = 0;
    for (const part of parts) {
      // Recorded work reads the part: an upload to it must wait for this recording's submission.
      part.block.lastEpoch = epoch;
      this.recorder.copyBuffer(part.block.buffer, part.offset, scratch.block.buffer, offset, part.bytes);
      offset += part.bytes;
    }
    return scratch;
  }

  /** Dispatches `kernel` over `items` threads along x (spilling into y beyond maxGroups workgroups). */
  run(kernel: KernelName, items: number): void {
    const threads = KERNELS[kernel].threads;
    if (threads === 0) throw new Error(`internal: ${kernel} is dispatched by its tile grid, not over threads`);
    const groups = Math.max(1, Math.ceil(items / threads));
    const x = Math.min(groups, this.maxGroups);
    this.grid(kernel, x, Math.ceil(groups / x));
  }

  /** `count` workgroups laid out along x, spilling into y beyond maxGroups. */
  workgroups(kernel: KernelName, count: number): void {
    const x = Math.min(Math.max(1, count), this.maxGroups);
    this.grid(kernel, x, Math.ceil(count / x));
  }

  /**
   * Dispatches `kernel` on an x by y grid of workgroups with the bound storages and the slot just
   * reserved. WebGPU forbids, within one dispatch, a buffer bound read_write together with any
   * read-only binding of the same buffer (a whole buffer is one "subresource"), and two writable
   * bindings of one buffer may not overlap either. Such an output (scale in place, gradIn = gradOut,
   * a view of an arena another binding reads, ...) is staged: its range is copied into a cached
   * scratch buffer, the kernel writes the scratch, and the result is copied back. Only those calls
   * pay the two copies; no buffer is created after warm-up.
   */
  grid(kernel: KernelName, x: number, y: number): void {
    const spec = KERNELS[kernel];
    if (!this.pipelines.offers(kernel)) throw new Error(`internal: this device lacks what kernel ${kernel} requires`);
    const bound = this.bound;
    const epoch = this.recorder.epoch;
    let staged = 0;
    for (let i = 0; i < bound.length; i++) {
      bound[i].block.lastEpoch = epoch;
      if (spec.access[i] !== 'w' || !this.conflicts(i, spec.access)) continue;
      const original = bound[i];
      const scratch = this.scratchFor(original.bytes, i);
      this.recorder.copyBuffer(original.block.buffer, original.offset, scratch.block.buffer, 0, original.bytes);
      this.stagedOriginals[i] = original;
      bound[i] = scratch;
      staged |= 1 << i;
    }
    this.latestDispatch = this.recorder.dispatch(kernel, this.bindGroup(spec.access), x, y);
    this.latestKernel = kernel;
    this.dispatches++;
    this.perKernel[kernel]++;
    if (staged === 0) return;
    for (let i = 0; i < bound.length; i++) {
      if ((staged & (1 << i)) === 0) continue;
      const original = this.stagedOriginals[i];
      this.recorder.copyBuffer(bound[i].block.buffer, 0, original.block.buffer, original.offset, original.bytes);
      bound[i] = original;
    }
  }

  /** The number of the latest dispatch (for `dropLatest`). */
  get latest(): number {
    return this.latestDispatch;
  }

  /**
   * Takes back dispatch `dispatch` of `kernel` if it is the latest and still held by the recorder
   * (nothing recorded after it: see Recorder), because the next dispatch does its work too. Returns
   * whether it did; the counters then no longer count it.
   */
  dropLatest(kernel: KernelName, dispatch: number): boolean {
    if (this.latestKernel !== kernel || !this.recorder.holds(dispatch)) return false;
    this.recorder.dropHeld();
    this.latestKernel = null;
    this.dispatches--;
    this.perKernel[kernel]--;
    return true;
  }

  /** Whether writable binding i shares its buffer with a read-only binding, or overlaps another binding. */
  private conflicts(i: number, access: string): boolean {
    const bound = this.bound;
    const s = bound[i];
    for (let j = 0; j < bound.length; j++) {
      const t = bound[j];
      if (j === i || t.block !== s.block) continue;
      if (access[j] !== 'w') return true;
      if (s.offset < t.offset + t.bytes && t.offset < s.offset + s.bytes) return true;
    }
    return false;
  }

  /** Forgets cached bind groups (their buffers are being destroyed). */
  clear(): void {
    this.bindGroups.clear();
    this.scratch.clear();
    this.unusedRead = null;
    this.unusedWrite = null;
  }

  /** A scratch buffer of `bytes` bytes for binding `binding` (distinct per binding), created once. */
  private scratchFor(bytes: number, binding: number): GpuStorage {
    const key = `${bytes}:${binding}`;
    let scratch = this.scratch.get(key);
    if (scratch === undefined) {
      scratch = wholeBlock(this.pool.acquire(bytes, 'alias scratch').block);
      this.scratch.set(key, scratch);
    }
    return scratch;
  }

  /** The cached bind group (group 0) of the bound storages. */
  private bindGroup(access: string): GPUBindGroup {
    let key = access;
    for (const s of this.bound) key += `,${s.block.id}:${s.offset}:${s.bytes}`;
    let group = this.bindGroups.get(key);
    if (group === undefined) {
      const entries: GPUBindGroupEntry[] = this.bound.map((s, i) => ({ binding: i + 1, resource: { buffer: s.block.buffer, offset: s.offset, size: s.bytes } }));
      group = this.device.createBindGroup({ layout: this.layouts.bindGroupLayout(access), entries });
      this.counts.bindGroups++;
      this.bindGroups.set(key, group);
    }
    return group;
  }
}
