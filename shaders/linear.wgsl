// The Dense layer's forward and backward as fused matmuls (one dispatch each):
//   linear:      out4 <- act(a @ b + c),          a = x (B, k), b = W (k, n), c = bias (n)
//   input grad:  out4 <- (a @ b^T) * act'(c),    a = g (B, n), b = W (k, n), c = y (B, k)
//   linear grad: out3 <- a^T @ b, out4 <- 1^T b, a = x (B, k), b = g (B, n): dW and db
// Each output is summed over increasing k in one thread, in float32, as matmul.wgsl does, and the
// epilogue is applied to the sum. The linear-grad kernels treat op(a) as having one extra row of
// ones (row m), whose outputs are the column sums: the bias gradient, in the same pass.
// Two paths as in matmul.wgsl: register-blocked (CPU-emulated adapters) and workgroup tiles (GPUs).

struct Params {
  m: u32,          // rows of op(a) (and of the output)
  n: u32,          // columns of op(b)
  k: u32,          // the summed dimension
  flags: u32,      // bit 0: transA, bit 1: transB, bit 2: accumulate, bit 3: the extra operand (bias, y or db) is bound
  activation: u32, // activation code (activations.wgsl)
  alpha: f32,      // LeakyReLU negative slope
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> c: array<f32>;
@group(0) @binding(3) var<storage, read_write> out3: array<f32>;
@group(0) @binding(4) var<storage, read_write> out4: array<f32>;

//#include activations

fn trans_a() -> bool { return (p.flags & 1u) != 0u; }
fn trans_b() -> bool { return (p.flags & 2u) != 0u; }
fn accumulate() -> bool { return (p.flags & 4u) != 0u; }
fn has_extra() -> bool { return (p.flags & 8u) != 0u; }

// ---------------------------------------------------------------- register-blocked 4 x 4 blocks
// The 4 x 4 block of op(a) @ op(b) at rows i0.., columns j0.., straight from storage (no barriers).
// Rows at index `ones_row` read as ones; rows and columns past the edge are clamped (never stored).
fn blocked_block(i0: u32, j0: u32, ones_row: u32) -> array<vec4f, 4> {
  var a_row = p.k;
  var a_k = 1u;
  if (trans_a()) { a_row = 1u; a_k = p.m; }
  var b_k = p.n;
  var b_col = 1u;
  if (trans_b()) { b_k = 1u; b_col = p.k; }
  let last = p.m - 1u;
  let ar0 = min(i0, last) * a_row;
  let ar1 = min(i0 + 1u, last) * a_row;
  let ar2 = min(i0 + 2u, last) * a_row;
  let ar3 = min(i0 + 3u, last) * a_row;
  let one0 = i0 == ones_row;
  let one1 = i0 + 1u == ones_row;
  let one2 = i0 + 2u == ones_row;
  let one3 = i0 + 3u == ones_row;
  let bc0 = min(j0, p.n - 1u) * b_col;
  let bc1 = min(j0 + 1u, p.n - 1u) * b_col;
  let bc2 = min(j0 + 2u, p.n - 1u) * b_col;
  let bc3 = min(j0 + 3u, p.n - 1u) * b_col;
  var acc = array<vec4f, 4>(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  for (var kk = 0u; kk < p.k; kk++) {
    let ak = kk * a_k;
    let bk = kk * b_k;
    let bv = vec4f(b[bk + bc0], b[bk + bc1], b[bk + bc2], b[bk + bc3]);
    acc[0] = acc[0] + select(a[ar0 + ak], 1.0, one0) * bv;
    acc[1] = acc[1] + select(a[ar1 + ak], 1.0, one1) * bv;
    acc[2] = acc[2] + select(a[ar2 + ak], 1.0, one2) * bv;
    acc[3] = acc[3] + select(a[ar3 + ak], 1.0, one3) * bv;
  }
  return acc;
}

// ---------------------------------------------------------------- workgroup tiles (GPUs)
// As matmul.wgsl's tiled path: 16 x 16 threads per 64 x 64 output tile, 4 x 4 per thread, k in
// slices of 16 staged as vec4s in workgroup memory.
const TILE: u32 = 64u;
const KSLICE: u32 = 16u;
var<workgroup> tile_a: array<vec4f, 256>;
var<workgroup> tile_b: array<vec4f, 256>;

// op(a)[i, kk]: zero outside the matrix, one on row `ones_row`.
fn load_a(i: u32, kk: u32, ones_row: u32) -> f32 {
  if (kk >= p.k) { return 0.0; }
  if (i == ones_row) { return 1.0; }
  if (i >= p.m) { return 0.0; }
  if (trans_a()) { return a[kk * p.m + i]; }
  return a[i * p.k + kk];
}

// op(b)[kk, j], zero outside the matrix.
fn load_b(kk: u32, j: u32) -> f32 {
  if (kk >= p.k || j >= p.n) { return 0.0; }
  if (trans_b()) { return b[j * p.k + kk]; }
  return b[kk * p.n + j];
}

fn tiled_block(row0: u32, col0: u32, lid: vec3u, ones_row: u32) -> array<vec4f, 4> {
  let tid = lid.y * 16u + lid.x;
  var acc = array<vec4f, 4>(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  let kk_s = tid / 16u;
  let g_s = tid % 16u;
  for (var k0 = 0u; k0 < p.k; k0 += KSLICE) {
    let kk = k0 + kk_s;
    let ra = row0 + 4u * g_s;
    tile_a[tid] = vec4f(load_a(ra, kk, ones_row), load_a(ra + 1u, kk, ones_row), load_a(ra + 2u, kk, ones_row), load_a(ra + 3u, kk, ones_row));
    let cb = col0 + 4u * g_s;
    tile_b[tid] = vec4f(load_b(kk, cb), load_b(kk, cb + 1u), load_b(kk, cb + 2u), load_b(kk, cb + 3u));
    workgroupBarrier();
    for (var s = 0u; s < KSLICE; s++) {
      let av = tile_a[s * 16u + lid.y];
      let bv = tile_b[s * 16u + lid.x];
      acc[0] = acc[0] + av.x * bv;
      acc[1] = acc[1] + av.y * bv;
      acc[2] = acc[2] + av.z * bv;
      acc[3] = acc[3] + av.w * bv;
    }
    workgroupBarrier();
  }
  return acc;
}

// ---------------------------------------------------------------- epilogues

// out4[i, j] <- act(sum + bias[j])
fn store_linear(i0: u32, j0: u32, acc: array<vec4f, 4>) {
  for (var r = 0u; r < 4u; r++) {
    let i = i0 + r;
    if (i >= p.m) { break; }
    for (var cc = 0u; cc < 4u; cc++) {
      let j = j0 + cc;
      if (j >= p.n) { break; }
      var v = acc[r][cc];
      if (has_extra()) { v = v + c[j]; }
      out4[i * p.n + j] = activate(v, p.activation, p.alpha);
    }
  }
}

// out4[i, j] <- sum * act'(y[i, j])
fn store_input_grad(i0: u32, j0: u32, acc: array<vec4f, 4>) {
  for (var r = 0u; r < 4u; r++) {
    let i = i0 + r;
    if (i >= p.m) { break; }
    for (var cc = 0u; cc < 4u; cc++) {
      let j = j0 + cc;
      if (j >= p.n) { break; }
      let o = i * p.n + j;
      var v = acc[r][cc];
      if (has_extra()) { v = activation_backward_at(c[o], v, p.activation, p.alpha); }
      out4[o] = v;
    }
  }
}

// Rows below m go to dW (out3), row m to db (out4), each overwritten or accumulated.
fn store_linear_grad(i0: u32, j0: u32, acc: array<vec4f, 4>) {
  for (var r = 0u; r < 4u; r++) {
    let i = i0 + r;
    if (i > p.m || (i == p.m && !has_extra())) { break; }
    for (var cc = 0u; cc < 4u; cc++) {
      let j = j0 + cc;
      if (j >= p.n) { break; }
      let v = acc[r][cc];
      if (i < p.m) {
        let o = i * p.n + j;
        if (accumulate()) { out3[o] = out3[o] + v; } else { out3[o] = v; }
      } else {
        if (accumulate()) { out4[j] = out4[j] + v; } else { out4[j] = v; }
      }
    }
  }
}

// The row of ones: m when db is bound, else none.
fn ones_row() -> u32 {
  if (has_extra()) { return p.m; }
  return 0xffffffffu;
}

// ---------------------------------------------------------------- entry points

@compute @workgroup_size(16, 16)
fn linear_blocked(@builtin(global_invocation_id) gid: vec3u) {
  let i0 = gid.y * 4u;
  let j0 = gid.x * 4u;
  if (i0 >= p.m || j0 >= p.n) { return; }
  store_linear(i0, j0, blocked_block(i0, j0, 0xffffffffu));
}

@compute @workgroup_size(16, 16)
fn linear_tiled(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let acc = tiled_block(wid.y * TILE, wid.x * TILE, lid, 0xffffffffu);
  store_linear(wid.y * TILE + 4u * lid.y, wid.x * TILE + 4u * lid.x, acc);
}

@compute @workgroup_size(16, 16)
fn input_grad_blocked(@builtin(global_invocation_id) gid: vec3u) {
  let i0 = gid.y * 4u;
  let j0 = gid.x * 4u;
  if (i0 >= p.m || j0 >= p.n) { return; }
  store_input_grad(i0, j0, blocked_block(i0, j0, 0xffffffffu));
}

@compute @workgroup_size(16, 16)
fn input_grad_tiled(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let acc = tiled_block(wid.y * TILE, wid.x * TILE, lid, 0xffffffffu);
  store_input_grad(wid.y * TILE + 4u * lid.y, wid.x * TILE + 4u * lid.x, acc);
}

@compute @workgroup_size(16, 16)
fn linear_grad_blocked(@builtin(global_invocation_id) gid: vec3u) {
  let i0 = gid.y * 4u;
  let j0 = gid.x * 4u;
  if (i0 > p.m || j0 >= p.n) { return; }
  store_linear_grad(i0, j0, blocked_block(i0, j0, ones_row()));
}

@compute @workgroup_size(16, 16)
fn linear_grad_tiled(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let acc = tiled_block(wid.y * TILE, wid.x * TILE, lid, ones_row());
  store_linear_grad(wid.y * TILE + 4u * lid.y, wid.x * TILE + 4u * lid.x, acc);
}
