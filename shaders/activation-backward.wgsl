// gradIn <- d act / d x applied to gradOut, from the activation output y. gradIn may be gradOut
// (the host then stages gradIn in scratch).
// Activation codes as in bias-activation.wgsl.

struct Params {
  rows: u32,
  cols: u32,
  activation: u32,
  alpha: f32, // LeakyReLU negative slope
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> grad_out: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad_in: array<f32>;

//#include activations

// One thread per element, for every activation but softmax.
@compute @workgroup_size(256)
fn activation_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid.x;
  if (i >= p.rows * p.cols) { return; }
  grad_in[i] = activation_backward_at(y[i], grad_out[i], p.activation, p.alpha);
}

// One thread per row: softmax backward y * (g - rowsum(g * y)).
@compute @workgroup_size(64)
fn softmax_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  if (r >= p.rows) { return; }
  let base = r * p.cols;
  var dot = 0.0;
  for (var c = 0u; c < p.cols; c++) { dot = dot + grad_out[base + c] * y[base + c]; }
  for (var c = 0u; c < p.cols; c++) { grad_in[base + c] = y[base + c] * (grad_out[base + c] - dot); }
}
