// The Dense layer's three fused matmuls (as linear.wgsl) for CPU-emulated adapters with subgroups
// of 8 lanes (Mesa's llvmpipe/lavapipe) or 4 lanes (SwiftShader, Chromium's software adapter). Such
// an adapter runs a workgroup as SIMD vectors, one per subgroup, and performs every storage access
// lane by lane (a mask test, a bounds check and a scalar load per lane and component), so memory
// accesses are what a kernel costs there and arithmetic is nearly free; barriers are expensive.
// These kernels minimise accesses per multiply-add:
//
// - a workgroup is one subgroup of LANES lanes (no barriers, no workgroup memory) and computes an
//   output tile of 16 rows x 4 LANES columns; each lane owns 4 adjacent columns (a vec4
//   accumulator per row);
// - every access is a vec4 (4 floats for the cost of about 2 scalar accesses);
// - for 4 consecutive k, the lanes together load a band of op(a): 8 rows x 4 steps, one vec4 per
//   lane on 8 lanes, two on 4 lanes; subgroupBroadcast hands every row to every lane (a register
//   shuffle); and each lane loads 4 vec4s of op(b) for its own columns: 6 loads (8 on 4 lanes)
//   for 256 multiply-adds.
//
// The lane count is the device's: the line `//#include subgroup-lanes` below becomes
// subgroup-lanes8.wgsl or subgroup-lanes4.wgsl, which define LANES, the band and the broadcasts
// (rows_by_lane, rows_by_step); everything else here is the same for both.
//
// Requirements (checked by the host, which otherwise takes linear.wgsl's register-blocked path):
// every row that is read as vec4s has a length divisible by 4 (so every vec4 is aligned), i.e.
//   linear_subgroup:      k and n;  input_grad_subgroup: k and n (n = the output width, b's row count);
//   linear_grad_subgroup: m (x's width), k (the batch) and n.
// Narrow layers (a Q-network's output layer of a few actions) would leave most lanes idle or break
// the vec4 alignment, so three more kernels take them (see the `narrow` section): linear_narrow and
// linear_grad_narrow compute the output transposed (a band row per output column), and
// input_grad_short is input_grad_subgroup reading along k as scalars. They require
//   linear_narrow: n <= 8, k;  linear_grad_narrow: n <= 8, m, k;  input_grad_short: n only.
// Sums run over k in steps of 4, each step adding a.x b0 + a.y b1 + a.z b2 + a.w b3 to the
// accumulator, in float32; outputs past the matrix edge are computed from clamped reads and never
// stored. Bindings and parameters are linear.wgsl's, as vec4 arrays (and f32 arrays where a
// narrow operand's rows are not vec4-aligned).

enable subgroups;

