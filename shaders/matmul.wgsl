// out (m, n) <- op(a) (m, k) @ op(b) (k, n), op = optional transpose, optionally accumulating into out.
// a is stored (m, k), or (k, m) when transposed; b is stored (k, n), or (n, k) when transposed.
// The tiled and blocked paths sum each output over increasing k in one thread.

struct Params {
  m: u32,
  n: u32,
  k: u32,
  flags: u32, // bit 0: transA, bit 1: transB, bit 2: accumulate
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn trans_a() -> bool { return (p.flags & 1u) != 0u; }
fn trans_b() -> bool { return (p.flags & 2u) != 0u; }
fn accumulate() -> bool { return (p.flags & 4u) != 0u; }

// op(a)[i, kk], zero outside the matrix.
fn load_a(i: u32, kk: u32) -> f32 {
  if (i >= p.m || kk >= p.k) { return 0.0; }
  if (trans_a()) { return a[kk * p.m + i]; }
  return a[i * p.k + kk];
}

// op(b)[kk, j], zero outside the matrix.
fn load_b(kk: u32, j: u32) -> f32 {
  if (kk >= p.k || j >= p.n) { return 0.0; }
  if (trans_b()) { return b[j * p.k + kk]; }
  return b[kk * p.n + j];
}

// ---------------------------------------------------------------- tiled path (GPUs)
// A workgroup of 16 x 16 threads computes a 64 x 64 output tile, each thread a 4 x 4 block (rows
// 4 ty.., columns 4 tx..) held in four vec4 accumulators. K advances in slices of 16: each thread
// stages one vec4 of op(a) and one of op(b) into workgroup memory (2 x 4 KiB, inside SwiftShader's
// 32 KiB and 256 invocations), then every thread reads 16 vec4 pairs per slice.
const TILE: u32 = 64u;
const KSLICE: u32 = 16u;
var<workgroup> tile_a: array<vec4f, 256>; // [KSLICE][16]: rows 4g..4g+3 of op(a) at slice kk
var<workgroup> tile_b: array<vec4f, 256>; // [KSLICE][16]: columns 4g..4g+3 of op(b) at slice kk

fn store_block(i0: u32, j0: u32, c0: vec4f, c1: vec4f, c2: vec4f, c3: vec4f) {
  let acc = accumulate();
  for (var c = 0u; c < 4u; c++) {
    let j = j0 + c;
    if (j >= p.n) { break; }
    var v = array<f32, 4>(c0[c], c1[c], c2[c], c3[c]);
    for (var r = 0u; r < 4u; r++) {
      let i = i0 + r;
      if (i >= p.m) { break; }
      let o = i * p.n + j;
      if (acc) { out[o] = out[o] + v[r]; } else { out[o] = v[r]; }
    }
  }
}

@compute @workgroup_size(16, 16)
fn matmul_tiled(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wid.y * TILE;
  let col0 = wid.x * TILE;
  let tid = lid.y * 16u + lid.x;
  var c0 = vec4f(0.0);
  var c1 = vec4f(0.0);
  var c2 = vec4f(0.0);
  var c3 = vec4f(0.0);
  // Thread tid stages vec4 number tid of each tile: slice kk_s, row/column group g_s.
  let kk_s = tid / 16u;
  let g_s = tid % 16u;
  for (var k0 = 0u; k0 < p.k; k0 += KSLICE) {
    let kk = k0 + kk_s;
    let ra = row0 + 4u * g_s;
    tile_a[tid] = vec4f(load_a(ra, kk), load_a(ra + 1u, kk), load_a(ra + 2u, kk), load_a(ra + 3u, kk));
    let cb = col0 + 4u * g_s;
    tile_b[tid] = vec4f(load_b(kk, cb), load_b(kk, cb + 1u), load_b(kk, cb + 2u), load_b(kk, cb + 3u));
    workgroupBarrier();
    for (var s = 0u; s < KSLICE; s++) {
      let av = tile_a[s * 16u + lid.y];
      let bv = tile_b[s * 16u + lid.x];
      c0 = c0 + av.x * bv;
      c1 = c1 + av.y * bv;
      c2 = c2 + av.z * bv;
      c3 = c3 + av.w * bv;
    }
    workgroupBarrier();
  }
  store_block(row0 + 4u * lid.y, col0 + 4u * lid.x, c0, c1, c2, c3);
}

// ---------------------------------------------------------------- register-blocked path (CPU-emulated adapters)
// Software rasterisers (lavapipe, SwiftShader) run workgroup barriers as costly thread switches,
// so there each thread computes its 4 x 4 block straight from storage, without workgroup memory
// or barriers. Strides replace the transpose branches; indices of rows/columns past the edge are
// clamped so the inner loop needs no bounds checks (those results are never stored).
@compute @workgroup_size(16, 16)
fn matmul_blocked(@builtin(global_invocation_id) gid: vec3u) {
  let i0 = gid.y * 4u;
  let j0 = gid.x * 4u;
  if (i0 >= p.m || j0 >= p.n) { return; }
  // op(a)[i, kk] = a[i * a_row + kk * a_k]; op(b)[kk, j] = b[kk * b_k + j * b_col].
  var a_row = p.k;
  var a_k = 1u;
  if (trans_a()) { a_row = 1u; a_k = p.m; }
  var b_k = p.n;
  var b_col = 1u;
  if (trans_b()) { b_k = 1u; b_col = p.k; }
  let ar0 = min(i0, p.m - 1u) * a_row;
  let ar1 = min(i0 + 1u, p.m - 1u) * a_row;
  let ar2 = min(i0 + 2u, p.m - 1u) * a_row;
  let ar3 = min(i0 + 3u, p.m - 1u) * a_row;
  let bc0 = min(j0, p.n - 1u) * b_col;
  let bc1 = min(j0 + 1u, p.n - 1u) * b_col;
  let bc2 = min(j0 + 2u, p.n - 1u) * b_col;
  let bc3 = min(j0 + 3u, p.n - 1u) * b_col;
  var c0 = vec4f(0.0);
  var c1 = vec4f(0.0);
  var c2 = vec4f(0.0);
  var c3 = vec4f(0.0);
  for (var kk = 0u; kk < p.k; kk++) {
    let ak = kk * a_k;
    let bk = kk * b_k;
    let bv = vec4f(b[bk + bc0], b[bk + bc1], b[bk + bc2], b[bk + bc3]);
    c0 = c0 + a[ar0 + ak] * bv;
    c1 = c1 + a[ar1 + ak] * bv;
    c2 = c2 + a[ar2 + ak] * bv;
    c3 = c3 + a[ar3 + ak] * bv;
  }
  store_block(i0, j0, c0, c1, c2, c3);
}

// ---------------------------------------------------------------- small-output path (GPUs)
// For a tiny m * n with a long k (e.g. a (4, 2) weight gradient over a large batch) one workgroup
// of 64 threads computes one output: each thread sums a strided part of k, then a tree reduction.
var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn matmul_small(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let o = wid.y * nwg.x + wid.x;
  let i = o / max(p.n, 1u);
  let j = o % max(p.n, 1u);
  var s = 0.0;
  if (i < p.m) {
    for (var kk = lid.x; kk < p.k; kk += 64u) {
      s = s + load_a(i, kk) * load_b(kk, j);
    }
  }
  partial[lid.x] = s;
  workgroupBarrier();
  for (var stride = 32u; stride > 0u; stride = stride / 2u) {
    if (lid.x < stride) { partial[lid.x] = partial[lid.x] + partial[lid.x + stride]; }
    workgroupBarrier();
  }
  if (lid.x == 0u && i < p.m) {
    var v = partial[0];
    if (accumulate()) { v = out[i * p.n + j] + v; }
    out[i * p.n + j] = v;
  }
}
