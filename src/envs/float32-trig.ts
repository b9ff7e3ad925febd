/**
 * NumPy's float32 `cos` / `sin` (the SIMD kernels NumPy 2.x runs on x86-64 with AVX2/AVX512:
 * Cody-Waite reduction by pi/2 in three float32 parts, then minimax polynomials, every step a
 * float32 fused multiply-add). Acrobot's reset observation applies them to its float32 state, and
 * `Math.fround(Math.cos(x))` differs from them on about 0.07% (cos) / 0.03% (sin) of inputs.
 *
 * The float32 FMA is emulated exactly (see `fma32`). Checked against NumPy 2.4.6 on AVX512 on
 * 2 million inputs (1 million in Acrobot's reset range [-0.1, 0.1]): all equal. Beyond
 * |x| = 71476.0625 NumPy falls back to libm's `cosf`/`sinf`; here that is `fround(Math.cos(x))`.
 */

const f = Math.fround;
const TWO_OVER_PI = 0.6366197466850281; // 0x1.45f306p-1
const PIO2_HIGH = -1.570796012878418; // -0x1.921fb0p+00
const PIO2_MED = -3.1391647326017846e-7; // -0x1.5110b4p-22
const PIO2_LOW = -5.390302529957765e-15; // -0x1.846988p-48
const RINT_MAGIC = 12582912; // 0x1.8p+23
const MAX_CODY = 71476.0625;
const COS_C8 = 2.4372266125283204e-5; // 0x1.98e616p-16
const COS_C6 = -0.001388652017340064; // -0x1.6c06dcp-10
const COS_C4 = 0.04166661947965622; // 0x1.55553cp-05
const SIN_C9 = 2.8404097065504175e-6; // 0x1.7d3bbcp-19
const SIN_C7 = -0.00019856491417158395; // -0x1.a06bbap-13
const SIN_C5 = 0.008333397097885609; // 0x1.11119ap-07
const SIN_C3 = -0.1666666716337204; // -0x1.555556p-03

/**
 * float32 fused multiply-add of float32 inputs, correctly rounded: `a * b` is exact in float64;
 * `s = a * b + c` is rounded once, so when `s` lands exactly on a float32 rounding midpoint the
 * TwoSum error term decides the direction instead of ties-to-even.
 */
function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = f(s);
  if (r === s) return r;
  const d = s - r;
  const other = r + 2 * d;
  if (f(other) !== other) return r; // s is not a midpoint: single rounding is already correct
  const bb = s - p;
  const e = p - (s - bb) + (c - bb);
  if (e === 0) return r;
  return e > 0 === d > 0 ? other : r;
}

function sincos32(xIn: number, cos: boolean): number {
  const x = f(xIn);
  if (Number.isNaN(x) || !Number.isFinite(x)) return NaN;
  if (Math.abs(x) > MAX_CODY) return f(cos ? Math.cos(x) : Math.sin(x));
  // round(x * 2/pi) through the 1.5 * 2^23 trick, the product fused with the addition
  const quadrant = f(fma32(x, TWO_OVER_PI, RINT_MAGIC) - RINT_MAGIC);
  let r = fma32(quadrant, PIO2_HIGH, x);
  r = fma32(quadrant, PIO2_MED, r);
  r = fma32(quadrant, PIO2_LOW, r);
  const r2 = f(r * r);
  let iq = quadrant | 0;
  if (cos) iq += 1;
  let v: number;
  if ((iq & 1) === 0) {
    let s = fma32(SIN_C9, r2, SIN_C7);
    s = fma32(s, r2, SIN_C5);
    s = fma32(s, r2, SIN_C3);
    s = fma32(s, r2, 0);
    v = fma32(s, r, r);
  } else {
    let c = fma32(COS_C8, r2, COS_C6);
    c = fma32(c, r2, COS_C4);
    c = fma32(c, r2, -0.5);
    v = fma32(c, r2, 1.0);
  }
  return (iq & 2) === 2 ? f(0 - v) : v;
}

/** NumPy's `np.cos(np.float32(x))` as a float32 value. */
export function cosFloat32(x: number): number {
  return sincos32(x, true);
}

/** NumPy's `np.sin(np.float32(x))` as a float32 value. */
export function sinFloat32(x: number): number {
  return sincos32(x, false);
}
