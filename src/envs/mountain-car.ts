/**
 * MountainCar-v0 as Gymnasium 1.x `MountainCarEnv`: state `[uniform(-0.6, -0.4), 0]` in float64
 * (the range is `(-0.4) - (-0.6)`, i.e. 0.19999999999999996); each step
 * `v += (a - 1) * 0.001 + cos(3p) * -0.0025` (the two increments summed first), v clipped to
 * +-0.07, `p += v` clipped to [-1.2, 0.6], v set to 0 when `p == -1.2 and v < 0`;
 * terminated = `p >= 0.5 and v >= 0`; reward always -1. Truncation at 200 by TimeLimit.
 */
import type { RgbFrame, ResetOptions, StepRecord, Info, RenderMode } from './types.js';
import { ClassicControlEnv, resetBounds } from './env.js';
import { Box, Discrete } from './spaces.js';
import { renderMountainCar } from './render/mountain-car-render.js';

export const MOUNTAIN_CAR_MIN_POSITION = -1.2;
export const MOUNTAIN_CAR_MAX_POSITION = 0.6;
export const MOUNTAIN_CAR_MAX_SPEED = 0.07;
const MAX_SPEED = MOUNTAIN_CAR_MAX_SPEED;
export const MOUNTAIN_CAR_GOAL_POSITION = 0.5;
const GOAL_VELOCITY = 0;
const FORCE = 0.001;
const GRAVITY = 0.0025;

/** Options of `MountainCarEnv`. */
export interface MountainCarOptions {
  renderMode?: RenderMode | null;
}

/** Gymnasium's MountainCar-v0 physics (see the module comment). */
export class MountainCarEnv extends ClassicControlEnv {
  /** `[position, velocity]` in float64. */
  readonly state = new Float64Array(2);
  private readonly obsSpace = new Box([MOUNTAIN_CAR_MIN_POSITION, -MAX_SPEED], [MOUNTAIN_CAR_MAX_POSITION, MAX_SPEED]);
  private readonly actSpace = new Discrete(3);

  constructor(options: MountainCarOptions = {}) {
    super(options.renderMode);
  }

  get observationSpace(): Box {
    return this.obsSpace;
  }

  get actionSpace(): Discrete {
    return this.actSpace;
  }

  resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined {
    const rng = this.seedForReset(options?.seed);
    const [low, high] = resetBounds(options?.options, -0.6, -0.4);
    this.state[0] = rng.uniform(low, high);
    this.state[1] = 0;
    this.hasState = true;
    obs[offset] = this.state[0];
    obs[offset + 1] = 0;
    return undefined;
  }

  stepInto(action: number, obs: Float32Array, offset: number, out: StepRecord): void {
    this.checkStep(action);
    let position = this.state[0], velocity = this.state[1];
    velocity += (action - 1) * FORCE + Math.cos(3 * position) * -GRAVITY;
    velocity = Math.min(Math.max(velocity, -MAX_SPEED), MAX_SPEED);
    position += velocity;
    position = Math.min(Math.max(position, MOUNTAIN_CAR_MIN_POSITION), MOUNTAIN_CAR_MAX_POSITION);
    if (position === MOUNTAIN_CAR_MIN_POSITION && velocity < 0) velocity = 0;
    const terminated = position >= MOUNTAIN_CAR_GOAL_POSITION && velocity >= GOAL_VELOCITY;
    this.state[0] = position;
    this.state[1] = velocity;
    obs[offset] = position;
    obs[offset + 1] = velocity;
    out.reward = -1.0;
    out.terminated = terminated;
    out.truncated = false;
  }

  protected renderFrame(): RgbFrame {
    return renderMountainCar(this.state[0]);
  }
}
