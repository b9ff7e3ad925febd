/**
 * Backend conformance: every case of OP_CASES (test/support/op-cases.ts) runs on the CPU backend
 * and on the WebGPU backend (a real Dawn device), and each result is compared with the case's
 * float64 reference under the case's stated tolerance. Both backends passing the same tolerance
 * against the same reference is what makes them interchangeable.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND_OPS, type Backend } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { OP_CASES, compareOutputs, uncoveredOps, type OpCase } from './support/op-cases.js';
import { SHADER_FILES, WebGpuBackend, type MatmulPath } from '../src/backend/webgpu/index.js';
import { KERNELS } from '../src/backend/webgpu/kernels.js';
import { readdirSync } from 'node:fs';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
const cpu = new CpuBackend();
/**
 * The automatic matmul choice depends on the adapter (register-blocked on lavapipe, workgroup
 * tiles or split-k on GPUs), so every path is also forced and checked, on the same device.
 */
const FORCED_PATHS: MatmulPath[] = ['tiled', 'blocked', 'small'];
const forced = new Map<MatmulPath, WebGpuBackend>();
if (gpu !== null) {
  for (const matmulPath of FORCED_PATHS) forced.set(matmulPath, await WebGpuBackend.create({ device: gpu.device, matmulPath }));
}

afterAll(() => {
  for (const b of forced.values()) b.destroy();
  gpu?.destroy();
  cpu.destroy();
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
  // No tensor leaked by the case.
  expect(backend.stats().tensorsAlive).toBe(0);
}

describe('the conformance table', () => {
  it('covers every op of the Backend interface', () => {
    expect(uncoveredOps()).toEqual([]);
    for (const op of BACKEND_OPS) expect(OP_CASES.some((c) => c.op === op)).toBe(true);
  });

  it('includes 1x1, odd, 4x64, 64x64, 256x256 and 1024x1024 matmuls with every transpose', () => {
    const names = OP_CASES.filter((c) => c.op === 'matmul').map((c) => c.name);
    for (const shape of ['1x1x1', '33x17x65', '4x64x64', '64x64x64', '256x256x256']) {
      for (const flags of ['', ' transA', ' transB', ' transA transB']) expect(names).toContain(`matmul ${shape}${flags}`);
    }
    for (const flags of ['', ' transA', ' transB', ' transA transB']) expect(names).toContain(`matmul 1024x1024x1024${flags}`);
  });
});

/** Which Backend ops each shaders/*.wgsl file implements: the conformance cases of those ops check it. */
const SHADER_OPS: Record<(typeof SHADER_FILES)[number], readonly string[]> = {
  elementwise: ['fill', 'copy', 'scale', 'addMul', 'lerp', 'clipByGlobalNorm'],
  matmul: ['matmul'],
  'bias-activation': ['biasActivation'],
  'activation-backward': ['activationBackward'],
  reduce: ['columnSum', 'sumSquares', 'rowMax', 'rowArgmax'],
  'gather-scatter': ['gatherColumns', 'scatterColumns'],
  dueling: ['duelingCombine', 'duelingBackward'],
  loss: ['loss'],
  adam: ['adam'],
  sgd: ['sgd'],
};

describe('shaders', () => {
  it('every shaders/*.wgsl file is a kernel family of the backend, checked through the conformance cases of its ops', () => {
    const onDisk = readdirSync(new URL('../shaders/', import.meta.url)).filter((f) => f.endsWith('.wgsl')).map((f) => f.replace(/\.wgsl$/, ''));
    expect([...onDisk].sort()).toEqual([...SHADER_FILES].sort());
    const usedFiles = new Set(Object.values(KERNELS).map((k) => k.file));
    for (const file of SHADER_FILES) {
      expect(usedFiles.has(file), `${file}.wgsl has a kernel`).toBe(true);
      for (const op of SHADER_OPS[file]) expect(OP_CASES.some((c) => c.op === op), `${file}.wgsl: ${op} has cases`).toBe(true);
    }
  });
});

describe('CPU backend conformance', () => {
  for (const c of OP_CASES) it(c.name, () => check(cpu, c));
});

describe('WebGPU backend conformance', needs('webgpu', gpu !== null), () => {
  for (const c of OP_CASES) it(c.name, () => check(gpu as Backend, c));
});

describe('WebGPU matmul paths, each forced', needs('webgpu', gpu !== null), () => {
  for (const path of FORCED_PATHS) {
    describe(path, () => {
      // The split-k path runs one workgroup per output: meant for tiny outputs, far too slow for 1024^2.
      // The other forced paths take the plain 1024^3 case; its transposes run on the default path above.
      const cases = OP_CASES.filter((c) => c.op === 'matmul' && !(c.name.includes('1024') && (path === 'small' || c.name !== 'matmul 1024x1024x1024')));
      for (const c of cases) it(c.name, () => check(forced.get(path) as Backend, c));
    });
  }
});
