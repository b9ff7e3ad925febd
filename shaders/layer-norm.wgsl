// LayerNorm over the rows of x (B, n), as torch.nn.LayerNorm over the last dimension (biased
// variance, eps inside the square root), and its backward. src/backend/cpu/layer-norm.ts is the
// same computation on the host.
//
// layer_norm: one workgroup of 64 threads per row (any n: each thread takes every 64th column).
//   mean = sum x / n, then (two passes, no cancellation) rstd = 1 / sqrt(sum (x - mean)^2 / n + eps),
//   out = act((x - mean) rstd gamma + beta), stats[r] = (mean, rstd); act is the activation
//   epilogue (activations.wgsl's codes; identity 0).
// layer_norm_backward: in one dispatch, with xhat = (x - mean) rstd from the forward's stats and
//   dy taken as dy act'(y) from the forward's output y (bound only when the activation is not
//   identity; activations.wgsl's activation_backward_at, as activation-backward.wgsl's),
//   the first B workgroups (only when flag bit 1 binds dx) one per row:
//     dx = rstd (dy gamma - rowmean(dy gamma) - xhat rowmean(dy gamma xhat)),
//   the next ceil(n / 64) workgroups one thread per column, the rows summed in order:
//     dgamma (+)= sum_rows dy xhat, dbeta (+)= sum_rows dy (flag bit 0: accumulate).
// The row sums are deterministic: 64 strided partial sums, added in order by thread 0.

struct Params {
  rows: u32,
  cols: u32,
  eps: f32,
  flags: u32, // bit 0: accumulate into dgamma and dbeta, bit 1: dx bound (backward)
  activation: u32, // the epilogue's code (forward), the derivative's (backward)
  alpha: f32, // LeakyReLU negative slope
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
// layer_norm
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;
// layer_norm_backward
@group(0) @binding(3) var<storage, read> saved: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
@group(0) @binding(7) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(8) var<storage, read_write> dbeta: array<f32>;

//#include activations

const WG: u32 = 64u;
var<workgroup> partial: array<vec2f, 64>;
var<workgroup> total: vec2f;

// The sum over the workgroup of each thread's v (two sums at once), the same on every thread.
fn workgroup_sum(lid: u32, v: vec2f) -> vec2f {
  partial[lid] = v;
  workgroupBarrier();
  if (lid == 0u) {
    var t = vec2f(0.0);
    for (var i = 0u; i < WG; i++) { t = t + partial[i]; }
    total = t;
  }
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(64)
fn layer_norm(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * nwg.x + wid.x;
  if (r >= p.rows) { return; }
  let n = p.cols;
  let base = r * n;
  var s = 0.0;
  for (var c = lid; c < n; c += WG) { s = s + x[base + c]; }
  let mean = workgroup_sum(lid, vec2f(s, 0.0)).x / f32(n);
  var q = 0.0;
  for (var c = lid; c < n; c += WG) {
    let d = x[base + c] - mean;
    q = q + d * d;
  }
  let rstd = 1.0 / sqrt(workgroup_sum(lid, vec2f(q, 0.0)).x / f32(n) + p.eps);
  for (var c = lid; c < n; c += WG) { out[base + c] = activate((x[base + c] - mean) * rstd * gamma[c] + beta[c], p.activation, p.alpha); }
  if (lid == 0u) {
    stats[2u * r] = mean;
    stats[2u * r + 1u] = rstd;
  }
}

// dy[i] through the activation's derivative at the forward's output (y is read only then).
fn grad_at(i: u32) -> f32 {
  if (p.activation == 0u) { return dy[i]; }
  return activation_backward_at(y[i], dy[i], p.activation, p.alpha);
}

@compute @workgroup_size(64)
fn layer_norm_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let g = wid.y * nwg.x + wid.x;
  let n = p.cols;
  let row_groups = select(0u, p.rows, (p.flags & 2u) != 0u);
  if (g < row_groups) {
    let base = g * n;
    let mean = saved[2u * g];
    let rstd = saved[2u * g + 1u];
    var s = vec2f(0.0);
    for (var c = lid; c < n; c += WG) {
      let xhat = (x[base + c] - mean) * rstd;
      let gy = grad_at(base + c) * gamma[c];
      s = s + vec2f(gy, gy * xhat);
    }
    let means = workgroup_sum(lid, s) / f32(n);
    for (var c = lid; c < n; c += WG) {
      let xhat = (x[base + c] - mean) * rstd;
      dx[base + c] = rstd * (grad_at(base + c) * gamma[c] - means.x - xhat * means.y);
    }
    return;
  }
  let c = (g - row_groups) * WG + lid;
  if (c >= n) { return; }
  var sg = 0.0;
  var sb = 0.0;
  for (var r = 0u; r < p.rows; r++) {
    let i = r * n + c;
    let d = grad_at(i);
    sg = sg + d * (x[i] - saved[2u * r]) * saved[2u * r + 1u];
    sb = sb + d;
  }
  if ((p.flags & 1u) != 0u) {
    sg = sg + dgamma[c];
    sb = sb + dbeta[c];
  }
  dgamma[c] = sg;
  dbeta[c] = sb;
}
