/**
 * createBackend: the backend names, 'auto''s rule (a hardware WebGPU adapter, else the CPU with a
 * one-line notice; a software adapter counts as none unless the caller opts in), and a clean
 * terminal: on a machine without Vulkan nothing Dawn prints reaches stderr. "Without Vulkan" is
 * real here: child processes whose Vulkan loader cannot load (a bogus libvulkan.so.1 first on
 * LD_LIBRARY_PATH) or finds no driver (VK_ICD_FILENAMES / VK_DRIVER_FILES naming an empty folder).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { createBackend } from '../src/backend/create-backend.js';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { describeBackend } from '../src/cli/backend.js';
import { UnknownNameError } from '../src/errors.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
const scratch = mkdtempSync(join(tmpdir(), 'create-backend-'));
afterAll(() => {
  gpu?.destroy();
  rmSync(scratch, { recursive: true, force: true });
});

/** Environments in which Vulkan, hence Dawn, finds no adapter. */
const NO_VULKAN: Record<string, Record<string, string>> = {
  'no Vulkan loader': { LD_LIBRARY_PATH: bogusVulkanLoaderDir() },
  'no Vulkan driver': { VK_ICD_FILENAMES: emptyDriverDir(), VK_DRIVER_FILES: emptyDriverDir() },
};

