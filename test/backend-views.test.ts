/**
 * Tensor views (Backend.view): shared elements, alignment, disposal, aliasing rules, and ops that
 * read and write views of one storage, on the CPU backend (the WASM kernels, where a view is a
 * pointer into its root's WebAssembly memory, and the TypeScript kernels, where it is a subarray)
 * and on the WebGPU backend (where views of one buffer bound read-only and read_write in the same
 * dispatch must be staged, or WebGPU rejects the dispatch).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { VIEW_ALIGNMENT, type Backend } from '../src/backend/backend.js';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { InvalidArgumentError, ShapeError } from '../src/errors.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
const backends: [string, Backend][] = [
  ['cpu (WASM kernels)', new CpuBackend({ kernels: 'wasm' })],
  ['cpu (TypeScript kernels)', new CpuBackend({ kernels: 'js' })],
];
if (gpu !== null) backends.push(['webgpu', gpu]);
afterAll(() => {
  for (const [, b] of backends) b.destroy();
});

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

describe.each(backends)('views on the %s backend', (_, b) => {
  it('share elements with their base, both ways', async () => {
    const base = b.tensor([3 * VIEW_ALIGNMENT], range(3 * VIEW_ALIGNMENT));
    const v = b.view(base, VIEW_ALIGNMENT, [2, 4], 'v');
    expect(v.shape).toEqual([2, 4]);
    expect(Array.from(await b.read(v))).toEqual(range(8, VIEW_ALIGNMENT));
    b.write(v, [-1, -2], 3);
    const all = await b.read(base);
    expect(all[VIEW_ALIGNMENT + 3]).toBe(-1);
    expect(all[VIEW_ALIGNMENT + 4]).toBe(-2);
    // A view of a view composes the offsets.
    const inner = b.view(b.view(base, VIEW_ALIGNMENT, [2 * VIEW_ALIGNMENT]), VIEW_ALIGNMENT, [3]);
    expect(Array.from(await b.read(inner))).toEqual(range(3, 2 * VIEW_ALIGNMENT));
    base.dispose();
  });

  it('are disposed with their base, own nothing, and are not counted as live tensors', () => {
    const before = b.stats();
    const base = b.tensor([2 * VIEW_ALIGNMENT]);
    const v = b.view(base, 0, [4]);
    expect(b.stats().tensorsAlive).toBe(before.tensorsAlive + 1);
    v.dispose();
    expect(base.disposed).toBe(false);
    const w = b.view(base, VIEW_ALIGNMENT, [4]);
    base.dispose();
    expect(w.disposed).toBe(true);
    expect(() => b.fill(w, 1)).toThrow(/disposed/);
    expect(b.stats().tensorsAlive).toBe(before.tensorsAlive);
  });

  it('must start at an aligned offset and lie inside the base', () => {
    const base = b.tensor([VIEW_ALIGNMENT + 8]);
    expect(() => b.view(base, 3, [2])).toThrow(InvalidArgumentError);
    expect(() => b.view(base, 3, [2])).toThrow(`view: offset must be a non-negative multiple of ${VIEW_ALIGNMENT} elements, got 3`);
    expect(() => b.view(base, VIEW_ALIGNMENT, [9])).toThrow(ShapeError);
    expect(b.view(base, VIEW_ALIGNMENT, [8]).size).toBe(8);
    base.dispose();
  });

  it('read one view and write another of the same storage in one op', async () => {
    const arena = b.tensor([2 * VIEW_ALIGNMENT]);
    const x = b.view(arena, 0, [2, 3]);
    const y = b.view(arena, VIEW_ALIGNMENT, [2, 3]);
    b.write(x, [1, 2, 3, 4, 5, 6]);
    b.scale(x, 10, y);
    b.addMul(y, x, x, y); // in place on y: y + x * x
    expect(Array.from(await b.read(y))).toEqual([11, 24, 39, 56, 75, 96]);
    const w = b.tensor([3, 2], [1, 0, 0, 1, 1, 1]);
    const out = b.view(arena, VIEW_ALIGNMENT, [2, 2]);
    b.matmul(x, w, out);
    expect(Array.from(await b.read(out))).toEqual([4, 5, 10, 11]);
    // The elements of x were never touched.
    expect(Array.from(await b.read(x))).toEqual([1, 2, 3, 4, 5, 6]);
    w.dispose();
    arena.dispose();
  });

  it('an op over a whole arena equals the same op over each of its views', async () => {
    const n = 3 * VIEW_ALIGNMENT;
    const p = b.tensor([n], range(n).map((i) => Math.sin(i)));
    const g = b.tensor([n], range(n).map((i) => Math.cos(i)));
    const m = b.tensor([n]);
    const v = b.tensor([n]);
    const hp = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, step: 1 };
    const parts = [0, VIEW_ALIGNMENT, 2 * VIEW_ALIGNMENT];
    const p2 = b.tensor([n], await b.read(p));
    const [m2, v2] = [b.tensor([n]), b.tensor([n])];
    b.adam(p, g, m, v, hp);
    for (const o of parts) {
      const view = (t: typeof p) => b.view(t, o, [VIEW_ALIGNMENT]);
      b.adam(view(p2), view(g), view(m2), view(v2), hp);
    }
    expect(Array.from(await b.read(p2))).toEqual(Array.from(await b.read(p)));
    for (const t of [p, g, m, v, p2, m2, v2]) t.dispose();
  });

  it('reject an output that partially overlaps an input, and accept exactly the same elements', () => {
    const arena = b.tensor([3 * VIEW_ALIGNMENT]);
    const at = (offset: number, size: number) => b.view(arena, offset, [size]);
    // Exactly the same elements, through two view objects: in place is fine.
    expect(() => b.scale(at(0, 64), 2, b.view(arena, 0, [8, 8]))).not.toThrow();
    // Disjoint views of one storage are fine too.
    expect(() => b.lerp(at(0, 64), at(64, 64), 0.5)).not.toThrow();
    // A partial overlap is not: elements 64..99 are both read and written.
    expect(() => b.scale(at(0, 100), 2, at(64, 100))).toThrow(/scale: out \('.*'\) overlaps x/);
    expect(() => b.copy(at(0, 100), at(64, 100))).toThrow(/copy: dst \('.*'\) overlaps src/);
    expect(() => b.matmul(b.view(arena, 0, [8, 8]), b.tensor([8, 8]), b.view(arena, 0, [8, 8]))).toThrow('matmul: out must not alias a or b');
    const hp = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, step: 1 };
    expect(() => b.adam(at(0, 100), at(64, 100), b.tensor([100]), b.tensor([100]), hp)).toThrow('adam: param must not alias grad');
    arena.dispose();
  });
});
