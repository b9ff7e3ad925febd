// linear-subgroup.wgsl's lane primitives for subgroups of 8 lanes (Mesa's llvmpipe/lavapipe): the
// line `//#include subgroup-lanes` of that file is replaced by this file on such a device (by
// subgroup-lanes4.wgsl where subgroups are 4 lanes). A band is 8 rows of an operand at 4 steps of k
// spread over the subgroup: here lane r holds row r, one vec4.

const LANES: u32 = 8u;

// Lane r's vec4 of a band: row r at 4 steps of k.
alias Band = vec4f;
// Where lane r reads its part of a band (an index into a vec4 or f32 array).
alias BandAt = u32;
// A per-lane sum over a band's 4 steps (linear_grad_narrow's bias gradient).
alias BandSum = f32;

// Row first + lane of a band (clamped to last).
fn band_rows(first: u32, last: u32, lane: u32) -> BandAt { return min(first + lane, last); }

// The band read as vec4s of a at `at`.
fn band_vec4(at: BandAt) -> Band { return a[at]; }

// The band read as scalars of a, 4 steps of k from k0 (zero past k).
fn band_steps(at: BandAt, k0: u32, last: u32) -> Band { return a_steps(at, k0, last); }

// The band of a narrow operand: lane r reads its column col (rows of the band are columns).
fn band_column(k0: u32, col: BandAt, cols: u32) -> Band { return narrow_column(k0, col, cols); }

fn band_sum(g: Band) -> BandSum { return (g.x + g.y) + (g.z + g.w); }

// Stores the bias gradient of the columns this lane summed.
fn store_band_sums(lane: u32, s: BandSum) { store_colsum(lane, s); }

// 8 rows whose 4 values of k lane r holds (row r = lane r's vec4).
fn rows_by_lane(acc: ptr<function, array<vec4f, 8>>, t: Band, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) {
  (*acc)[0] = madd((*acc)[0], subgroupBroadcast(t, 0u), b0, b1, b2, b3);
  (*acc)[1] = madd((*acc)[1], subgroupBroadcast(t, 1u), b0, b1, b2, b3);
  (*acc)[2] = madd((*acc)[2], subgroupBroadcast(t, 2u), b0, b1, b2, b3);
  (*acc)[3] = madd((*acc)[3], subgroupBroadcast(t, 3u), b0, b1, b2, b3);
  (*acc)[4] = madd((*acc)[4], subgroupBroadcast(t, 4u), b0, b1, b2, b3);
  (*acc)[5] = madd((*acc)[5], subgroupBroadcast(t, 5u), b0, b1, b2, b3);
  (*acc)[6] = madd((*acc)[6], subgroupBroadcast(t, 6u), b0, b1, b2, b3);
  (*acc)[7] = madd((*acc)[7], subgroupBroadcast(t, 7u), b0, b1, b2, b3);
}

// A transposed block (linear_grad_subgroup): lane 2s + h holds rows 4h .. 4h+3 at step s of k.
fn band_step(lane: u32) -> u32 { return lane / 2u; }
fn band_quads(first: u32, last: u32, lane: u32) -> BandAt { return min(first + (lane & 1u), last); }

fn rows_by_step(acc: ptr<function, array<vec4f, 8>>, t: Band, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) {
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
