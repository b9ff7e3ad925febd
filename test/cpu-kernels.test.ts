/**
 * The CPU backend's kernel variants (src/backend/cpu/cpu-kernels.ts): which one each option and
 * dtype gives, the errors where one cannot be had (a child process without WebAssembly for the
 * missing-SIMD case), tensors in WebAssembly memory (one kernel call per op, views as pointer
 * offsets, memory growth with live tensors and views), and no garbage in warm DQN updates through
 * the Backend API (child processes with a 1 MiB young generation). The ops' numbers are checked
 * by the conformance table on every variant (conformance.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VIEW_ALIGNMENT } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { detectWasmSupport } from '../src/backend/wasm/features.js';
import { InvalidArgumentError, UnknownNameError } from '../src/errors.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs an ES module script under `node ...flags --import tsx` in the repository root. */
function node(flags: string[], script: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
}

describe('choosing the kernels', () => {
  it("'auto' (the default) takes the WASM SIMD kernels in float32 and the TypeScript kernels in float64", () => {
    const f32 = new CpuBackend();
    expect(['wasm-simd128', 'wasm-fma']).toContain(f32.kernels);
    expect(f32.kernelsDescription).toMatch(/^WebAssembly SIMD128/);
    const f64 = new CpuBackend({ dtype: 'float64' });
    expect(f64.kernels).toBe('js');
    expect(f64.kernelsDescription).toBe('JavaScript, Float64Array');
    expect(f64.wasmHeapStats()).toBeNull();
    f32.destroy();
    f64.destroy();
  });

  it("'js' and 'wasm-simd128' give exactly those kernels", () => {
    const js = new CpuBackend({ kernels: 'js' });
    expect([js.kernels, js.kernelsDescription]).toEqual(['js', 'JavaScript, Float32Array']);
    const simd = new CpuBackend({ kernels: 'wasm-simd128' });
    expect([simd.kernels, simd.kernelsDescription]).toEqual(['wasm-simd128', 'WebAssembly SIMD128']);
    js.destroy();
    simd.destroy();
  });

  it('rejects WASM kernels in float64 and unknown names, naming the option', () => {
    expect(() => new CpuBackend({ dtype: 'float64', kernels: 'wasm' })).toThrow(InvalidArgumentError);
    expect(() => new CpuBackend({ dtype: 'float64', kernels: 'wasm' })).toThrow(
      "CpuBackend: kernels 'wasm' run in float32 only; dtype 'float64' uses the TypeScript kernels (kernels 'auto' or 'js')",
    );
    expect(() => new CpuBackend({ kernels: 'avx' as 'js' })).toThrow(UnknownNameError);
    expect(() => new CpuBackend({ kernels: 'avx' as 'js' })).toThrow("unknown CPU kernels 'avx'; valid: auto, wasm, wasm-simd128, wasm-fma, js");
  });

  it("'wasm-fma' needs relaxed SIMD: an error that says how to get it in Node 20, or FMA where the runtime has it", () => {
    // This file does not call enableRelaxedSimdInNode(): Node 20 has no relaxed SIMD here.
    if (detectWasmSupport().relaxedSimd) {
      expect(new CpuBackend({ kernels: 'wasm-fma' }).kernels).toBe('wasm-fma');
    } else {
      expect(() => new CpuBackend({ kernels: 'wasm-fma' })).toThrow(/kernels 'wasm-fma' need relaxed SIMD.*enableRelaxedSimdInNode\(\)/);
      expect(new CpuBackend({ kernels: 'wasm' }).kernels).toBe('wasm-simd128');
    }
  });

  it("without WebAssembly (node --jitless), 'auto' falls back to the TypeScript kernels and 'wasm' says why it cannot run", () => {
    const script = `
      const { CpuBackend } = await import('./src/backend/cpu/cpu-backend.ts');
      const auto = new CpuBackend();
      const t = auto.tensor([2], [1, 2]);
      auto.scale(t, 3, t);
      let error = '';
      try { new CpuBackend({ kernels: 'wasm' }); } catch (e) { error = e.name + ': ' + e.message; }
      console.log(JSON.stringify({ kernels: auto.kernels, scaled: Array.from(await auto.read(t)), error }));
    `;
    const r = node(['--jitless'], script);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      kernels: 'js',
      scaled: [3, 6],
      error:
        "WasmSimdUnavailableError: CpuBackend: kernels 'wasm' need WebAssembly SIMD: WebAssembly is not available in this runtime; kernels 'auto' or 'js' use the TypeScript kernels",
    });
  });
});

