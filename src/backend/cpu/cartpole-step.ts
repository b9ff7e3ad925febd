/**
 * CartPole-v1 as a device env on the CPU (see env-step.ts; shaders/cartpole-step.wgsl on WebGPU).
 * Physics rows x, x_dot, theta, theta_dot. Gymnasium's step (src/envs/cartpole.ts): Euler
 * integration with x and theta advanced by the old velocities, reward 1, terminated when |x| > 2.4
 * or |theta| > 12 degrees (on float32 storage: at or beyond the float32 thresholds, which is the
 * same); a reset draws (u - 1/2) 0.1 per component.
 */
import type { FloatArray } from '../backend.js';
import { CARTPOLE_64, CARTPOLE_F32 } from '../device-env-constants.js';
import type { CpuDeviceEnv } from './env-step.js';
import { sinCosInto, sincos } from './sin-cos32.js';

const fround = Math.fround;

/** The physics rows a step or reset reaches: [x, x_dot, theta, theta_dot]. */
const next = new Float64Array(4);

// Float32 constants as module constants (a property read in the hot loop is not free).
const { gravity: G32, masspole: MP32, totalMass: TM32, length: L32, polemassLength: PML32, forceMag: FM32, tau: TAU32, fourThirds: FT32 } = CARTPOLE_F32;

/** Gymnasium's CartPole step in float32, every operation rounded as cartpole-step.wgsl rounds it, into `next`. */
function physics32(x: number, xDot: number, theta: number, thetaDot: number, action: number): void {
  const force = action === 1 ? FM32 : -FM32;
  sinCosInto(theta);
  const sintheta = sincos[0];
  const costheta = sincos[1];
  const temp = fround(fround(force + fround(fround(PML32 * fround(thetaDot * thetaDot)) * sintheta)) / TM32);
  const thetaacc = fround(
    fround(fround(G32 * sintheta) - fround(costheta * temp)) / fround(L32 * fround(FT32 - fround(fround(MP32 * fround(costheta * costheta)) / TM32))),
  );
  const xacc = fround(temp - fround(fround(fround(PML32 * thetaacc) * costheta) / TM32));
  next[0] = fround(x + fround(TAU32 * xDot));
  next[1] = fround(xDot + fround(TAU32 * xacc));
  next[2] = fround(theta + fround(TAU32 * thetaDot));
  next[3] = fround(thetaDot + fround(TAU32 * thetaacc));
}

/** Gymnasium's CartPole step in float64 (src/envs/cartpole.ts's formulas), into `next`. */
function physics64(x: number, xDot: number, theta: number, thetaDot: number, action: number): void {
  const k = CARTPOLE_64;
  const force = action === 1 ? k.forceMag : -k.forceMag;
  const costheta = Math.cos(theta);
  const sintheta = Math.sin(theta);
  const temp = (force + k.polemassLength * (thetaDot * thetaDot) * sintheta) / k.totalMass;
  const thetaacc = (k.gravity * sintheta - costheta * temp) / (k.length * (k.fourThirds - (k.masspole * (costheta * costheta)) / k.totalMass));
  const xacc = temp - (k.polemassLength * thetaacc * costheta) / k.totalMass;
  next[0] = x + k.tau * xDot;
  next[1] = xDot + k.tau * xacc;
  next[2] = theta + k.tau * thetaDot;
  next[3] = thetaDot + k.tau * thetaacc;
}

export const CARTPOLE_CPU: CpuDeviceEnv = {
  next,
  step(state: FloatArray, n: number, i: number, action: number, f32: boolean): void {
    if (f32) physics32(state[i], state[n + i], state[2 * n + i], state[3 * n + i], action);
    else physics64(state[i], state[n + i], state[2 * n + i], state[3 * n + i], action);
  },
  terminated(f32: boolean): boolean {
    const x = next[0];
    const theta = next[2];
    if (f32) {
      const { xThreshold: xT, thetaThreshold: thetaT } = CARTPOLE_F32;
      return x <= -xT || x >= xT || theta <= -thetaT || theta >= thetaT;
    }
    const { xThreshold: xT, thetaThreshold: thetaT } = CARTPOLE_64;
    return x < -xT || x > xT || theta < -thetaT || theta > thetaT;
  },
  reward(): number {
    return 1;
  },
  reset(u: Float64Array, f32: boolean): void {
    const width = f32 ? CARTPOLE_F32.resetWidth : CARTPOLE_64.resetWidth;
    for (let r = 0; r < 4; r++) {
      const v = (u[r] - 0.5) * width; // u - 0.5 is exact (u has 24 bits)
      next[r] = f32 ? fround(v) : v;
    }
  },
  observe(_f32: boolean, out: FloatArray, offset: number): void {
    for (let r = 0; r < 4; r++) out[offset + r] = next[r];
  },
};
