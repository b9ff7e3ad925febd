/**
 * Acrobot-v1 as a device env on the CPU (see env-step.ts; shaders/acrobot-step.wgsl on WebGPU).
 * Physics rows theta1, theta2, dtheta1, dtheta2. Gymnasium's step (src/envs/acrobot.ts): the "book"
 * dynamics with torque action - 1 (no noise), one RK4 step over dt = 0.2, the angles wrapped into
 * [-pi, pi] by repeated 2 pi, the velocities clipped to 4 pi and 9 pi; reward -1, 0 on the
 * terminating step; terminated when -cos(theta1) - cos(theta2 + theta1) > 1; observation
 * [cos theta1, sin theta1, cos theta2, sin theta2, dtheta1, dtheta2]; a reset draws (u - 1/2) 0.2
 * per component (uniform(-0.1, 0.1)).
 *
 * Float32 (ACROBOT_F32 says how its formulas gather Gymnasium's constants) rounds each operation
 * as acrobot-step.wgsl does, with sin/cos from sin-cos32.ts; float64 is Gymnasium's code as written.
 */
import type { FloatArray } from '../backend.js';
import { ACROBOT_64, ACROBOT_F32, ACROBOT_WRAP_PASSES } from '../device-env-constants.js';
import type { CpuDeviceEnv } from './env-step.js';
import { sinCosInto, sincos } from './sin-cos32.js';

const fround = Math.fround;

/** The physics rows a step or reset reaches: [theta1, theta2, dtheta1, dtheta2]. */
const next = new Float64Array(4);
/** RK4's stages: the state it starts from, the state a stage is evaluated at, and the four derivatives. */
const y0 = new Float64Array(4);
const yt = new Float64Array(4);
const k1 = new Float64Array(4);
const k2 = new Float64Array(4);
const k3 = new Float64Array(4);
const k4 = new Float64Array(4);

const { d1: D1, d2: D2, coupling: C, twoCoupling: C2, phi1Gravity: G1, phi2Gravity: G2, dt: DT32, halfDt: HDT32, sixthDt: SDT32 } = ACROBOT_F32;

/** dsdt of the book dynamics in float32 (see ACROBOT_F32), each operation rounded as acrobot-step.wgsl's `dsdt`, into `out`. */
function dsdt32(y: Float64Array, torque: number, out: Float64Array): void {
  const t1 = y[0];
  const t2 = y[1];
  const dt1 = y[2];
  const dt2 = y[3];
  sinCosInto(t2);
  const s2 = sincos[0];
  const c2 = sincos[1];
  sinCosInto(t1);
  const s1 = sincos[0];
  sinCosInto(fround(t1 + t2));
  const s12 = sincos[0];
  const d1 = fround(D1 + fround(C2 * c2));
  const d2 = fround(D2 + fround(C * c2));
  const phi2 = fround(G2 * s12);
  const phi1 = fround(fround(fround(-fround(fround(C * fround(dt2 * dt2)) * s2) - fround(fround(fround(C2 * dt2) * dt1) * s2)) + fround(G1 * s1)) + phi2);
  const ddt2 = fround(
    fround(fround(fround(torque + fround(fround(d2 / d1) * phi1)) - fround(fround(C * fround(dt1 * dt1)) * s2)) - phi2) / fround(D2 - fround(fround(d2 * d2) / d1)),
  );
  out[0] = dt1;
  out[1] = dt2;
  out[2] = -fround(fround(fround(d2 * ddt2) + phi1) / d1);
  out[3] = ddt2;
}

/** yt = y0 + h k, each component rounded to float32. */
function stage32(h: number, k: Float64Array): void {
  for (let r = 0; r < 4; r++) yt[r] = fround(y0[r] + fround(h * k[r]));
}

/** One float32 RK4 step from y0 with the torque, wrapped and clipped, into `next`. */
function physics32(torque: number): void {
  dsdt32(y0, torque, k1);
  stage32(HDT32, k1);
  dsdt32(yt, torque, k2);
  stage32(HDT32, k2);
  dsdt32(yt, torque, k3);
  stage32(DT32, k3);
  dsdt32(yt, torque, k4);
  for (let r = 0; r < 4; r++) next[r] = fround(y0[r] + fround(SDT32 * fround(fround(fround(k1[r] + fround(2 * k2[r])) + fround(2 * k3[r])) + k4[r])));
  const { pi, twoPi, maxVel1, maxVel2 } = ACROBOT_F32;
  for (let r = 0; r < 2; r++) {
    let x = next[r];
    for (let pass = 0; pass < ACROBOT_WRAP_PASSES; pass++) if (x >= pi) x = fround(x - twoPi);
    for (let pass = 0; pass < ACROBOT_WRAP_PASSES; pass++) if (x <= -pi) x = fround(x + twoPi);
    next[r] = x;
  }
  next[2] = Math.min(Math.max(next[2], -maxVel1), maxVel1);
  next[3] = Math.min(Math.max(next[3], -maxVel2), maxVel2);
}

