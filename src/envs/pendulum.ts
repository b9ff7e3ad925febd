/**
 * Pendulum-v1 as Gymnasium 1.x `PendulumEnv` (g = 10): state `[theta, theta_dot]` in float64, drawn
 * at reset as `uniform([-pi, -1], [pi, 1])` (the bounds from `options.x_init` / `y_init` when
 * given); each step clips the torque u to +-2 (a float32, as the action), charges
 * `angle_normalize(th)^2 + 0.1 * thdot^2 + 0.001 * u^2` (the last term in float32, as NumPy
 * computes it for a float32 u), then `thdot += (15 sin th + float32(3u)) * 0.05` clipped to +-8,
 * `th += thdot * 0.05`; obs = float32 `[cos th, sin th, thdot]`; reward = -cost; never terminates
 * (TimeLimit truncates at 200). Actions beyond +-2 are taken and clipped, as Gymnasium does.
 *
 * Precision: V8's `Math.sin/cos` differ from glibc by 1 ulp on about 2% of inputs, and NumPy's
 * float64 `x ** 2` is libm `pow` where this computes `x * x`, so float64 states drift from
 * Gymnasium's over a rollout; one step from the same state gives the same float32 obs.
 */
import { InvalidArgumentError } from '../errors.js';
import type { RgbFrame, ResetOptions, StepRecord, Info, RenderMode } from './types.js';
import { ClassicControlEnv } from './env.js';
import { Box } from './spaces.js';
import { renderPendulum } from './render/pendulum-render.js';

const MAX_SPEED = 8;
export const PENDULUM_MAX_TORQUE = 2.0;
const DT = 0.05;
const G = 10.0;
const M = 1.0;
const L = 1.0;
/** `3 * g / (2 * l)`, evaluated left to right as Gymnasium's expression: 15. */
const GRAVITY_TERM = (3 * G) / (2 * L);
/** `3.0 / (m * l ** 2)`: 3. */
const TORQUE_TERM = 3.0 / (M * L ** 2);
/** NumPy rounds the Python float 0.001 to float32 when it multiplies a float32. */
const TORQUE_COST_F32 = Math.fround(0.001);
const DEFAULT_X = Math.PI;
const DEFAULT_Y = 1.0;

/** Options of `PendulumEnv`. */
export interface PendulumOptions {
  renderMode?: RenderMode | null;
}

/** Gymnasium's `angle_normalize`: `((x + pi) % (2 pi)) - pi` with Python's floored modulo, into [-pi, pi). */
export function angleNormalize(x: number): number {
  const m = 2 * Math.PI;
  let r = (x + Math.PI) % m;
  if (r !== 0 && r < 0) r += m;
  return r - Math.PI;
}

/** Gymnasium's Pendulum-v1 physics (see the module comment). */
export class PendulumEnv extends ClassicControlEnv<Box> {
  /** `[theta, theta_dot]` in float64 (theta 0 is upright), Gymnasium's `env.unwrapped.state`. */
  readonly state = new Float64Array(2);
  /** The clipped torque of the latest step (Gymnasium's `last_u`), null after a reset. */
  lastU: number | null = null;
  private readonly obsSpace = new Box([-1, -1, -MAX_SPEED], [1, 1, MAX_SPEED]);
  private readonly actSpace = new Box([-PENDULUM_MAX_TORQUE], [PENDULUM_MAX_TORQUE]);

  constructor(options: PendulumOptions = {}) {
    super(options.renderMode);
  }

  get observationSpace(): Box {
    return this.obsSpace;
  }

  get actionSpace(): Box {
    return this.actSpace;
  }

  /** Reset options: `{ x_init, y_init }`, the bounds of theta and theta_dot (symmetric), as Gymnasium's. */
  resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined {
    const rng = this.seedForReset(options?.seed);
    const x = options?.options?.x_init ?? DEFAULT_X;
    const y = options?.options?.y_init ?? DEFAULT_Y;
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new InvalidArgumentError(`Pendulum reset bounds must be finite numbers, got x_init=${x}, y_init=${y}`);
    this.state[0] = rng.uniform(-x, x);
    this.state[1] = rng.uniform(-y, y);
    this.lastU = null;
    this.hasState = true;
    this.writeObs(obs, offset);
    return undefined;
  }

  stepInto(action: ArrayLike<number>, obs: Float32Array, offset: number, out: StepRecord): void {
    this.checkStep(action);
    const th = this.state[0], thdot = this.state[1];
    const u = Math.min(Math.max(Math.fround(action[0]), -PENDULUM_MAX_TORQUE), PENDULUM_MAX_TORQUE);
    this.lastU = u;
    const an = angleNormalize(th);
    const costs = an * an + 0.1 * (thdot * thdot) + Math.fround(TORQUE_COST_F32 * Math.fround(u * u));
    let newthdot = thdot + (GRAVITY_TERM * Math.sin(th) + Math.fround(TORQUE_TERM * u)) * DT;
    newthdot = Math.min(Math.max(newthdot, -MAX_SPEED), MAX_SPEED);
    this.state[0] = th + newthdot * DT;
    this.state[1] = newthdot;
    this.writeObs(obs, offset);
    out.reward = -costs;
    out.terminated = false;
    out.truncated = false;
  }

  /** Writes float32 `[cos th, sin th, thdot]` at `obs[offset..)`. */
  writeObs(obs: Float32Array, offset: number): void {
    const th = this.state[0];
    obs[offset] = Math.cos(th);
    obs[offset + 1] = Math.sin(th);
    obs[offset + 2] = this.state[1];
  }

  protected renderFrame(): RgbFrame {
    return renderPendulum(this.state[0]);
  }
}
