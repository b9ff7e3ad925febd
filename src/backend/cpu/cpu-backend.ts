/**
 * The CPU backend: every op runs synchronously, on one of two sets of kernels (cpu-kernels.ts):
 * - the WASM SIMD kernels (float32, the default where WebAssembly SIMD exists): tensors live in the
 *   backend's own WebAssembly memory and an op is one kernel call on their addresses (wasm-ops.ts);
 * - the plain TypeScript kernels (cpu-ops.ts) on typed arrays: float32, or float64 (`dtype:
 *   'float64'`) for gradient checks through the very same nn code.
 * Both see a tensor through one storage interface (cpu-storage.ts), so the ops the WASM kernels do
 * not cover run as TypeScript on the same memory. Validation, defaults and bookkeeping are
 * BackendBase's.
 */
import type { DType, FloatArray } from '../backend.js';
import { BackendBase, type DeviceCounters } from '../backend-base.js';
import { InvalidArgumentError } from '../../errors.js';
import type { WasmHeapStats } from '../wasm/heap.js';
import type { WasmKernels } from '../wasm/wasm-kernels.js';
import { CpuOps, type CpuTensor } from './cpu-ops.js';
import { describeCpuKernels, openCpuKernels, type CpuKernelChoice, type CpuKernels } from './cpu-kernels.js';
import { HostStorage, type CpuStorage } from './cpu-storage.js';
import { WasmCpuOps } from './wasm-ops.js';

export interface CpuBackendOptions {
  /** Element storage: 'float32' (default) or 'float64' (TypeScript kernels only). */
  dtype?: DType;
  /** Which kernels run the ops (see CPU_KERNEL_CHOICES); default 'auto': WASM SIMD where available in float32. */
  kernels?: CpuKernelChoice;
}

export class CpuBackend extends BackendBase<CpuStorage> {
  readonly name = 'cpu' as const;
  readonly dtype: DType;
  /** The kernels in use: 'wasm-fma', 'wasm-simd128' or 'js' (the TypeScript kernels). */
  readonly kernels: CpuKernels;
  protected readonly kind = 'CpuBackend';
  protected readonly ops: CpuOps;
  /** The WASM kernels and their memory (which holds every tensor), or null on the TypeScript kernels. */
  private readonly wasm: WasmKernels | null;
  private readbacks = 0;

  constructor(options: CpuBackendOptions = {}) {
    super();
    const dtype = options.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') {
      throw new InvalidArgumentError(`CpuBackend: dtype must be 'float32' or 'float64', got '${String(dtype)}'`);
    }
    this.dtype = dtype;
    this.wasm = openCpuKernels(options.kernels ?? 'auto', dtype);
    this.kernels = this.wasm === null ? 'js' : this.wasm.fma ? 'wasm-fma' : 'wasm-simd128';
    this.ops = this.wasm === null ? new CpuOps() : new WasmCpuOps(this.wasm);
  }

  /** The kernels in words, e.g. 'WebAssembly SIMD128 + FMA' or 'JavaScript, Float32Array'. */
  get kernelsDescription(): string {
    return describeCpuKernels(this.kernels, this.dtype);
  }

  /** The kernels (kernelsDescription). */
  describe(): string {
    return this.kernelsDescription;
  }

  /** The WebAssembly memory's allocator figures (null on the TypeScript kernels). */
  wasmHeapStats(): WasmHeapStats | null {
    return this.wasm === null ? null : this.wasm.heap.stats();
  }

  protected allocateStorage(size: number, label: string, data: ArrayLike<number> | undefined): CpuStorage {
    let storage: CpuStorage;
    if (this.wasm !== null) storage = this.wasm.heap.alloc(size, label);
    else storage = new HostStorage(this.dtype === 'float64' ? new Float64Array(size) : new Float32Array(size));
    // After the allocation: it may have grown the WASM memory, which re-derives `data`.
    if (data !== undefined) storage.data.set(data);
    return storage;
  }

  protected freeStorage(storage: CpuStorage): void {
    storage.free();
  }

  protected viewStorage(storage: CpuStorage, offset: number, size: number): CpuStorage {
    return storage.subview(offset, size);
  }

  protected storageBytes(storage: CpuStorage): number {
    return storage.length * (this.dtype === 'float64' ? 8 : 4);
  }

  protected upload(t: CpuTensor, data: ArrayLike<number>, offset: number): void {
    t.storage.data.set(data, offset);
  }

  protected download(t: CpuTensor, dst: FloatArray | undefined): Promise<FloatArray> {
    this.readbacks++;
    const src = t.storage.data;
    if (dst === undefined) return Promise.resolve(src.slice(0, t.size));
    dst.set(src.length === t.size ? src : src.subarray(0, t.size));
    return Promise.resolve(dst);
  }

  protected flushDevice(): void {}

  protected syncDevice(): Promise<void> {
    return Promise.resolve();
  }

  protected counters(): DeviceCounters {
    return { dispatches: this.ops.calls, submits: 0, readbacks: this.readbacks };
  }

  /**
   * Every tensor was freed already. The WebAssembly memory cannot be shrunk or freed explicitly: it
   * is collected with the backend (and any tensor object still referenced) once unreachable.
   */
  protected destroyDevice(): void {}
}
