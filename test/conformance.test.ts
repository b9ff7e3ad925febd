/**
 * Backend conformance: every case of OP_CASES (test/support/op-cases.ts) runs on every CPU variant
 * (the WASM kernels in SIMD128 and, where the runtime has relaxed SIMD, FMA; the TypeScript kernels
 * in float32) and on the WebGPU backend (a real Dawn device), and each result is compared with the
 * case's float64 reference under the case's stated tolerance. All of them passing the same
 * tolerance against the same reference is what makes them interchangeable. (Float64 runs the same
 * table at 1e-12 in cpu-backend.test.ts, and the gradient checks in gradcheck.test.ts.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { availableCpuKernels } from '../src/backend/cpu/cpu-kernels.js';
import { enableRelaxedSimdInNode } from '../src/backend/wasm/node-relaxed-simd.js';
import { OP_CASES, compareOutputs, uncoveredOps, type OpCase } from './support/op-cases.js';
import { WebGpuBackend, type MatmulPath } from '../src/backend/webgpu/index.js';
import { KERNELS, KERNEL_NAMES, type KernelName, type KernelSpec } from '../src/backend/webgpu/kernels.js';
import { deviceOffers, subgroupLanes } from '../src/backend/webgpu/pipelines.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
/** Every CPU variant this runtime has: Node 20 has SIMD128, and relaxed SIMD once V8's flag is set. */
enableRelaxedSimdInNode();
const CPU_VARIANTS = availableCpuKernels();
const cpus = CPU_VARIANTS.map((kernels) => new CpuBackend({ kernels }));
/**
 * The automatic matmul choice depends on the adapter (on lavapipe the subgroup kernels for the
 * fused layer ops where the shape allows them and register blocks otherwise; workgroup tiles or
 * split-k on GPUs), so every path is also forced and checked, on the same device: the matmuls on
 * each, the fused layer ops (linear, linearGrad, linearInputGrad) on tiled, blocked and (where
 * the device has subgroups of 4 or 8 lanes) subgroup, and the ops of STYLED_OPS on every forced path.
 */
const FORCED_PATHS: MatmulPath[] = ['tiled', 'blocked', 'small'];
// linear-subgroup.wgsl's kernels exist only where subgroups are 4 or 8 lanes wide (SwiftShader, lavapipe, where 'auto' takes them anyway).
if (gpu !== null && deviceOffers(gpu.device, 'subgroups')) FORCED_PATHS.push('subgroup');
const forced = new Map<MatmulPath, WebGpuBackend>();
if (gpu !== null) {
  for (const matmulPath of FORCED_PATHS) forced.set(matmulPath, await WebGpuBackend.create({ device: gpu.device, matmulPath }));
}
/**
 * Ops with a kernel for CPU-emulated adapters beside the GPU one (the path forces the style too:
 * 'blocked' and 'subgroup' take the CPU kernels, 'tiled' and 'small' the GPU ones), so each forced
 * path runs their cases as well.
 */
const STYLED_OPS = new Set(['sumSquares', 'adam', 'radam', 'tdLoss']);

afterAll(() => {
  for (const b of forced.values()) b.destroy();
  gpu?.destroy();
  for (const cpu of cpus) cpu.destroy();
});

/** References are float64 and some are big (1024^3): compute each once for both backends. */
const references = new Map<OpCase, Record<string, Float64Array>>();
function referenceOf(c: OpCase): Record<string, Float64Array> {
  let r = references.get(c);
  if (r === undefined) {
    r = c.reference();
    references.set(c, r);
  }
  return r;
}

async function check(backend: Backend, c: OpCase): Promise<void> {
  const got = await c.run(backend);
  expect(compareOutputs(c, got, referenceOf(c))).toBeNull();
  // Float32 storage reads back as Float32Array on every backend.
  for (const values of Object.values(got)) expect(values).toBeInstanceOf(Float32Array);
  // No tensor leaked by the case.
  expect(backend.stats().tensorsAlive).toBe(0);
}

