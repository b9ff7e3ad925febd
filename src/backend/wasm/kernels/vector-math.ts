/**
 * Float32x4 exp / expm1 / tanh / sigmoid, emitted inline (WASM has no transcendental instruction).
 *
 * exp and expm1 are only needed for x <= 0 here (tanh and sigmoid are computed from e^(-|x|),
 * softmax from e^(x - max)), which keeps the range reduction simple and overflow impossible:
 *   x = n ln2 + r, n = nearest(x / ln2), |r| <= ln2 / 2, with ln2 split in two (Cody-Waite) so
 *   r is exact to float32; expm1(r) by its Taylor series to r^7 (truncation error below 2^-26
 *   relative at |r| = ln2 / 2); then exp(x) = 2^n (1 + expm1(r)) and
 *   expm1(x) = 2^n expm1(r) + (2^n - 1), 2^n built in the exponent bits. x is clamped to
 *   [-87.3, 0] first (below, exp is under float32's normal range and expm1 is -1).
 * tanh(x) = sign(x) * -u / (u + 2) with u = expm1(-2|x|): no cancellation near 0, exactly 1 in
 *   float32 beyond |x| ~ 9. sigmoid(x) = (x >= 0 ? 1 : e) / (1 + e) with e = exp(-|x|): both tails
 *   keep their relative accuracy.
 * Measured maximum errors against float64 (test/wasm-kernels.test.ts sweeps them): see README.md.
 */
import type { FunctionBuilder, Local, V128 } from '../assembler.js';

const LOG2E = 1.4426950408889634;
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
/** Below this, e^x is subnormal in float32 and 2^n would leave the exponent field. */
const MIN_ARG = -87.3;

/** Scratch locals one expansion of these functions needs (allocated once per emitting function). */
export interface MathLocals {
  x: Local<'v128'>;
  n: Local<'v128'>;
  r: Local<'v128'>;
  p: Local<'v128'>;
  scale: Local<'v128'>;
  t: Local<'v128'>;
}

export function mathLocals(f: FunctionBuilder): MathLocals {
  return { x: f.local('v128'), n: f.local('v128'), r: f.local('v128'), p: f.local('v128'), scale: f.local('v128'), t: f.local('v128') };
}

/**
 * Sets L.p = expm1(r) and L.scale = 2^n for L.x (<= 0, clamped here), so that
 * exp(x) = scale (1 + p) and expm1(x) = scale p + (scale - 1).
 */
function reduce(f: FunctionBuilder, L: MathLocals): void {
  const { f32x4, v128, i32x4 } = f;
  // f32x4.max propagates NaN, so NaN in gives NaN out.
  f.set(L.x, f32x4.max(f.get(L.x), v128.f32x4(MIN_ARG)));
  f.set(L.n, f32x4.nearest(f32x4.mul(f.get(L.x), v128.f32x4(LOG2E))));
  f.set(L.r, f32x4.sub(f32x4.sub(f.get(L.x), f32x4.mul(f.get(L.n), v128.f32x4(LN2_HI))), f32x4.mul(f.get(L.n), v128.f32x4(LN2_LO))));
  // Horner: p = r + r^2 (1/2 + r (1/6 + r (1/24 + r (1/120 + r (1/720 + r / 5040)))))
  f.set(L.p, f32x4.add(v128.f32x4(1 / 720), f32x4.mul(f.get(L.r), v128.f32x4(1 / 5040))));
  for (const c of [1 / 120, 1 / 24, 1 / 6, 1 / 2]) f.set(L.p, f32x4.add(v128.f32x4(c), f32x4.mul(f.get(L.r), f.get(L.p))));
  f.set(L.p, f32x4.add(f.get(L.r), f32x4.mul(f32x4.mul(f.get(L.r), f.get(L.r)), f.get(L.p))));
  // 2^n: (n + 127) << 23 in the exponent bits.
  f.set(L.scale, i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(f.get(L.n)), v128.i32x4(127)), f.i32.const(23)));
}

/** exp(x) for x <= 0 given in L.x; leaves the value on the stack. */
export function expNonPositive(f: FunctionBuilder, L: MathLocals): V128 {
  reduce(f, L);
  return f.f32x4.mul(f.get(L.scale), f.f32x4.add(f.v128.f32x4(1), f.get(L.p)));
}

/** expm1(x) for x <= 0 given in L.x; leaves the value on the stack. */
export function expm1NonPositive(f: FunctionBuilder, L: MathLocals): V128 {
  reduce(f, L);
  const { f32x4, v128 } = f;
  return f32x4.add(f32x4.mul(f.get(L.scale), f.get(L.p)), f32x4.sub(f.get(L.scale), v128.f32x4(1)));
}

/** tanh of the value in `v` (not modified); leaves the result on the stack. */
export function tanh(f: FunctionBuilder, L: MathLocals, v: Local<'v128'>): V128 {
  const { f32x4, v128 } = f;
  f.set(L.x, f32x4.mul(f32x4.abs(f.get(v)), v128.f32x4(-2)));
  f.set(L.t, expm1NonPositive(f, L));
  // |tanh| = -u / (u + 2); the sign bit of v is or-ed back in.
  return v128.or(
    f32x4.div(f32x4.neg(f.get(L.t)), f32x4.add(f.get(L.t), v128.f32x4(2))),
    v128.and(f.get(v), v128.i32x4(-0x80000000)),
  );
}

/** sigmoid of the value in `v` (not modified); leaves the result on the stack. */
export function sigmoid(f: FunctionBuilder, L: MathLocals, v: Local<'v128'>): V128 {
  const { f32x4, v128 } = f;
  f.set(L.x, f32x4.neg(f32x4.abs(f.get(v))));
  f.set(L.t, expNonPositive(f, L));
  return f32x4.div(
    v128.bitselect(v128.f32x4(1), f.get(L.t), f32x4.ge(f.get(v), v128.f32x4(0))),
    f32x4.add(v128.f32x4(1), f.get(L.t)),
  );
}
