// CartPole-v1 on the device: envStep (src/backend/backend.ts, EnvStepOf), one thread per env over
// a structure-of-arrays state (S = 7, N): rows x, x_dot, theta, theta_dot, the episode's steps, its
// return, the env's RNG counter. Gymnasium's step (Euler, x and theta advanced by the old
// velocities, reward 1, terminated beyond |x| 2.4 or |theta| 12 degrees, truncated at 500 steps)
// with same-step autoreset in the manner of gymnax: every thread computes the step and a fresh reset
// state (Philox4x32-10, philox.wgsl) and selects with `done`, so nothing branches.
//
// src/backend/cpu/cartpole-step.ts is the same computation on the CPU, each operation rounded to
// f32 in the same order, with the same sin/cos polynomials (device-env.wgsl's, not WGSL's sin/cos,
// whose precision is left to the implementation), so the two give the same bits. The constants
// come in through Params (src/backend/device-env-constants.ts: each the f32 nearest Gymnasium's
// float64 one, the thresholds the least f32 above it, so v >= T is exactly v > t), never as
// literals: the compiler may fold and reassociate around a literal, not around a uniform value.
// And every operation's result passes through `fr` (device-env.wgsl), the counterpart of
// Math.fround.

struct Params {
  envs: u32,
  seed_lo: u32,
  seed_hi: u32,
  max_steps: f32,
  half: f32,
  one: f32,
  fopi: f32,
  dp1: f32,
  dp2: f32,
  dp3: f32,
  sin0: f32,
  sin1: f32,
  sin2: f32,
  cos0: f32,
  cos1: f32,
  cos2: f32,
  opaque: u32,
  gravity: f32,
  masspole: f32,
  total_mass: f32,
  length: f32,
  polemass_length: f32,
  force_mag: f32,
  tau: f32,
  four_thirds: f32,
  x_threshold: f32,
  theta_threshold: f32,
  reset_width: f32,
}

//#include philox
//#include sin-cos32
//#include device-env
// (device-env.wgsl declares p and envStep's bindings: here state is (7, N), obs and final_obs (N, 4))

const ROWS = 4u; // the physics rows

@compute @workgroup_size(64)
fn cartpole_step(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  let n = p.envs;
  if (i >= n) { return; }
  let x = state[i];
  let x_dot = state[n + i];
  let theta = state[2u * n + i];
  let theta_dot = state[3u * n + i];
  let force = select(-p.force_mag, p.force_mag, actions[i] == 1.0);
  let sc = sin_cos32(theta);
  let sintheta = sc.x;
  let costheta = sc.y;
  let temp = fr(fr(force + fr(fr(p.polemass_length * fr(theta_dot * theta_dot)) * sintheta)) / p.total_mass);
  let thetaacc = fr(
    fr(fr(p.gravity * sintheta) - fr(costheta * temp)) / fr(p.length * fr(p.four_thirds - fr(fr(p.masspole * fr(costheta * costheta)) / p.total_mass))),
  );
  let xacc = fr(temp - fr(fr(fr(p.polemass_length * thetaacc) * costheta) / p.total_mass));
  let s = vec4f(fr(x + fr(p.tau * x_dot)), fr(x_dot + fr(p.tau * xacc)), fr(theta + fr(p.tau * theta_dot)), fr(theta_dot + fr(p.tau * thetaacc)));
  let term = s.x <= -p.x_threshold || s.x >= p.x_threshold || s.z <= -p.theta_threshold || s.z >= p.theta_threshold;

  // The reset state, drawn whether or not it is used (branch-free): (u - 1/2) 0.1 per component.
  let fresh = (reset_uniforms(i, ROWS) - vec4f(p.half)) * p.reset_width;
  let done = end_step(i, ROWS, p.one, term);
  let next = select(s, fresh, done);

  final_obs[4u * i] = s.x;
  final_obs[4u * i + 1u] = s.y;
  final_obs[4u * i + 2u] = s.z;
  final_obs[4u * i + 3u] = s.w;
  obs[4u * i] = next.x;
  obs[4u * i + 1u] = next.y;
  obs[4u * i + 2u] = next.z;
  obs[4u * i + 3u] = next.w;
  state[i] = next.x;
  state[n + i] = next.y;
  state[2u * n + i] = next.z;
  state[3u * n + i] = next.w;
}
