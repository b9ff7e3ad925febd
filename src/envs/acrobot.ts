/**
 * Acrobot-v1 as Gymnasium 1.x `AcrobotEnv` ("book" dynamics, RK4 over [0, 0.2], no torque noise):
 * reset draws `uniform(-0.1, 0.1, 4)` rounded to float32 (the only float32 rounding of the state);
 * each step integrates in float64, wraps the angles into [-pi, pi] by repeated +-2pi, clips the
 * velocities to +-4pi and +-9pi; obs = float32 `[cos t1, sin t1, cos t2, sin t2, dt1, dt2]`;
 * terminated = `-cos(t1) - cos(t2 + t1) > 1`; reward -1, or 0 on terminal steps; no
 * post-terminal logic. Precision: V8's `Math.sin/cos` differ from glibc by 1 ulp on about 2% of
 * inputs and `x ** 2` is `x * x` here while NumPy calls `pow`, so float64 states drift from
 * Gymnasium's within tens of steps (obs stay within ~1e-5); one step from the same state gives the
 * same float32 obs. The reset obs, computed by NumPy in float32 from the float32 state, uses
 * `cosFloat32` / `sinFloat32` (NumPy's float32 SIMD kernels), so it is exact too.
 */
import type { RgbFrame, ResetOptions, StepRecord, Info, RenderMode } from './types.js';
import { ClassicControlEnv, resetBounds } from './env.js';
import { Box, Discrete } from './spaces.js';
import { renderAcrobot } from './render/acrobot-render.js';
import { cosFloat32, sinFloat32 } from './float32-trig.js';

const DT = 0.2;
const LINK_LENGTH_1 = 1.0;
const LINK_MASS_1 = 1.0;
const LINK_MASS_2 = 1.0;
const LINK_COM_POS_1 = 0.5;
const LINK_COM_POS_2 = 0.5;
const LINK_MOI = 1.0;
export const ACROBOT_MAX_VEL_1 = 4 * Math.PI;
export const ACROBOT_MAX_VEL_2 = 9 * Math.PI;
const AVAIL_TORQUE = [-1.0, 0.0, 1.0];
const PI = Math.PI;

/** Options of `AcrobotEnv`. */
export interface AcrobotOptions {
  renderMode?: RenderMode | null;
}

/** Gymnasium's `wrap(x, m, M)`: repeated subtraction/addition of `M - m`. */
export function wrapRepeated(x: number, m: number, M: number): number {
  const diff = M - m;
  while (x > M) x = x - diff;
  while (x < m) x = x + diff;
  return x;
}

/** Gymnasium's Acrobot-v1 physics (see the module comment). */
export class AcrobotEnv extends ClassicControlEnv {
  /** `[theta1, theta2, dtheta1, dtheta2]` (float64; float32 values right after reset). */
  readonly state = new Float64Array(4);
  /** True between reset and the first step: the state is float32 and NumPy's float32 cos/sin apply. */
  private stateIsFloat32 = false;
  private readonly obsSpace: Box;
  private readonly actSpace = new Discrete(3);
  // RK4 scratch (5 components: the state plus the torque, as Gymnasium's augmented state).
  private readonly y0 = new Float64Array(5);
  private readonly yt = new Float64Array(5);
  private readonly k1 = new Float64Array(5);
  private readonly k2 = new Float64Array(5);
  private readonly k3 = new Float64Array(5);
  private readonly k4 = new Float64Array(5);

  constructor(options: AcrobotOptions = {}) {
    super(options.renderMode);
    const high = [1.0, 1.0, 1.0, 1.0, ACROBOT_MAX_VEL_1, ACROBOT_MAX_VEL_2];
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
    const [low, high] = resetBounds(options?.options, -0.1, 0.1);
    for (let i = 0; i < 4; i++) this.state[i] = Math.fround(rng.uniform(low, high));
    this.hasState = true;
    this.stateIsFloat32 = true;
    this.writeObs(obs, offset);
    return undefined;
  }

