/**
 * TensorFlow.js 4.x in Node for the reference benches, with the backends asked for:
 *
 * - 'cpu': @tensorflow/tfjs-backend-cpu (plain JavaScript), which the union package @tensorflow/tfjs
 *   brings and registers;
 * - 'wasm': @tensorflow/tfjs-backend-wasm (XNNPACK) on one thread, with SIMD where the runtime has
 *   it (Node 20 does): the package's own .wasm files, shipped inside the npm package;
 * - 'webgpu': @tensorflow/tfjs-backend-webgpu on Dawn (the npm `webgpu` package, lavapipe here).
 *   tfjs registers its WebGPU backend at import time only when `navigator.gpu` exists, which Node
 *   20 lacks, so Dawn's GPU object is installed as `navigator.gpu` first and tfjs asks it for an
 *   adapter and a device itself, as it would in a browser.
 *
 * Production mode is on (tf.enableProdMode(): no per-op NaN checks, no console notices), as a
 * deployed tfjs app would run. Everything else is left at tfjs's defaults.
 *
 * The module is loaded once per process; `release()` destroys tfjs's WebGPU device and drops the
 * Dawn instance (Node would not exit while it is referenced). After that the tfjs WebGPU backend
 * cannot be had again in this process, since tfjs registered it at import.
 */
import type * as TfUnion from '@tensorflow/tfjs';
import { create, globals } from 'webgpu';

export type Tf = typeof TfUnion;
export type TfjsBackendName = 'cpu' | 'wasm' | 'webgpu';

export interface TfjsSession {
  readonly tf: Tf;
  /** The backends that initialised, in the order asked. */
  readonly backends: TfjsBackendName[];
  /** Why a backend asked for is missing. */
  readonly unavailable: Partial<Record<TfjsBackendName, string>>;
  /** tfjs version, wasm SIMD/threads, WebGPU adapter. */
  readonly info: Record<string, unknown>;
  /** Makes `name` tfjs's active backend (cheap once it is initialised). */
  use(name: TfjsBackendName): Promise<void>;
  /** Counts WebGPU dispatches, submits and buffer maps made while `fn` runs (tfjs's WebGPU backend has no counters of its own). */
  countGpuCalls(fn: () => Promise<void>): Promise<{ dispatches: number; submits: number; readbacks: number }>;
  /** Releases tfjs's WebGPU device, if any. */
  release(): void;
}

let tfPromise: Promise<Tf> | null = null;
let webgpuState: 'never' | 'registered' | 'released' = 'never';

async function loadCore(): Promise<Tf> {
  // The union package: its Node bundle registers the gradients, which @tensorflow/tfjs-core's
  // does not (there they are an ESM side-effect import meant for bundlers). It brings the CPU backend.
  const tf = (await import('@tensorflow/tfjs')) as Tf;
  tf.enableProdMode();
  await import('@tensorflow/tfjs-backend-wasm');
  // One thread: the wasm backend picks its threaded build whenever the runtime allows it (the flag
  // exists once the package is imported, and is read when the backend initialises).
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  return tf;
}

/** Installs Dawn as navigator.gpu and imports tfjs's WebGPU backend, which then registers itself. */
async function registerWebgpu(tf: Tf): Promise<void> {
  if (webgpuState === 'released') throw new Error('tfjs webgpu: released earlier in this process; tfjs registers its WebGPU backend only once (at import)');
  if (webgpuState === 'registered') return;
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  Object.assign(globalThis, globals);
  const dawnGpu = create([]);
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu: dawnGpu }, configurable: true, writable: true });
  else Object.defineProperty(nav, 'gpu', { value: dawnGpu, configurable: true, writable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu') === null) throw new Error('tfjs webgpu: the backend did not register (navigator.gpu not seen)');
  webgpuState = 'registered';
}

interface GpuPrototypes {
  GPUComputePassEncoder: { prototype: { dispatchWorkgroups: (...args: unknown[]) => unknown } };
  GPUQueue: { prototype: { submit: (...args: unknown[]) => unknown } };
  GPUBuffer: { prototype: { mapAsync: (...args: unknown[]) => unknown } };
}

export async function openTfjs(wanted: readonly TfjsBackendName[]): Promise<TfjsSession> {
  tfPromise ??= loadCore();
  const tf = await tfPromise;
  const backends: TfjsBackendName[] = [];
  const unavailable: Partial<Record<TfjsBackendName, string>> = {};
  const info: Record<string, unknown> = { version: tf.version_core, prodMode: tf.env().getBool('PROD') };
  for (const name of wanted) {
    try {
      if (name === 'webgpu') await registerWebgpu(tf);
      if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
      await tf.ready();
      backends.push(name);
    } catch (error) {
      unavailable[name] = error instanceof Error ? error.message : String(error);
    }
  }
  if (backends.includes('wasm')) {
    info.wasm = { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), multithread: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') };
  }
  if (backends.includes('webgpu')) {
    const adapterInfo = (tf.findBackend('webgpu') as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
    info.webgpuAdapter = `${adapterInfo?.vendor ?? '?'} ${adapterInfo?.architecture ?? '?'}`;
    info.webgpuDeferredSubmitBatchSize = tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE');
    info.webgpuCpuHandoffSizeThreshold = tf.env().getNumber('WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD');
  }
  return {
    tf,
    backends,
    unavailable,
    info,
    async use(name) {
      if (tf.getBackend() !== name && !(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
    },
    async countGpuCalls(fn) {
      const g = globals as unknown as GpuPrototypes;
      const counts = { dispatches: 0, submits: 0, readbacks: 0 };
      const originals = [g.GPUComputePassEncoder.prototype.dispatchWorkgroups, g.GPUQueue.prototype.submit, g.GPUBuffer.prototype.mapAsync] as const;
      g.GPUComputePassEncoder.prototype.dispatchWorkgroups = function (this: unknown, ...args: unknown[]) {
        counts.dispatches++;
        return originals[0].apply(this, args);
      };
      g.GPUQueue.prototype.submit = function (this: unknown, ...args: unknown[]) {
        counts.submits++;
        return originals[1].apply(this, args);
      };
      g.GPUBuffer.prototype.mapAsync = function (this: unknown, ...args: unknown[]) {
        counts.readbacks++;
        return originals[2].apply(this, args);
      };
      try {
        await fn();
      } finally {
        g.GPUComputePassEncoder.prototype.dispatchWorkgroups = originals[0];
        g.GPUQueue.prototype.submit = originals[1];
        g.GPUBuffer.prototype.mapAsync = originals[2];
      }
      return counts;
    },
    release() {
      if (webgpuState !== 'registered') return;
      const backend = tf.findBackend('webgpu') as unknown as { device?: GPUDevice } | null;
      tf.removeBackend('webgpu');
      backend?.device?.destroy();
      const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
      if (nav !== undefined) Reflect.deleteProperty(nav, 'gpu');
      webgpuState = 'released';
    },
  };
}
