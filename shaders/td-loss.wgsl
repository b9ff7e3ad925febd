// The TD loss of a DQN minibatch in one workgroup, one thread per transition (strided):
//   V(s')   = max_a next_q[i, a], or with Double DQN next_q[i, argmax_a q[B + i, a]] (first maximum)
//   target  = reward + gamma (1 - terminated) V(s'), or reward + discount V(s') with per-row discounts
//             (n-step returns: flag bit 3, the discounts bound where the terminated flags are)
//   d       = q[i, action] - target
//   loss    = mean_i of 0.5 d^2 within delta and delta (|d| - 0.5 delta) beyond (Huber), or d^2 (MSE)
//   grad_q  = d loss / d q: zero except at each row's action
// With Munchausen targets (flag bit 4; next_q then holds the target network's Q(s) in rows 0..B-1
// and Q(s') in rows B..2B-1), with log pi = log softmax(Q_target / m_tau):
//   target  = reward + m_alpha clamp(m_tau log pi(a | s), m_floor, 0)
//             + discount sum_a' pi(a' | s') (Q_target(s', a') - m_tau log pi(a' | s'))
// The loss is reduced over the batch in workgroup memory (a tree over 256 threads, or 8 sums on
// CPU-emulated adapters).
//
// quantile_td_loss (and _lanes): QR-DQN's quantile Huber loss (Dabney et al. 2018), with N =
// p.quantiles outputs per action (action a's quantiles in columns a N .. a N + N - 1 of a row of
// p.actions = A N columns). a' is the action of largest quantile sum (the online network's with
// Double DQN), the N targets are T_j = r + discount next_q[i, a' N + j], and
//   loss     = (1 / B N) sum_i sum_k sum_j |tau_k - [u < 0]| L_delta(u) / delta,  u = T_j - q[i, a_i N + k]
//   grad_q   = d loss / d q: zero except at the taken action's N quantiles
//   targets  = the mean of a row's N targets
// with tau_k = (2k + 1) / 2N. One thread per element of grad_q (strided), as src/backend/cpu/td-loss.ts.

