/**
 * CartPole-v1, identical to Gymnasium 1.x `CartPoleEnv`: float64 internal state, float32
 * observations, Euler integration (tau = 0.02) with x and theta advanced by the *old* velocities,
 * termination tested on the float64 state, reward 1.0 on every step including the terminating one
 * and 0.0 on the steps after it, physics continuing after the end. Truncation at 500 steps comes
 * from the TimeLimit wrapper that `make` adds.
 *
 * Pole-down variant (`poleDown: true`, registered as 'CartPolePoleDown-v1'): the usual reset
 * draw, then pi is added to the internal theta (so the float64 state, not only the observation,
 * starts hanging down). Angle termination is suppressed while the pole is within the angle
 * threshold of pi: the episode terminates when `|x| > 2.4`, or when theta is outside
 * `[-0.2094, 0.2094]` (the usual rule) AND `|wrap(theta - pi)| > 0.2094`, where wrap maps an
 * angle into (-pi, pi]. The task is to keep the hanging pole steady (or to reach upright without
 * passing through the forbidden band, which Euler steps cannot jump). The observation bounds on
 * theta widen to +-(pi + 2 * 0.2094).
 */
import type { RgbFrame, ResetOptions, StepRecord, Info, RenderMode } from './types.js';
import { ClassicControlEnv, resetBounds } from './env.js';
import { Box, Discrete } from './spaces.js';
import { renderCartPole } from './render/cartpole-render.js';

const GRAVITY = 9.8;
const MASSCART = 1.0;
const MASSPOLE = 0.1;
const TOTAL_MASS = MASSPOLE + MASSCART;
const LENGTH = 0.5;
const POLEMASS_LENGTH = MASSPOLE * LENGTH;
const FORCE_MAG = 10.0;
const TAU = 0.02;
/** 12 degrees: 0.20943951023931953. */
export const CARTPOLE_THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
export const CARTPOLE_X_THRESHOLD = 2.4;
const TWO_PI = 2 * Math.PI;

/** Options of `CartPoleEnv` (and of `make('CartPole-v1', ...)`). */
export interface CartPoleOptions {
  renderMode?: RenderMode | null;
  /** Start hanging down (theta near pi) with the termination rule described in the module comment. */
  poleDown?: boolean;
  /** Gymnasium's `sutton_barto_reward`: 0 per step, -1 on termination. Default false. */
  suttonBartoReward?: boolean;
}

/** Maps an angle into (-pi, pi]. */
export function wrapAngle(a: number): number {
  let w = a % TWO_PI;
  if (w > Math.PI) w -= TWO_PI;
  else if (w <= -Math.PI) w += TWO_PI;
  return w;
}

/** Gymnasium's CartPole-v1 physics (see the module comment). */
export class CartPoleEnv extends ClassicControlEnv {
  /** `[x, x_dot, theta, theta_dot]` in float64, Gymnasium's `env.unwrapped.state`. */
  readonly state = new Float64Array(4);
  /** Gymnasium's `steps_beyond_terminated`: null until termination, then counts the extra steps. */
  stepsBeyondTerminated: number | null = null;
  readonly poleDown: boolean;
  readonly suttonBartoReward: boolean;
  private readonly obsSpace: Box;
  private readonly actSpace = new Discrete(2);

  constructor(options: CartPoleOptions = {}) {
    super(options.renderMode);
    this.poleDown = options.poleDown ?? false;
    this.suttonBartoReward = options.suttonBartoReward ?? false;
    const thetaHigh = this.poleDown ? Math.PI + CARTPOLE_THETA_THRESHOLD * 2 : CARTPOLE_THETA_THRESHOLD * 2;
    const high = [CARTPOLE_X_THRESHOLD * 2, Infinity, thetaHigh, Infinity];
    this.obsSpace = new Box(high.map((h) => -h), high);
  }

  get observationSpace(): Box {
    return this.obsSpace;
  }

  get actionSpace(): Discrete {
    return this.actSpace;
  }

  resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined {
    const rng = this.seedForReset(options?.seed);
    const [low, high] = resetBounds(options?.options, -0.05, 0.05);
    const s = this.state;
    for (let i = 0; i < 4; i++) s[i] = rng.uniform(low, high);
    if (this.poleDown) s[2] += Math.PI;
    this.stepsBeyondTerminated = null;
    this.hasState = true;
    this.writeObs(obs, offset);
    return undefined;
  }

  stepInto(action: number, obs: Float32Array, offset: number, out: StepRecord): void {
    if (!(this.hasState && (action === 0 || action === 1))) this.checkStep(action);
    const s = this.state;
    let x = s[0], xDot = s[1], theta = s[2], thetaDot = s[3];
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const costheta = Math.cos(theta);
    const sintheta = Math.sin(theta);
    const temp = (force + POLEMASS_LENGTH * (thetaDot * thetaDot) * sintheta) / TOTAL_MASS;
    const thetaacc = (GRAVITY * sintheta - costheta * temp) / (LENGTH * (4.0 / 3.0 - (MASSPOLE * (costheta * costheta)) / TOTAL_MASS));
    const xacc = temp - (POLEMASS_LENGTH * thetaacc * costheta) / TOTAL_MASS;
    x = x + TAU * xDot;
    xDot = xDot + TAU * xacc;
    theta = theta + TAU * thetaDot;
    thetaDot = thetaDot + TAU * thetaacc;
    s[0] = x;
    s[1] = xDot;
    s[2] = theta;
    s[3] = thetaDot;

    const terminated = this.isTerminal(x, theta);
    let reward: number;
    if (!terminated) reward = this.suttonBartoReward ? 0.0 : 1.0;
    else if (this.stepsBeyondTerminated === null) {
      this.stepsBeyondTerminated = 0;
      reward = this.suttonBartoReward ? -1.0 : 1.0;
    } else {
      this.stepsBeyondTerminated += 1;
      reward = this.suttonBartoReward ? -1.0 : 0.0;
    }
    this.writeObs(obs, offset);
    out.reward = reward;
    out.terminated = terminated;
    out.truncated = false;
  }

  /** The termination rule on the float64 state (see the module comment for the pole-down variant). */
  isTerminal(x: number, theta: number): boolean {
    if (x < -CARTPOLE_X_THRESHOLD || x > CARTPOLE_X_THRESHOLD) return true;
    const angleOut = theta < -CARTPOLE_THETA_THRESHOLD || theta > CARTPOLE_THETA_THRESHOLD;
    if (!angleOut || !this.poleDown) return angleOut;
    return !(Math.abs(wrapAngle(theta - Math.PI)) <= CARTPOLE_THETA_THRESHOLD);
  }

  /** Writes float32(state) at `obs[offset..offset+4)`. */
  writeObs(obs: Float32Array, offset: number): void {
    const s = this.state;
    obs[offset] = s[0];
    obs[offset + 1] = s[1];
    obs[offset + 2] = s[2];
    obs[offset + 3] = s[3];
  }

  protected renderFrame(): RgbFrame {
    return renderCartPole(this.state[0], this.state[2], CARTPOLE_X_THRESHOLD, LENGTH);
  }
}
