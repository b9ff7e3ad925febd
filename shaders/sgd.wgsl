// One SGD step as torch.optim.SGD, one thread per element: g = grad + wd p; with momentum,
// buf = g on step 1, else momentum buf + (1 - dampening) g; direction g + momentum buf (Nesterov)
// or buf; p -= lr direction.

struct Params {
  n: u32,
  lr: f32,
  momentum: f32,
  dampening: f32,
  weight_decay: f32,
  nesterov: u32,
  first: u32, // 1 on step 1
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> velocity: array<f32>;

@compute @workgroup_size(256)
fn sgd(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid.x;
  if (i >= p.n) { return; }
  let w = param[i];
  var g = grad[i] + p.weight_decay * w;
  if (p.momentum != 0.0) {
    var buf = g;
    if (p.first == 0u) { buf = p.momentum * velocity[i] + (1.0 - p.dampening) * g; }
    velocity[i] = buf;
    if (p.nesterov != 0u) { g = g + p.momentum * buf; } else { g = buf; }
  }
  param[i] = w - p.lr * g;
}
