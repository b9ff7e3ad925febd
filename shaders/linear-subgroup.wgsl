// The Dense layer's three fused matmuls (as linear.wgsl) for CPU-emulated adapters whose subgroups
// are 8 lanes: Mesa's llvmpipe (lavapipe) runs a workgroup as 8-wide SIMD vectors, one per
// subgroup, and performs every storage access lane by lane (a mask test, a bounds check and a
// scalar load per lane and component), so memory accesses are what a kernel costs there and
// arithmetic is nearly free. These kernels minimise accesses per multiply-add:
//
// - a workgroup is one subgroup of 8 lanes (no barriers, no workgroup memory) and computes an
//   output tile of 16 rows x 32 columns; each lane owns 4 adjacent columns (a vec4 accumulator
//   per row);
// - every access is a vec4 (4 floats for the cost of about 2 scalar accesses);
// - for 4 consecutive k, each lane loads one vec4 of op(a) per 8 rows, the 8 lanes together
//   holding the 8 x 4 block of op(a), which subgroupBroadcast hands to every lane (a register
//   shuffle), and 4 vec4s of op(b) for its own columns: 6 loads for 256 multiply-adds.
//
// Requirements (checked by the host, which otherwise takes linear.wgsl's register-blocked path):
// every row that is read as vec4s has a length divisible by 4 (so every vec4 is aligned), i.e.
//   linear:      k and n;  input grad: k and n (n = the output width, b's row count);
//   linear grad: m (x's width), k (the batch) and n.
// Sums run over k in steps of 4, each step adding a.x b0 + a.y b1 + a.z b2 + a.w b3 to the
// accumulator, in float32; outputs past the matrix edge are computed from clamped reads and never
// stored. Bindings and parameters are linear.wgsl's, as vec4 arrays.

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

//#include activations

const TILE_ROWS: u32 = 16u;
const TILE_QUADS: u32 = 8u; // vec4 columns per tile: one per lane

fn accumulate() -> bool { return (p.flags & 4u) != 0u; }
fn has_extra() -> bool { return (p.flags & 8u) != 0u; }

// acc + a.x b0 + a.y b1 + a.z b2 + a.w b3: one row's 4 steps of k.
fn madd(acc: vec4f, a: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) -> vec4f {
  return acc + (a.x * b0 + a.y * b1 + a.z * b2 + a.w * b3);
}

// 8 rows whose 4 values of k lane r holds (row r = lane r's vec4).
fn rows_by_lane(acc: ptr<function, array<vec4f, 8>>, t: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) {
  (*acc)[0] = madd((*acc)[0], subgroupBroadcast(t, 0u), b0, b1, b2, b3);
  (*acc)[1] = madd((*acc)[1], subgroupBroadcast(t, 1u), b0, b1, b2, b3);
  (*acc)[2] = madd((*acc)[2], subgroupBroadcast(t, 2u), b0, b1, b2, b3);
  (*acc)[3] = madd((*acc)[3], subgroupBroadcast(t, 3u), b0, b1, b2, b3);
  (*acc)[4] = madd((*acc)[4], subgroupBroadcast(t, 4u), b0, b1, b2, b3);
  (*acc)[5] = madd((*acc)[5], subgroupBroadcast(t, 5u), b0, b1, b2, b3);
  (*acc)[6] = madd((*acc)[6], subgroupBroadcast(t, 6u), b0, b1, b2, b3);
  (*acc)[7] = madd((*acc)[7], subgroupBroadcast(t, 7u), b0, b1, b2, b3);
}

