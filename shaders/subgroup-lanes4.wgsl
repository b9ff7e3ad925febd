// linear-subgroup.wgsl's lane primitives for subgroups of 4 lanes (SwiftShader, Chromium's software
// adapter): the line `//#include subgroup-lanes` of that file is replaced by this file on such a
// device (by subgroup-lanes8.wgsl where subgroups are 8 lanes). A band is 8 rows of an operand at
// 4 steps of k spread over the subgroup: here lane r holds rows r and r + 4, two vec4s.

const LANES: u32 = 4u;

// Lane r's part of a band: row r (lo) and row r + 4 (hi) at 4 steps of k.
struct Band {
  lo: vec4f,
  hi: vec4f,
}
// Where lane r reads its two parts of a band (indices into a vec4 or f32 array).
alias BandAt = vec2u;
// Per-lane sums over a band's 4 steps, one per part (linear_grad_narrow's bias gradient).
alias BandSum = vec2f;

// Rows first + lane and first + 4 + lane of a band (clamped to last).
fn band_rows(first: u32, last: u32, lane: u32) -> BandAt { return min(vec2u(first + lane, first + 4u + lane), vec2u(last)); }

// The band read as vec4s of a at `at`.
fn band_vec4(at: BandAt) -> Band { return Band(a[at.x], a[at.y]); }

// The band read as scalars of a, 4 steps of k from k0 (zero past k).
fn band_steps(at: BandAt, k0: u32, last: u32) -> Band { return Band(a_steps(at.x, k0, last), a_steps(at.y, k0, last)); }

// The band of a narrow operand: lane r reads its columns col (rows of the band are columns).
fn band_column(k0: u32, col: BandAt, cols: u32) -> Band { return Band(narrow_column(k0, col.x, cols), narrow_column(k0, col.y, cols)); }

fn band_sum(g: Band) -> BandSum { return vec2f((g.lo.x + g.lo.y) + (g.lo.z + g.lo.w), (g.hi.x + g.hi.y) + (g.hi.z + g.hi.w)); }

// Stores the bias gradient of the columns this lane summed.
fn store_band_sums(lane: u32, s: BandSum) {
  store_colsum(lane, s.x);
  store_colsum(lane + 4u, s.y);
}

// 8 rows whose 4 values of k lane r holds (rows r and r + 4 = lane r's lo and hi).
fn rows_by_lane(acc: ptr<function, array<vec4f, 8>>, t: Band, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) {
  (*acc)[0] = madd((*acc)[0], subgroupBroadcast(t.lo, 0u), b0, b1, b2, b3);
  (*acc)[1] = madd((*acc)[1], subgroupBroadcast(t.lo, 1u), b0, b1, b2, b3);
  (*acc)[2] = madd((*acc)[2], subgroupBroadcast(t.lo, 2u), b0, b1, b2, b3);
  (*acc)[3] = madd((*acc)[3], subgroupBroadcast(t.lo, 3u), b0, b1, b2, b3);
  (*acc)[4] = madd((*acc)[4], subgroupBroadcast(t.hi, 0u), b0, b1, b2, b3);
  (*acc)[5] = madd((*acc)[5], subgroupBroadcast(t.hi, 1u), b0, b1, b2, b3);
  (*acc)[6] = madd((*acc)[6], subgroupBroadcast(t.hi, 2u), b0, b1, b2, b3);
  (*acc)[7] = madd((*acc)[7], subgroupBroadcast(t.hi, 3u), b0, b1, b2, b3);
}

// A transposed block (linear_grad_subgroup): lane s holds rows 0 .. 3 (lo) and 4 .. 7 (hi) at step s of k.
fn band_step(lane: u32) -> u32 { return lane; }
fn band_quads(first: u32, last: u32, lane: u32) -> BandAt { return min(vec2u(first, first + 1u), vec2u(last)); }

fn rows_by_step(acc: ptr<function, array<vec4f, 8>>, t: Band, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) {
  let l0 = subgroupBroadcast(t.lo, 0u);
  let l1 = subgroupBroadcast(t.lo, 1u);
  let l2 = subgroupBroadcast(t.lo, 2u);
  let l3 = subgroupBroadcast(t.lo, 3u);
  let h0 = subgroupBroadcast(t.hi, 0u);
  let h1 = subgroupBroadcast(t.hi, 1u);
  let h2 = subgroupBroadcast(t.hi, 2u);
  let h3 = subgroupBroadcast(t.hi, 3u);
  (*acc)[0] = madd((*acc)[0], vec4f(l0.x, l1.x, l2.x, l3.x), b0, b1, b2, b3);
  (*acc)[1] = madd((*acc)[1], vec4f(l0.y, l1.y, l2.y, l3.y), b0, b1, b2, b3);
  (*acc)[2] = madd((*acc)[2], vec4f(l0.z, l1.z, l2.z, l3.z), b0, b1, b2, b3);
  (*acc)[3] = madd((*acc)[3], vec4f(l0.w, l1.w, l2.w, l3.w), b0, b1, b2, b3);
  (*acc)[4] = madd((*acc)[4], vec4f(h0.x, h1.x, h2.x, h3.x), b0, b1, b2, b3);
  (*acc)[5] = madd((*acc)[5], vec4f(h0.y, h1.y, h2.y, h3.y), b0, b1, b2, b3);
  (*acc)[6] = madd((*acc)[6], vec4f(h0.z, h1.z, h2.z, h3.z), b0, b1, b2, b3);
  (*acc)[7] = madd((*acc)[7], vec4f(h0.w, h1.w, h2.w, h3.w), b0, b1, b2, b3);
}
