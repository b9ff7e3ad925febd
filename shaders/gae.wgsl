// Generalised advantage estimation (src/backend/policy-ops.ts, GaeOf) over a time-major rollout of
// T steps of N envs (row t holds the N envs' step t). src/backend/cpu/gae.ts is the same
// computation in the same order on the host, and says which references it follows.
//
// gae_advantages: one thread per env, scanning t = T - 1 down to 0 with A[t + 1] carried in a
// register:
//   delta = (r + select(gamma V', 0, terminated)) - V
//   A     = delta                                  if terminated, truncated, or t = T - 1
//   A     = delta + (gamma lambda) A[t + 1]        otherwise
//   returns = A + V
// A flag counts as true where it is not 0. A terminated step's next value is selected away, so any
// finite value there leaves A unchanged (WGSL may assume no NaN or infinity, so only finite).

struct Params {
  steps: u32,
  envs: u32,
  gamma: f32,
  lambda: f32,
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rewards: array<f32>;          // (T, N)
@group(0) @binding(2) var<storage, read> values: array<f32>;           // (T, N)
@group(0) @binding(3) var<storage, read> next_values: array<f32>;      // (T, N)
@group(0) @binding(4) var<storage, read> terminated: array<f32>;       // (T, N)
@group(0) @binding(5) var<storage, read> truncated: array<f32>;        // (T, N)
@group(0) @binding(6) var<storage, read_write> advantages: array<f32>; // (T, N)
@group(0) @binding(7) var<storage, read_write> returns: array<f32>;    // (T, N)

@compute @workgroup_size(64)
fn gae_advantages(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  if (n >= p.envs) { return; }
  let gamma_lambda = p.gamma * p.lambda;
  var next = 0.0;
  for (var s = 0u; s < p.steps; s++) {
    let t = p.steps - 1u - s;
    let i = t * p.envs + n;
    let term = terminated[i] != 0.0;
    let cut = s == 0u || term || truncated[i] != 0.0;
    let bootstrap = select(p.gamma * next_values[i], 0.0, term);
    let delta = (rewards[i] + bootstrap) - values[i];
    let advantage = select(delta + gamma_lambda * next, delta, cut);
    advantages[i] = advantage;
    returns[i] = advantage + values[i];
    next = advantage;
  }
}
