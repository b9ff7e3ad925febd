/**
 * Cephes' float32 sinf/cosf as the device env kernels compute them (shaders/device-env.wgsl's
 * `sin_cos32`): each operation rounded to float32 (`Math.fround`) in the shader's order, so the CPU
 * and WebGPU device envs give the same bits (docs/device-envs.md). Not the platform's sin/cos, whose
 * float32 precision WGSL leaves to the implementation.
 */
import { SIN_COS_F32 } from '../device-env-constants.js';

const fround = Math.fround;

const { fopi: FOPI, dp1: DP1, dp2: DP2, dp3: DP3, sin0: S0, sin1: S1, sin2: S2, cos0: C0, cos1: C1, cos2: C2 } = SIN_COS_F32;

/** sinCosInto's results: [sin x, cos x]. */
export const sincos = new Float64Array(2);

/**
 * sin(x) and cos(x) in float32 arithmetic, each operation rounded, into `sincos`, as
 * device-env.wgsl's `sin_cos32`. Accurate for |x| < 2^16 or so (far beyond any env's angles);
 * identical to the shader for |x| < 2^31.
 */
export function sinCosInto(xIn: number): void {
  const x = fround(xIn);
  const ax = Math.abs(x);
  const j = (Math.trunc(fround(ax * FOPI)) + 1) & ~1; // the nearest even multiple of pi/4
  const y = j; // exact in float32 (j < 2^24)
  const r = fround(fround(fround(ax - fround(y * DP1)) - fround(y * DP2)) - fround(y * DP3));
  const z = fround(r * r);
  const s = fround(fround(fround(fround(fround(fround(fround(S0 * z) + S1) * z) + S2) * z) * r) + r);
  const c = fround(fround(fround(fround(fround(fround(fround(fround(C0 * z) + C1) * z) + C2) * z) * z) - fround(0.5 * z)) + 1);
  const q = (j >>> 1) & 3; // the quadrant of |x|
  const sv = q === 0 ? s : q === 1 ? c : q === 2 ? -s : -c;
  sincos[0] = x < 0 ? -sv : sv;
  sincos[1] = q === 0 ? c : q === 1 ? -s : q === 2 ? -c : s;
}

/** sin(x) (cos false) or cos(x) (cos true) as the shader computes them (see sinCosInto). */
export function sinCos32(x: number, cos: boolean): number {
  sinCosInto(x);
  return sincos[cos ? 1 : 0];
}