struct Params {
  m: u32,          // rows of op(a) (and of the output)
  n: u32,          // columns of op(b)
  k: u32,          // the summed dimension
  flags: u32,      // bit 2: accumulate, bit 3: the extra operand (bias, y or db) is bound (bits 0-1 unused: fixed per entry point)
  activation: u32, // activation code (activations.wgsl)
  alpha: f32,      // LeakyReLU negative slope
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read> c: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> out3: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> out4: array<vec4f>;
// The same bindings as f32 arrays, for operands of the narrow kernels.
@group(0) @binding(1) var<storage, read> a1: array<f32>;
@group(0) @binding(2) var<storage, read> b1: array<f32>;
@group(0) @binding(3) var<storage, read> c1: array<f32>;
@group(0) @binding(3) var<storage, read_write> out3_1: array<f32>;
@group(0) @binding(4) var<storage, read_write> out4_1: array<f32>;

//#include activations
//#include subgroup-lanes

const TILE_ROWS: u32 = 16u;
const TILE_QUADS: u32 = LANES; // vec4 columns per tile: one per lane
// Output rows per workgroup of the narrow kernels: 4 per lane.
const NARROW_ROWS: u32 = 4u * LANES;

fn accumulate() -> bool { return (p.flags & 4u) != 0u; }
fn has_extra() -> bool { return (p.flags & 8u) != 0u; }

// acc + a.x b0 + a.y b1 + a.z b2 + a.w b3: one row's 4 steps of k.
fn madd(acc: vec4f, a: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) -> vec4f {
  return acc + (a.x * b0 + a.y * b1 + a.z * b2 + a.w * b3);
}

// This lane's vec4 column of the output, jq (and jq clamped, for reads), of nq. The tile's first
// row, wid.y * TILE_ROWS, stays apart: it is uniform, and the subgroup operations need control
// flow that WGSL's analysis can see is uniform (it treats a struct with a per-lane field as per-lane).
struct Tile {
  jq: u32,
  jq_read: u32,
  nq: u32,
}

fn tile_of(wid: vec3u, lane: u32) -> Tile {
  let nq = p.n / 4u;
  let jq = wid.x * TILE_QUADS + lane;
  return Tile(jq, min(jq, nq - 1u), nq);
}

// ---------------------------------------------------------------- epilogues (per row, this lane's 4 columns)

fn act4(v: vec4f) -> vec4f {
  return vec4f(activate(v.x, p.activation, p.alpha), activate(v.y, p.activation, p.alpha), activate(v.z, p.activation, p.alpha), activate(v.w, p.activation, p.alpha));
}

// Each epilogue stores one row i of this lane's 4 columns (nothing past the matrix edge); the
// entry points call it for the tile's 16 rows, each with a constant row index (no dynamic
// indexing of the accumulators).

// out4[i, cols] <- act(sum + bias[cols])
fn store_linear(t: Tile, i: u32, v: vec4f, bias: vec4f) {
  if (i < p.m && t.jq < t.nq) { out4[i * t.nq + t.jq] = act4(v + bias); }
}

// out4[i, cols] <- sum * act'(y[i, cols])
fn store_input_grad(t: Tile, i: u32, v: vec4f) {
  if (i >= p.m || t.jq >= t.nq) { return; }
  let o = i * t.nq + t.jq;
  var g = v;
  if (has_extra()) {
    let y = c[o];
    g = vec4f(
      activation_backward_at(y.x, v.x, p.activation, p.alpha),
      activation_backward_at(y.y, v.y, p.activation, p.alpha),
      activation_backward_at(y.z, v.z, p.activation, p.alpha),
      activation_backward_at(y.w, v.w, p.activation, p.alpha),
    );
  }
  out4[o] = g;
}

// out3[i, cols] <- sum (or += with accumulate)
fn store_weight_grad(t: Tile, i: u32, v: vec4f) {
  if (i >= p.m || t.jq >= t.nq) { return; }
  let o = i * t.nq + t.jq;
  if (accumulate()) { out3[o] = out3[o] + v; } else { out3[o] = v; }
}

// ---------------------------------------------------------------- entry points (grid: ceil(n / (4 LANES)) x ceil(m / 16))

// out4 (m, n) <- act(a (m, k) @ b (k, n) + c (n)).
@compute @workgroup_size(LANES)
fn linear_subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let t = tile_of(wid, lane);
  let i0 = wid.y * TILE_ROWS;
  if (i0 >= p.m) { return; }
  let kq = p.k / 4u;
  let row_lo = band_rows(i0, p.m - 1u, lane) * kq;
  let row_hi = band_rows(i0 + 8u, p.m - 1u, lane) * kq;
  var lo: array<vec4f, 8>;
  var hi: array<vec4f, 8>;
  for (var q = 0u; q < kq; q++) {
    let bk = 4u * q * t.nq + t.jq_read;
    let b0 = b[bk];
    let b1 = b[bk + t.nq];
    let b2 = b[bk + 2u * t.nq];
    let b3 = b[bk + 3u * t.nq];
    rows_by_lane(&lo, band_vec4(row_lo + q), b0, b1, b2, b3);
    rows_by_lane(&hi, band_vec4(row_hi + q), b0, b1, b2, b3);
  }
  var bias = vec4f(0.0);
  if (has_extra()) { bias = c[t.jq_read]; }
  store_linear(t, i0 + 0u, lo[0], bias);
  store_linear(t, i0 + 1u, lo[1], bias);
  store_linear(t, i0 + 2u, lo[2], bias);
  store_linear(t, i0 + 3u, lo[3], bias);
  store_linear(t, i0 + 4u, lo[4], bias);
  store_linear(t, i0 + 5u, lo[5], bias);
  store_linear(t, i0 + 6u, lo[6], bias);
  store_linear(t, i0 + 7u, lo[7], bias);
  store_linear(t, i0 + 8u, hi[0], bias);
  store_linear(t, i0 + 9u, hi[1], bias);
  store_linear(t, i0 + 10u, hi[2], bias);
  store_linear(t, i0 + 11u, hi[3], bias);
  store_linear(t, i0 + 12u, hi[4], bias);
  store_linear(t, i0 + 13u, hi[5], bias);
  store_linear(t, i0 + 14u, hi[6], bias);
  store_linear(t, i0 + 15u, hi[7], bias);
}