describe('the conformance table', () => {
  it('covers every op of the Backend interface', () => {
    expect(uncoveredOps()).toEqual([]);
  });

  it('includes 1x1, odd, 4x64, 64x64, 256x256 and 1024x1024 matmuls with every transpose', () => {
    const names = OP_CASES.filter((c) => c.op === 'matmul').map((c) => c.name);
    for (const shape of ['1x1x1', '33x17x65', '4x64x64', '64x64x64', '256x256x256']) {
      for (const flags of ['', ' transA', ' transB', ' transA transB']) expect(names).toContain(`matmul ${shape}${flags}`);
    }
    for (const flags of ['', ' transA', ' transB', ' transA transB']) expect(names).toContain(`matmul 1024x1024x1024${flags}`);
  });
});

describe('the CPU variants', () => {
  it('are WASM relaxed-SIMD FMA (the V8 flag set at run time on Node 20), WASM SIMD128 and the TypeScript kernels', () => {
    expect(CPU_VARIANTS).toEqual(['wasm-fma', 'wasm-simd128', 'js']);
    expect(cpus.map((b) => b.kernels)).toEqual(CPU_VARIANTS);
  });
});

for (const cpu of cpus) {
  describe(`CPU backend conformance, ${cpu.kernelsDescription}`, () => {
    for (const c of OP_CASES) it(c.name, () => check(cpu, c));
  });
}

/** The kernels each op's cases dispatched, on every WebGPU backend of this file (default and forced paths). */
const kernelsUsedBy = new Map<string, Set<KernelName>>();

async function checkOnGpu(backend: WebGpuBackend, c: OpCase): Promise<void> {
  const before = backend.kernelDispatches();
  await check(backend, c);
  const after = backend.kernelDispatches();
  let used = kernelsUsedBy.get(c.op);
  if (used === undefined) kernelsUsedBy.set(c.op, (used = new Set()));
  for (const k of KERNEL_NAMES) if (after[k] > before[k]) used.add(k);
}

describe('WebGPU backend conformance', needs('webgpu', gpu !== null), () => {
  for (const c of OP_CASES) it(c.name, () => checkOnGpu(gpu as WebGpuBackend, c));
});

describe('WebGPU matmul paths, each forced', needs('webgpu', gpu !== null), () => {
  for (const path of FORCED_PATHS) {
    describe(path, () => {
      // The split-k path runs one workgroup per output: meant for tiny outputs, far too slow for 1024^2.
      // The other forced paths take the plain 1024^3 case; its transposes run on the default path above.
      const matmuls = OP_CASES.filter((c) => c.op === 'matmul' && !(c.name.includes('1024') && (path === 'small' || c.name !== 'matmul 1024x1024x1024')));
      // The fused layer ops take the tiled, blocked or subgroup path too ('small' has no fused kernels: it runs them tiled).
      const layers = OP_CASES.filter((c) => c.op === 'linear' || c.op === 'linearGrad' || c.op === 'linearInputGrad');
      const styled = OP_CASES.filter((c) => STYLED_OPS.has(c.op));
      const cases = path === 'small' ? matmuls : [...matmuls, ...layers, ...styled];
      for (const c of cases) it(c.name, () => checkOnGpu(forced.get(path) as WebGpuBackend, c));
    });
  }
});

describe('the kernel table', needs('webgpu', gpu !== null), () => {
  // Runs after the cases above (vitest runs a file's tests in order).
  it("declares, for every kernel, exactly the ops whose cases dispatch it, so every shader is checked by some op's cases", () => {
    const dispatchedBy = new Map<KernelName, string[]>(KERNEL_NAMES.map((k) => [k, []]));
    for (const [op, kernels] of kernelsUsedBy) for (const k of kernels) dispatchedBy.get(k)?.push(op);
    for (const k of KERNEL_NAMES) {
      // A kernel the device lacks a requirement for (KernelSpec.requires) is never built, so never dispatched.
      const expected = deviceOffers((gpu as WebGpuBackend).device, (KERNELS[k] as KernelSpec).requires) ? [...KERNELS[k].ops].sort() : [];
      expect([...(dispatchedBy.get(k) ?? [])].sort(), `kernel ${k}`).toEqual(expected);
    }
  });

  it('builds the subgroup kernels on lavapipe (linear-subgroup.wgsl with subgroup-lanes8.wgsl), so the cases above checked them there', () => {
    const backend = gpu as WebGpuBackend;
    if (/llvmpipe/i.test(backend.adapterDescription)) expect(subgroupLanes(backend.device)).toBe(8);
  });
});
