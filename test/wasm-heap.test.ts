/**
 * The WASM heap: aligned zeroed regions, first-fit reuse with coalescing, sub-views for arenas,
 * clear errors on misuse, and memory growth while handles are live (old views are detached by
 * the engine; region.view() re-derives them; kernels keep working on the same pointers).
 */
import { describe, expect, it } from 'vitest';
import { ALIGN_BYTES, ALIGN_FLOATS, WasmKernels, alignedFloats } from '../src/backend/wasm/index.js';

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
