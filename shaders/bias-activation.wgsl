// Fused forward of a dense layer's tail: out <- act(x + bias), bias (1, cols) broadcast over rows
// (or act(x) without bias). When out is x the host stages out in scratch (no writable aliasing).
// Activation codes: 0 identity, 1 relu, 2 leaky_relu, 3 tanh, 4 sigmoid, 5 softmax (row kernel).

struct Params {
  rows: u32,
  cols: u32,
  activation: u32,
  has_bias: u32,
  alpha: f32, // LeakyReLU negative slope
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn pre(i: u32, c: u32) -> f32 {
  if (p.has_bias != 0u) { return x[i] + bias[c]; }
  return x[i];
}

//#include activations

// One thread per element, for every activation but softmax.
@compute @workgroup_size(256)
fn bias_activation(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid.x;
  if (i >= p.rows * p.cols) { return; }
  out[i] = activate(pre(i, i % p.cols), p.activation, p.alpha);
}

// One thread per row: softmax with the row maximum subtracted before exp.
@compute @workgroup_size(64)
fn bias_softmax(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  if (r >= p.rows) { return; }
  let base = r * p.cols;
  var mx = pre(base, 0u);
  for (var c = 1u; c < p.cols; c++) { mx = max(mx, pre(base + c, c)); }
  var sum = 0.0;
  for (var c = 0u; c < p.cols; c++) { sum = sum + exp(pre(base + c, c) - mx); }
  // Element c is read just before it is written, so out may alias x.
  for (var c = 0u; c < p.cols; c++) {
    out[base + c] = exp(pre(base + c, c) - mx) / sum;
  }
}
