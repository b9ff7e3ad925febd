// Acting on the device: epsilonGreedy (src/backend/backend.ts, EpsilonGreedyOf), one thread per env.
// Both draws come from one Philox4x32-10 block of the env's stream 1 at the caller's counter: word 0
// as a uniform against epsilon (rounded to f32 on the host), word 1 as the random action. Otherwise
// the first maximum of the env's Q row (rowArgmax's rule: the lowest index on ties). Every comparison
// is exact, so the CPU (src/backend/cpu/acting.ts) gives the same actions.

struct Params {
  envs: u32,
  actions: u32,
  seed_lo: u32,
  seed_hi: u32,
  counter: u32,
  epsilon: f32,
}

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;             // (N, A)
@group(0) @binding(2) var<storage, read_write> actions: array<f32>; // N

//#include philox

const ACT_STREAM = 1u;

@compute @workgroup_size(64)
fn epsilon_greedy(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  if (i >= p.envs) { return; }
  let bits = philox4x32_10(vec4u(p.counter, i, ACT_STREAM, 0u), vec2u(p.seed_lo, p.seed_hi));
  let base = i * p.actions;
  var best = q[base];
  var index = 0u;
  for (var c = 1u; c < p.actions; c++) {
    let v = q[base + c];
    if (v > best) { best = v; index = c; }
  }
  let explore = philox_uniform(bits.x) < p.epsilon;
  actions[i] = f32(select(index, philox_below(bits.y, p.actions), explore));
}
