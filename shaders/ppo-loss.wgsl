// The PPO loss of a minibatch of B rows (CleanRL's ppo.py), its gradients with respect to the
// actor's output, the log-std and the critic's output, and its diagnostics: see PpoLossOf in
// src/backend/policy-ops.ts for the definitions. src/backend/cpu/ppo-loss.ts is the same
// computation on the host. One workgroup; thread t takes rows t, t + 64, ... and reads back only
// what it wrote itself, so the phases need no storage barrier:
//   1. with normalisation (flag bit 1), the advantages' mean, then their std (B - 1);
//   2. each row: logp, the ratio, the clipped surrogate, the entropy, d loss / d out (written), the
//      value loss; d loss / d values written for the categorical head, and for the gaussian head
//      the row's d policyLoss / d logp parked in grad_values instead;
//   3. gaussian: each column of grad_log_std summed over the rows from the parked values, then
//      d loss / d values written over them;
//   4. the stats (PPO_LOSS_STATS' order), reduced over the workgroup and written by thread 0.
// Each sum is a thread's own rows in order, then a tree over the 64 threads in workgroup memory.
// torch's autograd ties: max(x, y) sends half the gradient to each side where x == y, and clamp
// passes it where lo <= x <= hi.
//
// A stage may bind 8 storage buffers, and the op has 12 tensors: its five (B, 1) inputs arrive
// copied into one (5, B) buffer, `columns` (rows: old log-probabilities, advantages, values,
// returns, old values; see COLUMN_* and webgpu-ops.ts).

struct Params {
  batch: u32,
  k: u32,
  flags: u32, // bit 0: gaussian head (else categorical), bit 1: normalise the advantages
  clip_coef: f32,
  ent_coef: f32,
  value_clip: f32, // 0: the value loss is not clipped
  vf_coef: f32,
  adv_eps: f32, // added to the advantages' std (PPO_ADVANTAGE_EPS)
  half_log_two_pi: f32,
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> policy_out: array<f32>; // (B, k) logits or means
@group(0) @binding(2) var<storage, read> log_std: array<f32>; // (1, k), gaussian only
@group(0) @binding(3) var<storage, read> actions: array<f32>; // (B, 1) indices or (B, k)
@group(0) @binding(4) var<storage, read> columns: array<f32>; // (5, B), see COLUMN_*
@group(0) @binding(5) var<storage, read_write> grad_out: array<f32>;     // (B, k)
@group(0) @binding(6) var<storage, read_write> grad_log_std: array<f32>; // (1, k), gaussian only
@group(0) @binding(7) var<storage, read_write> grad_values: array<f32>;  // (B, 1)
@group(0) @binding(8) var<storage, read_write> stats: array<f32>;        // (1, 6)

const WG: u32 = 64u;
const COLUMN_OLD_LOG_PROB: u32 = 0u;
const COLUMN_ADVANTAGES: u32 = 1u;
const COLUMN_VALUES: u32 = 2u;
const COLUMN_RETURNS: u32 = 3u;
const COLUMN_OLD_VALUES: u32 = 4u;

var<workgroup> partial: array<f32, WG>;

fn column(c: u32, i: u32) -> f32 {
  return columns[c * p.batch + i];
}

// The sum over the workgroup of each thread's `value`, returned to every thread.
fn workgroup_sum(lid: u32, value: f32) -> f32 {
  workgroupBarrier(); // every thread has read the previous sum
  partial[lid] = value;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }
    workgroupBarrier();
  }
  return partial[0];
}

// torch.maximum's share of the gradient for x against y: 1, 0, or 1/2 at a tie.
fn max_share(x: f32, y: f32) -> f32 {
  return select(select(0.5, 0.0, x < y), 1.0, x > y);
}

// Row i's value loss term (x) and its derivative with respect to values[i] (y).
fn value_row(i: u32) -> vec2f {
  let v = column(COLUMN_VALUES, i);
  let r = column(COLUMN_RETURNS, i);
  let d = v - r;
  let row = d * d;
  if (p.value_clip <= 0.0) { return vec2f(row, 2.0 * d); }
  let old = column(COLUMN_OLD_VALUES, i);
  let dv = v - old;
  let dc = old + clamp(dv, -p.value_clip, p.value_clip) - r;
  let clipped_row = dc * dc;
  let share = max_share(row, clipped_row);
  let passes = select(0.0, 1.0, dv >= -p.value_clip && dv <= p.value_clip);
  return vec2f(max(row, clipped_row), share * 2.0 * d + (1.0 - share) * passes * 2.0 * dc);
}

