/**
 * The WebGPU backend: every op of the Backend interface as a WGSL compute dispatch, recorded into
 * one command encoder and submitted when someone reads (or flushes). Float32 only.
 *
 * - Pipelines are compiled once in `create()` (compile errors throw ShaderCompileError with the
 *   WGSL messages); bind groups are cached by buffer ids; tensor buffers are pooled by size; op
 *   parameters go through a uniform ring with dynamic offsets. After warm-up, a training step
 *   creates no GPU object (see `gpuObjectsCreated()`).
 * - Shape checks are the shared validators of ../validate.js, so both backends throw the same errors.
 * - A lost device or an uncaptured WebGPU error is thrown by the next call.
 */
import {
  type Activation,
  type AdamHyperParameters,
  type AccumulateOption,
  type Backend,
  type BackendStats,
  type FloatArray,
  type LossKind,
  type LossOptions,
  type MatmulOptions,
  type SgdHyperParameters,
  type Shape,
  type Tensor,
} from '../backend.js';
import { InvalidArgumentError } from '../../errors.js';
import * as v from '../validate.js';
import { DeviceLostError, GpuError } from './gpu-errors.js';
import { zeroCounts, type GpuObjectCounts } from './gpu-counters.js';
import { ACTIVATION_CODES, KERNELS, LOSS_CODES, UNIFORM_SLOT_BYTES, type KernelName } from './kernels.js';
import { LayoutCache, buildPipelines } from './pipelines.js';
// The browser bundle swaps the -node modules for their -browser twins (web-build.ts).
import { acquireDevice } from './device-node.js';
import { loadShaderSource } from './shader-sources-node.js';
import { Recorder } from './recorder.js';
import { StoragePool, type GpuStorage } from './storage-pool.js';
import { WebGpuTensor } from './webgpu-tensor.js';
import { describeAdapter, isSoftwareAdapter } from './device.js';
import type { ShaderFile } from './shader-files.js';

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
   * Matmul kernel: 'auto' (default) picks 'blocked' on CPU-emulated adapters (lavapipe,
   * SwiftShader: barriers are expensive there) and otherwise 'tiled', or 'small' (split-k) for
   * tiny outputs with a long k. Forcing one lets tests cover every path on any adapter.
   */
  matmulPath?: MatmulPath;
}

/** The matmul kernels of shaders/matmul.wgsl. */
export type MatmulPath = 'auto' | 'tiled' | 'blocked' | 'small';

