/**
 * The contracts of the policy-gradient ops (PPO, issue 23): GAE over a rollout, sampling actions
 * from a policy head, and the PPO loss with its gradients. Each is one kernel on every backend (one
 * dispatch on WebGPU), over the type `T` that holds the data (as TdLossOf in backend.ts: `Tensor`
 * for the caller, the storage for a backend's kernels).
 *
 * Semantics are CleanRL's ppo.py / ppo_continuous_action.py and Stable-Baselines3's PPO, with
 * Gymnasium's terminated/truncated split handled as SB3 does (a truncated step bootstraps from the
 * value of its final observation).
 */

/** The action distribution a policy network's output parameterises. */
export const POLICY_HEADS = ['categorical', 'gaussian'] as const;
export type PolicyHead = (typeof POLICY_HEADS)[number];

/**
 * The arguments of gaeAdvantages: generalised advantage estimation (Schulman et al. 2016) over a
 * time-major rollout of T steps of N envs (row t holds the N envs' step t), computed backwards
 * from t = T - 1 with A_T = 0:
 *   delta[t] = r[t] + gamma (1 - terminated[t]) nextValues[t] - values[t]
 *   A[t]     = delta[t] + gamma lambda (1 - done[t]) A[t + 1]      done = terminated or truncated
 *   returns  = A + values
 * and at t = T - 1 no A[t + 1] term (the rollout is cut; nextValues bootstraps it). A terminated
 * step does not bootstrap (its nextValues entry may hold any finite value); a truncated one
 * bootstraps from the value of its final observation (Gymnasium's `final_obs`), which is exactly
 * SB3's "reward += gamma V(terminal_obs)" on a TimeLimit truncation. Flags are 1 or 0 (any
 * non-zero value counts as 1).
 */
export interface GaeOf<T> {
  /** (T, N) rewards of each step. */
  rewards: T;
  /** (T, N) the critic's V(s_t) of the observation each step acted on. */
  values: T;
  /** (T, N) the critic's value of the observation after step t: its final observation where the step ended the episode. */
  nextValues: T;
  /** (T, N) 1 where step t terminated the episode. */
  terminated: T;
  /** (T, N) 1 where step t reached the time limit. */
  truncated: T;
  /** In [0, 1]. */
  gamma: number;
  /** In [0, 1]. */
  lambda: number;
  /** (T, N) <- A. Shares no element with an input. */
  advantages: T;
  /** (T, N) <- A + values, the critic's targets. Shares no element with an input or advantages. */
  returns: T;
}

/**
 * The arguments of policySample: one action per row of a policy network's output, drawn from
 * Philox stream DEVICE_RNG_STREAMS.act (src/random/philox.ts) of each row's env, with its
 * log-probability. Block j of row n is Philox4x32-10((counter, n, act, j), seed's key).
 * - categorical: p = softmax(out row) (max subtracted, in the backend's precision); u = uniform(block 0
 *   word 0); the action is the smallest a with u < p_0 + ... + p_a (summed in index order), the last
 *   index with p_a > 0 when rounding leaves none. logProb = out[a] - logsumexp(out row).
 * - gaussian: z_k standard normal by Box-Muller from block floor(k / 2): with u1 = 1 - uniform(word 0),
 *   u2 = uniform(word 1), z_{2j} = sqrt(-2 ln u1) cos(2 pi u2), z_{2j+1} = sqrt(-2 ln u1) sin(2 pi u2);
 *   action_k = out[k] + exp(logStd[k]) z_k (not clipped: clipping to the action bounds happens when
 *   the env is stepped, and the log-probability is the unclipped action's, as SB3's);
 *   logProb = sum_k (-(action_k - out[k])^2 / (2 exp(2 logStd[k])) - logStd[k] - ln(2 pi) / 2).
 * The greedy action needs no op: rowArgmax of the logits, or the means themselves.
 */