// out4 (m, n) <- (a (m, k) @ b^T) * act'(c), b (n, k), c (m, n).
@compute @workgroup_size(LANES)
fn input_grad_subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let t = tile_of(wid, lane);
  let i0 = wid.y * TILE_ROWS;
  if (i0 >= p.m) { return; }
  let kq = p.k / 4u;
  let row_lo = band_rows(i0, p.m - 1u, lane) * kq;
  let row_hi = band_rows(i0 + 8u, p.m - 1u, lane) * kq;
  // This lane's columns are rows 4 jq .. 4 jq + 3 of b.
  let col = 4u * t.jq_read * kq;
  var lo: array<vec4f, 8>;
  var hi: array<vec4f, 8>;
  for (var q = 0u; q < kq; q++) {
    let w0 = b[col + q];
    let w1 = b[col + kq + q];
    let w2 = b[col + 2u * kq + q];
    let w3 = b[col + 3u * kq + q];
    let b0 = vec4f(w0.x, w1.x, w2.x, w3.x);
    let b1 = vec4f(w0.y, w1.y, w2.y, w3.y);
    let b2 = vec4f(w0.z, w1.z, w2.z, w3.z);
    let b3 = vec4f(w0.w, w1.w, w2.w, w3.w);
    rows_by_lane(&lo, band_vec4(row_lo + q), b0, b1, b2, b3);
    rows_by_lane(&hi, band_vec4(row_hi + q), b0, b1, b2, b3);
  }
  store_input_grad(t, i0 + 0u, lo[0]);
  store_input_grad(t, i0 + 1u, lo[1]);
  store_input_grad(t, i0 + 2u, lo[2]);
  store_input_grad(t, i0 + 3u, lo[3]);
  store_input_grad(t, i0 + 4u, lo[4]);
  store_input_grad(t, i0 + 5u, lo[5]);
  store_input_grad(t, i0 + 6u, lo[6]);
  store_input_grad(t, i0 + 7u, lo[7]);
  store_input_grad(t, i0 + 8u, hi[0]);
  store_input_grad(t, i0 + 9u, hi[1]);
  store_input_grad(t, i0 + 10u, hi[2]);
  store_input_grad(t, i0 + 11u, hi[3]);
  store_input_grad(t, i0 + 12u, hi[4]);
  store_input_grad(t, i0 + 13u, hi[5]);
  store_input_grad(t, i0 + 14u, hi[6]);
  store_input_grad(t, i0 + 15u, hi[7]);
}