describe('tensors in WebAssembly memory', () => {
  it('each tensor is one region of the memory, a view none; an op is one kernel call; destroy frees every region', () => {
    const b = new CpuBackend({ kernels: 'wasm' });
    const regions = () => b.wasmHeapStats()?.regions;
    const before = regions() ?? -1;
    const x = b.tensor([4, 8]);
    const arena = b.tensor([2 * VIEW_ALIGNMENT]);
    const v = b.view(arena, VIEW_ALIGNMENT, [4, 8]);
    expect(regions()).toBe(before + 2);
    const calls = b.stats().dispatches;
    b.scale(x, 2, v);
    b.linear(x, b.view(arena, 0, [8, 8]), null, 'relu', b.tensor([4, 8]));
    expect(b.stats().dispatches - calls).toBe(2);
    b.destroy();
    expect(b.wasmHeapStats()?.regions).toBe(0);
  });

  it('growth of the memory leaves no stale view: live tensors and views keep their values and work in every op afterwards', async () => {
    const b = new CpuBackend({ kernels: 'wasm' });
    const n = 3 * VIEW_ALIGNMENT;
    const arena = b.tensor([n], Float32Array.from({ length: n }, (_, i) => i));
    const q = b.view(arena, VIEW_ALIGNMENT, [4, 2]);
    const indices = b.view(arena, 0, [4, 1]);
    b.write(indices, [0, 1, 1, 0]);
    const picked = b.tensor([4, 1]);
    // Ops on both kinds of kernels before the growth, so each has taken (and cached) its arrays.
    b.gatherColumns(q, indices, picked);
    b.rowMax(q, picked);
    const grows = b.wasmHeapStats()?.grows ?? -1;
    const memoryBytes = b.wasmHeapStats()?.memoryBytes ?? 0;
    const big = b.tensor([memoryBytes / 2]);
    expect(b.wasmHeapStats()?.grows).toBeGreaterThan(grows);
    // The values are intact, through the base and through the views.
    expect(Array.from(await b.read(q))).toEqual([64, 65, 66, 67, 68, 69, 70, 71]);
    expect(Array.from(await b.read(b.view(arena, 2 * VIEW_ALIGNMENT, [2])))).toEqual([128, 129]);
    // A TypeScript-kernel op (gatherColumns) and WASM-kernel ops on the old tensors and views.
    b.gatherColumns(q, indices, picked);
    expect(Array.from(await b.read(picked))).toEqual([64, 67, 69, 70]);
    b.scale(q, 2, q);
    b.rowMax(q, picked);
    expect(Array.from(await b.read(picked))).toEqual([130, 134, 138, 142]);
    // Writes through a view land in the base; the new tensor is usable too.
    b.write(q, [-1], 7);
    expect((await b.read(arena))[VIEW_ALIGNMENT + 7]).toBe(-1);
    b.fill(big, 0.5);
    b.sumSquares(big, b.view(arena, 2 * VIEW_ALIGNMENT, [1]));
    expect((await b.read(arena))[2 * VIEW_ALIGNMENT]).toBe(0.25 * (memoryBytes / 2));
    b.destroy();
  });

  it('a view is its root tensor memory at a pointer offset', () => {
    const b = new CpuBackend({ kernels: 'wasm' });
    const arena = b.tensor([3 * VIEW_ALIGNMENT]);
    const storage = (t: unknown) => (t as { storage: { ptr: number } }).storage;
    const inner = b.view(b.view(arena, VIEW_ALIGNMENT, [2 * VIEW_ALIGNMENT]), VIEW_ALIGNMENT, [3]);
    expect(storage(inner).ptr - storage(arena).ptr).toBe(4 * 2 * VIEW_ALIGNMENT);
    b.destroy();
  });
});

describe('no garbage in warm DQN updates through the Backend API', () => {
  // A child process with a tiny young generation (--max-semi-space-size=1), so that even one boxed
  // number per op would force scavenges over the measured updates; the in-process check of
  // nn-layers.test.ts cannot see allocations that small.
  const probe = fileURLToPath(new URL('./support/backend-gc-probe.ts', import.meta.url));
  for (const kernels of ['wasm-simd128', 'wasm-fma'] as const) {
    it(`${kernels}: 20000 updates (14 ops each, parameters in arenas of views) cause no collection`, () => {
      const run = spawnSync(process.execPath, ['--max-semi-space-size=1', '--expose-gc', '--import', 'tsx', probe, kernels], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      expect(run.status, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout) as { kernels: string; collections: number; updates: number; lossFinite: boolean; tensorsStable: boolean; dispatchesPerUpdate: number };
      expect(result).toMatchObject({ kernels, updates: 20000, lossFinite: true, tensorsStable: true, dispatchesPerUpdate: 14 });
      expect(result.collections).toBe(0);
    });
  }
});
