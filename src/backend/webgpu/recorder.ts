/**
 * Records compute dispatches into one command encoder and submits them together.
 *
 * Each recorded op gets its own 256-byte slot of a uniform ring buffer; each slot is a bind group
 * of its own (group 1, made once with the ring), so no dispatch binds a dynamic offset (see
 * PARAMS_GROUP in pipelines.ts for why). The slots are filled on the host and uploaded with a
 * single queue.writeBuffer right before the encoder is submitted: queue writes land before the
 * work submitted after them, so every op of a submission sees its own parameters. When the ring is
 * full the recording so far is submitted and the ring starts again (queue order keeps that correct too).
 *
 * All dispatches of a submission share one compute pass; WebGPU orders the storage accesses of
 * consecutive dispatches, so op N sees what op N-1 wrote.
 *
 * The latest dispatch is held back, encoded only when the next command is recorded or the
 * recording is submitted, so that the op after it may replace it by a kernel that does the work of
 * both (see `dropHeld`); anything that must follow recorded work (a submission, a copy, an upload
 * through `pending`) sees the held dispatch as recorded. Its kernel's pipeline is looked up (and
 * built on first use: PipelineCache) only when it is encoded, so a dropped dispatch builds none.
 */
import type { GpuObjectCounts } from './gpu-counters.js';
import { UNIFORM_SLOT_BYTES, type KernelName } from './kernels.js';
import { PARAMS_GROUP, createParamsLayout, type PipelineCache } from './pipelines.js';

const SLOT_WORDS = UNIFORM_SLOT_BYTES / 4;

export class Recorder {
  /** Incremented at every submission; a buffer bound in the current epoch has unsubmitted uses. */
  epoch = 0;
  /** The uniform ring: one slot per recorded op. */
  readonly ring: GPUBuffer;
  /** Host copy of the ring, as u32 and f32 views of the same bytes. */
  readonly u32: Uint32Array<ArrayBuffer>;
  readonly f32: Float32Array<ArrayBuffer>;
  private readonly capacity: number;
  /** The bind group of each slot (group 1). */
  private readonly slotGroups: GPUBindGroup[] = [];
  private slots = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** The held dispatch (reused: recording allocates nothing). */
  private readonly held = { kernel: null as KernelName | null, storages: null as GPUBindGroup | null, slot: 0, x: 0, y: 0 };
  private holding = false;
  /** Incremented at every dispatch: names the held one (see `holds`). */
  private dispatchCount = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly counts: GpuObjectCounts,
    private readonly pipelines: PipelineCache,
    capacitySlots = 1024,
  ) {
    this.capacity = capacitySlots;
    this.ring = device.createBuffer({
      label: 'uniform ring',
      size: capacitySlots * UNIFORM_SLOT_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    counts.buffers++;
    const layout = createParamsLayout(device, counts);
    for (let i = 0; i < capacitySlots; i++) {
      const resource = { buffer: this.ring, offset: i * UNIFORM_SLOT_BYTES, size: UNIFORM_SLOT_BYTES };
      this.slotGroups.push(device.createBindGroup({ label: `params slot ${i}`, layout, entries: [{ binding: 0, resource }] }));
    }
    counts.bindGroups += capacitySlots;
    const host = new ArrayBuffer(capacitySlots * UNIFORM_SLOT_BYTES);
    this.u32 = new Uint32Array(host);
    this.f32 = new Float32Array(host);
  }

  /** Whether anything was recorded since the last submission. */
  get pending(): boolean {
    return this.encoder !== null || this.holding;
  }

  /**
   * Reserves the uniform slot of the next op (submitting first when the ring is full) and returns
   * the index of its first 32-bit word in `u32`/`f32`. Fill it, then call `dispatch`.
   */
  reserveSlot(): number {
    if (this.slots === this.capacity) this.submit();
    return this.slots * SLOT_WORDS;
  }

  /**
   * Records one dispatch of `kernel` with `storages` as group 0 and the slot just reserved as
   * group 1 (held until the next command), and returns its number for `holds`.
   */
  dispatch(kernel: KernelName, storages: GPUBindGroup, x: number, y: number): number {
    this.encodeHeld();
    const held = this.held;
    held.kernel = kernel;
    held.storages = storages;
    held.slot = this.slots;
    held.x = x;
    held.y = y;
    this.holding = true;
    this.slots++;
    return ++this.dispatchCount;
  }

  /** Whether dispatch number `dispatch` (from `dispatch`) is still held, i.e. nothing was recorded after it. */
  holds(dispatch: number): boolean {
    return this.holding && dispatch === this.dispatchCount;
  }

  /** Forgets the held dispatch: the op recorded next does its work. Its uniform slot stays used. */
  dropHeld(): void {
    this.holding = false;
  }

  private encodeHeld(): void {
    if (!this.holding) return;
    this.holding = false;
    const held = this.held;
    const pass = this.computePass();
    pass.setPipeline(this.pipelines.get(held.kernel as KernelName));
    pass.setBindGroup(0, held.storages);
    pass.setBindGroup(PARAMS_GROUP, this.slotGroups[held.slot]);
    pass.dispatchWorkgroups(held.x, held.y);
  }

  /** Records a buffer-to-buffer copy of `bytes` bytes (ends the current compute pass). */
  copyBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.encodeHeld();
    const encoder = this.commandEncoder();
    if (this.pass !== null) {
      this.pass.end();
      this.pass = null;
    }
    encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Uploads the used uniform slots, then finishes and submits the recording (no-op when empty). */
  submit(): void {
    this.encodeHeld();
    if (this.encoder === null) return;
    if (this.pass !== null) {
      this.pass.end();
      this.pass = null;
    }
    if (this.slots > 0) this.device.queue.writeBuffer(this.ring, 0, this.u32, 0, this.slots * SLOT_WORDS);
    const commands = this.encoder.finish();
    this.encoder = null;
    this.slots = 0;
    this.epoch++;
    this.device.queue.submit([commands]);
    this.counts.submits++;
  }

  private commandEncoder(): GPUCommandEncoder {
    if (this.encoder === null) {
      this.encoder = this.device.createCommandEncoder({ label: 'recording' });
      this.counts.commandEncoders++;
    }
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    if (this.pass === null) this.pass = this.commandEncoder().beginComputePass({ label: 'ops' });
    return this.pass;
  }
}
