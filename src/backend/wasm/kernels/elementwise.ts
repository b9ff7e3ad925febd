/**
 * Elementwise kernels and reductions over flat float32 ranges: fill, copy, scale, addMul, lerp,
 * sum of squares, global-norm clip scale, column sums, row max / argmax. Semantics follow
 * src/backend/cpu/elementwise.ts and reductions.ts.
 */
import type { F32, FuncRef, FunctionBuilder, I32, Local, ModuleBuilder, V128 } from '../assembler.js';

/** Loads and stores of one step of a map: four lanes in the vector loop, lane 0 in the tail. */
export interface MapIo {
  load(ptr: Local<'i32'>): V128;
  store(ptr: Local<'i32'>, value: () => V128): void;
}

/**
 * Runs `body` over n floats at each pointer: four at a time, then one at a time (the tail splats
 * one float into a vector and stores lane 0 back), so one vector body serves both.
 */
export function emitMap(f: FunctionBuilder, n: Local<'i32'>, body: (io: MapIo) => void): void {
  const { i32, v128, f32x4 } = f;
  const o = f.local('i32');
  const end4 = f.local('i32');
  const end = f.local('i32');
  f.set(end4, i32.shl(i32.and(f.get(n), i32.const(~3)), i32.const(2)));
  f.set(end, i32.shl(f.get(n), i32.const(2)));
  const at = (p: Local<'i32'>): I32 => i32.add(f.get(p), f.get(o));
  f.forRange(o, () => i32.const(0), () => f.get(end4), 16, () =>
    body({
      load: (p) => v128.load(at(p)),
      store: (p, value) => v128.store(at(p), value()),
    }),
  );
  f.forRange(o, () => f.get(o), () => f.get(end), 4, () =>
    body({
      load: (p) => f32x4.splat(f.f32.load(at(p))),
      store: (p, value) => f.f32.store(at(p), f32x4.extract_lane(value(), 0)),
    }),
  );
}

/** min(1, maxNorm / (sqrt(sumSquares) + 1e-6)) in float64, as clipByGlobalNorm (then rounded to float32). */
export function clipCoefficient(f: FunctionBuilder, sumSquaresPtr: Local<'i32'>, maxNorm: Local<'f32'>): F32 {
  const { f64 } = f;
  const coef = f.local('f64');
  f.set(coef, f64.div(f64.promote_f32(f.get(maxNorm)), f64.add(f64.sqrt(f64.promote_f32(f.f32.load(f.get(sumSquaresPtr)))), f64.const(1e-6))));
  return f.f32.demote_f64(f.select(f.get(coef), f64.const(1), f64.lt(f.get(coef), f64.const(1))));
}

export interface ElementwiseFunctions {
  columnSum: FuncRef<null>;
}