// out3 (m, n) <- a^T @ b, a (k, m), b (k, n); out4 (n) <- the column sums of b (the row band at i0 = 0
// writes them): dW and db, each overwritten or accumulated.
@compute @workgroup_size(LANES)
fn linear_grad_subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let t = tile_of(wid, lane);
  let i0 = wid.y * TILE_ROWS;
  if (i0 >= p.m) { return; }
  let kq = p.k / 4u;
  let mq = p.m / 4u;
  // The lane reads a[4q + band_step(lane), its quads of columns i0 .. i0 + 7] (and 8 columns further for the upper half).
  let lane_k = band_step(lane);
  let quad_lo = band_quads(i0 / 4u, mq - 1u, lane);
  let quad_hi = band_quads(i0 / 4u + 2u, mq - 1u, lane);
  var lo: array<vec4f, 8>;
  var hi: array<vec4f, 8>;
  var colsum = vec4f(0.0);
  for (var q = 0u; q < kq; q++) {
    let ak = (4u * q + lane_k) * mq;
    let bk = 4u * q * t.nq + t.jq_read;
    let b0 = b[bk];
    let b1 = b[bk + t.nq];
    let b2 = b[bk + 2u * t.nq];
    let b3 = b[bk + 3u * t.nq];
    rows_by_step(&lo, band_vec4(ak + quad_lo), b0, b1, b2, b3);
    rows_by_step(&hi, band_vec4(ak + quad_hi), b0, b1, b2, b3);
    colsum = colsum + (b0 + b1 + b2 + b3);
  }
  store_weight_grad(t, i0 + 0u, lo[0]);
  store_weight_grad(t, i0 + 1u, lo[1]);
  store_weight_grad(t, i0 + 2u, lo[2]);
  store_weight_grad(t, i0 + 3u, lo[3]);
  store_weight_grad(t, i0 + 4u, lo[4]);
  store_weight_grad(t, i0 + 5u, lo[5]);
  store_weight_grad(t, i0 + 6u, lo[6]);
  store_weight_grad(t, i0 + 7u, lo[7]);
  store_weight_grad(t, i0 + 8u, hi[0]);
  store_weight_grad(t, i0 + 9u, hi[1]);
  store_weight_grad(t, i0 + 10u, hi[2]);
  store_weight_grad(t, i0 + 11u, hi[3]);
  store_weight_grad(t, i0 + 12u, hi[4]);
  store_weight_grad(t, i0 + 13u, hi[5]);
  store_weight_grad(t, i0 + 14u, hi[6]);
  store_weight_grad(t, i0 + 15u, hi[7]);
  if (has_extra() && i0 == 0u && t.jq < t.nq) {
    var v = colsum;
    if (accumulate()) { v = v + out4[t.jq]; }
    out4[t.jq] = v;
  }
}

// ---------------------------------------------------------------- narrow layers
// The output is computed transposed: band row r is output column r (at most 8 of them), and each
// lane owns 4 output rows (its vec4 accumulator per column), NARROW_ROWS = 4 LANES output rows per
// workgroup (grid: ceil(m / NARROW_ROWS) workgroups). The lanes read the narrow operand's columns
// as a band (band_column), 4 steps of k at a time, and rows_by_lane hands it to every lane as above.

// A narrow operand's column `col` at steps k0 .. k0+3 (zero past k), row-major with `cols` columns.
fn narrow_column(k0: u32, col: u32, cols: u32) -> vec4f {
  let last = p.k * cols - 1u;
  return vec4f(
    b1[min(k0 * cols + col, last)],
    select(0.0, b1[min((k0 + 1u) * cols + col, last)], k0 + 1u < p.k),
    select(0.0, b1[min((k0 + 2u) * cols + col, last)], k0 + 2u < p.k),
    select(0.0, b1[min((k0 + 3u) * cols + col, last)], k0 + 3u < p.k),
  );
}

// out[i, j] <- act(acc[j] component e + bias[j]) for this lane's rows i = i0 + e and columns j < n.
fn store_narrow_linear(i0: u32, j: u32, v: vec4f) {
  if (j >= p.n) { return; }
  var bias = 0.0;
  if (has_extra()) { bias = c1[j]; }
  for (var e = 0u; e < 4u; e++) {
    let i = i0 + e;
    if (i < p.m) { out4_1[i * p.n + j] = activate(v[e] + bias, p.activation, p.alpha); }
  }
}

