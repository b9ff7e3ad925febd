// Cephes' float32 sin/cos (src/backend/cpu/sin-cos32.ts is the same on the CPU, bit for bit) and
// the float32 barrier `fr` it needs: included by the device env kernels (with device-env.wgsl) and
// by policy-sample.wgsl's Box-Muller, so their sin and cos are the same on every device, where
// WGSL's own bounds them only absolutely (2^-11 on [-pi, pi]).
//
// Included after the kernel's bindings by a kernel whose `struct Params` has the fields half, one,
// fopi, dp1, dp2, dp3, sin0, sin1, sin2, cos0, cos1, cos2 and opaque (kernels.ts's SIN_COS_PARAMS).
//
// `fr(v)` is v rounded to f32 here: a select on p.opaque, a uniform flag that is always 0, which the
// compiler cannot see through, so it neither reassociates around it nor fuses a product and a sum
// into an FMA (lavapipe's compiler turned Cephes' `t - 0.5 z + 1` into `(t + 1) - 0.5 z` without it,
// one ulp off on about half of all inputs; measured). The counterpart of Math.fround: with it each
// WGSL +, -, * is one IEEE f32 rounding in the order written.

fn fr(v: f32) -> f32 {
  return select(v, 0.0, p.opaque != 0u);
}

fn fr4(v: vec4f) -> vec4f {
  return select(v, vec4f(0.0), p.opaque != 0u);
}

// Cephes' sinf/cosf (src/backend/cpu/sin-cos32.ts): reduction by pi/2 in three parts, then
// polynomials on [-pi/4, pi/4]. Returns (sin x, cos x).
fn sin_cos32(x: f32) -> vec2f {
  let ax = abs(x);
  let j = (u32(fr(ax * p.fopi)) + 1u) & ~1u;
  let y = f32(j);
  let r = fr(fr(fr(ax - fr(y * p.dp1)) - fr(y * p.dp2)) - fr(y * p.dp3));
  let z = fr(r * r);
  let s = fr(fr(fr(fr(fr(fr(fr(p.sin0 * z) + p.sin1) * z) + p.sin2) * z) * r) + r);
  let c = fr(fr(fr(fr(fr(fr(fr(fr(p.cos0 * z) + p.cos1) * z) + p.cos2) * z) * z) - fr(p.half * z)) + p.one);
  let q = (j >> 1u) & 3u;
  var sv = s;
  var cv = c;
  if (q == 1u) { sv = c; cv = -s; }
  if (q == 2u) { sv = -s; cv = -c; }
  if (q == 3u) { sv = -c; cv = s; }
  return vec2f(select(sv, -sv, x < 0.0), cv);
}
