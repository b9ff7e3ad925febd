// MountainCar-v0 on the device: envStep (src/backend/backend.ts, EnvStepOf), one thread per env over
// a structure-of-arrays state (S = 5, N): rows position, velocity, the episode's steps, its return,
// the env's RNG counter. Gymnasium's step: velocity += (action - 1) force + cos(3 position)
// (-gravity), clipped to 0.07; position += velocity, clipped to [-1.2, 0.6], the velocity zeroed at
// the left wall where it is negative; reward -1; terminated when position >= 0.5 and velocity >= 0;
// truncated at 200 steps; the observation is the state. Same-step autoreset in the manner of gymnax:
// every thread computes the step and a fresh reset state (position -0.6 + u 0.2, velocity 0) and
// selects with `done`.
//
// src/backend/cpu/mountain-car-step.ts is the same computation on the CPU, each operation rounded
// to f32 in the same order (`fr`, device-env.wgsl), with the same cos polynomial, so the two give
// the same bits. The constants (device-env-constants.ts, MOUNTAIN_CAR_F32) come in through Params.

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
  force: f32,
  gravity: f32,
  three: f32,
  max_speed: f32,
  min_position: f32,
  max_position: f32,
  goal_position: f32,
  reset_low: f32,
  reset_width: f32,
}

//#include philox
//#include sin-cos32
//#include device-env
// (device-env.wgsl declares p and envStep's bindings: here state is (5, N), obs and final_obs (N, 2))

const ROWS = 2u; // the physics rows

@compute @workgroup_size(64)
fn mountain_car_step(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  let n = p.envs;
  if (i >= n) { return; }
  let position = state[i];
  let velocity = state[n + i];
  let c = sin_cos32(fr(p.three * position)).y;
  let v1 = clamp(fr(velocity + fr(fr(fr(actions[i] - p.one) * p.force) + fr(c * -p.gravity))), -p.max_speed, p.max_speed);
  let x = clamp(fr(position + v1), p.min_position, p.max_position);
  let v = select(v1, 0.0, x == p.min_position && v1 < 0.0);
  let term = x >= p.goal_position && v >= 0.0;

  // The reset state, drawn whether or not it is used (branch-free).
  let u = reset_uniforms(i, ROWS);
  let fresh = vec2f(fr(p.reset_low + fr(u.x * p.reset_width)), 0.0);
  let done = end_step(i, ROWS, -p.one, term);
  let next = select(vec2f(x, v), fresh, done);

  final_obs[2u * i] = x;
  final_obs[2u * i + 1u] = v;
  obs[2u * i] = next.x;
  obs[2u * i + 1u] = next.y;
  state[i] = next.x;
  state[n + i] = next.y;
}
