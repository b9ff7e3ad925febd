/**
 * The WebGPU backend: every op of the Backend interface as WGSL compute dispatches (webgpu-ops.ts),
 * recorded into one command encoder and submitted when someone reads (or flushes). Float32 only.
 *
 * - Shader files are compiled in `create()` (compile errors throw ShaderCompileError with the WGSL
 *   messages); each kernel's pipeline is built on its first dispatch, so a run compiles only the
 *   kernels it uses (pipelines.ts: PipelineCache); bind groups are cached by buffer ids; tensor buffers are pooled by size; op
 *   parameters go through a uniform ring with dynamic offsets. After warm-up, a training step
 *   creates no GPU object (see `gpuObjectsCreated()`).
 * - Validation, defaults and tensor bookkeeping are BackendBase's, shared with the CPU backend.
 * - A lost device or an uncaptured WebGPU error is thrown by the next call.
 */
import type { FloatArray } from '../backend.js';
import { BackendBase, type DeviceCounters } from '../backend-base.js';
import { InvalidArgumentError } from '../../errors.js';
import { DeviceLostError, GpuError, GpuOutOfMemoryError } from './gpu-errors.js';
import { zeroCounts, type GpuObjectCounts } from './gpu-counters.js';
import { Dispatcher } from './dispatcher.js';
import type { KernelName, ShaderFile } from './kernels.js';
import { LayoutCache, PipelineCache, compileKernelModules, kernelFiles, subgroupLanes } from './pipelines.js';
// The browser bundle swaps the -node modules for their -browser twins (web-build.ts).
import { acquireDevice } from './device-node.js';
import { loadShaderSource } from './shader-sources-node.js';
import { Recorder } from './recorder.js';
import { StoragePool, wholeBlock, type GpuStorage } from './storage-pool.js';
import { WebGpuOps, type MatmulPath, type WebGpuTensor } from './webgpu-ops.js';
import { describeAdapter, isSoftwareAdapter } from './device.js';

export type { MatmulPath } from './webgpu-ops.js';

export interface WebGpuBackendOptions {
  /** Use this device instead of acquiring one; the backend then does not destroy it. */
  device?: GPUDevice;
  /** Adapter preference when the backend acquires its own device. */
  powerPreference?: GPUPowerPreference;
  /** Shader text loader (default: the platform's); tests use it to inject broken WGSL. */
  loadShaderSource?: (file: ShaderFile) => Promise<string>;
  /** Uniform ring slots, i.e. ops per submission before an automatic intermediate submit (default 1024). */
  uniformSlots?: number;
  /**
   * Workgroups per grid dimension before a dispatch spills into a second dimension (default: the
   * device's maxComputeWorkgroupsPerDimension, 65535). Lowering it lets tests exercise 2D grids cheaply.
   */
  maxWorkgroupsPerDimension?: number;
  /**
   * Matmul kernel: 'auto' (default) picks, on CPU-emulated adapters (lavapipe, SwiftShader:
   * barriers are expensive there), 'subgroup' for the fused layer ops where the device has subgroups
   * of 4 or 8 lanes and 'blocked' otherwise, with barrier-free reductions; on GPUs 'tiled', or 'small'
   * (split-k) for tiny outputs with a long k. Forcing one lets tests cover every path on any
   * adapter ('blocked' and 'subgroup' also force the CPU-style reductions, 'tiled' the GPU ones).
   */
  matmulPath?: MatmulPath;
  /**
   * Told what `create()` is doing, for a front end's status line ('requesting a WebGPU adapter and
   * device…', 'compiling 18 WGSL shader files…').
   */
  onStatus?: (text: string) => void;
}

export class WebGpuBackend extends BackendBase<GpuStorage> {
  readonly name = 'webgpu' as const;
  readonly dtype = 'float32' as const;
  protected readonly kind = 'WebGpuBackend';
  protected readonly ops: WebGpuOps;
  /** The GPU device (exposed for tests and interop; do not destroy it behind the backend's back). */
  readonly device: GPUDevice;
  /** `vendor architecture (description)` of the adapter. */
  readonly adapterDescription: string;
  /** A CPU-emulated adapter (see isSoftwareAdapter). */
  readonly software: boolean;

  private readonly counts: GpuObjectCounts;
  private readonly recorder: Recorder;
  private readonly pool: StoragePool;
  private readonly dispatcher: Dispatcher;
  private readonly pipelines: PipelineCache;
  private readonly staging = new Map<number, GPUBuffer[]>();
  private readonly releaseDevice: (() => void) | null;
  private uploadScratch = new Float32Array(0);
  private readbacks = 0;
  private lost: string | null = null;
  private uncaptured: { message: string; outOfMemory: boolean } | null = null;
  private gone = false;

