// One Adam step (torch.optim.Adam, or AdamW with decoupled weight decay), one thread per element:
// g = grad + l2 * p; p *= decay; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= step_size * m / (sqrt(v) / sqrt_correction2 + eps), with step_size = lr / (1 - b1^t) and
// sqrt_correction2 = sqrt(1 - b2^t) computed on the host in float64.
// Fused around it, each as the op it replaces: global-norm clipping of the gradient first
// (grad *= min(1, max_norm / (sqrt(sum_squares[0]) + 1e-6)), written back), and a Polyak update
// of a target copy after (target += tau (p - target)). adam_small also computes the sum of
// squares itself (the sumSquares op before it, fused by the host: see webgpu-ops.ts).
// RAdam (torch.optim.RAdam) runs the same kernels with sqrt_correction2 = 1 and its rectification
// in step_size (p -= step_size * m / (sqrt(v) + eps)), or, while rho_t <= 5, with flag bit 2
// (momentum only: p -= step_size * m, step_size = lr / (1 - b1^t)).

struct Params {
  n: u32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  step_size: f32,
  sqrt_correction2: f32,
  l2: f32,       // weight decay added to the gradient (0 when decoupled)
  decay: f32,    // 1 - lr * weight decay when decoupled, else 1
  flags: u32,    // bit 0: clip the gradient first, bit 1: Polyak target update after, bit 2: momentum only (RAdam)
  max_norm: f32,
  tau: f32,
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> sum_squares: array<f32>;
@group(0) @binding(6) var<storage, read_write> target_copy: array<f32>;
// The same tensors as vec4s (n divisible by 4): 4 elements per thread, a quarter of the accesses'
// overhead on CPU-emulated adapters and wider accesses on GPUs.
@group(0) @binding(1) var<storage, read_write> param4: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> grad4: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> m4: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> v4: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> target4: array<vec4f>;
// adam_small writes the sum of squares it computes.
@group(0) @binding(5) var<storage, read_write> sum_squares_out: array<f32>;

fn clipping() -> bool { return (p.flags & 1u) != 0u; }
fn polyak() -> bool { return (p.flags & 2u) != 0u; }
fn momentum_only() -> bool { return (p.flags & 4u) != 0u; }

// The clipping factor min(1, max_norm / (norm + 1e-6)) for a gradient whose squares sum to `squares`.
fn clip_factor(squares: f32) -> f32 {
  return min(1.0, p.max_norm / (sqrt(squares) + 1e-6));
}

struct AdamStep {
  param: vec4f,
  m: vec4f,
  v: vec4f,
}

// The Adam update of 4 elements (the scalar kernel uses lane x): the one place the formula is written.
fn adam_step(w: vec4f, raw: vec4f, m_old: vec4f, v_old: vec4f) -> AdamStep {
  let g = raw + p.l2 * w;
  let mi = p.beta1 * m_old + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v_old + (1.0 - p.beta2) * g * g;
  let step = p.step_size * mi;
  return AdamStep(w * p.decay - select(step / (sqrt(vi) / p.sqrt_correction2 + p.eps), step, momentum_only()), mi, vi);
}

@compute @workgroup_size(256)
fn adam(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid.x;
  if (i >= p.n) { return; }
  var raw = grad[i];
  if (clipping()) {
    raw = raw * clip_factor(sum_squares[0]);
    grad[i] = raw;
  }
  let r = adam_step(vec4f(param[i]), vec4f(raw), vec4f(m[i]), vec4f(v[i]));
  m[i] = r.m.x;
  v[i] = r.v.x;
  param[i] = r.param.x;
  if (polyak()) {
    let t = target_copy[i];
    target_copy[i] = t + p.tau * (r.param.x - t);
  }
}

// Quad q of the tensors: clip (by `factor`, when clipping), Adam, Polyak. A factor of exactly 1
// leaves the gradient as it is, so it is not written back (a tenth of the step's accesses).
fn adam_quad(q: u32, factor: f32) {
  var raw = grad4[q];
  if (clipping() && factor != 1.0) {
    raw = raw * factor;
    grad4[q] = raw;
  }
  let r = adam_step(param4[q], raw, m4[q], v4[q]);
  m4[q] = r.m;
  v4[q] = r.v;
  param4[q] = r.param;
  if (polyak()) {
    let t = target4[q];
    target4[q] = t + p.tau * (r.param - t);
  }
}

// As adam, over n / 4 quads (n divisible by 4), 64 threads per workgroup.
@compute @workgroup_size(64)
fn adam_quads(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let q = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  if (q >= p.n / 4u) { return; }
  var factor = 1.0;
  if (clipping()) { factor = clip_factor(sum_squares[0]); }
  adam_quad(q, factor);
}

// The sum of squares of the gradient, then adam_quads, in one workgroup of 8 threads (for small
// tensors on CPU-emulated adapters, where it saves the sum of squares its own dispatch): each
// thread sums the squares of every 8th quad, thread 0 adds the 8 sums in order and writes the
// total to sum_squares_out, and after a barrier every thread updates every 8th quad.
var<workgroup> lane_sums: array<f32, 8>;
var<workgroup> total: f32;

@compute @workgroup_size(8)
fn adam_small(@builtin(local_invocation_index) lid: u32) {
  let quads = p.n / 4u;
  var s = vec4f(0.0);
  for (var q = lid; q < quads; q += 8u) {
    let g = grad4[q];
    s = s + g * g;
  }
  lane_sums[lid] = (s.x + s.y) + (s.z + s.w);
  workgroupBarrier();
  if (lid == 0u) {
    var sum = 0.0;
    for (var l = 0u; l < 8u; l++) { sum = sum + lane_sums[l]; }
    sum_squares_out[0] = sum;
    total = sum;
  }
  let factor = clip_factor(workgroupUniformLoad(&total));
  for (var q = lid; q < quads; q += 8u) { adam_quad(q, factor); }
}