export function emitElementwise(mod: ModuleBuilder): ElementwiseFunctions {
  mod.func('fill', { out: 'i32', n: 'i32', value: 'f32' }, null, (f) => {
    const { out, n, value } = f.params;
    const v = f.local('v128');
    f.set(v, f.f32x4.splat(f.get(value)));
    emitMap(f, n, (io) => io.store(out, () => f.get(v)));
  });

  mod.func('copy', { src: 'i32', dst: 'i32', n: 'i32' }, null, (f) => {
    const { src, dst, n } = f.params;
    f.memoryCopy(f.get(dst), f.get(src), f.i32.shl(f.get(n), f.i32.const(2)));
  });

  mod.func('scale', { x: 'i32', out: 'i32', n: 'i32', alpha: 'f32' }, null, (f) => {
    const { x, out, n, alpha } = f.params;
    const a = f.local('v128');
    f.set(a, f.f32x4.splat(f.get(alpha)));
    emitMap(f, n, (io) => io.store(out, () => f.f32x4.mul(f.get(a), io.load(x))));
  });

  // out = a + b c (out may alias any input).
  mod.func('add_mul', { a: 'i32', b: 'i32', c: 'i32', out: 'i32', n: 'i32' }, null, (f) => {
    const { a, b, c, out, n } = f.params;
    emitMap(f, n, (io) => io.store(out, () => f.f32x4.add(io.load(a), f.f32x4.mul(io.load(b), io.load(c)))));
  });

  // dst = dst + t (src - dst).
  mod.func('lerp', { dst: 'i32', src: 'i32', n: 'i32', t: 'f32' }, null, (f) => {
    const { dst, src, n, t } = f.params;
    const tv = f.local('v128');
    const d = f.local('v128');
    f.set(tv, f.f32x4.splat(f.get(t)));
    emitMap(f, n, (io) => {
      f.set(d, io.load(dst));
      io.store(dst, () => f.f32x4.add(f.get(d), f.f32x4.mul(f.get(tv), f.f32x4.sub(io.load(src), f.get(d)))));
    });
  });

  // out (+)= sum x^2, summed in float64 (each square is exact in float64), stored as float32.
  mod.func('sum_squares', { x: 'i32', n: 'i32', out: 'i32', accumulate: 'i32' }, null, (f) => {
    const { x, n, out, accumulate } = f.params;
    const { i32, f64x2, v128 } = f;
    const acc0 = f.local('v128');
    const acc1 = f.local('v128');
    const v = f.local('v128');
    const o = f.local('i32');
    const end4 = f.local('i32');
    const end = f.local('i32');
    const total = f.local('f64');
    f.set(end4, i32.shl(i32.and(f.get(n), i32.const(~3)), i32.const(2)));
    f.set(end, i32.shl(f.get(n), i32.const(2)));
    f.forRange(o, () => i32.const(0), () => f.get(end4), 16, () => {
      f.set(v, v128.load(i32.add(f.get(x), f.get(o))));
      const lo = (): V128 => f64x2.promote_low_f32x4(f.get(v));
      const hi = (): V128 => f64x2.promote_low_f32x4(f.i32x4.shuffle(f.get(v), f.get(v), 2, 3, 2, 3));
      f.set(acc0, f64x2.add(f.get(acc0), f64x2.mul(lo(), lo())));
      f.set(acc1, f64x2.add(f.get(acc1), f64x2.mul(hi(), hi())));
    });
    f.set(acc0, f64x2.add(f.get(acc0), f.get(acc1)));
    f.set(total, f.f64.add(f64x2.extract_lane(f.get(acc0), 0), f64x2.extract_lane(f.get(acc0), 1)));
    const sq = f.local('f64');
    f.forRange(o, () => f.get(o), () => f.get(end), 4, () => {
      f.set(sq, f.f64.promote_f32(f.f32.load(i32.add(f.get(x), f.get(o)))));
      f.set(total, f.f64.add(f.get(total), f.f64.mul(f.get(sq), f.get(sq))));
    });
    f.if(f.get(accumulate), () => f.set(total, f.f64.add(f.get(total), f.f64.promote_f32(f.f32.load(f.get(out))))));
    f.f32.store(f.get(out), f.f32.demote_f64(f.get(total)));
  });

  // x *= min(1, maxNorm / (sqrt(*sumSquares) + 1e-6)).
  mod.func('clip_scale', { x: 'i32', n: 'i32', sumSquares: 'i32', maxNorm: 'f32' }, null, (f) => {
    const { x, n, sumSquares, maxNorm } = f.params;
    const c = f.local('v128');
    f.set(c, f.f32x4.splat(clipCoefficient(f, sumSquares, maxNorm)));
    emitMap(f, n, (io) => io.store(x, () => f.f32x4.mul(io.load(x), f.get(c))));
  });

  // out[c] (+)= sum_r x[r, c]: vectorised over columns, rows summed in order.
  const columnSum = mod.func('column_sum', { x: 'i32', out: 'i32', rows: 'i32', cols: 'i32', accumulate: 'i32' }, null, (f) => {
    const { x, out, rows, cols, accumulate } = f.params;
    const { i32, v128, f32x4, f32 } = f;
    const stride = f.local('i32');
    const c = f.local('i32');
    const r = f.local('i32');
    const p = f.local('i32');
    const cols4 = f.local('i32');
    const acc = f.local('v128');
    const s = f.local('f32');
    f.set(stride, i32.shl(f.get(cols), i32.const(2)));
    f.set(cols4, i32.and(f.get(cols), i32.const(~3)));
    f.forRange(c, () => i32.const(0), () => f.get(cols4), 4, () => {
      f.set(acc, v128.i32x4(0));
      f.set(p, i32.add(f.get(x), i32.shl(f.get(c), i32.const(2))));
      f.forRange(r, () => i32.const(0), () => f.get(rows), 1, () => {
        f.set(acc, f32x4.add(f.get(acc), v128.load(f.get(p))));
        f.set(p, i32.add(f.get(p), f.get(stride)));
      });
      const dst = (): I32 => i32.add(f.get(out), i32.shl(f.get(c), i32.const(2)));
      f.if(f.get(accumulate), () => f.set(acc, f32x4.add(f.get(acc), v128.load(dst()))));
      v128.store(dst(), f.get(acc));
    });
    f.forRange(c, () => f.get(c), () => f.get(cols), 1, () => {
      f.set(s, f32.const(0));
      f.set(p, i32.add(f.get(x), i32.shl(f.get(c), i32.const(2))));
      f.forRange(r, () => i32.const(0), () => f.get(rows), 1, () => {
        f.set(s, f32.add(f.get(s), f32.load(f.get(p))));
        f.set(p, i32.add(f.get(p), f.get(stride)));
      });
      const dst = (): I32 => i32.add(f.get(out), i32.shl(f.get(c), i32.const(2)));
      f.if(f.get(accumulate), () => f.set(s, f32.add(f.get(s), f32.load(dst()))));
      f32.store(dst(), f.get(s));
    });
  });

  // out[r] = max_c x[r, c] (argmax: index of the first maximum, as a float). Scalar: rows are short.
  for (const argmax of [false, true]) {
    mod.func(argmax ? 'row_argmax' : 'row_max', { x: 'i32', out: 'i32', rows: 'i32', cols: 'i32' }, null, (f) => {
      const { x, out, rows, cols } = f.params;
      const { i32, f32 } = f;
      const r = f.local('i32');
      const c = f.local('i32');
      const p = f.local('i32');
      const best = f.local('f32');
      const index = f.local('i32');
      const v = f.local('f32');
      f.set(p, f.get(x));
      f.forRange(r, () => i32.const(0), () => f.get(rows), 1, () => {
        f.set(best, f32.load(f.get(p)));
        f.set(index, i32.const(0));
        f.forRange(c, () => i32.const(1), () => f.get(cols), 1, () => {
          f.set(v, f32.load(i32.add(f.get(p), i32.shl(f.get(c), i32.const(2)))));
          f.if(f32.gt(f.get(v), f.get(best)), () => {
            f.set(best, f.get(v));
            f.set(index, f.get(c));
          });
        });
        f32.store(i32.add(f.get(out), i32.shl(f.get(r), i32.const(2))), argmax ? f32.convert_i32_s(f.get(index)) : f.get(best));
        f.set(p, i32.add(f.get(p), i32.shl(f.get(cols), i32.const(2))));
      });
    });
  }
  return { columnSum };
}