// out4[j] <- the bias gradient v of column j < n (or +=).
fn store_colsum(j: u32, v: f32) {
  if (j >= p.n) { return; }
  if (accumulate()) { out4_1[j] = out4_1[j] + v; } else { out4_1[j] = v; }
}

// out3[i, j] <- acc[j] component e (or +=) for this lane's rows i = i0 + e and columns j < n.
fn store_narrow_weight_grad(i0: u32, j: u32, v: vec4f) {
  if (j >= p.n) { return; }
  for (var e = 0u; e < 4u; e++) {
    let i = i0 + e;
    if (i < p.m) {
      let o = i * p.n + j;
      if (accumulate()) { out3_1[o] = out3_1[o] + v[e]; } else { out3_1[o] = v[e]; }
    }
  }
}

// out4 (m, n) <- act(a (m, k) @ b (k, n) + c (n)), n <= 8.
@compute @workgroup_size(LANES)
fn linear_narrow(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let w = wid.y * groups.x + wid.x; // the grid spills into y past the device's limit
  let first = w * NARROW_ROWS;
  if (first >= p.m) { return; }
  let i0 = first + 4u * lane;
  let kq = p.k / 4u;
  let x0 = min(i0, p.m - 1u) * kq;
  let x1 = min(i0 + 1u, p.m - 1u) * kq;
  let x2 = min(i0 + 2u, p.m - 1u) * kq;
  let x3 = min(i0 + 3u, p.m - 1u) * kq;
  let col = band_rows(0u, p.n - 1u, lane);
  var acc: array<vec4f, 8>;
  for (var q = 0u; q < kq; q++) {
    let v0 = a[x0 + q];
    let v1 = a[x1 + q];
    let v2 = a[x2 + q];
    let v3 = a[x3 + q];
    rows_by_lane(&acc, band_column(4u * q, col, p.n), vec4f(v0.x, v1.x, v2.x, v3.x), vec4f(v0.y, v1.y, v2.y, v3.y), vec4f(v0.z, v1.z, v2.z, v3.z), vec4f(v0.w, v1.w, v2.w, v3.w));
  }
  store_narrow_linear(i0, 0u, acc[0]);
  store_narrow_linear(i0, 1u, acc[1]);
  store_narrow_linear(i0, 2u, acc[2]);
  store_narrow_linear(i0, 3u, acc[3]);
  store_narrow_linear(i0, 4u, acc[4]);
  store_narrow_linear(i0, 5u, acc[5]);
  store_narrow_linear(i0, 6u, acc[6]);
  store_narrow_linear(i0, 7u, acc[7]);
}

// out3 (m, n) <- a^T @ b, a (k, m), b (k, n), n <= 8; out4 (n) <- the column sums of b (workgroup 0).
@compute @workgroup_size(LANES)
fn linear_grad_narrow(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let w = wid.y * groups.x + wid.x; // the grid spills into y past the device's limit
  let first = w * NARROW_ROWS;
  if (first >= p.m) { return; }
  let i0 = first + 4u * lane;
  let kq = p.k / 4u;
  let mq = p.m / 4u;
  let quad = min(i0 / 4u, mq - 1u);
  let col = band_rows(0u, p.n - 1u, lane);
  var acc: array<vec4f, 8>;
  var colsum: BandSum;
  for (var q = 0u; q < kq; q++) {
    let g = band_column(4u * q, col, p.n);
    colsum = colsum + band_sum(g);
    let row = 4u * q * mq + quad;
    rows_by_lane(&acc, g, a[row], a[row + mq], a[row + 2u * mq], a[row + 3u * mq]);
  }
  store_narrow_weight_grad(i0, 0u, acc[0]);
  store_narrow_weight_grad(i0, 1u, acc[1]);
  store_narrow_weight_grad(i0, 2u, acc[2]);
  store_narrow_weight_grad(i0, 3u, acc[3]);
  store_narrow_weight_grad(i0, 4u, acc[4]);
  store_narrow_weight_grad(i0, 5u, acc[5]);
  store_narrow_weight_grad(i0, 6u, acc[6]);
  store_narrow_weight_grad(i0, 7u, acc[7]);
  if (has_extra() && w == 0u) { store_band_sums(lane, colsum); }
}

