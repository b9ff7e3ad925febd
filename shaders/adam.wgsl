// One Adam step (torch.optim.Adam, or AdamW with decoupled weight decay), one thread per element:
// g = grad + l2 * p; p *= decay; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= step_size * m / (sqrt(v) / sqrt_correction2 + eps), with step_size = lr / (1 - b1^t) and
// sqrt_correction2 = sqrt(1 - b2^t) computed on the host in float64.
// Fused around it, each as the op it replaces: global-norm clipping of the gradient first
// (grad *= min(1, max_norm / (sqrt(sum_squares[0]) + 1e-6)), written back), and a Polyak update
// of a target copy after (target += tau (p - target)).

struct Params {
  n: u32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  step_size: f32,
  sqrt_correction2: f32,
  l2: f32,       // weight decay added to the gradient (0 when decoupled)
  decay: f32,    // 1 - lr * weight decay when decoupled, else 1
  flags: u32,    // bit 0: clip the gradient first, bit 1: Polyak target update after
  max_norm: f32,
  tau: f32,
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> sum_squares: array<f32>;
@group(0) @binding(6) var<storage, read_write> target_copy: array<f32>;

@compute @workgroup_size(256)
fn adam(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid.x;
  if (i >= p.n) { return; }
  var raw = grad[i];
  if ((p.flags & 1u) != 0u) {
    raw = raw * min(1.0, p.max_norm / (sqrt(sum_squares[0]) + 1e-6));
    grad[i] = raw;
  }
  let w = param[i];
  let g = raw + p.l2 * w;
  let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  let updated = w * p.decay - (p.step_size * mi) / (sqrt(vi) / p.sqrt_correction2 + p.eps);
  param[i] = updated;
  if ((p.flags & 2u) != 0u) {
    let t = target_copy[i];
    target_copy[i] = t + p.tau * (updated - t);
  }
}