  private constructor(parts: {
    device: GPUDevice;
    adapterDescription: string;
    release: (() => void) | null;
    counts: GpuObjectCounts;
    layouts: LayoutCache;
    pipelines: PipelineCache;
    uniformSlots: number;
    maxGroups: number;
    matmulPath: MatmulPath;
  }) {
    super();
    this.software = isSoftwareAdapter(parts.device.adapterInfo);
    this.device = parts.device;
    this.adapterDescription = parts.adapterDescription;
    this.releaseDevice = parts.release;
    this.counts = parts.counts;
    this.pipelines = parts.pipelines;
    this.recorder = new Recorder(this.device, this.counts, parts.pipelines, parts.uniformSlots);
    this.pool = new StoragePool(this.device, this.counts, (block) => {
      // A buffer bound by unsubmitted work must not be destroyed before that work is submitted.
      if (block.lastEpoch === this.recorder.epoch) this.recorder.submit();
    });
    this.dispatcher = new Dispatcher(this.device, this.recorder, parts.pipelines, parts.layouts, this.pool, this.counts, parts.maxGroups);
    this.ops = new WebGpuOps(this.dispatcher, parts.matmulPath, this.software, subgroupLanes(this.device));
    this.device.lost.then(
      (info) => {
        if (!this.gone) this.lost = `WebGPU device lost (${info.reason}): ${info.message || 'no message'}`;
      },
      () => {},
    );
    this.device.addEventListener('uncapturederror', this.onUncapturedError);
  }

  /** Acquires a device (unless one is given), compiles the shader files, and returns a ready backend (pipelines are built on first use). */
  static async create(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
    const status = options.onStatus ?? (() => {});
    let device: GPUDevice;
    let adapterDescription: string;
    let release: (() => void) | null;
    if (options.device !== undefined) {
      device = options.device;
      adapterDescription = describeAdapter(device.adapterInfo);
      release = null;
    } else {
      status('requesting a WebGPU adapter and device…');
      const acquired = await acquireDevice(options.powerPreference ? { powerPreference: options.powerPreference } : {});
      device = acquired.device;
      adapterDescription = acquired.adapterDescription;
      release = acquired.release;
    }
    const counts = zeroCounts();
    const layouts = new LayoutCache(device, counts);
    try {
      status(`compiling ${kernelFiles(device).length} WGSL shader files…`);
      const modules = await compileKernelModules(device, options.loadShaderSource ?? loadShaderSource, counts);
      const pipelines = new PipelineCache(device, modules, layouts, counts);
      const uniformSlots = options.uniformSlots ?? 1024;
      if (!Number.isInteger(uniformSlots) || uniformSlots < 1) {
        throw new InvalidArgumentError(`WebGpuBackend: uniformSlots must be a positive integer, got ${uniformSlots}`);
      }
      const deviceMax = device.limits.maxComputeWorkgroupsPerDimension;
      const maxGroups = options.maxWorkgroupsPerDimension ?? deviceMax;
      if (!Number.isInteger(maxGroups) || maxGroups < 1 || maxGroups > deviceMax) {
        throw new InvalidArgumentError(`WebGpuBackend: maxWorkgroupsPerDimension must be an integer in [1, ${deviceMax}], got ${maxGroups}`);
      }
      const matmulPath = options.matmulPath ?? 'auto';
      return new WebGpuBackend({ device, adapterDescription, release, counts, layouts, pipelines, uniformSlots, maxGroups, matmulPath });
    } catch (error) {
      release?.();
      throw error;
    }
  }

  /** The adapter (adapterDescription). */
  describe(): string {
    return this.adapterDescription;
  }

  /** GPU objects created so far (buffers, bind groups, layouts, pipelines, shader modules, encoders, submits). */
  gpuObjectsCreated(): GpuObjectCounts {
    return { ...this.counts };
  }

  /** The kernels whose pipelines were built so far (on their first dispatch), in build order. */
  pipelinesBuilt(): KernelName[] {
    return this.pipelines.built();
  }

  /** Dispatches recorded so far, per kernel of the table in kernels.ts. */
  kernelDispatches(): Record<KernelName, number> {
    return { ...this.dispatcher.perKernel };
  }

  // ---------------------------------------------------------------- storage

  protected allocateStorage(size: number, label: string, data: ArrayLike<number> | undefined): GpuStorage {
    const { block, fresh } = this.pool.acquire(size * 4, label);
    const storage = wholeBlock(block);
    if (data !== undefined) this.uploadTo(storage, data, 0);
    else if (!fresh) this.zeroFill(storage, size);
    return storage;
  }

  protected freeStorage(storage: GpuStorage): void {
    this.pool.release(storage.block);
  }

  protected viewStorage(storage: GpuStorage, offset: number, size: number): GpuStorage {
    return { block: storage.block, offset: storage.offset + offset * 4, bytes: size * 4 };
  }