  stepInto(action: number, obs: Float32Array, offset: number, out: StepRecord): void {
    this.checkStep(action);
    const s = this.state;
    const y0 = this.y0, yt = this.yt, k1 = this.k1, k2 = this.k2, k3 = this.k3, k4 = this.k4;
    for (let i = 0; i < 4; i++) y0[i] = s[i];
    y0[4] = AVAIL_TORQUE[action];
    const dt = DT - 0;
    const dt2 = dt / 2.0;
    dsdt(y0, k1);
    for (let i = 0; i < 5; i++) yt[i] = y0[i] + dt2 * k1[i];
    dsdt(yt, k2);
    for (let i = 0; i < 5; i++) yt[i] = y0[i] + dt2 * k2[i];
    dsdt(yt, k3);
    for (let i = 0; i < 5; i++) yt[i] = y0[i] + dt * k3[i];
    dsdt(yt, k4);
    const h = dt / 6.0;
    for (let i = 0; i < 4; i++) s[i] = y0[i] + h * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    s[0] = wrapRepeated(s[0], -PI, PI);
    s[1] = wrapRepeated(s[1], -PI, PI);
    s[2] = Math.min(Math.max(s[2], -ACROBOT_MAX_VEL_1), ACROBOT_MAX_VEL_1);
    s[3] = Math.min(Math.max(s[3], -ACROBOT_MAX_VEL_2), ACROBOT_MAX_VEL_2);
    const terminated = -Math.cos(s[0]) - Math.cos(s[1] + s[0]) > 1.0;
    this.stateIsFloat32 = false;
    this.writeObs(obs, offset);
    out.reward = terminated ? 0.0 : -1.0;
    out.terminated = terminated;
    out.truncated = false;
  }

  /** Writes float32 `[cos t1, sin t1, cos t2, sin t2, dt1, dt2]` at `obs[offset..)`. */
  writeObs(obs: Float32Array, offset: number): void {
    const s = this.state;
    if (this.stateIsFloat32) {
      obs[offset] = cosFloat32(s[0]);
      obs[offset + 1] = sinFloat32(s[0]);
      obs[offset + 2] = cosFloat32(s[1]);
      obs[offset + 3] = sinFloat32(s[1]);
      obs[offset + 4] = s[2];
      obs[offset + 5] = s[3];
      return;
    }
    obs[offset] = Math.cos(s[0]);
    obs[offset + 1] = Math.sin(s[0]);
    obs[offset + 2] = Math.cos(s[1]);
    obs[offset + 3] = Math.sin(s[1]);
    obs[offset + 4] = s[2];
    obs[offset + 5] = s[3];
  }

  protected renderFrame(): RgbFrame {
    return renderAcrobot(this.state[0], this.state[1]);
  }
}

/** Gymnasium's `AcrobotEnv._dsdt` ("book"), writing `[dtheta1, dtheta2, ddtheta1, ddtheta2, 0]` into `out`. */
export function dsdt(sa: Float64Array, out: Float64Array): void {
  const m1 = LINK_MASS_1, m2 = LINK_MASS_2, l1 = LINK_LENGTH_1, lc1 = LINK_COM_POS_1, lc2 = LINK_COM_POS_2;
  const I1 = LINK_MOI, I2 = LINK_MOI, g = 9.8;
  const a = sa[4];
  const theta1 = sa[0], theta2 = sa[1], dtheta1 = sa[2], dtheta2 = sa[3];
  const d1 = m1 * lc1 ** 2 + m2 * (l1 ** 2 + lc2 ** 2 + 2 * l1 * lc2 * Math.cos(theta2)) + I1 + I2;
  const d2 = m2 * (lc2 ** 2 + l1 * lc2 * Math.cos(theta2)) + I2;
  const phi2 = m2 * lc2 * g * Math.cos(theta1 + theta2 - PI / 2.0);
  const phi1 =
    -m2 * l1 * lc2 * dtheta2 ** 2 * Math.sin(theta2) -
    2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * Math.sin(theta2) +
    (m1 * lc1 + m2 * l1) * g * Math.cos(theta1 - PI / 2) +
    phi2;
  const ddtheta2 = (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * dtheta1 ** 2 * Math.sin(theta2) - phi2) / (m2 * lc2 ** 2 + I2 - d2 ** 2 / d1);
  const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  out[0] = dtheta1;
  out[1] = dtheta2;
  out[2] = ddtheta1;
  out[3] = ddtheta2;
  out[4] = 0.0;
}
