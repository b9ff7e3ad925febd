/**
 * MountainCarContinuous-v0 as Gymnasium 1.x `Continuous_MountainCarEnv`: reset draws
 * `[uniform(-0.6, -0.4), 0]` in float64; each step clips the force to [-1, 1], then
 * `v += force * 0.0015 - 0.0025 * cos(3p)`, v clipped to +-0.07, `p += v` clipped to
 * [-1.2, 0.6], v set to 0 when `p == -1.2 and v < 0`; terminated = `p >= 0.45 and v >= 0`;
 * reward `100 * terminated - 0.1 * a^2`, charged on the action as given (unclipped: a push of 3
 * moves the car as 1 does but costs 0.9). Truncation at 999 by TimeLimit.
 *
 * Gymnasium stores the new state as a float32 array, so after the first step the state is float32
 * and NumPy 2 computes in float32 wherever a float32 meets a Python float (NEP 50): this class
 * reproduces those roundings (`stepFloat32`); the first step after a reset is float64 except the
 * float32 push `a * 0.0015`. With those roundings every step matches Gymnasium bit for bit.
 */
import type { RgbFrame, ResetOptions, StepRecord, Info, RenderMode } from './types.js';
import { ClassicControlEnv, resetBounds } from './env.js';
import { Box } from './spaces.js';
import { MOUNTAIN_CAR_MAX_POSITION, MOUNTAIN_CAR_MAX_SPEED, MOUNTAIN_CAR_MIN_POSITION } from './mountain-car.js';
import { renderMountainCar } from './render/mountain-car-render.js';

const MIN_ACTION = -1.0;
const MAX_ACTION = 1.0;
// The same track and speed limit as MountainCar-v0's (Gymnasium writes them in each env).
const MIN_POSITION = MOUNTAIN_CAR_MIN_POSITION;
const MAX_POSITION = MOUNTAIN_CAR_MAX_POSITION;
const MAX_SPEED = MOUNTAIN_CAR_MAX_SPEED;
export const MOUNTAIN_CAR_CONTINUOUS_GOAL_POSITION = 0.45;
const POWER = 0.0015;
const GRAVITY = 0.0025;
const f32 = Math.fround;

/** The constants as NumPy sees them next to a float32 (a Python float meeting a float32 is rounded to float32). */
const AS_FLOAT32 = {
  power: f32(POWER),
  maxSpeed: f32(MAX_SPEED),
  minPosition: f32(MIN_POSITION),
  maxPosition: f32(MAX_POSITION),
  goalPosition: f32(MOUNTAIN_CAR_CONTINUOUS_GOAL_POSITION),
} as const;
const AS_FLOAT64 = { power: POWER, maxSpeed: MAX_SPEED, minPosition: MIN_POSITION, maxPosition: MAX_POSITION, goalPosition: MOUNTAIN_CAR_CONTINUOUS_GOAL_POSITION } as const;

/** Options of `MountainCarContinuousEnv`. */
export interface MountainCarContinuousOptions {
  renderMode?: RenderMode | null;
}

/** Gymnasium's MountainCarContinuous-v0 physics (see the module comment). */
export class MountainCarContinuousEnv extends ClassicControlEnv<Box> {
  /** `[position, velocity]`: float64 after a reset, float32 values after a step (as Gymnasium's `state`). */
  readonly state = new Float64Array(2);
  /** True once a step has stored the state as float32. */
  private stateIsFloat32 = false;
  private readonly obsSpace = new Box([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED]);
  private readonly actSpace = new Box([MIN_ACTION], [MAX_ACTION]);

  constructor(options: MountainCarContinuousOptions = {}) {
    super(options.renderMode);
  }

  get observationSpace(): Box {
    return this.obsSpace;
  }

  get actionSpace(): Box {
    return this.actSpace;
  }

  resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined {
    const rng = this.seedForReset(options?.seed);
    const [low, high] = resetBounds(options?.options, -0.6, -0.4);
    this.state[0] = rng.uniform(low, high);
    this.state[1] = 0;
    this.stateIsFloat32 = false;
    this.hasState = true;
    obs[offset] = this.state[0];
    obs[offset + 1] = 0;
    return undefined;
  }

  stepInto(action: ArrayLike<number>, obs: Float32Array, offset: number, out: StepRecord): void {
    this.checkStep(action);
    // The action is float32 (the space's dtype); Python's min/max keep it a float32 inside the bounds.
    const a = f32(action[0]);
    const forceIsFloat32 = a >= MIN_ACTION && a <= MAX_ACTION;
    const force = Math.min(Math.max(a, MIN_ACTION), MAX_ACTION);
    const single = this.stateIsFloat32;
    const c = single ? AS_FLOAT32 : AS_FLOAT64;
    let position = this.state[0], velocity = this.state[1];
    const gravity = GRAVITY * Math.cos(single ? f32(3 * position) : 3 * position);
    // `force * power - gravity`: float32 when the force is a float32, else Python floats.
    const dv = forceIsFloat32 ? f32(f32(force * AS_FLOAT32.power) - f32(gravity)) : force * POWER - gravity;
    velocity = single ? f32(velocity + f32(dv)) : velocity + dv;
    velocity = Math.min(Math.max(velocity, -c.maxSpeed), c.maxSpeed);
    position = single ? f32(position + velocity) : position + velocity;
    position = Math.min(Math.max(position, c.minPosition), c.maxPosition);
    if (position === c.minPosition && velocity < 0) velocity = 0;
    const terminated = position >= c.goalPosition && velocity >= 0;
    this.state[0] = f32(position);
    this.state[1] = f32(velocity);
    this.stateIsFloat32 = true;
    obs[offset] = position;
    obs[offset + 1] = velocity;
    out.reward = (terminated ? 100.0 : 0) - a * a * 0.1;
    out.terminated = terminated;
    out.truncated = false;
  }

  protected renderFrame(): RgbFrame {
    return renderMountainCar(this.state[0], MOUNTAIN_CAR_CONTINUOUS_GOAL_POSITION);
  }
}
