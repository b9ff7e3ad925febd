/**
 * WebGPU backend behaviour beyond op results: recording and submission, GPU object caching,
 * error surfacing (WGSL compile errors, uncaptured errors, device loss, disposed tensors), write
 * ordering, the uniform ring wrapping around, large dispatches, and clean exit (backend choice: create-backend.test.ts).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import {
  DeviceLostError,
  GpuError,
  ShaderCompileError,
  WebGpuBackend,
  cachedObjectTotal,
  compileShaderModule,
} from '../src/backend/webgpu/index.js';
import { loadShaderSource } from '../src/backend/webgpu/shader-sources-node.js';
import { InvalidArgumentError, ShapeError } from '../src/errors.js';
import { Adam, Loss, mlp } from '../src/nn/index.js';
import { Rng } from '../src/random/rng.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();

afterAll(() => gpu?.destroy());

/** Backend sharing the file's device (so the test costs no device creation); destroy() leaves the device alive. */
function sharedDeviceBackend(options: Parameters<typeof WebGpuBackend.create>[0] = {}): Promise<WebGpuBackend> {
  return WebGpuBackend.create({ device: (gpu as WebGpuBackend).device, ...options });
}

describe('WebGPU backend', needs('webgpu', gpu !== null), () => {
  const b = gpu as WebGpuBackend;

  it('creates tensors, writes at an offset and reads into a given Float64Array', async () => {
    const t = b.tensor([2, 3], [1, 2, 3, 4, 5, 6], 't');
    expect(t.shape).toEqual([2, 3]);
    b.write(t, [10, 20], 3);
    const dst = new Float64Array(8).fill(-1);
    const got = await b.read(t, dst);
    expect(got).toBe(dst);
    expect(Array.from(dst)).toEqual([1, 2, 3, 10, 20, 6, -1, -1]);
    expect(() => b.write(t, [1, 2, 3], 4)).toThrow(ShapeError);
    t.dispose();
  });

  it('throws on a disposed tensor, on a foreign tensor and after destroy', async () => {
    const t = b.tensor([3], [1, 2, 3]);
    t.dispose();
    t.dispose(); // idempotent
    await expect(b.read(t)).rejects.toThrow(InvalidArgumentError);
    expect(() => b.fill(t, 1)).toThrow(/disposed/);
    const cpu = new CpuBackend();
    const foreign = cpu.tensor([3]);
    expect(() => b.fill(foreign, 1)).toThrow(/does not belong/);
    const other = await sharedDeviceBackend();
    other.destroy();
    expect(() => other.tensor([1])).toThrow(/after destroy/);
  });

  it('reuses disposed buffers for new tensors of the same size, zero-filled', async () => {
    const a = b.tensor([5, 7], new Float32Array(35).fill(3));
    a.dispose();
    const before = b.gpuObjectsCreated().buffers;
    const c = b.tensor([7, 5]);
    expect(b.gpuObjectsCreated().buffers).toBe(before);
    expect(Array.from(await b.read(c))).toEqual(new Array(35).fill(0));
    c.dispose();
  });

  it('zero-fills a reused buffer after the recorded work that wrote it', async () => {
    const x = b.tensor([6], [1, 2, 3, 4, 5, 6]);
    const a = b.tensor([2, 3]);
    b.scale(x, 2, a); // recorded: writes a's buffer later, at submit
    a.dispose();
    const c = b.tensor([3, 2]); // same buffer, must read as zeros, not 2 x
    expect(Array.from(await b.read(c))).toEqual([0, 0, 0, 0, 0, 0]);
    x.dispose();
    c.dispose();
  });

  it('keeps recorded ops ordered before a later write of their input', async () => {
    const x = b.tensor([4], [1, 2, 3, 4]);
    const y = b.tensor([4]);
    b.scale(x, 2, y); // recorded, not submitted
    b.write(x, [100, 100, 100, 100]); // must not be seen by the recorded scale
    b.addMul(y, x, x, y); // y = 2 x_old + x_new^2
    expect(Array.from(await b.read(y))).toEqual([10002, 10004, 10006, 10008]);
    x.dispose();
    y.dispose();
  });

  it('wraps the uniform ring: more ops than slots in one recording still run in order', async () => {
    const small = await sharedDeviceBackend({ uniformSlots: 3 });
    const x = small.tensor([300]);
    small.fill(x, 1);
    for (let i = 0; i < 10; i++) small.scale(x, 2, x);
    const submitsBefore = small.gpuObjectsCreated().submits;
    expect(submitsBefore).toBeGreaterThanOrEqual(3); // intermediate submits while recording
    const got = await small.read(x);
    expect(got[0]).toBe(1024);
    expect(got[299]).toBe(1024);
    small.destroy();
  });

  it('spills large dispatches into a two-dimensional grid', async () => {
    // With at most 5 workgroups per dimension, 10000 elements (40 groups of 256, 157 rows of 64)
    // need a second grid dimension; every kernel family must index it right.
    const grid = await sharedDeviceBackend({ maxWorkgroupsPerDimension: 5 });
    const rows = 10000 / 4;
    const data = Float32Array.from({ length: 10000 }, (_, i) => (i % 17) - 8);
    const x = grid.tensor([rows, 4], data);
    const y = grid.tensor([rows, 4]);
    const bias = grid.tensor([1, 4], [1, 2, 3, 4]);
    const rowMax = grid.tensor([rows, 1]);
    grid.scale(x, 0.5, y);
    grid.biasActivation(y, bias, 'relu', y);
    grid.rowMax(y, rowMax);
    const got = await grid.read(y);
    const max = await grid.read(rowMax);
    for (let i = 0; i < 10000; i++) expect(got[i]).toBe(Math.max(0, 0.5 * data[i] + (i % 4) + 1));
    for (let r = 0; r < rows; r++) expect(max[r]).toBe(Math.max(got[4 * r], got[4 * r + 1], got[4 * r + 2], got[4 * r + 3]));
    grid.destroy();
    await expect(sharedDeviceBackend({ maxWorkgroupsPerDimension: 0 })).rejects.toThrow(InvalidArgumentError);
  });

  it('records a whole training step as one submission and creates no GPU object after warm-up', async () => {
    const rng = new Rng(7);
    const model = mlp(b, [4, 64, 64, 2], { rng, hidden: 'tanh' });
    const loss = new Loss(b, 'huber');
    const optimizer = new Adam(b, model.parameters(), { lr: 1e-3 });
    const x = b.tensor([64, 4], Float32Array.from({ length: 256 }, () => rng.uniform(-1, 1)));
    const target = b.tensor([64, 2], Float32Array.from({ length: 128 }, () => rng.uniform(-1, 1)));
    const step = (): void => {
      optimizer.zeroGrad();
      loss.forward(model.forward(x), target);
      model.backward(loss.grad);
      optimizer.step();
      b.flush();
    };
    for (let i = 0; i < 3; i++) step();
    await b.read(loss.value);
    const before = b.gpuObjectsCreated();
    const steps = 5;
    for (let i = 0; i < steps; i++) step();
    const first = (await b.read(loss.value))[0];
    const after = b.gpuObjectsCreated();
    expect(cachedObjectTotal(after)).toBe(cachedObjectTotal(before));
    expect(after.buffers).toBe(before.buffers);
    expect(after.bindGroups).toBe(before.bindGroups);
    expect(after.pipelines).toBe(before.pipelines);
    expect(after.shaderModules).toBe(before.shaderModules);
    // One submission per step, plus the one of the final read.
    expect(after.submits - before.submits).toBe(steps + 1);
    expect(Number.isFinite(first)).toBe(true);
    model.dispose();
    loss.dispose();
    optimizer.dispose();
    x.dispose();
    target.dispose();
  });

  it('turns a WGSL compile error into a ShaderCompileError carrying the compiler message', async () => {
    const broken = 'fn f() -> f32 { return undefined_name; }';
    const error = await compileShaderModule(b.device, 'broken.wgsl', broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShaderCompileError);
    const message = (error as ShaderCompileError).message;
    expect(message).toMatch(/broken\.wgsl:1:\d+: error: .*undefined_name/);
    expect(message).toContain('return undefined_name;');

    // The same through the backend factory, with one shader file corrupted.
    const failing = sharedDeviceBackend({
      loadShaderSource: async (file) => (file === 'adam' ? (await loadShaderSource(file)).replace('sqrt(vi)', 'sqrt(vi, 2.0)') : loadShaderSource(file)),
    });
    await expect(failing).rejects.toThrow(ShaderCompileError);
    await expect(failing).rejects.toThrow(/adam\.wgsl:\d+:\d+: error: .*sqrt/);
  });

  it('builds each pipeline on its kernel\'s first dispatch, once, and the first call works', async () => {
    const own = await sharedDeviceBackend();
    // create() compiles the shader files but no pipeline.
    expect(own.gpuObjectsCreated().pipelines).toBe(0);
    expect(own.pipelinesBuilt()).toEqual([]);
    const t = own.tensor([300]);
    own.fill(t, 2);
    expect(Array.from(await own.read(t)).every((v) => v === 2)).toBe(true);
    expect(own.pipelinesBuilt()).toEqual(['fill']);
    own.scale(t, 1.5, t);
    own.fill(t, 3);
    own.scale(t, 0.5, t);
    expect(Array.from(await own.read(t)).every((v) => v === 1.5)).toBe(true);
    expect(own.pipelinesBuilt()).toEqual(['fill', 'scale']);
    // A small training step: one pipeline per kernel it dispatches, none built twice, none for the rest.
    const model = mlp(own, [4, 16, 2], { rng: new Rng(3), hidden: 'relu' });
    const loss = new Loss(own, 'mse');
    const optimizer = new Adam(own, model.parameters(), { lr: 1e-3 });
    const x = own.tensor([8, 4], Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)));
    const target = own.tensor([8, 2]);
    for (let i = 0; i < 3; i++) {
      optimizer.zeroGrad();
      loss.forward(model.forward(x), target);
      model.backward(loss.grad);
      optimizer.step();
    }
    expect(Number.isFinite((await own.read(loss.value))[0])).toBe(true);
    const dispatched = Object.entries(own.kernelDispatches()).filter(([, n]) => n > 0).map(([k]) => k);
    expect([...own.pipelinesBuilt()].sort()).toEqual(dispatched.sort());
    expect(own.gpuObjectsCreated().pipelines).toBe(dispatched.length);
    expect(dispatched.length).toBeLessThan(Object.keys(own.kernelDispatches()).length);
    for (const item of [model, loss, optimizer, x, target, t]) item.dispose();
    own.destroy();
  });

  it('reports a pipeline that fails to build on the next call, naming its kernel', async () => {
    // The file compiles, but the entry point `fill` names is gone: only fill's pipeline fails. (Its
    // own device: the failed submission's error reaches every backend on the device.)
    const own = await WebGpuBackend.create({
      loadShaderSource: async (file) => (file === 'elementwise' ? (await loadShaderSource(file)).replace('fn fill(', 'fn fill_gone(') : loadShaderSource(file)),
    });
    const t = own.tensor([4]);
    own.fill(t, 1);
    own.flush();
    await own.device.queue.onSubmittedWorkDone();
    await new Promise((resolve) => setTimeout(resolve, 20));
    let error: unknown = null;
    try {
      own.scale(t, 2, t);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ShaderCompileError);
    expect((error as Error).message).toMatch(/pipeline fill \(elementwise\.wgsl, entry fill\) failed/);
    expect(own.pipelinesBuilt()).toEqual(['fill']);
    own.destroy();
  });

  it('surfaces an uncaptured WebGPU error on the next call, once', async () => {
    const t = b.tensor([2]);
    // MAP_READ together with MAP_WRITE is a validation error nobody captures.
    b.device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.MAP_WRITE });
    await b.device.queue.onSubmittedWorkDone();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(() => b.fill(t, 1)).toThrow(GpuError);
    b.fill(t, 1);
    expect(Array.from(await b.read(t))).toEqual([1, 1]);
    t.dispose();
  });

  it('turns a lost device into a DeviceLostError on the next call', async () => {
    const own = await WebGpuBackend.create();
    const t = own.tensor([2]);
    own.device.destroy();
    await own.device.lost;
    expect(() => own.fill(t, 1)).toThrow(DeviceLostError);
    expect(() => own.fill(t, 1)).toThrow(/device lost \(destroyed\)/);
    own.destroy();
  });

  it('validates shapes with the same messages as the CPU backend', () => {
    const cpu = new CpuBackend();
    const messages = [b, cpu].map((backend) => {
      const a = backend.tensor([2, 3]);
      const w = backend.tensor([4, 5]);
      const o = backend.tensor([2, 5]);
      try {
        backend.matmul(a, w, o);
        return 'no error';
      } catch (error) {
        expect(error).toBeInstanceOf(ShapeError);
        return (error as Error).message;
      } finally {
        for (const t of [a, w, o]) t.dispose();
      }
    });
    expect(messages[0]).toBe(messages[1]);
    expect(messages[0]).toMatch(/do not chain/);
  });
});

