/**
 * The WASM SIMD kernels (src/backend/wasm) against float64 references (test/support/reference-ops.ts)
 * and the plain TypeScript kernels (src/backend/cpu), on shapes from 1 x 1 to 1024, odd sizes
 * around the SIMD width and the block sizes, all transpose cases, accumulate and aliasing. Every
 * kernel runs in both variants the runtime offers: SIMD128 (multiply + add) and relaxed-SIMD FMA.
 * Tolerances are the conformance table's (test/support/tolerances.ts).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, radamRectification, type Activation, type AdamHyperParameters, type SgdHyperParameters } from '../src/backend/backend.js';
import { matmul as tsMatmul } from '../src/backend/cpu/matmul.js';
import { adam as tsAdam, clipByGlobalNorm as tsClip, sgd as tsSgd } from '../src/backend/cpu/optimizers.js';
import { lerp as tsLerp } from '../src/backend/cpu/elementwise.js';
import { loss as tsLoss } from '../src/backend/cpu/losses.js';
import { gatherColumns, scatterColumns } from '../src/backend/cpu/indexing.js';
import { rowArgmax as tsRowArgmax, rowMax as tsRowMax } from '../src/backend/cpu/reductions.js';
import { layerNorm as tsLayerNorm, layerNormBackward as tsLayerNormBackward } from '../src/backend/cpu/layer-norm.js';
import { Rng } from '../src/random/rng.js';
import { buildKernelModule, detectWasmSupport, WasmKernels, type WasmRegion } from '../src/backend/wasm/index.js';
import { enableRelaxedSimdInNode } from '../src/backend/wasm/node-relaxed-simd.js';
import * as ref from './support/reference-ops.js';
import { ADAM, EXACT, FEW_OPS, LOSS, TRANSCENDENTAL, fusedTolerance, layerNormActivationTolerance, layerNormTolerance, mismatch, sumTolerance, type Tolerance } from './support/tolerances.js';

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance, what: string): void {
  const problem = mismatch(got, want, tol);
  if (problem !== null) expect.fail(`${what}: ${problem}`);
}

const relaxedAvailable = enableRelaxedSimdInNode();
const variants: { name: string; fma: boolean }[] = [{ name: 'SIMD128', fma: false }];
if (relaxedAvailable) variants.push({ name: 'relaxed-SIMD FMA', fma: true });

describe('feature detection and the module', () => {
  it('finds SIMD128 in Node 20, and relaxed SIMD once the V8 flag is set', () => {
    const support = detectWasmSupport();
    expect(support.wasm).toBe(true);
    expect(support.simd).toBe(true);
    expect(support.relaxedSimd).toBe(relaxedAvailable);
    expect(relaxedAvailable).toBe(true);
  });

  it('builds the same bytes every time, and the two variants differ only by FMA', () => {
    const plain = buildKernelModule({ fma: false });
    expect(buildKernelModule({ fma: false })).toEqual(plain);
    const fma = buildKernelModule({ fma: true });
    expect(fma).not.toEqual(plain);
    expect(WebAssembly.validate(plain)).toBe(true);
    expect(WebAssembly.validate(fma)).toBe(true);
    // f32x4.relaxed_madd is 0xfd 0x85 0x02: present in one, absent from the other.
    const count = (bytes: Uint8Array): number => {
      let n = 0;
      for (let i = 0; i + 2 < bytes.length; i++) if (bytes[i] === 0xfd && bytes[i + 1] === 0x85 && bytes[i + 2] === 0x02) n++;
      return n;
    };
    expect(count(plain)).toBe(0);
    expect(count(fma)).toBeGreaterThan(0);
  });
});

for (const variant of variants) {
  describe(`WASM kernels, ${variant.name}`, () => {
    const kernels = WasmKernels.create({ fma: variant.fma });
    const rng = new Rng(variant.fma ? 2 : 1);
    const heap = kernels.heap;

    /** A region filled with uniform float32 values (or given data). */
    function region(n: number, lo = -1, hi = 1): WasmRegion {
      const r = heap.alloc(n, 'test');
      rng.fillUniform(r.view(), lo, hi);
      return r;
    }
    const copyOf = (r: WasmRegion): Float32Array => Float32Array.from(r.view());
    const m64 = (rows: number, cols: number, r: WasmRegion | Float32Array): ref.Matrix => ref.matrix(rows, cols, r instanceof Float32Array ? r : r.view());
    function freeAll(...rs: WasmRegion[]): void {
      for (const r of rs) r.free();
    }

    it('uses the requested FMA variant', () => {
      expect(kernels.fma).toBe(variant.fma);
    });

    describe('matmul', () => {
      const shapes: [number, number, number][] = [
        [1, 1, 1], [1, 3, 5], [3, 5, 1], [5, 63, 65], [63, 65, 127], [127, 1, 3], [64, 64, 64],
        [65, 257, 5], [7, 300, 300], [1, 4, 64], [64, 4, 64], [64, 64, 2], [2, 0, 3], [5, 127, 63], [1, 257, 70], [1, 0, 5],
      ];
      for (const [m, k, n] of shapes) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            for (const accumulate of [false, true]) {
              const name = `${m}x${k}x${n}${transA ? ' transA' : ''}${transB ? ' transB' : ''}${accumulate ? ' accumulate' : ''}`;
              it(name, () => {
                const a = region(m * k);
                const b = region(k * n);
                const out = region(m * n);
                const out0 = copyOf(out);
                kernels.matmul(a.ptr, b.ptr, out.ptr, m, k, n, transA, transB, accumulate);
                const want = ref.refMatmul(m64(transA ? k : m, transA ? m : k, a), m64(transB ? n : k, transB ? k : n, b), transA, transB, accumulate ? Float64Array.from(out0) : undefined);
                expectClose(out.view(), want, sumTolerance(k + (accumulate ? 1 : 0)), name);
                freeAll(a, b, out);
              });
            }
          }
        }
      }

      // All four cases once; the FMA variant differs only in the micro-kernel, so a b suffices there.
      const bigCases = variant.fma ? ([[false, false]] as const) : ([[false, false], [true, false], [false, true], [true, true]] as const);
      for (const [transA, transB] of bigCases) {
        it(`1024 x 1024 x 1024${transA ? ' transA' : ''}${transB ? ' transB' : ''} against the TypeScript kernel`, () => {
          const n = 1024;
          const a = region(n * n);
          const b = region(n * n);
          const out = heap.alloc(n * n, 'out');
          kernels.matmul(a.ptr, b.ptr, out.ptr, n, n, n, transA, transB, false);
          const want = new Float32Array(n * n);
          tsMatmul({ a: a.view(), b: b.view(), out: want, m: n, k: n, n, transA, transB, accumulate: false });
          // The TypeScript kernel sums in float64 (its own error is < 4 float32 roundings).
          expectClose(out.view(), want, sumTolerance(n), '1024^3');
          freeAll(a, b, out);
        });
      }
    });

    describe('fused Dense passes', () => {
      const forwardShapes: [number, number, number][] = [[64, 4, 64], [64, 64, 64], [64, 64, 2], [1, 4, 64], [1, 256, 35], [5, 63, 65], [3, 300, 259], [130, 7, 3]];
      for (const activation of ACTIVATIONS) {
        for (const [m, k, n] of forwardShapes) {
          for (const withBias of [true, false]) {
            const name = `linearForward ${activation}${withBias ? ' + bias' : ''} ${m}x${k}x${n}`;
            it(name, () => {
              const x = region(m * k);
              const w = region(k * n);
              const bias = region(n);
              const out = region(m * n);
              kernels.linearForward(x.ptr, w.ptr, withBias ? bias.ptr : 0, out.ptr, m, k, n, activation, 0.2);
              const z = ref.refMatmul(m64(m, k, x), m64(k, n, w), false, false);
              const want = ref.refActivation(activation, ref.matrix(m, n, z), withBias ? Float64Array.from(bias.view()) : null, 0.2);
              // The pre-activation carries the matmul's error (k products and the bias); activations have slope <= 1.
              expectClose(out.view(), want, fusedTolerance(k + 1), name);
              freeAll(x, w, bias, out);
            });
          }
        }
      }

      for (const [batch, inF, outF] of [[64, 4, 64], [64, 64, 2], [1, 64, 64], [63, 65, 5], [300, 3, 257]] as const) {
        for (const accumulate of [false, true]) {
          for (const withBias of [true, false]) {
            const name = `linearParamGrads batch ${batch} ${inF} -> ${outF}${accumulate ? ' accumulate' : ''}${withBias ? '' : ' no db'}`;
            it(name, () => {
              const x = region(batch * inF);
              const g = region(batch * outF);
              const dW = region(inF * outF);
              const db = region(outF);
              const dW0 = Float64Array.from(dW.view());
              const db0 = Float64Array.from(db.view());
              kernels.linearParamGrads(x.ptr, g.ptr, dW.ptr, withBias ? db.ptr : 0, batch, inF, outF, accumulate);
              expectClose(dW.view(), ref.refMatmul(m64(batch, inF, x), m64(batch, outF, g), true, false, accumulate ? dW0 : undefined), sumTolerance(batch + 1), `${name} dW`);
              if (withBias) expectClose(db.view(), ref.refColumnSum(m64(batch, outF, g), accumulate ? db0 : undefined), sumTolerance(batch + 1), `${name} db`);
              else expectClose(db.view(), db0, EXACT, `${name} db untouched`);
              freeAll(x, g, dW, db);
            });
          }
        }
      }

      for (const activation of [...ACTIVATIONS, null] as const) {
        for (const [batch, outF, inF] of [[64, 64, 64], [64, 2, 64], [64, 64, 4], [3, 65, 63], [129, 5, 300]] as const) {
          const name = `linearInputGrad through ${activation ?? 'no previous activation (yPrev 0)'} batch ${batch} ${outF} -> ${inF}`;
          it(name, () => {
            const g = region(batch * outF);
            const w = region(inF * outF);
            const out = region(batch * inF);
            const yPrev = heap.alloc(batch * inF, 'yPrev');
            const act: Activation = activation ?? 'identity';
            // yPrev as a real activation output (softmax rows sum to 1, sigmoid in (0, 1)...).
            const pre = new Float32Array(batch * inF);
            rng.fillUniform(pre, -2, 2);
            yPrev.view().set(ref.refActivation(act, ref.matrix(batch, inF, pre), null, 0.2));
            kernels.linearInputGrad(g.ptr, w.ptr, activation === null ? 0 : yPrev.ptr, out.ptr, batch, outF, inF, act, 0.2);
            const dx = ref.refMatmul(m64(batch, outF, g), m64(inF, outF, w), false, true);
            const want = activation === null ? dx : ref.refActivationBackward(act, m64(batch, inF, yPrev), dx, 0.2);
            const tol = sumTolerance(outF + 1);
            expectClose(out.view(), want, { abs: tol.abs * (act === 'softmax' ? inF : 1), rel: tol.rel }, name);
            freeAll(g, w, out, yPrev);
          });
        }
      }
    });

    describe('activations', () => {
      for (const activation of ACTIVATIONS) {
        for (const cols of [1, 3, 5, 63, 65]) {
          for (const inPlace of [false, true]) {
            const name = `biasActivation ${activation} (7, ${cols})${inPlace ? ' in place' : ''}`;
            it(name, () => {
              const x = region(7 * cols, -4, 4);
              const bias = region(cols);
              const out = inPlace ? x : region(7 * cols);
              const want = ref.refActivation(activation, m64(7, cols, x), Float64Array.from(bias.view()), 0.2);
              kernels.biasActivation(x.ptr, bias.ptr, out.ptr, 7, cols, activation, 0.2);
              expectClose(out.view(), want, activation === 'identity' || activation === 'relu' || activation === 'leaky_relu' ? FEW_OPS : TRANSCENDENTAL, name);
              freeAll(...(inPlace ? [x, bias] : [x, bias, out]));
            });
          }
          const back = `activationBackward ${activation} (7, ${cols}) in place`;
          it(back, () => {
            const y = heap.alloc(7 * cols, 'y');
            const pre = new Float32Array(7 * cols);
            rng.fillUniform(pre, -3, 3);
            y.view().set(ref.refActivation(activation, ref.matrix(7, cols, pre), null, 0.2));
            const g = region(7 * cols);
            const want = ref.refActivationBackward(activation, m64(7, cols, y), Float64Array.from(g.view()), 0.2);
            kernels.activationBackward(activation, y.ptr, g.ptr, g.ptr, 7, cols, 0.2);
            expectClose(g.view(), want, FEW_OPS, back);
            freeAll(y, g);
          });
        }
      }

      it('tanh, sigmoid and softmax at extreme inputs (no NaN, exact tails)', () => {
        const values = [-1e30, -1000, -100, -88, -20, -9, -1e-3, -1e-30, -0, 0, 1e-30, 1e-3, 9, 20, 88, 100, 1000, 1e30];
        const x = heap.alloc(values.length, 'x');
        const out = heap.alloc(values.length, 'out');
        for (const activation of ['tanh', 'sigmoid', 'softmax'] as const) {
          x.view().set(values);
          kernels.biasActivation(x.ptr, 0, out.ptr, activation === 'softmax' ? 6 : 1, activation === 'softmax' ? 3 : values.length, activation, 0);
          const want = ref.refActivation(activation, ref.matrix(activation === 'softmax' ? 6 : 1, activation === 'softmax' ? 3 : values.length, values), null);
          expectClose(out.view(), want, TRANSCENDENTAL, activation);
        }
        // tanh keeps the sign of zero (Math.tanh(-0) is -0).
        x.view().set([-0]);
        kernels.biasActivation(x.ptr, 0, out.ptr, 1, 1, 'tanh', 0);
        expect(Object.is(out.view()[0], -0)).toBe(true);
        freeAll(x, out);
      });

      it('tanh and sigmoid errors over a dense sweep stay within 3 float32 ulps (relative 3 * 2^-24) or 1e-7 absolute', () => {
        // Recorded in README.md: measured max relative errors.
        const n = 200_001;
        const x = heap.alloc(n, 'x');
        const out = heap.alloc(n, 'out');
        const xs = x.view();
        for (let i = 0; i < n; i++) xs[i] = -20 + (40 * i) / (n - 1);
        for (const [activation, fn] of [['tanh', Math.tanh], ['sigmoid', (v: number) => 1 / (1 + Math.exp(-v))]] as const) {
          kernels.biasActivation(x.ptr, 0, out.ptr, 1, n, activation, 0);
          let worst = 0;
          const o = out.view();
          for (let i = 0; i < n; i++) {
            const w = fn(xs[i]);
            const err = Math.abs(o[i] - w);
            if (err > 1e-7) worst = Math.max(worst, err / Math.abs(w));
          }
          expect(worst, activation).toBeLessThanOrEqual(3 * 2 ** -24);
        }
        freeAll(x, out);
      });
    });

    describe('LayerNorm with its activation fused', () => {
      // Odd widths (the tail of n mod 4 columns), 1 (out = beta, dx = 0), PQN's 256 and 84, 120.
      const SHAPES = [
        [4, 1],
        [3, 7],
        [5, 33],
        [6, 84],
        [4, 120],
        [3, 127],
        [5, 256],
        [2, 1001],
      ] as const;
      const LN_ACTIVATIONS = ['identity', 'relu', 'leaky_relu', 'tanh', 'sigmoid'] as const;
      const alpha = 0.2;
      const tolerance = (activation: Activation, k: number): Tolerance => (activation === 'identity' ? layerNormTolerance(k, 2) : layerNormActivationTolerance(k, 2));
      for (const activation of LN_ACTIVATIONS) {
        for (const [B, n] of SHAPES) {
          const name = `${activation} (${B}, ${n})`;
          it(`forward ${name}: against the float64 reference and the TypeScript kernel`, () => {
            const x = region(B * n, -2, 2);
            const gamma = region(n, -2, 2);
            const beta = region(n);
            const out = region(B * n);
            const stats = region(2 * B);
            kernels.layerNorm(x.ptr, gamma.ptr, beta.ptr, out.ptr, stats.ptr, B, n, 1e-5, activation, alpha);
            const want = ref.refLayerNorm(m64(B, n, x), gamma.view(), beta.view(), 1e-5, activation, alpha);
            expectClose(out.view(), want.out, tolerance(activation, n), `${name} out`);
            expectClose(stats.view(), want.stats, layerNormTolerance(n, 2), `${name} stats`);
            const tsOut = new Float32Array(B * n);
            const tsStats = new Float32Array(2 * B);
            tsLayerNorm({ x: x.view(), gamma: gamma.view(), beta: beta.view(), eps: 1e-5, out: tsOut, stats: tsStats, activation, alpha, rows: B, cols: n });
            expectClose(out.view(), tsOut, tolerance(activation, n), `${name} out against TypeScript`);
            expectClose(stats.view(), tsStats, layerNormTolerance(n, 2), `${name} stats against TypeScript`);
            freeAll(x, gamma, beta, out, stats);
          });

          it(`backward ${name} (dx, in place into dy, none; overwrite and accumulate): against the float64 reference and the TypeScript kernel`, () => {
            const x = region(B * n, -2, 2);
            const gamma = region(n, -2, 2);
            const beta = region(n);
            const y = heap.alloc(B * n, 'y');
            const stats = heap.alloc(2 * B, 'stats');
            kernels.layerNorm(x.ptr, gamma.ptr, beta.ptr, y.ptr, stats.ptr, B, n, 1e-5, activation, alpha);
            const dy0 = new Float32Array(B * n);
            rng.fillUniform(dy0, -1, 1);
            // dy act'(y) in float64 from the float32 y, then LayerNorm's backward from the float32 stats.
            const dyAct = activation === 'identity' ? Float64Array.from(dy0) : ref.refActivationBackward(activation, m64(B, n, y), Float64Array.from(dy0), alpha);
            for (const variant of ['dx', 'in place', 'none'] as const) {
              for (const accumulate of [false, true]) {
                const what = `${name} dx ${variant}${accumulate ? ' accumulate' : ''}`;
                const dy = heap.alloc(B * n, 'dy');
                dy.view().set(dy0);
                const dx = variant === 'dx' ? region(B * n) : variant === 'in place' ? dy : null;
                const dgamma = region(n);
                const dbeta = region(n);
                const dgamma0 = copyOf(dgamma);
                const dbeta0 = copyOf(dbeta);
                kernels.layerNormBackward(x.ptr, gamma.ptr, stats.ptr, dy.ptr, activation === 'identity' ? 0 : y.ptr, dx === null ? 0 : dx.ptr, dgamma.ptr, dbeta.ptr, B, n, accumulate, activation, alpha);
                const want = ref.refLayerNormBackward(m64(B, n, x), gamma.view(), stats.view(), ref.matrix(B, n, dyAct), accumulate ? dgamma0 : undefined, accumulate ? dbeta0 : undefined);
                const tol = tolerance(activation, Math.max(B, n));
                if (dx !== null) expectClose(dx.view(), want.dx, tol, `${what} dx`);
                else expect(Array.from(dy.view()), `${what}: dy untouched`).toEqual(Array.from(dy0));
                expectClose(dgamma.view(), want.dgamma, tol, `${what} dgamma`);
                expectClose(dbeta.view(), want.dbeta, tol, `${what} dbeta`);
                const ts = { dx: new Float32Array(B * n), dgamma: Float32Array.from(dgamma0), dbeta: Float32Array.from(dbeta0) };
                tsLayerNormBackward(
                  { x: x.view(), gamma: gamma.view(), stats: stats.view(), dy: Float32Array.from(dy0), dx: ts.dx, dgamma: ts.dgamma, dbeta: ts.dbeta, accumulate, y: y.view(), activation, alpha, rows: B, cols: n },
                  new Float64Array(2 * n),
                  new Float32Array(B * n),
                );
                if (dx !== null) expectClose(dx.view(), ts.dx, tol, `${what} dx against TypeScript`);
                expectClose(dgamma.view(), ts.dgamma, tol, `${what} dgamma against TypeScript`);
                expectClose(dbeta.view(), ts.dbeta, tol, `${what} dbeta against TypeScript`);
                freeAll(...(variant === 'dx' ? [dy, dx as WasmRegion] : [dy]), dgamma, dbeta);
              }
            }
            freeAll(x, gamma, beta, y, stats);
          });

          if (activation !== 'identity') {
            it(`${name} fused gives the bits of the identity kernel plus biasActivation / activationBackward`, () => {
              const x = region(B * n, -2, 2);
              const gamma = region(n, -2, 2);
              const beta = region(n);
              const fused = region(B * n);
              const plain = region(B * n);
              const stats = region(2 * B);
              kernels.layerNorm(x.ptr, gamma.ptr, beta.ptr, fused.ptr, stats.ptr, B, n, 1e-5, activation, alpha);
              kernels.layerNorm(x.ptr, gamma.ptr, beta.ptr, plain.ptr, stats.ptr, B, n, 1e-5, 'identity', alpha);
              kernels.biasActivation(plain.ptr, 0, plain.ptr, B, n, activation, alpha);
              expect(Array.from(fused.view())).toEqual(Array.from(plain.view()));
              const dy = region(B * n);
              const dxFused = region(B * n);
              const dxPlain = region(B * n);
              const dg = [region(n), region(n)];
              const db = [region(n), region(n)];
              kernels.layerNormBackward(x.ptr, gamma.ptr, stats.ptr, dy.ptr, fused.ptr, dxFused.ptr, dg[0].ptr, db[0].ptr, B, n, false, activation, alpha);
              kernels.activationBackward(activation, fused.ptr, dy.ptr, dxPlain.ptr, B, n, alpha);
              kernels.layerNormBackward(x.ptr, gamma.ptr, stats.ptr, dxPlain.ptr, 0, dxPlain.ptr, dg[1].ptr, db[1].ptr, B, n, false, 'identity', alpha);
              expect(Array.from(dxFused.view())).toEqual(Array.from(dxPlain.view()));
              expect(Array.from(dg[0].view())).toEqual(Array.from(dg[1].view()));
              expect(Array.from(db[0].view())).toEqual(Array.from(db[1].view()));
              freeAll(x, gamma, beta, fused, plain, stats, dy, dxFused, dxPlain, ...dg, ...db);
            });
          }
        }
      }
    });

    describe('reductions and elementwise', () => {
      for (const [rows, cols] of [[1, 1], [64, 64], [7, 5], [65, 63], [3, 127], [300, 2]] as const) {
        for (const accumulate of [false, true]) {
          it(`columnSum (${rows}, ${cols})${accumulate ? ' accumulate' : ''}`, () => {
            const x = region(rows * cols);
            const out = region(cols);
            const out0 = Float64Array.from(out.view());
            kernels.columnSum(x.ptr, out.ptr, rows, cols, accumulate);
            expectClose(out.view(), ref.refColumnSum(m64(rows, cols, x), accumulate ? out0 : undefined), sumTolerance(rows + 1), 'columnSum');
            freeAll(x, out);
          });
        }
        it(`rowMax and rowArgmax (${rows}, ${cols})`, () => {
          const x = region(rows * cols);
          // Ties: copy the first column into the last, so argmax must keep the first.
          const xv = x.view();
          for (let r = 0; r < rows; r++) xv[r * cols + cols - 1] = xv[r * cols];
          const out = region(rows);
          const want = new Float32Array(rows);
          kernels.rowMax(x.ptr, out.ptr, rows, cols);
          tsRowMax(x.view(), want, rows, cols);
          expectClose(out.view(), want, EXACT, 'rowMax');
          kernels.rowArgmax(x.ptr, out.ptr, rows, cols);
          tsRowArgmax(x.view(), want, rows, cols);
          expectClose(out.view(), want, EXACT, 'rowArgmax');
          freeAll(x, out);
        });
      }

      for (const n of [1, 3, 5, 63, 65, 127, 4739, 100_001]) {
        it(`sumSquares, clip, fill, copy, scale, addMul, lerp over ${n} floats`, () => {
          const x = region(n);
          const s = heap.alloc(1, 'sumSquares');
          s.view()[0] = 0.5;
          kernels.sumSquares(x.ptr, n, s.ptr, true);
          expectClose(s.view(), [Math.fround(ref.refSumSquares(x.view(), 0.5))], { abs: 0, rel: 2 ** -24 }, 'sumSquares accumulate');
          kernels.sumSquares(x.ptr, n, s.ptr, false);
          const ss = s.view()[0];
          expectClose([ss], [Math.fround(ref.refSumSquares(x.view()))], { abs: 0, rel: 2 ** -24 }, 'sumSquares');
          for (const maxNorm of [0.1 * Math.sqrt(ss), 10 * Math.sqrt(ss)]) {
            const before = copyOf(x);
            kernels.clipByGlobalNorm(x.ptr, n, s.ptr, maxNorm);
            const want = Float32Array.from(before);
            tsClip(want, n, ss, maxNorm);
            expectClose(x.view(), want, FEW_OPS, `clip to ${maxNorm}`);
          }
          const y = region(n);
          const z = region(n);
          kernels.fill(y.ptr, n, -2.5);
          expectClose(y.view(), new Float64Array(n).fill(-2.5), EXACT, 'fill');
          kernels.copy(x.ptr, y.ptr, n);
          expectClose(y.view(), x.view(), EXACT, 'copy');
          kernels.scale(y.ptr, y.ptr, n, -0.3);
          expectClose(y.view(), Float64Array.from(x.view(), (v) => -0.3 * v), FEW_OPS, 'scale in place');
          rng.fillUniform(z.view(), -1, 1);
          const want = Float64Array.from(x.view(), (v, i) => v + y.view()[i] * z.view()[i]);
          kernels.addMul(x.ptr, y.ptr, z.ptr, x.ptr, n);
          expectClose(x.view(), want, FEW_OPS, 'addMul into a');
          const dst = copyOf(y);
          tsLerp(dst, z.view(), 0.01, n);
          kernels.lerp(y.ptr, z.ptr, n, 0.01);
          expectClose(y.view(), dst, FEW_OPS, 'lerp');
          freeAll(x, s, y, z);
        });
      }

      it('copy handles overlapping ranges', () => {
        const x = heap.alloc(100, 'x');
        const xv = x.view();
        for (let i = 0; i < 100; i++) xv[i] = i;
        kernels.copy(x.ptr, x.ptr + 4 * 3, 90);
        expect(Array.from(x.view().subarray(0, 8))).toEqual([0, 1, 2, 0, 1, 2, 3, 4]);
        x.free();
      });
    });

    describe('optimisers over a flat arena', () => {
      const adamCases: (AdamHyperParameters & { name: string })[] = [
        { name: 'Adam step 1', ...ref.adamHyperParameters(1) },
        { name: 'Adam step 7 with L2', ...ref.adamHyperParameters(7, { lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1 }) },
        { name: 'AdamW step 100', ...ref.adamHyperParameters(100, { lr: 0.003, weightDecay: 0.05, decoupledWeightDecay: true }) },
      ];
      for (const n of [1, 5, 63, 4739]) {
        for (const hp of adamCases) {
          it(`${hp.name}, ${n} parameters: against the float64 reference`, () => {
            const p = region(n);
            const g = region(n);
            const m = region(n, -0.1, 0.1);
            const v = region(n, 0, 0.01);
            const want = ref.refAdam(copyOf(p), copyOf(g), copyOf(m), copyOf(v), hp);
            kernels.adam(p.ptr, g.ptr, m.ptr, v.ptr, n, hp);
            expectClose(p.view(), want.param, ADAM, 'param');
            expectClose(m.view(), want.m, ADAM, 'm');
            expectClose(v.view(), want.v, ADAM, 'v');
            freeAll(p, g, m, v);
          });
        }
        // RAdam runs the adam kernel once rectified (rho_t > 5): its rectification in the step size, no bias correction of v.
        for (const hp of [ref.adamHyperParameters(6), ref.adamHyperParameters(50, { lr: 0.01, beta2: 0.99, weightDecay: 0.1, decoupledWeightDecay: true })]) {
          it(`RAdam step ${hp.step} (rectified), ${n} parameters: against the float64 reference`, () => {
            const rectification = radamRectification(hp);
            expect(rectification).toBeGreaterThan(0);
            const [p, g, m, v] = [region(n), region(n), region(n, -0.1, 0.1), region(n, 0, 0.01)];
            const want = ref.refRAdam(copyOf(p), copyOf(g), copyOf(m), copyOf(v), hp);
            kernels.radamRectified(p.ptr, g.ptr, m.ptr, v.ptr, n, hp, rectification);
            expectClose(p.view(), want.param, ADAM, 'param');
            expectClose(m.view(), want.m, ADAM, 'm');
            expectClose(v.view(), want.v, ADAM, 'v');
            freeAll(p, g, m, v);
          });
        }
        it(`Adam fused with global-norm clipping and a soft target update, ${n} parameters: as the separate TypeScript ops`, () => {
          const hp = adamCases[1];
          const p = region(n);
          const g = region(n, -3, 3);
          const m = region(n, -0.1, 0.1);
          const v = region(n, 0, 0.01);
          const target = region(n);
          const ss = heap.alloc(1, 'ss');
          kernels.sumSquares(g.ptr, n, ss.ptr, false);
          const maxNorm = 0.5 * Math.sqrt(ss.view()[0]);
          const [pw, gw, mw, vw, tw] = [p, g, m, v, target].map(copyOf);
          tsClip(gw, n, ss.view()[0], maxNorm);
          tsAdam(pw, gw, mw, vw, n, hp);
          tsLerp(tw, pw, 0.01, n);
          kernels.adam(p.ptr, g.ptr, m.ptr, v.ptr, n, hp, ss.ptr, maxNorm, target.ptr, 0.01);
          expectClose(g.view(), gw, FEW_OPS, 'clipped grad');
          expectClose(p.view(), pw, ADAM, 'param');
          expectClose(m.view(), mw, ADAM, 'm');
          expectClose(v.view(), vw, ADAM, 'v');
          expectClose(target.view(), tw, ADAM, 'target');
          freeAll(p, g, m, v, target, ss);
        });
      }

      it('flushes moments that fall below the normal float32 range to zero (no subnormal arithmetic), and keeps NaN', () => {
        const hp = adamCases[0];
        const n = 8;
        const [p, g, m, v, buf] = [region(n), region(n), region(n), region(n), region(n)];
        const tiny = 2e-38; // normal; beta1 * tiny and 0.1 * tiny are subnormal
        g.view().set([0, 0, 0, 0, Number.NaN, 0, 1e-3, 0]);
        m.view().set([tiny, -tiny, 0, 1e-3, 0, tiny, 0, 0]);
        v.view().set([tiny, tiny, 0, 1e-6, 0, 0, 0, 1e-37]);
        kernels.adam(p.ptr, g.ptr, m.ptr, v.ptr, n, hp);
        const [mv, vv] = [Array.from(m.view()), Array.from(v.view())];
        // 0.9 * 2e-38 = 1.8e-38 is still normal; 0.999 * 2e-38 too; a 1e-37 v times 0.999 stays; 0.1 * 1e-3 stays.
        expect(mv.slice(0, 2)).toEqual([Math.fround(0.9 * tiny), -Math.fround(0.9 * tiny)]);
        expect(Number.isNaN(mv[4]) && Number.isNaN(vv[4])).toBe(true);
        for (let step = 0; step < 40; step++) kernels.adam(p.ptr, g.ptr, m.ptr, v.ptr, n, { ...hp, step: 2 + step });
        // After 40 more steps with zero gradients m has decayed by 0.9^40 ~ 0.015: below FLT_MIN, so exactly 0.
        const subnormal = (x: number) => x !== 0 && Math.abs(x) < 1.1754943508222875e-38;
        expect(Array.from(m.view()).filter(subnormal)).toEqual([]);
        expect(Array.from(v.view()).filter(subnormal)).toEqual([]);
        expect(m.view()[0]).toBe(0);
        expect(m.view()[5]).toBe(0);
        expect(m.view()[6]).toBeGreaterThan(1e-6); // a live moment is untouched
        buf.view().set([tiny, -tiny, 1, 0, 0, 0, 0, 0]);
        g.view().fill(0);
        kernels.sgd(p.ptr, g.ptr, buf.ptr, n, { lr: 0.1, momentum: 0.1, dampening: 0, weightDecay: 0, nesterov: false, step: 2 });
        expect(Array.from(buf.view().subarray(0, 3))).toEqual([0, 0, Math.fround(0.1)]);
        freeAll(p, g, m, v, buf);
      });

      const sgdCases: (SgdHyperParameters & { name: string })[] = [
        { name: 'SGD plain', lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, step: 3 },
        { name: 'SGD momentum step 1', lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01, nesterov: false, step: 1 },
        { name: 'SGD momentum step 2', lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01, nesterov: false, step: 2 },
        { name: 'SGD Nesterov step 5', lr: 0.05, momentum: 0.8, dampening: 0, weightDecay: 0, nesterov: true, step: 5 },
        { name: 'SGD Nesterov step 1', lr: 0.05, momentum: 0.8, dampening: 0, weightDecay: 0.1, nesterov: true, step: 1 },
      ];
      for (const hp of sgdCases) {
        it(`${hp.name}, 65 parameters, with and without the fused clip and target update`, () => {
          const n = 65;
          const p = region(n);
          const g = region(n);
          const buf = region(n);
          const want = ref.refSgd(copyOf(p), copyOf(g), copyOf(buf), hp);
          kernels.sgd(p.ptr, g.ptr, buf.ptr, n, hp);
          expectClose(p.view(), want.param, FEW_OPS, 'param');
          if (hp.momentum !== 0) expectClose(buf.view(), want.velocity, FEW_OPS, 'velocity');
          const target = region(n);
          const ss = heap.alloc(1, 'ss');
          kernels.sumSquares(g.ptr, n, ss.ptr, false);
          const [pw, gw, bw, tw] = [p, g, buf, target].map(copyOf);
          tsClip(gw, n, ss.view()[0], 0.5);
          tsSgd(pw, gw, bw, n, hp);
          tsLerp(tw, pw, 0.2, n);
          kernels.sgd(p.ptr, g.ptr, buf.ptr, n, hp, ss.ptr, 0.5, target.ptr, 0.2);
          expectClose(p.view(), pw, FEW_OPS, 'param (fused)');
          expectClose(target.view(), tw, FEW_OPS, 'target (fused)');
          freeAll(p, g, buf, target, ss);
        });
      }
    });

    describe('the DQN loss step', () => {
      for (const kind of ['huber', 'mse'] as const) {
        for (const double of [false, true]) {
          for (const [batch, nActions] of [[64, 2], [1, 2], [33, 5]] as const) {
            it(`tdLoss ${kind}${double ? ' Double DQN' : ''} batch ${batch}, ${nActions} actions: as the separate TypeScript ops`, () => {
              const qNext = region(batch * nActions, -3, 3);
              const qNextOnline = region(batch * nActions, -3, 3);
              const q = region(batch * nActions, -3, 3);
              const actions = heap.alloc(batch, 'actions');
              for (let r = 0; r < batch; r++) actions.view()[r] = rng.integers(nActions);
              const rewards = region(batch);
              const terminated = heap.alloc(batch, 'terminated');
              for (let r = 0; r < batch; r++) terminated.view()[r] = r % 7 === 0 ? 1 : 0;
              const gamma = 0.99;
              const gradQ = region(batch * nActions);
              const lossOut = heap.alloc(1, 'loss');
              const targets = heap.alloc(batch, 'targets');
              kernels.tdLoss(qNext.ptr, double ? qNextOnline.ptr : 0, q.ptr, actions.ptr, rewards.ptr, terminated.ptr, gamma, gradQ.ptr, lossOut.ptr, targets.ptr, batch, nActions, kind, 1);
              // The TypeScript sequence the agent records today.
              const next = new Float32Array(batch);
              if (double) {
                const idx = new Float32Array(batch);
                tsRowArgmax(qNextOnline.view(), idx, batch, nActions);
                gatherColumns(qNext.view(), idx, next, batch, nActions);
              } else {
                tsRowMax(qNext.view(), next, batch, nActions);
              }
              const discounts = Float32Array.from(terminated.view(), (t) => gamma * (1 - t));
              const td = Float32Array.from(next, (v, r) => rewards.view()[r] + discounts[r] * v);
              const chosen = new Float32Array(batch);
              gatherColumns(q.view(), actions.view(), chosen, batch, nActions);
              const grad = new Float32Array(batch);
              const loss = tsLoss(kind, chosen, td, grad, batch, 1, 1, 1e-7);
              const gradQWant = new Float32Array(batch * nActions);
              scatterColumns(grad, actions.view(), gradQWant, batch, nActions);
              expectClose(lossOut.view(), [Math.fround(loss)], LOSS, 'loss');
              expectClose(gradQ.view(), gradQWant, FEW_OPS, 'gradQ');
              expectClose(targets.view(), td, EXACT, 'targets');
              freeAll(qNext, qNextOnline, q, actions, rewards, terminated, gradQ, lossOut, targets);
            });
          }
        }
      }

      it('names the row of an invalid action index', () => {
        const q = region(6);
        const actions = heap.alloc(3, 'actions');
        actions.view().set([0, 1.5, 1]);
        const rest = region(3);
        const grad = region(6);
        expect(() => kernels.tdLoss(q.ptr, 0, q.ptr, actions.ptr, rest.ptr, rest.ptr, 0.9, grad.ptr, rest.ptr, 0, 3, 2, 'huber', 1)).toThrow(/action 1\.5 in row 1 is not an integer in \[0, 2\)/);
        actions.view().set([0, 1, 2]);
        expect(() => kernels.tdLoss(q.ptr, 0, q.ptr, actions.ptr, rest.ptr, rest.ptr, 0.9, grad.ptr, rest.ptr, 0, 3, 2, 'huber', 1)).toThrow(/action 2 in row 2/);
        freeAll(q, actions, rest, grad);
      });
    });

    it('a warm DQN update as kernel calls allocates nothing: no scavenge with a 1 MiB young generation', () => {
      // A child process with a tiny young generation, so that even a few hundred bytes per kernel
      // call would force scavenges over the measured updates (in a default heap they would not).
      const probe = fileURLToPath(new URL('./support/wasm-gc-probe.ts', import.meta.url));
      const run = spawnSync(process.execPath, ['--max-semi-space-size=1', '--import', 'tsx', probe, variant.fma ? 'fma' : 'simd128'], { encoding: 'utf8', timeout: 120_000 });
      expect(run.status, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout) as { collections: number; updates: number; lossFinite: boolean; heapRegionsStable: boolean };
      expect(result.updates).toBe(3000);
      expect(result.lossFinite).toBe(true);
      expect(result.heapRegionsStable).toBe(true);
      expect(result.collections).toBe(0);
    });
  });
}
