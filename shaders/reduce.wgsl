// Reductions: column sums (bias gradients), sum of squares (global-norm clipping), row max/argmax.

struct Params {
  rows: u32,
  cols: u32,
  accumulate: u32,
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
// x as vec4s, for sum_squares_quads (rows * cols divisible by 4).
@group(0) @binding(1) var<storage, read> x4: array<vec4f>;

// out[c] (+)= sum_r x[r, c]: one thread per column, rows summed in order.
@compute @workgroup_size(64)
fn column_sum(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  if (c >= p.cols) { return; }
  var s = 0.0;
  for (var r = 0u; r < p.rows; r++) { s = s + x[r * p.cols + c]; }
  if (p.accumulate != 0u) { s = s + out[c]; }
  out[c] = s;
}

// out[0] (+)= sum x^2 over rows * cols elements: one workgroup, 256 strided partial sums, then a
// tree reduction (deterministic: the same order on every run).
var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn sum_squares(@builtin(local_invocation_id) lid: vec3u) {
  let n = p.rows * p.cols;
  var s = 0.0;
  for (var i = lid.x; i < n; i += 256u) {
    let v = x[i];
    s = s + v * v;
  }
  partial[lid.x] = s;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride = stride / 2u) {
    if (lid.x < stride) { partial[lid.x] = partial[lid.x] + partial[lid.x + stride]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    var total = partial[0];
    if (p.accumulate != 0u) { total = total + out[0]; }
    out[0] = total;
  }
}

// As sum_squares, for CPU-emulated adapters (where every barrier of a tree costs a switch between
// the workgroup's SIMD chunks) and rows * cols divisible by 4: one workgroup of 8 threads, each
// summing the squares of every 8th vec4, then thread 0 adds the 8 sums in order.
var<workgroup> lane_sums: array<f32, 8>;

@compute @workgroup_size(8)
fn sum_squares_quads(@builtin(local_invocation_index) lid: u32) {
  let quads = p.rows * p.cols / 4u;
  var s = vec4f(0.0);
  for (var i = lid; i < quads; i += 8u) {
    let v = x4[i];
    s = s + v * v;
  }
  lane_sums[lid] = (s.x + s.y) + (s.z + s.w);
  workgroupBarrier();
  if (lid == 0u) {
    var total = 0.0;
    for (var l = 0u; l < 8u; l++) { total = total + lane_sums[l]; }
    if (p.accumulate != 0u) { total = total + out[0]; }
    out[0] = total;
  }
}

// out[r] <- max_c x[r, c]: one thread per row.
@compute @workgroup_size(64)
fn row_max(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  if (r >= p.rows) { return; }
  let base = r * p.cols;
  var best = x[base];
  for (var c = 1u; c < p.cols; c++) { best = max(best, x[base + c]); }
  out[r] = best;
}

// out[r] <- index of the first maximum of row r (strictly greater replaces, so ties keep the first).
@compute @workgroup_size(64)
fn row_argmax(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  if (r >= p.rows) { return; }
  let base = r * p.cols;
  var best = x[base];
  var index = 0u;
  for (var c = 1u; c < p.cols; c++) {
    let v = x[base + c];
    if (v > best) { best = v; index = c; }
  }
  out[r] = f32(index);
}