/** A folder of Vulkan driver manifests (ICD .json files) holding none, as on a machine with no driver installed. */
function emptyDriverDir(): string {
  const dir = join(scratch, 'icd.d');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A folder whose libvulkan.so.1 is an empty file: the dynamic loader finds it first and fails to load it. */
function bogusVulkanLoaderDir(): string {
  writeFileSync(join(scratch, 'libvulkan.so.1'), '');
  return scratch;
}

/** Runs an ES module of TypeScript (importing the sources) in a child Node process. */
function runModule(source: string, env: Record<string, string> = {}) {
  const file = join(scratch, `child-${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(file, source);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const createBackendUrl = pathToFileURL(resolve(import.meta.dirname, '../src/backend/create-backend.ts')).href;

/** A child that asks createBackend for each kind in turn and prints what it got (a backend name or an error) as JSON. */
function createBackendChild(kinds: string[]): string {
  return `
import { createBackend } from '${createBackendUrl}';
const result = {};
for (const kind of ${JSON.stringify(kinds)}) {
  try {
    const backend = await createBackend(kind);
    result[kind] = backend.name;
    backend.destroy();
  } catch (error) {
    result[kind] = error.name + ': ' + error.message;
  }
}
console.log(JSON.stringify(result));
`;
}

describe('createBackend by name', () => {
  it("'cpu' is the CPU backend; an unknown name is an error naming it", async () => {
    const cpu = await createBackend('cpu');
    expect(cpu.name).toBe('cpu');
    cpu.destroy();
    await expect(createBackend('tpu')).rejects.toThrow(UnknownNameError);
    await expect(createBackend('tpu')).rejects.toThrow(/tpu/);
  });

  it('describe() names the CPU backend\'s kernels, as the CLI banner shows them', async () => {
    const cpu = await createBackend('cpu');
    expect(cpu.describe()).toMatch(/^WebAssembly SIMD128( \+ FMA)?$/);
    expect(describeBackend(cpu)).toBe(`cpu (${cpu.describe()})`);
    cpu.destroy();
    const js = new CpuBackend({ kernels: 'js' });
    expect(js.describe()).toBe('JavaScript, Float32Array');
    expect(new CpuBackend({ dtype: 'float64' }).describe()).toBe('JavaScript, Float64Array');
    js.destroy();
  });
});

describe('createBackend on this machine', needs('webgpu', gpu !== null), () => {
  it("'webgpu' takes any adapter, software ones included", async () => {
    const webgpu = await createBackend('webgpu');
    expect(webgpu.name).toBe('webgpu');
    webgpu.destroy();
  });

  it("describe() names the WebGPU backend's adapter, as the CLI banner shows it", () => {
    const backend = gpu as WebGpuBackend;
    expect(backend.describe()).toBe(backend.adapterDescription);
    expect(backend.describe().startsWith(backend.device.adapterInfo.vendor)).toBe(true);
    expect(describeBackend(backend)).toBe(`webgpu (${backend.describe()})`);
  });

  it("'auto' takes the CPU over a software adapter by default, with one notice, and a hardware adapter over the CPU", async () => {
    const notices: string[] = [];
    const backend = await createBackend('auto', { onNotice: (m) => notices.push(m) });
    if ((gpu as WebGpuBackend).software) {
      expect(backend.name).toBe('cpu');
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/^backend auto: using the CPU backend because the only WebGPU adapter is a software one \(.+\)/);
      expect(notices[0]).not.toContain('\n');
    } else {
      expect(backend.name).toBe('webgpu');
      expect(notices).toEqual([]);
    }
    backend.destroy();
  });

  it("'auto' with softwareAdapter 'use' takes whatever adapter there is, silently", async () => {
    const notices: string[] = [];
    const backend = await createBackend('auto', { softwareAdapter: 'use', onNotice: (m) => notices.push(m) });
    expect(backend.name).toBe('webgpu');
    expect(notices).toEqual([]);
    backend.destroy();
  });

  it("'auto' falls back to the CPU with a one-line notice when the WebGPU backend cannot be built", async () => {
    const notices: string[] = [];
    const backend = await createBackend('auto', {
      softwareAdapter: 'use',
      webgpu: { device: (gpu as WebGpuBackend).device, loadShaderSource: () => Promise.reject(new Error('shaders unavailable')) },
      onNotice: (m) => notices.push(m),
    });
    expect(backend.name).toBe('cpu');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/CPU backend because WebGPU is unavailable: shaders unavailable$/);
    backend.destroy();
  });

  it("prints nothing but its own notice, in a child process whose only adapter is a software one", () => {
    const r = runModule(createBackendChild(['auto']));
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout) as { auto: string };
    if ((gpu as WebGpuBackend).software) {
      expect(result.auto).toBe('cpu');
      expect(r.stderr).toMatch(/^backend auto: using the CPU backend because the only WebGPU adapter is a software one \([^\n]+\n$/);
    } else {
      expect(result.auto).toBe('webgpu');
    }
  });
});

describe.each(Object.entries(NO_VULKAN))('createBackend with %s (a child process)', (_label, env) => {
  it('reproduces the problem: Dawn loaded in-process prints its warnings (with C++ source paths) to stderr', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', "const { create } = await import('webgpu'); console.log(await create([]).requestAdapter())"], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      cwd: resolve(import.meta.dirname, '..'),
    });
    expect(r.stdout.trim()).toBe('null');
    expect(r.stderr).toMatch(/^Warning: (Couldn't load Vulkan|vkCreateInstance)/);
    expect(r.stderr).toMatch(/\.cpp:\d+\)/);
  });

  it("'auto' prints one line of its own and trains on the CPU; 'webgpu' throws NoAdapterError saying what Dawn said; Dawn prints nothing", () => {
    const r = runModule(createBackendChild(['auto', 'webgpu']), env);
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout) as { auto: string; webgpu: string };
    expect(result.auto).toBe('cpu');
    expect(result.webgpu).toMatch(/^NoAdapterError: no WebGPU adapter: Dawn found none \("(Couldn't load Vulkan: .*libvulkan\.so\.1|vkCreateInstance: Found no drivers!)[^"]*"\); Dawn needs a Vulkan driver/);
    const lines = r.stderr.split('\n');
    expect(lines).toHaveLength(2); // one line, then the end of the output
    expect(lines[1]).toBe('');
    expect(lines[0]).toMatch(/^backend auto: using the CPU backend because WebGPU is unavailable: no WebGPU adapter: Dawn found none \(".+"\)/);
    expect(r.stderr).not.toMatch(/Warning|\.cpp/);
  });
});