@compute @workgroup_size(64)
fn ppo_loss(@builtin(local_invocation_index) lid: u32) {
  let n = p.batch;
  let k = p.k;
  let fb = f32(n);
  let gaussian = (p.flags & 1u) != 0u;
  let normalise = (p.flags & 2u) != 0u;
  var mean = 0.0;
  var denominator = 1.0;
  if (normalise) {
    var sum = 0.0;
    for (var i = lid; i < n; i += WG) { sum += column(COLUMN_ADVANTAGES, i); }
    mean = workgroup_sum(lid, sum) / fb;
    var squares = 0.0;
    for (var i = lid; i < n; i += WG) {
      let d = column(COLUMN_ADVANTAGES, i) - mean;
      squares += d * d;
    }
    denominator = sqrt(workgroup_sum(lid, squares) / f32(n - 1u)) + p.adv_eps;
  }
  let lo = 1.0 - p.clip_coef;
  let hi = 1.0 + p.clip_coef;
  let ent_scale = p.ent_coef / fb;
  let value_scale = 0.5 * p.vf_coef / fb;
  var policy_sum = 0.0;
  var value_sum = 0.0;
  var entropy_sum = 0.0;
  var kl_sum = 0.0;
  var clipped = 0.0;
  for (var i = lid; i < n; i += WG) {
    let base = i * k;
    var logp = 0.0;
    var entropy = 0.0;
    var lse = 0.0;
    var act = 0u;
    if (gaussian) {
      for (var j = 0u; j < k; j++) {
        let sigma = exp(log_std[j]);
        let diff = actions[base + j] - policy_out[base + j];
        logp += -(diff * diff) / (2.0 * sigma * sigma) - log_std[j] - p.half_log_two_pi;
        entropy += 0.5 + p.half_log_two_pi + log_std[j];
      }
    } else {
      act = min(u32(max(actions[i], 0.0)), k - 1u);
      var mx = policy_out[base];
      for (var j = 1u; j < k; j++) { mx = max(mx, policy_out[base + j]); }
      var sum_exp = 0.0;
      for (var j = 0u; j < k; j++) { sum_exp += exp(policy_out[base + j] - mx); }
      lse = mx + log(sum_exp);
      for (var j = 0u; j < k; j++) {
        let lp = policy_out[base + j] - lse;
        entropy -= exp(lp) * lp;
      }
      logp = policy_out[base + act] - lse;
    }
    // The clipped surrogate and d policyLoss / d logp.
    let log_ratio = logp - column(COLUMN_OLD_LOG_PROB, i);
    let ratio = exp(log_ratio);
    var adv = column(COLUMN_ADVANTAGES, i);
    if (normalise) { adv = (adv - mean) / denominator; }
    let unclipped = -adv * ratio;
    let clipped_side = -adv * clamp(ratio, lo, hi);
    let share = max_share(unclipped, clipped_side);
    let passes = select(0.0, 1.0, ratio >= lo && ratio <= hi);
    let g = -adv * (share + (1.0 - share) * passes) * ratio / fb;
    policy_sum += max(unclipped, clipped_side);
    entropy_sum += entropy;
    kl_sum += ratio - 1.0 - log_ratio;
    clipped += select(0.0, 1.0, abs(ratio - 1.0) > p.clip_coef);
    // d loss / d out: the policy term through logp, and the entropy bonus.
    if (gaussian) {
      for (var j = 0u; j < k; j++) {
        let sigma = exp(log_std[j]);
        let diff = actions[base + j] - policy_out[base + j];
        grad_out[base + j] = g * diff / (sigma * sigma);
      }
    } else {
      for (var j = 0u; j < k; j++) {
        let lp = policy_out[base + j] - lse;
        let pj = exp(lp);
        grad_out[base + j] = g * (select(0.0, 1.0, j == act) - pj) + ent_scale * pj * (lp + entropy);
      }
    }
    let value = value_row(i);
    value_sum += value.x;
    grad_values[i] = select(value_scale * value.y, g, gaussian);
  }
  if (gaussian) {
    // d loss / d logStd_j = sum_i g_i (z_ij^2 - 1) - entCoef (the entropy's d / d logStd_j is 1).
    for (var j = 0u; j < k; j++) {
      let sigma = exp(log_std[j]);
      let variance = sigma * sigma;
      var sum = 0.0;
      for (var i = lid; i < n; i += WG) {
        let diff = actions[i * k + j] - policy_out[i * k + j];
        sum += grad_values[i] * (diff * diff / variance - 1.0);
      }
      let total = workgroup_sum(lid, sum);
      if (lid == 0u) { grad_log_std[j] = total - p.ent_coef; }
    }
    for (var i = lid; i < n; i += WG) { grad_values[i] = value_scale * value_row(i).y; }
  }
  let policy_loss = workgroup_sum(lid, policy_sum) / fb;
  let value_loss = 0.5 * workgroup_sum(lid, value_sum) / fb;
  let entropy_mean = workgroup_sum(lid, entropy_sum) / fb;
  let approx_kl = workgroup_sum(lid, kl_sum) / fb;
  let clip_fraction = workgroup_sum(lid, clipped) / fb;
  if (lid == 0u) {
    stats[0] = policy_loss - p.ent_coef * entropy_mean + p.vf_coef * value_loss;
    stats[1] = policy_loss;
    stats[2] = value_loss;
    stats[3] = entropy_mean;
    stats[4] = approx_kl;
    stats[5] = clip_fraction;
  }
}
