/**
 * MountainCar-v0 as a device env on the CPU (see env-step.ts; shaders/mountain-car-step.wgsl on
 * WebGPU). Physics rows position, velocity. Gymnasium's step (src/envs/mountain-car.ts):
 * velocity += (action - 1) force + cos(3 position) (-gravity), clipped to +-0.07; position +=
 * velocity, clipped to [-1.2, 0.6], the velocity zeroed where the position is at -1.2 and the
 * velocity negative; reward -1; terminated when position >= 0.5 and velocity >= 0; the observation
 * is the state. A reset draws position -0.6 + u 0.2 (uniform(-0.6, -0.4)), velocity 0.
 *
 * Float32 rounds each operation as mountain-car-step.wgsl does (cos from sin-cos32.ts); float64 is
 * Gymnasium's code as written.
 */
import type { FloatArray } from '../backend.js';
import { MOUNTAIN_CAR_64, MOUNTAIN_CAR_F32 } from '../device-env-constants.js';
import type { CpuDeviceEnv } from './env-step.js';
import { sinCosInto, sincos } from './sin-cos32.js';

const fround = Math.fround;

/** The physics rows a step or reset reaches: [position, velocity]. */
const next = new Float64Array(2);

export const MOUNTAIN_CAR_CPU: CpuDeviceEnv = {
  next,
  step(state: FloatArray, n: number, i: number, action: number, f32: boolean): void {
    const position = state[i];
    const velocity = state[n + i];
    let v: number;
    let p: number;
    if (f32) {
      const k = MOUNTAIN_CAR_F32;
      sinCosInto(fround(3 * position));
      v = fround(velocity + fround(fround((action - 1) * k.force) + fround(sincos[1] * -k.gravity)));
      v = Math.min(Math.max(v, -k.maxSpeed), k.maxSpeed);
      p = Math.min(Math.max(fround(position + v), k.minPosition), k.maxPosition);
      if (p === k.minPosition && v < 0) v = 0;
    } else {
      const k = MOUNTAIN_CAR_64;
      v = velocity + ((action - 1) * k.force + Math.cos(3 * position) * -k.gravity);
      v = Math.min(Math.max(v, -k.maxSpeed), k.maxSpeed);
      p = Math.min(Math.max(position + v, k.minPosition), k.maxPosition);
      if (p === k.minPosition && v < 0) v = 0;
    }
    next[0] = p;
    next[1] = v;
  },
  terminated(): boolean {
    // The goal (0.5, velocity 0) is exact in float32: one test for both.
    return next[0] >= MOUNTAIN_CAR_64.goalPosition && next[1] >= 0;
  },
  reward(): number {
    return -1;
  },
  reset(u: Float64Array, f32: boolean): void {
    const k = f32 ? MOUNTAIN_CAR_F32 : MOUNTAIN_CAR_64;
    next[0] = f32 ? fround(k.resetLow + fround(u[0] * k.resetWidth)) : k.resetLow + u[0] * k.resetWidth;
    next[1] = 0;
  },
  observe(_f32: boolean, out: FloatArray, offset: number): void {
    out[offset] = next[0];
    out[offset + 1] = next[1];
  },
};