export interface PolicySampleOf<T> {
  head: PolicyHead;
  /** (N, k): logits (categorical, k actions, k >= 1) or means (gaussian, k action dimensions). */
  out: T;
  /** (1, k) the log standard deviations (gaussian), null for categorical. */
  logStd: T | null;
  /** The run's seed, a safe non-negative integer (the key, as envStep's). */
  seed: number;
  /** The draw counter, an integer in [0, 2^32): the same value must never be used twice in a run. */
  counter: number;
  /** <- (N, 1) exact integers in [0, k) (categorical) or (N, k) (gaussian). Shares no element with an input. */
  actions: T;
  /** (N, 1) <- log pi(action | row). */
  logProb: T;
}

/** What ppoLoss writes to `stats`, in this order: the loss and its parts, and CleanRL's diagnostics. */
export const PPO_LOSS_STATS = ['loss', 'policyLoss', 'valueLoss', 'entropy', 'approxKl', 'clipFraction'] as const;
export type PpoLossStat = (typeof PPO_LOSS_STATS)[number];

/** ln(2 pi) / 2, the Gaussian log-density's constant per action dimension (the logProb of policySample and ppoLoss). */
export const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** What ppoLoss adds to the advantages' std before dividing by it when it normalises them (CleanRL's 1e-8). */
export const PPO_ADVANTAGE_EPS = 1e-8;

/**
 * The arguments of ppoLoss: the PPO loss of a minibatch of B rows (CleanRL's ppo.py) and its
 * gradients with respect to the actor's output, the log-std and the critic's output, in one kernel:
 *   logp     = log pi(actions | out, logStd)              (as policySample's logProb)
 *   ratio    = exp(logp - oldLogProb)
 *   A        = advantages, normalised when asked: (A - mean A) / (std A + 1e-8), std with B - 1 (torch's .std();
 *              1e-8 is PPO_ADVANTAGE_EPS)
 *   policyLoss = mean(max(-A ratio, -A clamp(ratio, 1 - clipCoef, 1 + clipCoef)))
 *   valueLoss  = 0.5 mean((values - returns)^2), or with valueClip > 0
 *              0.5 mean(max((values - returns)^2, (oldValues + clamp(values - oldValues, -valueClip, valueClip) - returns)^2))
 *   entropy  = mean over rows of the distribution's entropy
 *   loss     = policyLoss - entCoef entropy + vfCoef valueLoss
 * Gradients follow torch's autograd of that expression exactly, ties included: max(a, b) sends
 * half the gradient to each side where a == b, and clamp passes the gradient where
 * lo <= x <= hi (bounds included). approxKl = mean((ratio - 1) - (logp - oldLogProb)) and
 * clipFraction = mean(|ratio - 1| > clipCoef) are CleanRL's diagnostics (no gradient).
 */
export interface PpoLossOf<T> {
  head: PolicyHead;
  /** (B, k) the actor's output: logits or means. */
  out: T;
  /** (1, k) log standard deviations (gaussian), null for categorical. */
  logStd: T | null;
  /** (B, 1) exact integers in [0, k) (categorical) or (B, k) (gaussian): the actions taken. */
  actions: T;
  /** (B, 1) their log-probabilities when they were taken. */
  oldLogProb: T;
  /** (B, 1) their advantages (from gaeAdvantages). */
  advantages: T;
  /** Normalise the advantages over the minibatch (needs B >= 2). */
  normalizeAdvantages: boolean;
  /** > 0: the ratio's clip range. */
  clipCoef: number;
  /** >= 0: the entropy bonus' weight. */
  entCoef: number;
  /** (B, 1) the critic's output. */
  values: T;
  /** (B, 1) its targets (gaeAdvantages' returns). */
  returns: T;
  /** (B, 1) the critic's values when the rollout was collected (read only with valueClip > 0). */
  oldValues: T;
  /** >= 0: the value clip range; 0 leaves the value loss unclipped. */
  valueClip: number;
  /** >= 0: the value loss' weight. */
  vfCoef: number;
  /** (B, k) <- d loss / d out. */
  gradOut: T;
  /** (1, k) <- d loss / d logStd (gaussian; overwritten, not accumulated), null for categorical. */
  gradLogStd: T | null;
  /** (B, 1) <- d loss / d values. */
  gradValues: T;
  /** (1, PPO_LOSS_STATS.length) <- the loss, its parts and the diagnostics, in PPO_LOSS_STATS' order. */
  stats: T;
}
