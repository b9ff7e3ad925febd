/**
 * Returns computed backwards over a time-major rollout (row t holds the N envs' step t).
 *
 * qLambdaReturns is PQN's Q(lambda) target (Gallici et al. 2024). It follows purejaxql's
 * `_compute_targets` (pqn_gymnax.py): G[T-1] = r + gamma (1 - done) max Q(s'), then
 * r + gamma (lambda G[t+1] + (1 - lambda) max Q(s'_t)) backwards (purejaxql writes it
 * r + gamma max Q + gamma lambda (G - max Q)), and G = r on a done step. Two differences, both for
 * Gymnasium-correct time limits:
 * - purejaxql's `done` (gymnax's) is terminated or truncated, so a truncated step gets G = r. Here a
 *   truncated step bootstraps, G = r + gamma max Q(final observation), and only a terminated one
 *   drops the bootstrap, G = r.
 * - CleanRL's pqn.py (`next_done` = terminated | truncated, V[t+1] = max Q of the observation after
 *   the autoreset) masks only the (1 - lambda) term: on a done step its G[t] = r + gamma lambda G[t+1]
 *   takes in the next episode's return, and a truncation never bootstraps. Here no return crosses an
 *   episode boundary.
 * Without truncations this is purejaxql's computation exactly; CleanRL's too where, in addition, no
 * episode ends before the rollout's last step.
 * shaders/returns.wgsl is the same computation on the device, one thread per env.
 */
import type { FloatArray } from '../backend.js';
import type { QLambdaReturnsCall } from '../backend-base.js';

/**
 * returns (T, N) <- the Q(lambda) returns (see QLambdaReturnsOf in backend.ts). Each step rounds G
 * to the storage's precision before the step before it reads it, as the WGSL kernel's f32 carry does.
 */
export function qLambdaReturns(a: QLambdaReturnsCall<FloatArray>): void {
  const { rewards, terminated, truncated, nextQ, returns, gamma, lambda, steps, envs, actions } = a;
  for (let n = 0; n < envs; n++) {
    for (let t = steps - 1; t >= 0; t--) {
      const i = t * envs + n;
      let bootstrap = 0;
      if (terminated[i] === 0) {
        const row = i * actions;
        let v = nextQ[row];
        for (let k = 1; k < actions; k++) v = Math.max(v, nextQ[row + k]);
        // The lambda-return continues only inside an episode and the rollout.
        bootstrap = t === steps - 1 || truncated[i] !== 0 ? v : lambda * returns[i + envs] + (1 - lambda) * v;
      }
      returns[i] = rewards[i] + gamma * bootstrap;
    }
  }
}