const DEFAULT_LEAKY_ALPHA = 0.01;
const DEFAULT_HUBER_DELTA = 1;
const DEFAULT_CE_EPS = 1e-7;
/** Matmuls with at most this many outputs use the split-k path (one workgroup per output). */
const SMALL_MATMUL_OUTPUTS = 256;
/** ... and at least this long a k (below it one tiled workgroup does as well). */
const SMALL_MATMUL_MIN_K = 128;

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly dtype = 'float32' as const;
  /** The GPU device (exposed for tests and interop; do not destroy it behind the backend's back). */
  readonly device: GPUDevice;
  /** `vendor architecture (description)` of the adapter. */
  readonly adapterDescription: string;

  private readonly counts: GpuObjectCounts;
  private readonly pipelines: Record<KernelName, GPUComputePipeline>;
  private readonly layouts: LayoutCache;
  private readonly recorder: Recorder;
  private readonly pool: StoragePool;
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly staging = new Map<number, GPUBuffer[]>();
  private readonly dummy: GpuStorage;
  private readonly live = new Set<WebGpuTensor>();
  private readonly releaseDevice: (() => void) | null;
  private bytes = 0;
  private destroyed = false;
  private lost: string | null = null;
  private uncaptured: string | null = null;
  private readonly bound: GpuStorage[] = [];
  private uploadScratch = new Float32Array(0);
  private readonly maxGroups: number;
  private readonly matmulPath: MatmulPath;
  /** A CPU-emulated adapter (see isSoftwareAdapter). */
  readonly software: boolean;
  private readonly stagedOriginals: GpuStorage[] = [];
  private readonly scratch = new Map<string, GpuStorage>();

  private constructor(parts: {
    device: GPUDevice;
    adapterDescription: string;
    release: (() => void) | null;
    counts: GpuObjectCounts;
    layouts: LayoutCache;
    pipelines: Record<KernelName, GPUComputePipeline>;
    uniformSlots: number;
    maxGroups: number;
    matmulPath: MatmulPath;
  }) {
    this.maxGroups = parts.maxGroups;
    this.software = isSoftwareAdapter(parts.device.adapterInfo);
    this.matmulPath = parts.matmulPath;
    this.device = parts.device;
    this.adapterDescription = parts.adapterDescription;
    this.releaseDevice = parts.release;
    this.counts = parts.counts;
    this.layouts = parts.layouts;
    this.pipelines = parts.pipelines;
    this.recorder = new Recorder(this.device, this.counts, parts.uniformSlots);
    this.pool = new StoragePool(this.device, this.counts, (storage) => {
      // A buffer bound by unsubmitted work must not be destroyed before that work is submitted.
      if (storage.lastEpoch === this.recorder.epoch) this.recorder.submit();
    });
    this.dummy = this.pool.acquire(16, 'unused binding').storage;
    this.device.lost.then(
      (info) => {
        if (!this.destroyed) this.lost = `WebGPU device lost (${info.reason}): ${info.message || 'no message'}`;
      },
      () => {},
    );
    this.device.addEventListener('uncapturederror', this.onUncapturedError);
  }

  /** Acquires a device (unless one is given), compiles every kernel, and returns a ready backend. */
  static async create(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
    let device: GPUDevice;
    let adapterDescription: string;
    let release: (() => void) | null;
    if (options.device !== undefined) {
      device = options.device;
      adapterDescription = describeAdapter(device.adapterInfo);
      release = null;
    } else {
      const acquired = await acquireDevice(options.powerPreference ? { powerPreference: options.powerPreference } : {});
      device = acquired.device;
      adapterDescription = acquired.adapterDescription;
      release = acquired.release;
    }
    const counts = zeroCounts();
    const layouts = new LayoutCache(device, counts);
    try {
      const pipelines = await buildPipelines(device, options.loadShaderSource ?? loadShaderSource, layouts, counts);
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

  /** GPU objects created so far (buffers, bind groups, layouts, pipelines, shader modules, encoders, submits). */
  gpuObjectsCreated(): GpuObjectCounts {
    return { ...this.counts };
  }

  // ---------------------------------------------------------------- storage

  tensor(shape: Shape, data?: ArrayLike<number>, label = 'tensor'): Tensor {
    this.checkUsable();
    v.validateTensorData(shape, data);
    const size = shape.length === 1 ? shape[0] : shape[0] * shape[1];
    const { storage, fresh } = this.pool.acquire(size * 4, label);
    const t = new WebGpuTensor(shape, storage, label, this, this.release);
    this.live.add(t);
    this.bytes += storage.bytes;
    if (data !== undefined) this.upload(storage, data, 0);
    else if (!fresh) this.zeroFill(storage, size);
    return t;
  }

  write(t: Tensor, data: ArrayLike<number>, offset = 0): void {
    this.checkUsable();
    v.validateWrite(t, data, offset);
    this.upload(this.storageOf(t), data, offset);
  }

  async read(t: Tensor, dst?: FloatArray): Promise<FloatArray> {
    this.checkUsable();
    v.validateRead(t, dst);
    const bytes = t.size * 4;
    const staging = this.acquireStaging(bytes);
    this.recorder.copyBuffer(this.storageOf(t).buffer, staging, bytes);
    this.recorder.submit();
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

  flush(): void {
    this.checkUsable();
    this.recorder.submit();
  }

  async sync(): Promise<void> {
    this.checkUsable();
    this.recorder.submit();
    await this.device.queue.onSubmittedWorkDone();
    this.checkUsable();
  }

  stats(): BackendStats {
    return { tensorsAlive: this.live.size, bytesAlive: this.bytes };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const t of [...this.live]) t.dispose();
    this.bindGroups.clear();
    this.pool.destroyAll();
    for (const list of this.staging.values()) for (const b of list) b.destroy();
    this.staging.clear();
    this.recorder.ring.destroy();
    this.device.removeEventListener('uncapturederror', this.onUncapturedError);
    this.releaseDevice?.();
  }

  // ---------------------------------------------------------------- elementwise and copies

  fill(out: Tensor, value: number): void {
    this.checkUsable();
    v.validateFill(out, value);
    const s = this.recorder.reserveSlot();
    this.recorder.u32[s] = out.size;
    this.recorder.f32[s + 1] = value;
    this.run('fill', out.size, this.storageOf(out));
  }

  copy(src: Tensor, dst: Tensor): void {
    this.checkUsable();
    v.validateCopy(src, dst);
    if (src === dst) return;
    const s = this.recorder.reserveSlot();
    this.recorder.u32[s] = src.size;
    this.run('copy', src.size, this.storageOf(src), this.storageOf(dst));
  }

  scale(x: Tensor, alpha: number, out: Tensor): void {
    this.checkUsable();
    v.validateScale(x, alpha, out);
    const s = this.recorder.reserveSlot();
    this.recorder.u32[s] = x.size;
    this.recorder.f32[s + 1] = alpha;
    this.run('scale', x.size, this.storageOf(x), this.storageOf(out));
  }

  addMul(a: Tensor, b: Tensor, c: Tensor, out: Tensor): void {
    this.checkUsable();
    v.validateAddMul(a, b, c, out);
    const s = this.recorder.reserveSlot();
    this.recorder.u32[s] = a.size;
    this.run('addMul', a.size, this.storageOf(a), this.storageOf(b), this.storageOf(c), this.storageOf(out));
  }

  lerp(dst: Tensor, src: Tensor, t: number): void {
    this.checkUsable();
    v.validateLerp(dst, src, t);
    if (dst === src) return;
    const s = this.recorder.reserveSlot();
    this.recorder.u32[s] = dst.size;
    this.recorder.f32[s + 1] = t;
    this.run('lerp', dst.size, this.storageOf(dst), this.storageOf(src));
  }

  // ---------------------------------------------------------------- linear algebra

  matmul(a: Tensor, b: Tensor, out: Tensor, options: MatmulOptions = {}): void {
    this.checkUsable();
    const { m, k, n } = v.validateMatmul(a, b, out, options);
    const s = this.recorder.reserveSlot();
    const u = this.recorder.u32;
    u[s] = m;
    u[s + 1] = n;
    u[s + 2] = k;
    u[s + 3] = (options.transA === true ? 1 : 0) | (options.transB === true ? 2 : 0) | (options.accumulate === true ? 4 : 0);
    this.bound.length = 0;
    this.bound.push(this.storageOf(a), this.storageOf(b), this.storageOf(out));
    let path = this.matmulPath;
    if (path === 'auto') {
      if (this.software) path = 'blocked';
      else path = m * n <= SMALL_MATMUL_OUTPUTS && k >= SMALL_MATMUL_MIN_K ? 'small' : 'tiled';
    }
    if (path === 'small') {
      const x = Math.min(m * n, this.maxGroups);
      this.dispatchBound('matmulSmall', x, Math.ceil((m * n) / x));
    } else {
      this.dispatchBound(path === 'tiled' ? 'matmulTiled' : 'matmulBlocked', Math.ceil(n / 64), Math.ceil(m / 64));
    }
  }

  columnSum(x: Tensor, out: Tensor, options: AccumulateOption = {}): void {
    this.checkUsable();
    v.validateColumnSum(x, out);
    this.rowsColsSlot(x.rows, x.cols, options.accumulate === true ? 1 : 0);
    this.run('columnSum', x.cols, this.storageOf(x), this.storageOf(out));
  }

  // ---------------------------------------------------------------- layers

  biasActivation(x: Tensor, bias: Tensor | null, activation: Activation, out: Tensor, alpha = DEFAULT_LEAKY_ALPHA): void {
    this.checkUsable();
    v.validateBiasActivation(x, bias, activation, out, alpha);
    const s = this.rowsColsSlot(x.rows, x.cols, ACTIVATION_CODES[activation]);
    this.recorder.u32[s + 3] = bias === null ? 0 : 1;
    this.recorder.f32[s + 4] = alpha;
    const biasStorage = bias === null ? this.dummy : this.storageOf(bias);
    if (activation === 'softmax') this.run('biasSoftmax', x.rows, this.storageOf(x), biasStorage, this.storageOf(out));
    else this.run('biasActivation', x.size, this.storageOf(x), biasStorage, this.storageOf(out));
  }

  activationBackward(activation: Activation, y: Tensor, gradOut: Tensor, gradIn: Tensor, alpha = DEFAULT_LEAKY_ALPHA): void {
    this.checkUsable();
    v.validateActivationBackward(activation, y, gradOut, gradIn, alpha);
    const s = this.rowsColsSlot(y.rows, y.cols, ACTIVATION_CODES[activation]);
    this.recorder.f32[s + 4] = alpha;
    if (activation === 'softmax') this.run('softmaxBackward', y.rows, this.storageOf(y), this.storageOf(gradOut), this.storageOf(gradIn));
    else this.run('activationBackward', y.size, this.storageOf(y), this.storageOf(gradOut), this.storageOf(gradIn));
  }

  // ---------------------------------------------------------------- indexing and reductions over rows

  gatherColumns(x: Tensor, indices: Tensor, out: Tensor): void {
    this.checkUsable();
    v.validateGatherColumns(x, indices, out);
    this.rowsColsSlot(x.rows, x.cols, 0);
    this.run('gatherColumns', x.rows, this.storageOf(x), this.storageOf(indices), this.storageOf(out));
  }

  scatterColumns(values: Tensor, indices: Tensor, out: Tensor): void {
    this.checkUsable();
    v.validateScatterColumns(values, indices, out);
    this.rowsColsSlot(out.rows, out.cols, 0);
    this.run('scatterColumns', out.size, this.storageOf(values), this.storageOf(indices), this.storageOf(out));
  }

  rowMax(x: Tensor, out: Tensor): void {
    this.checkUsable();
    v.validateRowReduce('rowMax', x, out);
    this.rowsColsSlot(x.rows, x.cols, 0);
    this.run('rowMax', x.rows, this.storageOf(x), this.storageOf(out));
  }

  rowArgmax(x: Tensor, out: Tensor): void {
    this.checkUsable();
    v.validateRowReduce('rowArgmax', x, out);
    this.rowsColsSlot(x.rows, x.cols, 0);
    this.run('rowArgmax', x.rows, this.storageOf(x), this.storageOf(out));
  }

  duelingCombine(value: Tensor, advantage: Tensor, q: Tensor): void {
    this.checkUsable();
    v.validateDuelingCombine(value, advantage, q);
    this.rowsColsSlot(advantage.rows, advantage.cols, 0);
    this.run('duelingCombine', advantage.rows, this.storageOf(value), this.storageOf(advantage), this.storageOf(q));
  }

  duelingBackward(gradQ: Tensor, gradValue: Tensor, gradAdvantage: Tensor): void {
    this.checkUsable();
    v.validateDuelingBackward(gradQ, gradValue, gradAdvantage);
    this.rowsColsSlot(gradQ.rows, gradQ.cols, 0);
    this.run('duelingBackward', gradQ.rows, this.storageOf(gradQ), this.storageOf(gradValue), this.storageOf(gradAdvantage));
  }

  // ---------------------------------------------------------------- losses

  loss(kind: LossKind, pred: Tensor, target: Tensor, lossOut: Tensor, grad: Tensor | null, options: LossOptions = {}): void {
    this.checkUsable();
    const delta = options.delta ?? DEFAULT_HUBER_DELTA;
    const eps = options.eps ?? DEFAULT_CE_EPS;
    v.validateLoss(kind, pred, target, lossOut, grad, delta, eps);
    const predStorage = this.storageOf(pred);
    const targetStorage = this.storageOf(target);
    // The value first: grad may alias pred.
    this.lossSlot(pred, kind, delta, eps);
    this.bound.length = 0;
    this.bound.push(predStorage, targetStorage, this.storageOf(lossOut));
    this.dispatchBound('lossValue', 1, 1);
    if (grad === null) return;
    this.lossSlot(pred, kind, delta, eps);
    if (kind === 'softmax_cross_entropy') this.run('lossGradSoftmax', pred.rows, predStorage, targetStorage, this.storageOf(grad));
    else this.run('lossGrad', pred.size, predStorage, targetStorage, this.storageOf(grad));
  }

  // ---------------------------------------------------------------- optimisers and gradient clipping

  sumSquares(x: Tensor, out: Tensor, options: AccumulateOption = {}): void {
    this.checkUsable();
    v.validateSumSquares(x, out);
    this.rowsColsSlot(x.rows, x.cols, options.accumulate === true ? 1 : 0);
    this.bound.length = 0;
    this.bound.push(this.storageOf(x), this.storageOf(out));
    this.dispatchBound('sumSquares', 1, 1);
  }

  clipByGlobalNorm(x: Tensor, sumSquares: Tensor, maxNorm: number): void {
    this.checkUsable();
    v.validateClipByGlobalNorm(x, sumSquares, maxNorm);
    const s = this.recorder.reserveSlot();
    this.recorder.u32[s] = x.size;
    this.recorder.f32[s + 1] = maxNorm;
    this.run('clipScale', x.size, this.storageOf(x), this.storageOf(sumSquares));
  }

  adam(param: Tensor, grad: Tensor, m: Tensor, vTensor: Tensor, hp: AdamHyperParameters): void {
    this.checkUsable();
    v.validateAdam(param, grad, m, vTensor, hp);
    const s = this.recorder.reserveSlot();
    const f = this.recorder.f32;
    this.recorder.u32[s] = param.size;
    f[s + 1] = hp.beta1;
    f[s + 2] = hp.beta2;
    f[s + 3] = hp.eps;
    // Bias corrections in float64 on the host, as the CPU backend computes them.
    f[s + 4] = hp.lr / (1 - Math.pow(hp.beta1, hp.step));
    f[s + 5] = Math.sqrt(1 - Math.pow(hp.beta2, hp.step));
    f[s + 6] = hp.decoupledWeightDecay ? 0 : hp.weightDecay;
    f[s + 7] = hp.decoupledWeightDecay ? 1 - hp.lr * hp.weightDecay : 1;
    this.run('adam', param.size, this.storageOf(param), this.storageOf(grad), this.storageOf(m), this.storageOf(vTensor));
  }

  sgd(param: Tensor, grad: Tensor, velocity: Tensor, hp: SgdHyperParameters): void {
    this.checkUsable();
    v.validateSgd(param, grad, velocity, hp);
    const s = this.recorder.reserveSlot();
    const f = this.recorder.f32;
    const u = this.recorder.u32;
    u[s] = param.size;
    f[s + 1] = hp.lr;
    f[s + 2] = hp.momentum;
    f[s + 3] = hp.dampening;
    f[s + 4] = hp.weightDecay;
    u[s + 5] = hp.nesterov ? 1 : 0;
    u[s + 6] = hp.step === 1 ? 1 : 0;
    this.run('sgd', param.size, this.storageOf(param), this.storageOf(grad), this.storageOf(velocity));
  }

  // ---------------------------------------------------------------- helpers

  /** Throws if the backend was destroyed, its device lost, or an uncaptured WebGPU error happened. */
  private checkUsable(): void {
    if (this.destroyed) throw new InvalidArgumentError('WebGpuBackend: used after destroy()');
    if (this.lost !== null) throw new DeviceLostError(this.lost);
    if (this.uncaptured !== null) {
      const message = this.uncaptured;
      this.uncaptured = null;
      throw new GpuError(message);
    }
  }

  private readonly onUncapturedError = (event: Event): void => {
    const error = (event as GPUUncapturedErrorEvent).error;
    this.uncaptured ??= `uncaptured WebGPU error: ${error.message}`;
  };

  private readonly release = (t: WebGpuTensor, storage: GpuStorage): void => {
    if (!this.live.delete(t)) return;
    this.bytes -= storage.bytes;
    if (!this.destroyed) this.pool.release(storage);
  };

  /** The storage of a live tensor created by this backend. */
  private storageOf(t: Tensor): GpuStorage {
    if (!(t instanceof WebGpuTensor) || t.owner !== this) {
      if (t.disposed) throw new InvalidArgumentError(`tensor '${t.label}' was disposed`);
      throw new InvalidArgumentError(`tensor '${t.label}' does not belong to this WebGpuBackend`);
    }
    return t.storage;
  }

  /** queue.writeBuffer, submitting first if recorded work still uses the buffer (so it sees the old data). */
  private upload(storage: GpuStorage, data: ArrayLike<number>, offset: number): void {
    if (data.length === 0) return;
    if (storage.lastEpoch === this.recorder.epoch && this.recorder.pending) this.recorder.submit();
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
    this.device.queue.writeBuffer(storage.buffer, offset * 4, values, 0, data.length);
  }

  /** Zeroes a reused buffer (through the same scratch as uploads). */
  private zeroFill(storage: GpuStorage, size: number): void {
    if (this.uploadScratch.length < size) this.uploadScratch = new Float32Array(size);
    this.uploadScratch.fill(0, 0, size);
    this.upload(storage, this.uploadScratch.subarray(0, size), 0);
  }

  /** Fills words 0..2 of a fresh uniform slot with rows, cols and a third u32; returns the slot. */
  private rowsColsSlot(rows: number, cols: number, third: number): number {
    const s = this.recorder.reserveSlot();
    const u = this.recorder.u32;
    u[s] = rows;
    u[s + 1] = cols;
    u[s + 2] = third;
    return s;
  }

  private lossSlot(pred: Tensor, kind: LossKind, delta: number, eps: number): void {
    const s = this.rowsColsSlot(pred.rows, pred.cols, LOSS_CODES[kind]);
    this.recorder.f32[s + 4] = delta;
    this.recorder.f32[s + 5] = eps;
  }

  /** Dispatches `kernel` over `items` threads (1D, split into 2D beyond maxWorkgroupsPerDimension). */
  private run(kernel: KernelName, items: number, ...storages: GpuStorage[]): void {
    this.bound.length = 0;
    for (const s of storages) this.bound.push(s);
    const groups = Math.max(1, Math.ceil(items / KERNELS[kernel].threads));
    const x = Math.min(groups, this.maxGroups);
    this.dispatchBound(kernel, x, Math.ceil(groups / x));
  }

  /**
   * Dispatches `kernel` with the storages in `this.bound` and the slot just reserved.
   * WebGPU forbids a read_write binding that aliases another binding of the same dispatch, so an
   * output that is also an input (scale in place, gradIn = gradOut, ...) is staged: its contents
   * are copied into a cached scratch buffer, the kernel writes the scratch, and the result is
   * copied back. Only aliasing calls pay the two copies; no buffer is created after warm-up.
   */
  private dispatchBound(kernel: KernelName, x: number, y: number): void {
    const spec = KERNELS[kernel];
    const bound = this.bound;
    const epoch = this.recorder.epoch;
    let staged = 0;
    for (let i = 0; i < bound.length; i++) {
      bound[i].lastEpoch = epoch;
      if (spec.access[i] !== 'w') continue;
      let aliased = false;
      for (let j = 0; j < bound.length; j++) if (j !== i && bound[j] === bound[i]) aliased = true;
      if (!aliased) continue;
      const original = bound[i];
      const scratch = this.scratchFor(original.bytes, i);
      this.recorder.copyBuffer(original.buffer, scratch.buffer, original.bytes);
      this.stagedOriginals[i] = original;
      bound[i] = scratch;
      staged |= 1 << i;
    }
    this.recorder.dispatch(this.pipelines[kernel], this.bindGroup(spec.access), x, y);
    if (staged === 0) return;
    for (let i = 0; i < bound.length; i++) {
      if ((staged & (1 << i)) === 0) continue;
      const original = this.stagedOriginals[i];
      this.recorder.copyBuffer(bound[i].buffer, original.buffer, original.bytes);
      bound[i] = original;
    }
  }

  /** A scratch buffer of `bytes` bytes for binding `binding` (distinct per binding), created once. */
  private scratchFor(bytes: number, binding: number): GpuStorage {
    const key = `${bytes}:${binding}`;
    let scratch = this.scratch.get(key);
    if (scratch === undefined) {
      scratch = this.pool.acquire(bytes, 'alias scratch').storage;
      this.scratch.set(key, scratch);
    }
    return scratch;
  }

  /** The cached bind group of the uniform ring plus the storages in `this.bound`. */
  private bindGroup(access: string): GPUBindGroup {
    let key = access;
    for (const s of this.bound) key += `,${s.id}`;
    let group = this.bindGroups.get(key);
    if (group === undefined) {
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.recorder.ring, offset: 0, size: UNIFORM_SLOT_BYTES } }];
      this.bound.forEach((s, i) => entries.push({ binding: i + 1, resource: { buffer: s.buffer } }));
      group = this.device.createBindGroup({ layout: this.layouts.bindGroupLayout(access), entries });
      this.counts.bindGroups++;
      this.bindGroups.set(key, group);
    }
    return group;
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