/** Gymnasium's `_dsdt` in float64 as written (src/envs/acrobot.ts's `dsdt`), into `out`. */
function dsdt64(y: Float64Array, a: number, out: Float64Array): void {
  const { linkMass1: m1, linkMass2: m2, linkLength1: l1, linkComPos1: lc1, linkComPos2: lc2, linkMoi: I1, linkMoi: I2, gravity: g } = ACROBOT_64;
  const theta1 = y[0];
  const theta2 = y[1];
  const dtheta1 = y[2];
  const dtheta2 = y[3];
  const PI = Math.PI;
  const d1 = m1 * lc1 ** 2 + m2 * (l1 ** 2 + lc2 ** 2 + 2 * l1 * lc2 * Math.cos(theta2)) + I1 + I2;
  const d2 = m2 * (lc2 ** 2 + l1 * lc2 * Math.cos(theta2)) + I2;
  const phi2 = m2 * lc2 * g * Math.cos(theta1 + theta2 - PI / 2.0);
  const phi1 = -m2 * l1 * lc2 * dtheta2 ** 2 * Math.sin(theta2) - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * Math.sin(theta2) + (m1 * lc1 + m2 * l1) * g * Math.cos(theta1 - PI / 2) + phi2;
  const ddtheta2 = (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * dtheta1 ** 2 * Math.sin(theta2) - phi2) / (m2 * lc2 ** 2 + I2 - d2 ** 2 / d1);
  out[0] = dtheta1;
  out[1] = dtheta2;
  out[2] = -(d2 * ddtheta2 + phi1) / d1;
  out[3] = ddtheta2;
}

/** Gymnasium's `wrap`: repeated subtraction or addition of 2 pi. */
function wrap64(x: number): number {
  const PI = Math.PI;
  while (x > PI) x = x - 2 * PI;
  while (x < -PI) x = x + 2 * PI;
  return x;
}

/** Gymnasium's float64 step from y0 with the torque (`rk4` over [0, dt], `wrap`, `bound`), into `next`. */
function physics64(torque: number): void {
  const dt = ACROBOT_64.dt;
  const dt2 = dt / 2.0;
  dsdt64(y0, torque, k1);
  for (let r = 0; r < 4; r++) yt[r] = y0[r] + dt2 * k1[r];
  dsdt64(yt, torque, k2);
  for (let r = 0; r < 4; r++) yt[r] = y0[r] + dt2 * k2[r];
  dsdt64(yt, torque, k3);
  for (let r = 0; r < 4; r++) yt[r] = y0[r] + dt * k3[r];
  dsdt64(yt, torque, k4);
  for (let r = 0; r < 4; r++) next[r] = y0[r] + (dt / 6.0) * (k1[r] + 2 * k2[r] + 2 * k3[r] + k4[r]);
  next[0] = wrap64(next[0]);
  next[1] = wrap64(next[1]);
  next[2] = Math.min(Math.max(next[2], -ACROBOT_64.maxVel1), ACROBOT_64.maxVel1);
  next[3] = Math.min(Math.max(next[3], -ACROBOT_64.maxVel2), ACROBOT_64.maxVel2);
}

export const ACROBOT_CPU: CpuDeviceEnv = {
  next,
  step(state: FloatArray, n: number, i: number, action: number, f32: boolean): void {
    for (let r = 0; r < 4; r++) y0[r] = state[r * n + i];
    if (f32) physics32(action - 1);
    else physics64(action - 1);
  },
  terminated(f32: boolean): boolean {
    if (!f32) return -Math.cos(next[0]) - Math.cos(next[1] + next[0]) > 1.0;
    sinCosInto(next[0]);
    const c1 = sincos[1];
    sinCosInto(fround(next[1] + next[0]));
    return fround(-c1 - sincos[1]) > 1;
  },
  reward(terminated: boolean): number {
    return terminated ? 0 : -1;
  },
  reset(u: Float64Array, f32: boolean): void {
    const width = f32 ? ACROBOT_F32.resetWidth : ACROBOT_64.resetWidth;
    for (let r = 0; r < 4; r++) {
      const v = (u[r] - 0.5) * width; // u - 0.5 is exact (u has 24 bits)
      next[r] = f32 ? fround(v) : v;
    }
  },
  observe(f32: boolean, out: FloatArray, offset: number): void {
    for (let r = 0; r < 2; r++) {
      if (f32) {
        sinCosInto(next[r]);
        out[offset + 2 * r] = sincos[1];
        out[offset + 2 * r + 1] = sincos[0];
      } else {
        out[offset + 2 * r] = Math.cos(next[r]);
        out[offset + 2 * r + 1] = Math.sin(next[r]);
      }
    }
    out[offset + 4] = next[2];
    out[offset + 5] = next[3];
  },
};
