// Elementwise kernels: fill, copy, scale, addMul, lerp and the global-norm clip scale.
// 256 threads per workgroup; the dispatch may be two-dimensional for more than 65535 workgroups,
// so the flat index is rebuilt from num_workgroups. Inputs are read-only storage, outputs
// read_write; variables of different access modes share a binding number across entry points.
// (An output aliasing an input is handled by the host, which stages the output in scratch.)

struct Params {
  n: u32,      // elements
  scalar: f32, // fill value / scale alpha / lerp t / clip maxNorm
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> in1: array<f32>;
@group(0) @binding(2) var<storage, read> in2: array<f32>;
@group(0) @binding(3) var<storage, read> in3: array<f32>;
@group(0) @binding(1) var<storage, read_write> out1: array<f32>;
@group(0) @binding(2) var<storage, read_write> out2: array<f32>;
@group(0) @binding(4) var<storage, read_write> out4: array<f32>;

fn flat(wid: vec3u, nwg: vec3u, lid: vec3u) -> u32 {
  return (wid.y * nwg.x + wid.x) * 256u + lid.x;
}

// out1 <- scalar
@compute @workgroup_size(256)
fn fill(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flat(wid, nwg, lid);
  if (i < p.n) { out1[i] = p.scalar; }
}

// out2 <- in1
@compute @workgroup_size(256)
fn copy(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flat(wid, nwg, lid);
  if (i < p.n) { out2[i] = in1[i]; }
}

// out2 <- scalar * in1
@compute @workgroup_size(256)
fn scale(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flat(wid, nwg, lid);
  if (i < p.n) { out2[i] = p.scalar * in1[i]; }
}

// out4 <- in1 + in2 * in3
@compute @workgroup_size(256)
fn add_mul(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flat(wid, nwg, lid);
  if (i < p.n) {
    out4[i] = in1[i] + in2[i] * in3[i];
  }
}

// out1 (dst) <- dst + scalar * (in2 (src) - dst)
@compute @workgroup_size(256)
fn lerp(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flat(wid, nwg, lid);
  if (i < p.n) {
    let d = out1[i];
    out1[i] = d + p.scalar * (in2[i] - d);
  }
}

// out1 (x) <- x * min(1, scalar / (sqrt(in2[0]) + 1e-6)), in2[0] holding the summed squares.
@compute @workgroup_size(256)
fn clip_scale(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flat(wid, nwg, lid);
  if (i < p.n) {
    let factor = min(1.0, p.scalar / (sqrt(in2[0]) + 1e-6));
    out1[i] = out1[i] * factor;
  }
}
