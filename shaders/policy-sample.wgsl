// Sampling from a policy head (src/backend/policy-ops.ts, PolicySampleOf), one thread per row of
// the network's output, from Philox4x32-10 blocks (counter, row, stream 1, j) of the run's seed.
// src/backend/cpu/policy-sample.ts is the same computation in the same order on the host, which
// says how close the two come (exp, log and sqrt are the device's here; sin and cos are Cephes',
// sin-cos32.wgsl, the same bits as the CPU's float32 kernel).
//
// policy_categorical: softmax of the row with its max subtracted; u = uniform(block 0 word 0); the
// first action whose cumulative probability (index order) exceeds u, else the last with p > 0;
// log_prob = (out[a] - max) - log(sum of exp(out - max)). log_std is not read.
// policy_gaussian: z by Box-Muller from block k / 2 (cos for even k, sin for odd); action =
// out + exp(log_std) z; log_prob = sum_k (-(action - out)^2 / (2 exp(2 log_std)) - log_std) - ln(2 pi) / 2.

struct Params {
  rows: u32,
  cols: u32,
  seed_lo: u32,
  seed_hi: u32,
  counter: u32,
  // sin-cos32.wgsl's (kernels.ts's SIN_COS_PARAMS).
  half: f32,
  one: f32,
  fopi: f32,
  dp1: f32,
  dp2: f32,
  dp3: f32,
  sin0: f32,
  sin1: f32,
  sin2: f32,
  cos0: f32,
  cos1: f32,
  cos2: f32,
  opaque: u32,
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> out: array<f32>;              // (N, k) logits or means
@group(0) @binding(2) var<storage, read> log_std: array<f32>;          // (1, k), gaussian only
@group(0) @binding(3) var<storage, read_write> actions: array<f32>;    // (N, 1) or (N, k)
@group(0) @binding(4) var<storage, read_write> log_prob: array<f32>;   // (N, 1)

//#include philox
//#include sin-cos32

const ACT_STREAM = 1u;
const TWO_PI = 6.283185307179586;
const HALF_LOG_TWO_PI = 0.9189385332046727;

fn row_of(wid: vec3u, nwg: vec3u, lid: vec3u) -> u32 {
  return (wid.y * nwg.x + wid.x) * 64u + lid.x;
}

@compute @workgroup_size(64)
fn policy_categorical(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = row_of(wid, nwg, lid);
  if (i >= p.rows) { return; }
  let base = i * p.cols;
  var m = out[base];
  for (var c = 1u; c < p.cols; c++) { m = max(m, out[base + c]); }
  var sum = 0.0;
  for (var c = 0u; c < p.cols; c++) { sum += exp(out[base + c] - m); }
  let bits = philox4x32_10(vec4u(p.counter, i, ACT_STREAM, 0u), vec2u(p.seed_lo, p.seed_hi));
  let u = philox_uniform(bits.x);
  var cdf = 0.0;
  var action = p.cols;
  var last_positive = 0u;
  for (var c = 0u; c < p.cols; c++) {
    let prob = exp(out[base + c] - m) / sum;
    cdf += prob;
    if (prob > 0.0) { last_positive = c; }
    if (u < cdf) { action = c; break; }
  }
  if (action == p.cols) { action = last_positive; }
  actions[i] = f32(action);
  log_prob[i] = (out[base + action] - m) - log(sum);
}

@compute @workgroup_size(64)
fn policy_gaussian(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = row_of(wid, nwg, lid);
  if (i >= p.rows) { return; }
  let base = i * p.cols;
  var sum = 0.0;
  for (var j = 0u; 2u * j < p.cols; j++) {
    let bits = philox4x32_10(vec4u(p.counter, i, ACT_STREAM, j), vec2u(p.seed_lo, p.seed_hi));
    let u1 = 1.0 - philox_uniform(bits.x); // in (0, 1], exact
    let u2 = philox_uniform(bits.y);
    // max(., 0): the device's log of u1 just below 1 may come out a hair above 0.
    let radius = sqrt(max(-2.0 * log(u1), 0.0));
    let theta = fr(TWO_PI * u2);
    let sc = sin_cos32(theta);
    let trig = vec2f(sc.y, sc.x); // (cos, sin)
    for (var k = 2u * j; k < min(2u * j + 2u, p.cols); k++) {
      let z = radius * trig[k - 2u * j];
      let s = log_std[k];
      let a = out[base + k] + exp(s) * z;
      actions[base + k] = a;
      let d = a - out[base + k];
      sum += (-(d * d) / (2.0 * exp(2.0 * s)) - s) - HALF_LOG_TWO_PI;
    }
  }
  log_prob[i] = sum;
}
