/**
 * The WASM heap: aligned zeroed regions, first-fit reuse with coalescing, sub-views for arenas,
 * clear errors on misuse, and memory growth while handles are live (old views are detached by
 * the engine; region.view() re-derives them; kernels keep working on the same pointers).
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { ALIGN_BYTES, ALIGN_FLOATS, WasmHeap, WasmKernels, alignedFloats } from '../src/backend/wasm/index.js';
import { MAX_MEMORY_BYTES } from '../src/backend/wasm/memory-layout.js';
import { preset, type DqnConfig } from '../src/rl/config.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { estimateRunMemory } from '../src/rl/memory-budget.js';

describe('WASM heap', () => {
  it('hands out zeroed regions aligned to 256 bytes, and reuses freed space first fit with coalescing', () => {
    const { heap } = WasmKernels.create({ fma: false, initialHeapBytes: 1 << 16 });
    const a = heap.alloc(1, 'a');
    const b = heap.alloc(65, 'b');
    const c = heap.alloc(3, 'c');
    for (const r of [a, b, c]) {
      expect(r.ptr % ALIGN_BYTES).toBe(0);
      expect(Array.from(r.view())).toEqual(new Array(r.length).fill(0));
    }
    expect(b.ptr - a.ptr).toBe(ALIGN_BYTES);
    expect(c.ptr - b.ptr).toBe(2 * ALIGN_BYTES);
    expect(alignedFloats(65)).toBe(2 * ALIGN_FLOATS);
    b.view().fill(7);
    b.free();
    a.free();
    // a and b coalesced (a's block merged with b's on its right): a region of three granules fits where they were, and comes back zeroed.
    const d = heap.alloc(3 * ALIGN_FLOATS, 'd');
    expect(d.ptr).toBe(a.ptr);
    expect(d.view().every((v) => v === 0)).toBe(true);
    expect(heap.stats().regions).toBe(2);
    expect(heap.stats().bytesInUse).toBe(4 * ALIGN_BYTES);
    // c merges with the free tail on its right, then d with c: one free block again.
    c.free();
    d.free();
    expect(heap.stats()).toMatchObject({ regions: 0, bytesInUse: 0 });
    // Freeing left to right merges each block into the one on its left.
    const e = heap.alloc(ALIGN_FLOATS, 'e');
    const f = heap.alloc(ALIGN_FLOATS, 'f');
    const g = heap.alloc(ALIGN_FLOATS, 'g');
    e.free();
    f.free();
    expect(heap.alloc(2 * ALIGN_FLOATS, 'h').ptr).toBe(e.ptr);
    void g;
  });

  it('grows the memory with live handles: stale views detach, view() re-derives, data and kernels carry on', () => {
    const kernels = WasmKernels.create({ fma: false, initialHeapBytes: 1 << 16 });
    const { heap } = kernels;
    const x = heap.alloc(1000, 'x');
    const y = heap.alloc(1000, 'y');
    const stale = x.view();
    stale.set(Float32Array.from({ length: 1000 }, (_, i) => i));
    const bytesBefore = heap.stats().memoryBytes;
    const generation = heap.generation;
    const big = heap.alloc(4 << 20, 'big'); // 16 MiB: more than the memory holds
    expect(heap.stats().memoryBytes).toBeGreaterThan(bytesBefore);
    expect(heap.stats().grows).toBe(1);
    expect(heap.generation).toBe(generation + 1);
    // The engine detached the old buffer: the view taken before the growth is empty now.
    expect(stale.length).toBe(0);
    const fresh = x.view();
    expect(fresh === stale).toBe(false);
    expect(fresh.length).toBe(1000);
    expect(fresh[999]).toBe(999);
    // Same pointers, same data: a kernel across old and new memory.
    kernels.copy(x.ptr, big.ptr + 4 * ((4 << 20) - 1000), 1000);
    kernels.scale(x.ptr, y.ptr, 1000, 2);
    expect(y.view()[999]).toBe(1998);
    expect(big.view()[(4 << 20) - 1]).toBe(999);
    // Warm views are cached: no new object until the next growth.
    expect(x.view()).toBe(fresh);
    expect(heap.f32()).toBe(heap.f32());
    for (const r of [x, y, big]) r.free();
  });

  it('sub-views give arena tensors aligned pointers and are freed with their arena', () => {
    const { heap } = WasmKernels.create({ fma: false });
    const arena = heap.alloc(4 * ALIGN_FLOATS + 2, 'params');
    const w = arena.subview(0, 4 * 64, 'W');
    const bias = arena.subview(4 * ALIGN_FLOATS, 2, 'b');
    expect(bias.ptr).toBe(arena.ptr + 4 * ALIGN_BYTES);
    bias.view().set([1, 2]);
    expect(Array.from(arena.view().subarray(4 * ALIGN_FLOATS))).toEqual([1, 2]);
    expect(() => arena.subview(3, 1)).toThrow(/offset 3 is not a non-negative multiple of 64 floats/);
    expect(() => arena.subview(4 * ALIGN_FLOATS, 3)).toThrow(/\[256, 259\) is outside its 258 floats/);
    expect(() => w.free()).toThrow(/'W' is a view into 'params': free the arena instead/);
    arena.free();
    expect(w.freed).toBe(true);
    expect(() => bias.view()).not.toThrow(); // cached until the next growth...
    heap.alloc(8 << 20, 'grow').free();
    expect(() => bias.view()).toThrow(/wasm region 'b' was freed/); // ...then refused
    expect(() => arena.free()).toThrow(/'params' was already freed/);
    expect(() => heap.alloc(-1, 'bad')).toThrow(/wasm alloc 'bad': size -1 is not a non-negative integer/);
  });
});

describe('the WASM memory near its 4 GiB limit, and the estimate the CLI checks against it', () => {
  it('grows by exactly what is needed when a quarter more would pass the limit', () => {
    // 3.5 GiB reserved up front (WebAssembly memory is zero pages the OS maps on first touch).
    const pages = (MAX_MEMORY_BYTES - 512 * 1024 * 1024) / 65536;
    const memory = new WebAssembly.Memory({ initial: pages });
    // The heap starts 64 MiB before the end (as if the rest were in use): the test touches little memory.
    const heap = new WasmHeap(memory, memory.buffer.byteLength - 64 * 1024 * 1024);
    heap.alloc((64 * 1024 * 1024) / 4, 'the last 64 MiB');
    // A quarter of 3.5 GiB is 896 MiB, past the limit; 256 MiB still fits.
    const tail = heap.alloc((256 * 1024 * 1024) / 4, 'tail');
    expect(heap.stats().memoryBytes).toBeLessThanOrEqual(MAX_MEMORY_BYTES);
    tail.view()[0] = 1;
    expect(() => heap.alloc((512 * 1024 * 1024) / 4, 'too much')).toThrow(/wasm heap: cannot grow the memory/);
  });

  it('the memory estimate (memory-budget.ts) bounds what a trainer really holds in the CPU backend\'s WebAssembly memory', async () => {
    const variants: Partial<DqnConfig>[] = [{}, { doubleDqn: false }, { dueling: true }, { quantiles: 5 }, { munchausen: 0.9, doubleDqn: false }, { numEnvs: 4 }, { policyAverageTau: 0.01 }];
    for (const variant of variants) {
      const backend = new CpuBackend({ kernels: 'wasm' });
      const config: DqnConfig = { ...preset('default'), hidden: [128, 96], batchSize: 512, bufferSize: 2000, learningStarts: 512, steps: 560, trainFreq: 4, evalFreq: 0, ...variant };
      const trainer = new DqnTrainer(backend, config, 0, {});
      await trainer.run();
      const used = backend.wasmHeapStats()!.bytesInUse;
      const estimate = estimateRunMemory(config, 4, 2).reduce((sum, item) => sum + item.backendBytes, 0);
      // Above what is used (the CLI refuses nothing that fits), and not far above (it refuses what does not).
      expect(used, JSON.stringify(variant)).toBeLessThanOrEqual(estimate);
      expect(used, JSON.stringify(variant)).toBeGreaterThan(0.5 * estimate);
      trainer.dispose();
      backend.destroy();
    }
  });
});
