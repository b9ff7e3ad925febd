// Losses and their gradients (see LOSSES in src/backend/backend.ts):
// kind 0 mse, 1 huber, 2 softmax_cross_entropy (pred are logits), 3 cross_entropy (pred are probabilities).
// The value is a single-workgroup reduction (256 strided partial sums, then a tree), so it is
// deterministic; the gradient is one thread per element (mse, huber, cross_entropy) or per row
// (softmax_cross_entropy). The host records the value before the gradient; when grad is pred it stages grad in scratch.

struct Params {
  rows: u32,
  cols: u32,
  kind: u32,
  delta: f32, // Huber threshold
  eps: f32,   // cross-entropy probability floor
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // loss_value: lossOut (1, 1); loss_grad*: grad

fn huber_term(d: f32) -> f32 {
  let ad = abs(d);
  if (ad <= p.delta) { return 0.5 * d * d; }
  return p.delta * (ad - 0.5 * p.delta);
}

// -sum_c t log_softmax(row) for row r, stable (max subtracted).
fn softmax_ce_row(r: u32) -> f32 {
  let base = r * p.cols;
  var mx = pred[base];
  for (var c = 1u; c < p.cols; c++) { mx = max(mx, pred[base + c]); }
  var sum = 0.0;
  for (var c = 0u; c < p.cols; c++) { sum = sum + exp(pred[base + c] - mx); }
  let log_sum = log(sum);
  var row = 0.0;
  for (var c = 0u; c < p.cols; c++) {
    let t = tgt[base + c];
    if (t != 0.0) { row = row - t * (pred[base + c] - mx - log_sum); }
  }
  return row;
}

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn loss_value(@builtin(local_invocation_id) lid: vec3u) {
  let n = p.rows * p.cols;
  var s = 0.0;
  switch (p.kind) {
    case 0u: {
      for (var i = lid.x; i < n; i += 256u) { let d = pred[i] - tgt[i]; s = s + d * d; }
    }
    case 1u: {
      for (var i = lid.x; i < n; i += 256u) { s = s + huber_term(pred[i] - tgt[i]); }
    }
    case 2u: {
      for (var r = lid.x; r < p.rows; r += 256u) { s = s + softmax_ce_row(r); }
    }
    default: {
      for (var i = lid.x; i < n; i += 256u) {
        let t = tgt[i];
        if (t != 0.0) { s = s - t * log(max(pred[i], p.eps)); }
      }
    }
  }
  partial[lid.x] = s;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride = stride / 2u) {
    if (lid.x < stride) { partial[lid.x] = partial[lid.x] + partial[lid.x + stride]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    var denominator = f32(n);
    if (p.kind >= 2u) { denominator = f32(p.rows); }
    out[0] = partial[0] / denominator;
  }
}

// Gradient of mse, huber and cross_entropy: one thread per element.
@compute @workgroup_size(256)
fn loss_grad(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * 256u + lid.x;
  let n = p.rows * p.cols;
  if (i >= n) { return; }
  let x = pred[i];
  let t = tgt[i];
  var g = 0.0;
  switch (p.kind) {
    case 0u: { g = (2.0 / f32(n)) * (x - t); }
    case 1u: {
      let d = x - t;
      if (abs(d) <= p.delta) { g = d / f32(n); } else { g = select(-p.delta, p.delta, d > 0.0) / f32(n); }
    }
    default: {
      // Zero where the probability floor is active (torch.clamp's gradient).
      if (x >= p.eps) { g = -t / (f32(p.rows) * x); }
    }
  }
  out[i] = g;
}

// Gradient of softmax_cross_entropy: (softmax(row) * sum_c t - t) / rows, one thread per row.
@compute @workgroup_size(64)
fn loss_grad_softmax(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  if (r >= p.rows) { return; }
  let base = r * p.cols;
  var mx = pred[base];
  for (var c = 1u; c < p.cols; c++) { mx = max(mx, pred[base + c]); }
  var sum = 0.0;
  var target_sum = 0.0;
  for (var c = 0u; c < p.cols; c++) {
    sum = sum + exp(pred[base + c] - mx);
    target_sum = target_sum + tgt[base + c];
  }
  let rows = f32(p.rows);
  for (var c = 0u; c < p.cols; c++) {
    let prob = exp(pred[base + c] - mx) / sum;
    out[base + c] = (prob * target_sum - tgt[base + c]) / rows;
  }
}
