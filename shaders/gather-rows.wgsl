// gatherRows (src/backend/backend.ts): out (B, D) <- rows indices[0..B) of x (R, D), one thread per
// element of out. Indices are exact integers held in f32; one outside [0, R) cannot raise an error on
// the device, so its row reads 0 (the CPU backend throws; validate indices on the host).

struct Params {
  rows: u32,
  cols: u32,
  src_rows: u32,
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;          // (R, D)
@group(0) @binding(2) var<storage, read> indices: array<f32>;    // B
@group(0) @binding(3) var<storage, read_write> out: array<f32>;  // (B, D)

@compute @workgroup_size(256)
fn gather_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid.x;
  if (i >= p.rows * p.cols) { return; }
  let r = i / p.cols;
  let c = i % p.cols;
  let s = i32(round(indices[r]));
  var v = 0.0;
  if (s >= 0 && s < i32(p.src_rows)) { v = x[u32(s) * p.cols + c]; }
  out[i] = v;
}
