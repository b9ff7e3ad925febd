/**
 * LayerNorm over the rows of a (B, n) matrix, forward and backward, with the activation epilogue
 * (forward) and its derivative (backward) fused: the computation of src/backend/cpu/layer-norm.ts
 * and shaders/layer-norm.wgsl, in float32 as the shader does it.
 *
 * layer_norm, per row: mean = sum x / n; rstd = 1 / sqrt(sum (x - mean)^2 / n + eps) (two passes:
 *   no cancellation); out = act((x - mean) rstd gamma + beta); stats[r] = (mean, rstd).
 * layer_norm_backward, per row, with xhat = (x - mean) rstd from the stats and d = dy act'(y):
 *   dgamma += d xhat, dbeta += d (zeroed first unless accumulating), and when dx is given (not 0)
 *   dx = rstd (d gamma - rowmean(d gamma) - xhat rowmean(d gamma xhat)).
 *
 * Order of the sums: a row's sums run in four f32x4 lanes (column c into lane c mod 4) over the
 * columns that fill whole vectors, the lanes added as (0 + 1) + (2 + 3), then the last n mod 4
 * columns in order; the column sums of dgamma and dbeta add the rows in order, onto the old value
 * when accumulating (the TypeScript kernel and the shader add the old value last). The TypeScript
 * kernel sums in float64 and the shader in 64 strided partial sums: all three are within the
 * conformance table's layerNormTolerance of the float64 reference (test/conformance.test.ts).
 *
 * The activation is applied to the float32 value of y, with activation.ts's applyForward, and the
 * derivative with its applyBackward into a local: the same operations on the same values as
 * bias_act after an unfused layer_norm, or act_backward before it, so fused and unfused give the
 * same bits (test/layer-norm-fusion.test.ts). With relaxed-SIMD FMA, the variance's squares, the
 * affine step and the backward's products use f32x4.relaxed_madd (`f.madd`).
 *
 * A tail of n mod 4 columns runs the same vector code on one column at a time (splatted; lane 0
 * stored), so every width takes one code path. Aliasing: dx may be dy (each element is read in the
 * same step that writes it); nothing else may alias an output.
 */
import type { F32, FunctionBuilder, I32, Local, ModuleBuilder, V128 } from '../assembler.js';
import { ACTIVATION_CODES } from '../../kernel-codes.js';
import { applyBackward, applyForward, ELEMENTWISE, type ElementwiseActivation } from './activation.js';
import { mathLocals } from './vector-math.js';

/** Float arguments in the argument block (ARGS_PTR), in floats: V8 may box a double passed to a WASM call. */
export const LAYER_NORM_ARGS = { eps: 0, alpha: 1 } as const;

/** One step over a row's columns: four columns in the vector loop, one (splatted) in the tail. */
interface ColumnIo {
  tail: boolean;
  load(rowPtr: Local<'i32'>): V128;
  store(rowPtr: Local<'i32'>, value: () => V128): void;
}

/** Runs `body` over the columns of a row (o: the column's byte offset): whole vectors, then the tail. */
function forColumns(f: FunctionBuilder, o: Local<'i32'>, end4: Local<'i32'>, end: Local<'i32'>, body: (io: ColumnIo) => void): void {
  const { i32, v128, f32x4 } = f;
  const at = (p: Local<'i32'>): I32 => i32.add(f.get(p), f.get(o));
  f.forRange(o, () => i32.const(0), () => f.get(end4), 16, () =>
    body({ tail: false, load: (p) => v128.load(at(p)), store: (p, value) => v128.store(at(p), value()) }),
  );
  f.forRange(o, () => f.get(o), () => f.get(end), 4, () =>
    body({ tail: true, load: (p) => f32x4.splat(f.f32.load(at(p))), store: (p, value) => f.f32.store(at(p), f32x4.extract_lane(value(), 0)) }),
  );
}

/** The row sum of a vector accumulator (lanes (0 + 1) + (2 + 3)) plus lane 0 of the tail's. */
function rowSum(f: FunctionBuilder, acc: Local<'v128'>, tail: Local<'v128'>): F32 {
  const { f32, f32x4 } = f;
  return f32.add(
    f32.add(f32.add(f32x4.extract_lane(f.get(acc), 0), f32x4.extract_lane(f.get(acc), 1)), f32.add(f32x4.extract_lane(f.get(acc), 2), f32x4.extract_lane(f.get(acc), 3))),
    f32x4.extract_lane(f.get(tail), 0),
  );
}

