// What every device env kernel (shaders/<env>-step.wgsl) shares beyond sin-cos32.wgsl (the float32
// barrier `fr` and Cephes' float32 sin/cos, included before this file): the reset draw and the bookkeeping of the three rows every state ends with (the
// episode's steps, its return, the env's RNG counter: rows `rows`, `rows` + 1, `rows` + 2 after the
// env's `rows` physics rows). src/backend/cpu/env-step.ts and sin-cos32.ts are the same on the CPU.
//
// Included after philox.wgsl and sin-cos32.wgsl by a kernel whose `struct Params` has the fields envs, seed_lo,
// seed_hi, max_steps, half, one, fopi, dp1, dp2, dp3, sin0, sin1, sin2, cos0, cos1, cos2 and opaque
// (kernels.ts's DEVICE_ENV_PARAMS). The uniform and envStep's bindings, the same for every env, are
// declared here once.
//

@group(1) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> state: array<f32>;      // (S, N)
@group(0) @binding(2) var<storage, read> actions: array<f32>;          // N
@group(0) @binding(3) var<storage, read_write> obs: array<f32>;        // (N, obsDim)
@group(0) @binding(4) var<storage, read_write> final_obs: array<f32>;  // (N, obsDim)
@group(0) @binding(5) var<storage, read_write> rewards: array<f32>;    // N
@group(0) @binding(6) var<storage, read_write> terminated: array<f32>; // N
@group(0) @binding(7) var<storage, read_write> truncated: array<f32>;  // N
@group(0) @binding(8) var<storage, read_write> episodes: array<f32>;   // (2, N): return, length

const RESET_STREAM = 0u;

// The four uniforms of env i's next reset draw (Philox stream 0 at its counter, row `rows` + 2),
// drawn whether or not the env resets (branch-free).
fn reset_uniforms(i: u32, rows: u32) -> vec4f {
  let counter = state[(rows + 2u) * p.envs + i];
  let bits = philox4x32_10(vec4u(u32(counter), i, RESET_STREAM, 0u), vec2u(p.seed_lo, p.seed_hi));
  return vec4f(philox_uniform(bits.x), philox_uniform(bits.y), philox_uniform(bits.z), philox_uniform(bits.w));
}

// The step's reward and flags, the episode's steps and return, truncation at p.max_steps, the
// episode statistics where it ended and the three common rows (zeroed, and the counter advanced, on
// a reset). Returns whether the env resets (terminated or truncated).
fn end_step(i: u32, rows: u32, reward: f32, term: bool) -> bool {
  let n = p.envs;
  let steps = state[rows * n + i] + p.one;
  let ret = fr(state[(rows + 1u) * n + i] + reward);
  let counter = state[(rows + 2u) * n + i];
  let trunc = steps >= p.max_steps;
  let done = term || trunc;
  rewards[i] = reward;
  terminated[i] = select(0.0, 1.0, term);
  truncated[i] = select(0.0, 1.0, trunc);
  episodes[i] = select(0.0, ret, done);
  episodes[n + i] = select(0.0, steps, done);
  state[rows * n + i] = select(steps, 0.0, done);
  state[(rows + 1u) * n + i] = select(ret, 0.0, done);
  state[(rows + 2u) * n + i] = select(counter, counter + p.one, done);
  return done;
}
