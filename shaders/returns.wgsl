// Returns computed backwards over a time-major rollout of T steps of N envs (row t holds the N
// envs' step t). src/backend/cpu/returns.ts is the same computation on the host, and says which
// references it follows and how it differs from them on truncation.
//
// q_lambda_returns: PQN's Q(lambda) targets, one thread per env, scanning t = T - 1 down to 0 with
// G[t + 1] carried in a register. With V = max_a next_q[t N + n, a]:
//   terminated:                 G = r
//   truncated, or t = T - 1:    G = r + gamma V                                   (bootstrap, no lambda)
//   otherwise:                  G = r + gamma (lambda G[t + 1] + (1 - lambda) V)
// A flag counts as true where it is not 0. On a terminated step V is computed but selected away,
// so any finite Q there leaves G unchanged (WGSL may assume no NaN or infinity, so only finite).

struct Params {
  steps: u32,
  envs: u32,
  actions: u32,
  gamma: f32,
  lambda: f32,
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rewards: array<f32>;    // (T, N)
@group(0) @binding(2) var<storage, read> terminated: array<f32>; // (T, N)
@group(0) @binding(3) var<storage, read> truncated: array<f32>;  // (T, N)
@group(0) @binding(4) var<storage, read> next_q: array<f32>;     // (T N, A)
@group(0) @binding(5) var<storage, read_write> returns: array<f32>; // (T, N)

@compute @workgroup_size(64)
fn q_lambda_returns(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  if (n >= p.envs) { return; }
  var g = 0.0;
  for (var s = 0u; s < p.steps; s++) {
    let t = p.steps - 1u - s;
    let i = t * p.envs + n;
    let row = i * p.actions;
    var v = next_q[row];
    for (var k = 1u; k < p.actions; k++) { v = max(v, next_q[row + k]); }
    let cut = s == 0u || truncated[i] != 0.0;
    let bootstrap = select(p.lambda * g + (1.0 - p.lambda) * v, v, cut);
    g = rewards[i] + select(p.gamma * bootstrap, 0.0, terminated[i] != 0.0);
    returns[i] = g;
  }
}
