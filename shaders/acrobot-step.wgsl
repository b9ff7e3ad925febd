// Acrobot-v1 on the device: envStep (src/backend/backend.ts, EnvStepOf), one thread per env over a
// structure-of-arrays state (S = 7, N): rows theta1, theta2, dtheta1, dtheta2, the episode's steps,
// its return, the env's RNG counter. Gymnasium's step: the "book" dynamics with torque action - 1
// (no noise), one RK4 step over dt = 0.2, the angles wrapped into [-pi, pi], the velocities clipped
// to 4 pi and 9 pi; reward -1, 0 on the terminating step; terminated when
// -cos(theta1) - cos(theta2 + theta1) > 1; truncated at 500 steps; observation [cos theta1,
// sin theta1, cos theta2, sin theta2, dtheta1, dtheta2]. Same-step autoreset in the manner of
// gymnax: every thread computes the step and a fresh reset state ((u - 1/2) 0.2 per component) and
// selects with `done`.
//
// src/backend/cpu/acrobot-step.ts is the same computation on the CPU, each operation rounded to f32
// in the same order (`fr`, device-env.wgsl), with the same sin/cos polynomials, so the two give
// the same bits. The constants (device-env-constants.ts, ACROBOT_F32: Gymnasium's gathered into six
// coefficients) come in through Params, never as literals (the one literal, 2, scales exactly).

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
  d1: f32,
  d2: f32,
  coupling: f32,
  two_coupling: f32,
  phi1_gravity: f32,
  phi2_gravity: f32,
  dt: f32,
  half_dt: f32,
  sixth_dt: f32,
  pi: f32,
  two_pi: f32,
  max_vel1: f32,
  max_vel2: f32,
  reset_width: f32,
  wrap_passes: u32,
}

//#include philox
//#include sin-cos32
//#include device-env
// (device-env.wgsl declares p and envStep's bindings: here state is (7, N), obs and final_obs (N, 6))

const ROWS = 4u; // the physics rows

// Gymnasium's _dsdt ("book") of y = (theta1, theta2, dtheta1, dtheta2) with ACROBOT_F32's
// coefficients (cos(x - pi/2) as sin x): (dtheta1, dtheta2, ddtheta1, ddtheta2).
fn dsdt(y: vec4f, torque: f32) -> vec4f {
  let sc2 = sin_cos32(y.y);
  let s2 = sc2.x;
  let c2 = sc2.y;
  let s1 = sin_cos32(y.x).x;
  let s12 = sin_cos32(fr(y.x + y.y)).x;
  let dt1 = y.z;
  let dt2 = y.w;
  let d1 = fr(p.d1 + fr(p.two_coupling * c2));
  let d2 = fr(p.d2 + fr(p.coupling * c2));
  let phi2 = fr(p.phi2_gravity * s12);
  let phi1 = fr(fr(fr(-fr(fr(p.coupling * fr(dt2 * dt2)) * s2) - fr(fr(fr(p.two_coupling * dt2) * dt1) * s2)) + fr(p.phi1_gravity * s1)) + phi2);
  let ddt2 = fr(fr(fr(fr(torque + fr(fr(d2 / d1) * phi1)) - fr(fr(p.coupling * fr(dt1 * dt1)) * s2)) - phi2) / fr(p.d2 - fr(fr(d2 * d2) / d1)));
  let ddt1 = -fr(fr(fr(d2 * ddt2) + phi1) / d1);
  return vec4f(dt1, dt2, ddt1, ddt2);
}

// An angle wrapped into [-pi, pi]: 2 pi subtracted (added) where it lies at or beyond p.pi, the least
// f32 above pi, in p.wrap_passes passes (a fixed count: acrobot-step.ts's ACROBOT_WRAP_PASSES).
fn wrap(x0: f32) -> f32 {
  var x = x0;
  for (var k = 0u; k < p.wrap_passes; k++) { x = select(x, fr(x - p.two_pi), x >= p.pi); }
  for (var k = 0u; k < p.wrap_passes; k++) { x = select(x, fr(x + p.two_pi), x <= -p.pi); }
  return x;
}

// The observation of s = (theta1, theta2, dtheta1, dtheta2): [cos theta1, sin theta1, cos theta2,
// sin theta2, dtheta1, dtheta2], as (cos, sin, cos, sin) and the velocities.
struct Observation {
  trig: vec4f,
  velocities: vec2f,
}

fn observe(s: vec4f) -> Observation {
  let sc1 = sin_cos32(s.x);
  let sc2 = sin_cos32(s.y);
  return Observation(vec4f(sc1.y, sc1.x, sc2.y, sc2.x), s.zw);
}

@compute @workgroup_size(64)
fn acrobot_step(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * 64u + lid.x;
  let n = p.envs;
  if (i >= n) { return; }
  let y0 = vec4f(state[i], state[n + i], state[2u * n + i], state[3u * n + i]);
  let torque = fr(actions[i] - p.one);
  // Gymnasium's rk4 over [0, dt]: y0 + dt / 6 (k1 + 2 k2 + 2 k3 + k4), summed left to right.
  let k1 = dsdt(y0, torque);
  let k2 = dsdt(fr4(y0 + fr4(p.half_dt * k1)), torque);
  let k3 = dsdt(fr4(y0 + fr4(p.half_dt * k2)), torque);
  let k4 = dsdt(fr4(y0 + fr4(p.dt * k3)), torque);
  let y = fr4(y0 + fr4(p.sixth_dt * fr4(fr4(fr4(k1 + fr4(2.0 * k2)) + fr4(2.0 * k3)) + k4)));
  let s = vec4f(wrap(y.x), wrap(y.y), clamp(y.z, -p.max_vel1, p.max_vel1), clamp(y.w, -p.max_vel2, p.max_vel2));
  let c1 = sin_cos32(s.x).y;
  let c12 = sin_cos32(fr(s.y + s.x)).y;
  let term = fr(-c1 - c12) > p.one;

  // The reset state, drawn whether or not it is used (branch-free): (u - 1/2) 0.2 per component.
  let fresh = (reset_uniforms(i, ROWS) - vec4f(p.half)) * p.reset_width;
  let done = end_step(i, ROWS, select(-p.one, 0.0, term), term);
  let next = select(s, fresh, done);

  let f = observe(s);
  let o = observe(next);
  final_obs[6u * i] = f.trig.x;
  final_obs[6u * i + 1u] = f.trig.y;
  final_obs[6u * i + 2u] = f.trig.z;
  final_obs[6u * i + 3u] = f.trig.w;
  final_obs[6u * i + 4u] = f.velocities.x;
  final_obs[6u * i + 5u] = f.velocities.y;
  obs[6u * i] = o.trig.x;
  obs[6u * i + 1u] = o.trig.y;
  obs[6u * i + 2u] = o.trig.z;
  obs[6u * i + 3u] = o.trig.w;
  obs[6u * i + 4u] = o.velocities.x;
  obs[6u * i + 5u] = o.velocities.y;
  state[i] = next.x;
  state[n + i] = next.y;
  state[2u * n + i] = next.z;
  state[3u * n + i] = next.w;
}