export function emitLayerNorm(mod: ModuleBuilder): void {
  mod.func(
    'layer_norm',
    { x: 'i32', gamma: 'i32', beta: 'i32', out: 'i32', stats: 'i32', rows: 'i32', cols: 'i32', act: 'i32', args: 'i32' },
    null,
    (f) => {
      const { x, gamma, beta, out, stats, rows, cols, act, args } = f.params;
      const { i32, f32, f32x4, v128 } = f;
      const L = mathLocals(f);
      const r = f.local('i32');
      const o = f.local('i32');
      const end4 = f.local('i32');
      const end = f.local('i32');
      const xr = f.local('i32');
      const outr = f.local('i32');
      const statsr = f.local('i32');
      const acc = f.local('v128');
      const tacc = f.local('v128');
      const d = f.local('v128');
      const v = f.local('v128');
      const meanV = f.local('v128');
      const rstdV = f.local('v128');
      const alphaV = f.local('v128');
      const zero = f.local('v128');
      const mean = f.local('f32');
      const rstd = f.local('f32');
      const eps = f.local('f32');
      const n = f.local('f32');
      f.set(eps, f32.load(f.get(args), 4 * LAYER_NORM_ARGS.eps));
      f.set(alphaV, f32x4.splat(f32.load(f.get(args), 4 * LAYER_NORM_ARGS.alpha)));
      f.set(zero, v128.i32x4(0));
      f.set(n, f32.convert_i32_s(f.get(cols)));
      f.set(end4, i32.shl(i32.and(f.get(cols), i32.const(~3)), i32.const(2)));
      f.set(end, i32.shl(f.get(cols), i32.const(2)));
      const emitRows = (name: ElementwiseActivation): void => {
        f.set(xr, f.get(x));
        f.set(outr, f.get(out));
        f.set(statsr, f.get(stats));
        f.forRange(r, () => i32.const(0), () => f.get(rows), 1, () => {
          // mean
          f.set(acc, f.get(zero));
          f.set(tacc, f.get(zero));
          forColumns(f, o, end4, end, (io) => {
            const a = io.tail ? tacc : acc;
            f.set(a, f32x4.add(f.get(a), io.load(xr)));
          });
          f.set(mean, f32.div(rowSum(f, acc, tacc), f.get(n)));
          f.set(meanV, f32x4.splat(f.get(mean)));
          // biased variance of the centred values
          f.set(acc, f.get(zero));
          f.set(tacc, f.get(zero));
          forColumns(f, o, end4, end, (io) => {
            const a = io.tail ? tacc : acc;
            f.set(d, f32x4.sub(io.load(xr), f.get(meanV)));
            f.set(a, f.madd(f.get(d), f.get(d), () => f.get(a)));
          });
          f.set(rstd, f32.div(f32.const(1), f32.sqrt(f32.add(f32.div(rowSum(f, acc, tacc), f.get(n)), f.get(eps)))));
          f.set(rstdV, f32x4.splat(f.get(rstd)));
          // out = act((x - mean) rstd gamma + beta)
          forColumns(f, o, end4, end, (io) => {
            f.set(v, f.madd(f32x4.mul(f32x4.sub(io.load(xr), f.get(meanV)), f.get(rstdV)), io.load(gamma), () => io.load(beta)));
            applyForward(f, name, v, alphaV, zero, L);
            io.store(outr, () => f.get(v));
          });
          f32.store(f.get(statsr), f.get(mean));
          f32.store(f.get(statsr), f.get(rstd), 4);
          f.set(xr, i32.add(f.get(xr), f.get(end)));
          f.set(outr, i32.add(f.get(outr), f.get(end)));
          f.set(statsr, i32.add(f.get(statsr), i32.const(8)));
        });
      };
      for (const name of ELEMENTWISE) f.if(i32.eq(f.get(act), i32.const(ACTIVATION_CODES[name])), () => emitRows(name));
    },
  );

  mod.func(
    'layer_norm_backward',
    {
      x: 'i32', gamma: 'i32', stats: 'i32', dy: 'i32', y: 'i32', dx: 'i32', dgamma: 'i32', dbeta: 'i32',
      rows: 'i32', cols: 'i32', accumulate: 'i32', act: 'i32', args: 'i32',
    },
    null,
    (f) => {
      const { x, gamma, stats, dy, y, dx, dgamma, dbeta, rows, cols, accumulate, act, args } = f.params;
      const { i32, f32, f32x4, v128 } = f;
      const r = f.local('i32');
      const o = f.local('i32');
      const end4 = f.local('i32');
      const end = f.local('i32');
      const xr = f.local('i32');
      const dyr = f.local('i32');
      const yr = f.local('i32');
      const dxr = f.local('i32');
      const statsr = f.local('i32');
      const sG = f.local('v128');
      const sGx = f.local('v128');
      const tG = f.local('v128');
      const tGx = f.local('v128');
      const gv = f.local('v128');
      const yv = f.local('v128');
      const xh = f.local('v128');
      const g = f.local('v128');
      const meanV = f.local('v128');
      const rstdV = f.local('v128');
      const meanGV = f.local('v128');
      const meanGxV = f.local('v128');
      const alphaV = f.local('v128');
      const zero = f.local('v128');
      const n = f.local('f32');
      f.set(alphaV, f32x4.splat(f32.load(f.get(args), 4 * LAYER_NORM_ARGS.alpha)));
      f.set(zero, v128.i32x4(0));
      f.set(n, f32.convert_i32_s(f.get(cols)));
      f.set(end4, i32.shl(i32.and(f.get(cols), i32.const(~3)), i32.const(2)));
      f.set(end, i32.shl(f.get(cols), i32.const(2)));
      f.if(i32.eqz(f.get(accumulate)), () => {
        f.memoryFill(f.get(dgamma), i32.const(0), f.get(end));
        f.memoryFill(f.get(dbeta), i32.const(0), f.get(end));
      });
      const emitRows = (name: ElementwiseActivation): void => {
        /** gv <- dy act'(y) and xh <- (x - mean) rstd at this step's columns. */
        const load = (io: ColumnIo): void => {
          f.set(gv, io.load(dyr));
          if (name !== 'identity') {
            f.set(yv, io.load(yr));
            applyBackward(f, name, gv, yv, alphaV);
          }
          f.set(xh, f32x4.mul(f32x4.sub(io.load(xr), f.get(meanV)), f.get(rstdV)));
        };
        f.set(xr, f.get(x));
        f.set(dyr, f.get(dy));
        f.set(yr, f.get(y));
        f.set(dxr, f.get(dx));
        f.set(statsr, f.get(stats));
        f.forRange(r, () => i32.const(0), () => f.get(rows), 1, () => {
          f.set(meanV, v128.load32_splat(f.get(statsr)));
          f.set(rstdV, v128.load32_splat(f.get(statsr), 4));
          f.set(sG, f.get(zero));
          f.set(sGx, f.get(zero));
          f.set(tG, f.get(zero));
          f.set(tGx, f.get(zero));
          forColumns(f, o, end4, end, (io) => {
            load(io);
            io.store(dgamma, () => f.madd(f.get(gv), f.get(xh), () => io.load(dgamma)));
            io.store(dbeta, () => f32x4.add(io.load(dbeta), f.get(gv)));
            f.set(g, f32x4.mul(f.get(gv), io.load(gamma)));
            const a = io.tail ? tG : sG;
            const b = io.tail ? tGx : sGx;
            f.set(a, f32x4.add(f.get(a), f.get(g)));
            f.set(b, f.madd(f.get(g), f.get(xh), () => f.get(b)));
          });
          f.if(i32.ne(f.get(dx), i32.const(0)), () => {
            f.set(meanGV, f32x4.splat(f32.div(rowSum(f, sG, tG), f.get(n))));
            f.set(meanGxV, f32x4.splat(f32.div(rowSum(f, sGx, tGx), f.get(n))));
            forColumns(f, o, end4, end, (io) => {
              load(io);
              io.store(dxr, () =>
                f32x4.mul(f.get(rstdV), f32x4.sub(f32x4.sub(f32x4.mul(f.get(gv), io.load(gamma)), f.get(meanGV)), f32x4.mul(f.get(xh), f.get(meanGxV)))),
              );
            });
          });
          f.set(xr, i32.add(f.get(xr), f.get(end)));
          f.set(dyr, i32.add(f.get(dyr), f.get(end)));
          f.set(yr, i32.add(f.get(yr), f.get(end)));
          f.set(dxr, i32.add(f.get(dxr), f.get(end)));
          f.set(statsr, i32.add(f.get(statsr), i32.const(8)));
        });
      };
      for (const name of ELEMENTWISE) f.if(i32.eq(f.get(act), i32.const(ACTIVATION_CODES[name])), () => emitRows(name));
    },
  );
}