/** Writes `body` after an import of the WebGPU backend into a script, and returns a function that runs it in a fresh Node (tsx). */
function childScript(name: string, body: string): () => SpawnSyncReturns<string> {
  const script = join(mkdtempSync(join(tmpdir(), 'webgpu-exit-')), name);
  const backendUrl = pathToFileURL(join(import.meta.dirname, '../src/backend/webgpu/index.ts')).href;
  writeFileSync(script, `import { WebGpuBackend } from '${backendUrl}';\n${body}`);
  return () =>
    spawnSync(process.execPath, ['--import', 'tsx', script], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    });
}

describe('process exit', needs('webgpu', gpu !== null), () => {
  it('lets Node exit promptly after destroy()', () => {
    const run = childScript(
      'exit.mts',
      `const b = await WebGpuBackend.create();
const t = b.tensor([3], [1, 2, 3]);
b.scale(t, 2, t);
console.log('result', Array.from(await b.read(t)).join(','));
b.destroy();
`,
    );
    const start = performance.now();
    const child = run();
    const seconds = (performance.now() - start) / 1000;
    expect(child.stderr).not.toMatch(/Error/);
    expect(child.stdout).toContain('result 2,4,6');
    expect(child.status).toBe(0);
    expect(seconds).toBeLessThan(15);
  });

  it('exits cleanly when destroy() comes right after the first dispatches, their pipelines still being checked', () => {
    // Each first dispatch builds its kernel's pipeline under error scopes that settle later. Dawn
    // crashed at exit (SIGSEGV or abort) in about 2 of 5 such processes when the device was
    // destroyed under them; destroy() now releases it once they settle. Six processes.
    const run = childScript(
      'exit-pending.mts',
      `const b = await WebGpuBackend.create();
const t = b.tensor([64]);
const u = b.tensor([64]);
b.fill(t, 1);
b.scale(t, 2, u);
b.copy(u, t);
b.flush();
b.destroy();
`,
    );
    const statuses = Array.from({ length: 6 }, run).map((child) => `${child.status} ${child.signal ?? ''}`.trim());
    expect(statuses).toEqual(Array(6).fill('0'));
  });
});