// 8 rows of a transposed block: lane 2s + h holds rows 4h .. 4h+3 at step s of k.
fn rows_by_step(acc: ptr<function, array<vec4f, 8>>, t: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) {
  let s0 = subgroupBroadcast(t, 0u);
  let s1 = subgroupBroadcast(t, 1u);
  let s2 = subgroupBroadcast(t, 2u);
  let s3 = subgroupBroadcast(t, 3u);
  let s4 = subgroupBroadcast(t, 4u);
  let s5 = subgroupBroadcast(t, 5u);
  let s6 = subgroupBroadcast(t, 6u);
  let s7 = subgroupBroadcast(t, 7u);
  (*acc)[0] = madd((*acc)[0], vec4f(s0.x, s2.x, s4.x, s6.x), b0, b1, b2, b3);
  (*acc)[1] = madd((*acc)[1], vec4f(s0.y, s2.y, s4.y, s6.y), b0, b1, b2, b3);
  (*acc)[2] = madd((*acc)[2], vec4f(s0.z, s2.z, s4.z, s6.z), b0, b1, b2, b3);
  (*acc)[3] = madd((*acc)[3], vec4f(s0.w, s2.w, s4.w, s6.w), b0, b1, b2, b3);
  (*acc)[4] = madd((*acc)[4], vec4f(s1.x, s3.x, s5.x, s7.x), b0, b1, b2, b3);
  (*acc)[5] = madd((*acc)[5], vec4f(s1.y, s3.y, s5.y, s7.y), b0, b1, b2, b3);
  (*acc)[6] = madd((*acc)[6], vec4f(s1.z, s3.z, s5.z, s7.z), b0, b1, b2, b3);
  (*acc)[7] = madd((*acc)[7], vec4f(s1.w, s3.w, s5.w, s7.w), b0, b1, b2, b3);
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

// ---------------------------------------------------------------- entry points (grid: ceil(n / 32) x ceil(m / 16))

// out4 (m, n) <- act(a (m, k) @ b (k, n) + c (n)).
@compute @workgroup_size(8)
fn linear_subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let t = tile_of(wid, lane);
  let i0 = wid.y * TILE_ROWS;
  if (i0 >= p.m) { return; }
  let kq = p.k / 4u;
  let row_lo = min(i0 + lane, p.m - 1u) * kq;
  let row_hi = min(i0 + 8u + lane, p.m - 1u) * kq;
  var lo: array<vec4f, 8>;
  var hi: array<vec4f, 8>;
  for (var q = 0u; q < kq; q++) {
    let bk = 4u * q * t.nq + t.jq_read;
    let b0 = b[bk];
    let b1 = b[bk + t.nq];
    let b2 = b[bk + 2u * t.nq];
    let b3 = b[bk + 3u * t.nq];
    rows_by_lane(&lo, a[row_lo + q], b0, b1, b2, b3);
    rows_by_lane(&hi, a[row_hi + q], b0, b1, b2, b3);
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
@compute @workgroup_size(8)
fn input_grad_subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let t = tile_of(wid, lane);
  let i0 = wid.y * TILE_ROWS;
  if (i0 >= p.m) { return; }
  let kq = p.k / 4u;
  let row_lo = min(i0 + lane, p.m - 1u) * kq;
  let row_hi = min(i0 + 8u + lane, p.m - 1u) * kq;
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
    rows_by_lane(&lo, a[row_lo + q], b0, b1, b2, b3);
    rows_by_lane(&hi, a[row_hi + q], b0, b1, b2, b3);
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
@compute @workgroup_size(8)
fn linear_grad_subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) lane: u32) {
  let t = tile_of(wid, lane);
  let i0 = wid.y * TILE_ROWS;
  if (i0 >= p.m) { return; }
  let kq = p.k / 4u;
  let mq = p.m / 4u;
  // Lane 2s + h reads a[4q + s, i0 + 4h .. +3] (and 8 rows further for the upper half).
  let lane_k = lane / 2u;
  let quad_lo = min(i0 / 4u + (lane & 1u), mq - 1u);
  let quad_hi = min(i0 / 4u + 2u + (lane & 1u), mq - 1u);
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
    rows_by_step(&lo, a[ak + quad_lo], b0, b1, b2, b3);
    rows_by_step(&hi, a[ak + quad_hi], b0, b1, b2, b3);
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
