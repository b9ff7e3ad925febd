/**
 * Generalised advantage estimation on the CPU: gaeAdvantages (see GaeOf in policy-ops.ts) over a
 * time-major rollout, one column (env) at a time, scanning t = T - 1 down to 0 with A[t + 1]
 * carried, the same computation in the same order as shaders/gae.wgsl. On float32 storage every
 * operation is rounded to float32 (gamma and lambda first, as the shader's uniform holds them), so
 * the two backends differ only where the device fuses or reorders an operation; on float64 storage
 * nothing is rounded.
 *
 * It is CleanRL's ppo.py loop (lastgaelam, nextnonterminal) with SB3's time-limit rule: a terminated
 * step drops its bootstrap, a truncated one bootstraps from its final observation's value (SB3 adds
 * gamma V(terminal_obs) to the reward), and either stops the carry, so no advantage crosses an
 * episode boundary.
 */
import type { FloatArray } from '../backend.js';
import type { GaeCall } from '../backend-base.js';

const same = (x: number): number => x;

/** advantages and returns (T, N) <- GAE and GAE + values (see GaeOf). */
export function gaeAdvantages(a: GaeCall<FloatArray>): void {
  const { rewards, values, nextValues, terminated, truncated, advantages, returns, steps, envs } = a;
  const r = rewards instanceof Float32Array ? Math.fround : same;
  const gamma = r(a.gamma);
  const gammaLambda = r(gamma * r(a.lambda));
  for (let n = 0; n < envs; n++) {
    let next = 0; // A[t + 1]
    for (let t = steps - 1; t >= 0; t--) {
      const i = t * envs + n;
      const term = terminated[i] !== 0;
      // The rollout's last step and any step that ended its episode carry nothing from t + 1.
      const cut = t === steps - 1 || term || truncated[i] !== 0;
      const bootstrap = term ? 0 : r(gamma * nextValues[i]);
      const delta = r(r(rewards[i] + bootstrap) - values[i]);
      const advantage = cut ? delta : r(delta + r(gammaLambda * next));
      advantages[i] = advantage;
      returns[i] = r(advantage + values[i]);
      next = advantage;
    }
  }
}
