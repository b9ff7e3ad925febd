// Row-indexed gathers and scatters of chosen-action values. Indices are exact small integers held
// in f32. An index outside [0, cols) cannot raise an error on the device: gather yields 0 and
// scatter writes nothing for that row (the CPU backend throws; validate indices on the host).

struct Params {
  rows: u32,
  cols: u32,
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;     // gather: x (B, n); scatter: values (B, 1)
@group(0) @binding(2) var<storage, read> indices: array<f32>; // (B, 1)
@group(0) @binding(3) var<storage, read_write> out: array<f32>;     // gather: (B, 1); scatter: (B, n)

fn column(r: u32) -> i32 {
  return i32(round(indices[r]));
}

// out[r] <- x[r, indices[r]]: one thread per row.
@compute @workgroup_size(64)
fn gather_columns(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  if (r >= p.rows) { return; }
  let c = column(r);
  var v = 0.0;
  if (c >= 0 && c < i32(p.cols)) { v = src[r * p.cols + u32(c)]; }
  out[r] = v;
}

// out[r, c] <- values[r] if c == indices[r] else 0: one thread per element.
@compute @workgroup_size(256)
fn scatter_columns(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid.x;
  if (i >= p.rows * p.cols) { return; }
  let r = i / p.cols;
  let c = i % p.cols;
  out[i] = select(0.0, src[r], i32(c) == column(r));
}
