// Dueling head: q <- value + advantage - rowmean(advantage), and its backward. One thread per row.
// (q may be advantage and gradAdvantage gradQ: the host then stages the output in scratch.)

struct Params {
  rows: u32,
  cols: u32,
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> in1: array<f32>;        // combine: value (B, 1);     backward: gradQ (B, n)
@group(0) @binding(2) var<storage, read> in2: array<f32>;        // combine: advantage (B, n)
@group(0) @binding(2) var<storage, read_write> out2: array<f32>; //                            backward: gradValue (B, 1)
@group(0) @binding(3) var<storage, read_write> out3: array<f32>; // combine: q (B, n);         backward: gradAdvantage (B, n)

@compute @workgroup_size(64)
fn dueling_combine(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  if (r >= p.rows) { return; }
  let base = r * p.cols;
  var sum = 0.0;
  for (var c = 0u; c < p.cols; c++) { sum = sum + in2[base + c]; }
  let shift = in1[r] - sum / f32(p.cols);
  for (var c = 0u; c < p.cols; c++) { out3[base + c] = in2[base + c] + shift; }
}

@compute @workgroup_size(64)
fn dueling_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  if (r >= p.rows) { return; }
  let base = r * p.cols;
  var sum = 0.0;
  for (var c = 0u; c < p.cols; c++) { sum = sum + in1[base + c]; }
  let mean = sum / f32(p.cols);
  out2[r] = sum;
  for (var c = 0u; c < p.cols; c++) { out3[base + c] = in1[base + c] - mean; }
}
