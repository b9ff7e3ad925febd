// The TD loss of a DQN minibatch in one workgroup, one thread per transition (strided):
//   V(s')   = max_a next_q[i, a], or with Double DQN next_q[i, argmax_a q[B + i, a]] (first maximum)
//   target  = reward + gamma (1 - terminated) V(s'), or reward + discount V(s') with per-row discounts
//             (n-step returns: flag bit 3, the discounts bound where the terminated flags are)
//   d       = q[i, action] - target
//   loss    = mean_i of 0.5 d^2 within delta and delta (|d| - 0.5 delta) beyond (Huber), or d^2 (MSE)
//   grad_q  = d loss / d q: zero except at each row's action
// The loss is reduced over the batch in workgroup memory (a tree over 256 threads, or 8 sums on
// CPU-emulated adapters).

struct Params {
  batch: u32,
  actions: u32,
  flags: u32, // bit 0: Double DQN (q holds 2B rows), bit 1: Huber (else MSE), bit 2: targets bound, bit 3: binding 5 holds discounts
  gamma: f32,
  delta: f32,
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> next_q: array<f32>;
@group(0) @binding(3) var<storage, read> actions: array<f32>;
@group(0) @binding(4) var<storage, read> rewards: array<f32>;
@group(0) @binding(5) var<storage, read> terminated: array<f32>; // or the per-row discounts (flag bit 3)
@group(0) @binding(6) var<storage, read_write> loss_out: array<f32>;
@group(0) @binding(7) var<storage, read_write> grad_q: array<f32>;
@group(0) @binding(8) var<storage, read_write> targets: array<f32>;

var<workgroup> partial: array<f32, 256>;

fn next_value(i: u32) -> f32 {
  let n = p.actions;
  let row = i * n;
  if ((p.flags & 1u) != 0u) {
    let online = (p.batch + i) * n;
    var best = q[online];
    var index = 0u;
    for (var c = 1u; c < n; c++) {
      let v = q[online + c];
      if (v > best) { best = v; index = c; }
    }
    return next_q[row + index];
  }
  var mx = next_q[row];
  for (var c = 1u; c < n; c++) { mx = max(mx, next_q[row + c]); }
  return mx;
}

// The losses of rows first, first + stride, ... (targets and gradients written), summed in order.
fn td_rows(first: u32, stride: u32) -> f32 {
  let n = p.actions;
  let count = f32(p.batch);
  var sum = 0.0;
  for (var i = first; i < p.batch; i += stride) {
    var discount = p.gamma * (1.0 - terminated[i]);
    if ((p.flags & 8u) != 0u) { discount = terminated[i]; }
    let td_target = rewards[i] + discount * next_value(i);
    if ((p.flags & 4u) != 0u) { targets[i] = td_target; }
    let a = min(u32(actions[i]), n - 1u);
    let d = q[i * n + a] - td_target;
    var g = 2.0 * d;
    var l = d * d;
    if ((p.flags & 2u) != 0u) {
      let ad = abs(d);
      if (ad <= p.delta) {
        l = 0.5 * d * d;
        g = d;
      } else {
        l = p.delta * (ad - 0.5 * p.delta);
        g = select(-p.delta, p.delta, d > 0.0);
      }
    }
    g = g / count;
    for (var c = 0u; c < n; c++) { grad_q[i * n + c] = select(0.0, g, c == a); }
    sum = sum + l;
  }
  return sum;
}

@compute @workgroup_size(256)
fn td_loss(@builtin(local_invocation_id) lid: vec3u) {
  partial[lid.x] = td_rows(lid.x, 256u);
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride = stride / 2u) {
    if (lid.x < stride) { partial[lid.x] = partial[lid.x] + partial[lid.x + stride]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { loss_out[0] = partial[0] / f32(p.batch); }
}

// As td_loss, for CPU-emulated adapters (where every barrier of the tree costs a switch between
// the workgroup's SIMD chunks): 8 threads, one barrier, thread 0 adding the 8 sums in order.
@compute @workgroup_size(8)
fn td_loss_lanes(@builtin(local_invocation_index) lid: u32) {
  partial[lid] = td_rows(lid, 8u);
  workgroupBarrier();
  if (lid == 0u) {
    var sum = 0.0;
    for (var l = 0u; l < 8u; l++) { sum = sum + partial[l]; }
    loss_out[0] = sum / f32(p.batch);
  }
}