  protected storageBytes(storage: GpuStorage): number {
    return storage.bytes;
  }

  protected upload(t: WebGpuTensor, data: ArrayLike<number>, offset: number): void {
    this.uploadTo(t.storage, data, offset);
  }

  protected async download(t: WebGpuTensor, dst: FloatArray | undefined): Promise<FloatArray> {
    const bytes = t.size * 4;
    const staging = this.acquireStaging(bytes);
    this.recorder.copyBuffer(t.storage.block.buffer, t.storage.offset, staging, 0, bytes);
    this.recorder.submit();
    this.readbacks++;
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    } catch (error) {
      this.checkUsable();
      throw error;
    }
    const mapped = new Float32Array(staging.getMappedRange(0, bytes));
    const out = dst ?? new Float32Array(t.size);
    out.set(mapped);
    staging.unmap();
    this.releaseStaging(bytes, staging);
    return out;
  }

  protected flushDevice(): void {
    this.recorder.submit();
  }

  protected async syncDevice(): Promise<void> {
    this.recorder.submit();
    await this.device.queue.onSubmittedWorkDone();
  }

  protected counters(): DeviceCounters {
    return { dispatches: this.dispatcher.dispatches, submits: this.counts.submits, readbacks: this.readbacks };
  }

  protected destroyDevice(): void {
    this.gone = true;
    this.dispatcher.clear();
    this.pool.destroyAll();
    for (const list of this.staging.values()) for (const b of list) b.destroy();
    this.staging.clear();
    this.recorder.ring.destroy();
    this.device.removeEventListener('uncapturederror', this.onUncapturedError);
    const release = this.releaseDevice;
    if (release === null) return;
    // Pipelines' error scopes still pending: release the device once they settle (Dawn keeps the
    // process alive until then), never under them (PipelineCache.checked).
    const checked = this.pipelines.checked();
    if (checked === null) release();
    else void checked.then(release);
  }

  /** Throws if the device was lost or an uncaptured WebGPU error happened. */
  protected override checkDevice(): void {
    if (this.lost !== null) throw new DeviceLostError(this.lost);
    const failure = this.pipelines.takeFailure();
    if (failure !== null) throw failure;
    if (this.uncaptured !== null) {
      const { message, outOfMemory } = this.uncaptured;
      this.uncaptured = null;
      throw outOfMemory ? new GpuOutOfMemoryError(message) : new GpuError(message);
    }
  }

  // ---------------------------------------------------------------- helpers

  private readonly onUncapturedError = (event: Event): void => {
    const error = (event as GPUUncapturedErrorEvent).error;
    const outOfMemory = typeof GPUOutOfMemoryError !== 'undefined' && error instanceof GPUOutOfMemoryError;
    this.uncaptured ??= { message: outOfMemory ? `WebGPU out of memory: ${error.message}` : `uncaptured WebGPU error: ${error.message}`, outOfMemory };
  };

  /** queue.writeBuffer, submitting first if recorded work still uses the buffer (so it sees the old data). */
  private uploadTo(storage: GpuStorage, data: ArrayLike<number>, offset: number): void {
    if (data.length === 0) return;
    if (storage.block.lastEpoch === this.recorder.epoch && this.recorder.pending) this.recorder.submit();
    let values: Float32Array<ArrayBuffer>;
    if (data instanceof Float32Array && data.buffer instanceof ArrayBuffer) {
      values = data as Float32Array<ArrayBuffer>;
    } else {
      // Converted through a reused array (writeBuffer copies it at once), so uploads of float64
      // or plain arrays allocate nothing once the scratch is large enough.
      if (this.uploadScratch.length < data.length) this.uploadScratch = new Float32Array(Math.max(data.length, 2 * this.uploadScratch.length));
      values = this.uploadScratch;
      for (let i = 0; i < data.length; i++) values[i] = data[i];
    }
    this.device.queue.writeBuffer(storage.block.buffer, storage.offset + offset * 4, values, 0, data.length);
  }

  /** Zeroes a reused buffer (through the same scratch as uploads). */
  private zeroFill(storage: GpuStorage, size: number): void {
    if (this.uploadScratch.length < size) this.uploadScratch = new Float32Array(size);
    this.uploadScratch.fill(0, 0, size);
    this.uploadTo(storage, this.uploadScratch.subarray(0, size), 0);
  }

  private acquireStaging(bytes: number): GPUBuffer {
    const reused = this.staging.get(bytes)?.pop();
    if (reused !== undefined) return reused;
    this.counts.buffers++;
    return this.device.createBuffer({ label: 'read staging', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  private releaseStaging(bytes: number, buffer: GPUBuffer): void {
    let list = this.staging.get(bytes);
    if (list === undefined) {
      list = [];
      this.staging.set(bytes, list);
    }
    list.push(buffer);
  }
}