// a[at .. at+3], b[at .. at+3]: 4 steps of k from step k0, zero past k (reads clamped to `last`).
fn a_steps(at: u32, k0: u32, last: u32) -> vec4f {
  return vec4f(
    a1[min(at, last)],
    select(0.0, a1[min(at + 1u, last)], k0 + 1u < p.k),
    select(0.0, a1[min(at + 2u, last)], k0 + 2u < p.k),
    select(0.0, a1[min(at + 3u, last)], k0 + 3u < p.k),
  );
}

fn b_steps(at: u32, k0: u32, last: u32) -> vec4f {
  return vec4f(
    b1[min(at, last)],
    select(0.0, b1[min(at + 1u, last)], k0 + 1u < p.k),
    select(0.0, b1[min(at + 2u, last)], k0 + 2u < p.k),
    select(0.0, b1[min(at + 3u, last)], k0 + 3u < p.k),
  );
}

// out4 (m, n) <- (a (m, k) @ b^T) * act'(c), b (n, k), any k (read as scalars, 4 steps at a time,
// zero past k): the input gradient of a narrow layer (k its few outputs). The tile of
// input_grad_subgroup, 16 rows x 4 LANES columns.
@compute @workgroup_size(LANES)
fn input_grad_short(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let t = tile_of(wid, lane);
  let i0 = wid.y * TILE_ROWS;
  if (i0 >= p.m) { return; }
  let row_lo = band_rows(i0, p.m - 1u, lane) * p.k;
  let row_hi = band_rows(i0 + 8u, p.m - 1u, lane) * p.k;
  let col = 4u * t.jq_read * p.k;
  let last_a = p.m * p.k - 1u;
  let last_b = p.n * p.k - 1u;
  var lo: array<vec4f, 8>;
  var hi: array<vec4f, 8>;
  for (var k0 = 0u; k0 < p.k; k0 += 4u) {
    let a_lo = band_steps(row_lo + k0, k0, last_a);
    let a_hi = band_steps(row_hi + k0, k0, last_a);
    let w0 = b_steps(col + k0, k0, last_b);
    let w1 = b_steps(col + p.k + k0, k0, last_b);
    let w2 = b_steps(col + 2u * p.k + k0, k0, last_b);
    let w3 = b_steps(col + 3u * p.k + k0, k0, last_b);
    let b0 = vec4f(w0.x, w1.x, w2.x, w3.x);
    let b1_ = vec4f(w0.y, w1.y, w2.y, w3.y);
    let b2 = vec4f(w0.z, w1.z, w2.z, w3.z);
    let b3 = vec4f(w0.w, w1.w, w2.w, w3.w);
    rows_by_lane(&lo, a_lo, b0, b1_, b2, b3);
    rows_by_lane(&hi, a_hi, b0, b1_, b2, b3);
  }
  store_input_grad(t, i0 + 0u, lo[0]);
  store_input_grad(t, i0 + 1u, lo[1]);
  store_input_grad(t, i0 + 2u, lo[2]);
  store_input_grad(t, i0 + 3u, lo[3]);
  store_input_grad(t, i0 + 4u, lo[4]);
  store_input_grad(t, i0 + 5u, lo[5]);
  store_input_grad(t, i0 + 6u, lo[6]);
  store_input_grad(t, i0 + 7u, lo[7]);
  store_input_grad(t, i0 + 8u, hi[0]);
  store_input_grad(t, i0 + 9u, hi[1]);
  store_input_grad(t, i0 + 10u, hi[2]);
  store_input_grad(t, i0 + 11u, hi[3]);
  store_input_grad(t, i0 + 12u, hi[4]);
  store_input_grad(t, i0 + 13u, hi[5]);
  store_input_grad(t, i0 + 14u, hi[6]);
  store_input_grad(t, i0 + 15u, hi[7]);
}