struct Params {
  batch: u32,
  actions: u32,
  flags: u32, // bit 0: Double DQN (q holds 2B rows), bit 1: Huber (else MSE), bit 2: targets bound, bit 3: binding 5 holds discounts, bit 4: Munchausen
  gamma: f32,
  delta: f32,
  quantiles: u32, // N: outputs per action (the quantile kernels; 1 for td_loss)
  m_alpha: f32,
  m_tau: f32,
  m_floor: f32,
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

// log softmax(next_q[row * A ..] / m_tau) at column c, the row's maximum taken out first.
fn log_policy(row: u32, c: u32) -> f32 {
  let n = p.actions;
  let base = row * n;
  var mx = next_q[base];
  for (var j = 1u; j < n; j++) { mx = max(mx, next_q[base + j]); }
  var sum = 0.0;
  for (var j = 0u; j < n; j++) { sum = sum + exp((next_q[base + j] - mx) / p.m_tau); }
  return (next_q[base + c] - mx) / p.m_tau - log(sum);
}

// Munchausen DQN's target of row i with action a (see the header).
fn munchausen_target(i: u32, a: u32, discount: f32) -> f32 {
  let bonus = p.m_alpha * clamp(p.m_tau * log_policy(i, a), p.m_floor, 0.0);
  let next = p.batch + i;
  var soft = 0.0;
  for (var c = 0u; c < p.actions; c++) {
    let lp = log_policy(next, c);
    soft = soft + exp(lp) * (next_q[next * p.actions + c] - p.m_tau * lp);
  }
  return rewards[i] + bonus + discount * soft;
}

// The losses of rows first, first + stride, ... (targets and gradients written), summed in order.
fn td_rows(first: u32, stride: u32) -> f32 {
  let n = p.actions;
  let count = f32(p.batch);
  var sum = 0.0;
  for (var i = first; i < p.batch; i += stride) {
    var discount = p.gamma * (1.0 - terminated[i]);
    if ((p.flags & 8u) != 0u) { discount = terminated[i]; }
    let a = min(u32(actions[i]), n - 1u);
    var td_target = 0.0;
    if ((p.flags & 16u) != 0u) { td_target = munchausen_target(i, a, discount); }
    else { td_target = rewards[i] + discount * next_value(i); }
    if ((p.flags & 4u) != 0u) { targets[i] = td_target; }
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

// The sum of partial[0..256) (each thread's own sum stored there): a tree, barriers included.
fn tree_sum(lid: u32) -> f32 {
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) { partial[lid] = partial[lid] + partial[lid + stride]; }
    workgroupBarrier();
  }
  return partial[0];
}

// The sum of partial[0..8), added in order (the CPU-emulated kernels: one barrier).
fn lanes_sum() -> f32 {
  workgroupBarrier();
  var sum = 0.0;
  for (var l = 0u; l < 8u; l++) { sum = sum + partial[l]; }
  return sum;
}

@compute @workgroup_size(256)
fn td_loss(@builtin(local_invocation_id) lid: vec3u) {
  partial[lid.x] = td_rows(lid.x, 256u);
  let total = tree_sum(lid.x);
  if (lid.x == 0u) { loss_out[0] = total / f32(p.batch); }
}

// As td_loss, for CPU-emulated adapters (where every barrier of the tree costs a switch between
// the workgroup's SIMD chunks): 8 threads, one barrier, the 8 sums added in order.
@compute @workgroup_size(8)
fn td_loss_lanes(@builtin(local_invocation_index) lid: u32) {
  partial[lid] = td_rows(lid, 8u);
  let total = lanes_sum();
  if (lid == 0u) { loss_out[0] = total / f32(p.batch); }
}

// The action of largest quantile sum in the row of `values` at `offset` (first maximum).
fn best_by_sum(from_q: bool, offset: u32, n_actions: u32) -> u32 {
  let n = p.quantiles;
  var best = 0u;
  var best_sum = 0.0;
  for (var c = 0u; c < n_actions; c++) {
    var sum = 0.0;
    for (var j = 0u; j < n; j++) {
      if (from_q) { sum = sum + q[offset + c * n + j]; } else { sum = sum + next_q[offset + c * n + j]; }
    }
    if (c == 0u || sum > best_sum) { best = c; best_sum = sum; }
  }
  return best;
}

// The quantile losses of grad_q's elements first, first + stride, ... (gradients and targets written), summed in order.
fn quantile_elements(first: u32, stride: u32) -> f32 {
  let n = p.quantiles;
  let width = p.actions;
  let n_actions = width / n;
  let scale = 1.0 / f32(p.batch * n);
  var sum = 0.0;
  for (var e = first; e < p.batch * width; e += stride) {
    let i = e / width;
    let column = e - i * width;
    let chosen = min(u32(actions[i]), n_actions - 1u);
    let k = column - chosen * n;
    let owns_target = column == 0u && (p.flags & 4u) != 0u;
    if (column / n != chosen && !owns_target) {
      grad_q[e] = 0.0;
      continue;
    }
    var a_next = 0u;
    if ((p.flags & 1u) != 0u) { a_next = best_by_sum(true, (p.batch + i) * width, n_actions); }
    else { a_next = best_by_sum(false, i * width, n_actions); }
    let next_row = i * width + a_next * n;
    var discount = p.gamma * (1.0 - terminated[i]);
    if ((p.flags & 8u) != 0u) { discount = terminated[i]; }
    let reward = rewards[i];
    if (owns_target) {
      var target_sum = 0.0;
      for (var j = 0u; j < n; j++) { target_sum = target_sum + reward + discount * next_q[next_row + j]; }
      targets[i] = target_sum / f32(n);
    }
    if (column / n != chosen) {
      grad_q[e] = 0.0;
      continue;
    }
    let tau = f32(2u * k + 1u) / f32(2u * n);
    let theta = q[e];
    var grad = 0.0;
    for (var j = 0u; j < n; j++) {
      let u = reward + discount * next_q[next_row + j] - theta;
      let weight = select(tau, 1.0 - tau, u < 0.0);
      let au = abs(u);
      if (au <= p.delta) {
        sum = sum + weight * 0.5 * u * u / p.delta;
        grad = grad - weight * u / p.delta;
      } else {
        sum = sum + weight * (au - 0.5 * p.delta);
        grad = grad - select(-weight, weight, u > 0.0);
      }
    }
    grad_q[e] = grad * scale;
  }
  return sum;
}

@compute @workgroup_size(256)
fn quantile_td_loss(@builtin(local_invocation_id) lid: vec3u) {
  partial[lid.x] = quantile_elements(lid.x, 256u);
  let total = tree_sum(lid.x);
  if (lid.x == 0u) { loss_out[0] = total / f32(p.batch * p.quantiles); }
}

// As quantile_td_loss, for CPU-emulated adapters (see td_loss_lanes).
@compute @workgroup_size(8)
fn quantile_td_loss_lanes(@builtin(local_invocation_index) lid: u32) {
  partial[lid] = quantile_elements(lid, 8u);
  let total = lanes_sum();
  if (lid == 0u) { loss_out[0] = total / f32(p.batch * p.quantiles); }
}
