/**
 * The one interface both compute backends implement.
 *
 * Tensors are device-resident, row-major, at most two-dimensional float arrays with explicit
 * ownership: whoever creates a tensor disposes it. A rank-1 tensor of length n behaves as a
 * (1, n) matrix in every op. Every op writes into an output tensor the caller preallocated, so a
 * training loop allocates nothing after warm-up on either backend.
 *
 * The op set is chosen so that a whole DQN update (target forward, TD target, online forward,
 * loss gradient at the chosen actions, backward, gradient clipping, Adam, target update) can be
 * recorded with no read back to the host: the WebGPU backend records ops into one command
 * encoder and only submits when `read` (or `flush`) is called.
 *
 * Integer inputs (action indices) are carried in float tensors holding exact small integers.
 */

import type { GaeOf, PolicySampleOf, PpoLossOf } from './policy-ops.js';

export { POLICY_HEADS, PPO_LOSS_STATS, type PolicyHead, type PpoLossOf, type PpoLossStat } from './policy-ops.js';

export type Shape = readonly [number] | readonly [number, number];

/** Element storage of a backend. WebGPU is float32 only; the CPU backend can run in float64 for gradient checks. */
export type DType = 'float32' | 'float64';

export type FloatArray = Float32Array | Float64Array;

export type BackendName = 'cpu' | 'webgpu';

export const ACTIVATIONS = ['identity', 'relu', 'leaky_relu', 'tanh', 'sigmoid', 'softmax'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/**
 * Loss functions, each a mean over all elements of `pred` (MSE, Huber) or over rows
 * (the cross entropies, whose rows are distributions over classes).
 * - `mse`: mean((pred - target)^2).
 * - `huber`: mean of 0.5 d^2 for |d| <= delta, delta (|d| - 0.5 delta) otherwise (PyTorch's HuberLoss).
 * - `softmax_cross_entropy`: pred are logits, target rows are probabilities (one-hot or soft);
 *   -mean_rows sum_c target * log_softmax(pred), computed stably (max subtracted).
 * - `cross_entropy`: pred rows are already probabilities; -mean_rows sum_c target * log(max(pred, eps)).
 */
export const LOSSES = ['mse', 'huber', 'softmax_cross_entropy', 'cross_entropy'] as const;
export type LossKind = (typeof LOSSES)[number];

export interface Tensor {
  /** The shape as created: [n] or [rows, cols]. */
  readonly shape: Shape;
  /** Rows when viewed as a matrix (1 for rank-1 tensors). */
  readonly rows: number;
  /** Columns when viewed as a matrix (n for rank-1 tensors). */
  readonly cols: number;
  /** rows * cols. */
  readonly size: number;
  /** A name for error messages and debugging. */
  readonly label: string;
  readonly disposed: boolean;
  /** Releases the storage. Using a disposed tensor throws. Idempotent. */
  dispose(): void;
}

export interface MatmulOptions {
  /** Use a^T instead of a. */
  transA?: boolean;
  /** Use b^T instead of b. */
  transB?: boolean;
  /** out += op(a) op(b) instead of out = op(a) op(b). */
  accumulate?: boolean;
}

export interface AccumulateOption {
  /** Add into `out` instead of overwriting it. */
  accumulate?: boolean;
}

export interface LossOptions {
  /** Huber threshold (default 1.0). */
  delta?: number;
  /** Probability floor for `cross_entropy` (default 1e-7). */
  eps?: number;
}

export interface AdamHyperParameters {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** L2 penalty (added to the gradient, as torch.optim.Adam) or decoupled decay (AdamW) when `decoupledWeightDecay`. */
  weightDecay: number;
  decoupledWeightDecay: boolean;
  /** 1-based update count, for bias correction: m_hat = m / (1 - beta1^step). */
  step: number;
}

export interface SgdHyperParameters {
  lr: number;
  momentum: number;
  /** torch.optim.SGD semantics: dampening applies to the gradient added to the momentum buffer after the first step. */
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** 1-based update count: on step 1 the momentum buffer is set to the gradient (torch semantics). */
  step: number;
}

/**
 * torch.optim.RAdam's hyper-parameters: Adam's, with the same meaning (L2 added to the gradient, or
 * decoupled decay p *= 1 - lr weightDecay with `decoupledWeightDecay`; `step` is 1-based).
 */
export type RAdamHyperParameters = AdamHyperParameters;

/**
 * RAdam's rectification at update hp.step, computed on the host in float64 as torch does
 * (torch/optim/radam.py, _single_tensor_radam): with rho_inf = 2 / (1 - b2) - 1 and
 * rho_t = rho_inf - 2 t b2^t / (1 - b2^t), it is r_t sqrt(1 - b2^t) where rho_t > 5 and 0 otherwise,
 * r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)). The step is then
 * p -= lr / (1 - b1^t) m (rectification / (sqrt(v) + eps)) when it is positive, else lr / (1 - b1^t) m.
 */
export function radamRectification(hp: RAdamHyperParameters): number {
  const t = hp.step;
  const correction2 = 1 - Math.pow(hp.beta2, t);
  const rhoInf = 2 / (1 - hp.beta2) - 1;
  const rho = rhoInf - (2 * t * Math.pow(hp.beta2, t)) / correction2;
  if (!(rho > 5)) return 0;
  return Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho)) * Math.sqrt(correction2);
}

/** Parts of a training step fused into the Adam op, each exactly the op it replaces. */
export interface AdamFusion {
  /**
   * First scale the gradient by min(1, maxNorm / (sqrt(sumSquares[0]) + 1e-6)), writing the scaled
   * gradient back, exactly as clipByGlobalNorm(grad, sumSquares, maxNorm).
   */
  clip?: { sumSquares: Tensor; maxNorm: number } | null;
  /** Then, after the step, target <- target + tau (param - target), exactly as lerp(target, param, tau). */
  polyak?: { target: Tensor; tau: number } | null;
}

/** The TD losses tdLoss computes. */
export const TD_LOSSES = ['mse', 'huber'] as const;
export type TdLossKind = (typeof TD_LOSSES)[number];

/**
 * Munchausen DQN's target (Vieillard et al. 2020): with pi = softmax(Q_target / tau),
 *   y = r + alpha max(tau log pi(a | s), logPolicyFloor) + discount sum_a' pi(a' | s') (Q_target(s', a') - tau log pi(a' | s')),
 * the soft value of s' in place of max_a' Q_target(s', a'), and a bonus for the action taken by how
 * likely the target policy finds it (a penalty, clipped at logPolicyFloor < 0, for unlikely ones).
 */
export interface MunchausenTarget {
  /** The bonus's scale (the paper's alpha, 0.9). */
  alpha: number;
  /** The entropy temperature (the paper's tau, 0.03). */
  tau: number;
  /** The floor of tau log pi(a | s) (the paper's l0, -1). */
  logPolicyFloor: number;
}

/**
 * The arguments of tdLoss, over the type `T` that holds the data: `Tensor` for the caller
 * (TdLossArgs, where the fields with defaults may be left out), the backend's own tensors once
 * validated (backend-base.ts's TdLossCall), the storage arrays for the CPU kernels.
 * B is the batch size, A the number of actions and N the quantiles per action (1 for a plain DQN):
 * Q tensors have A N columns, action a's quantiles in columns a N .. a N + N - 1.
 */
export interface TdLossOf<T> {
  /**
   * Q(s, .) of the online network, (B, A N). With `double`, (2B, A N): rows 0..B-1 are Q(s, .) and
   * rows B..2B-1 the online network's Q(s', .), whose argmax picks the action the target network values.
   */
  q: T;
  /** Q_target(s', .), (B, A N); with `munchausen`, (2B, A): Q_target(s, .) then Q_target(s', .). */
  nextQ: T;
  /**
   * N > 1: QR-DQN (Dabney et al. 2018). Each action's N outputs are the quantiles at the midpoints
   * tau_k = (2k + 1) / 2N of its return distribution, an action's value is their mean (which picks
   * a'), the targets are the N values r + discount theta_j(s', a') and the loss is the quantile
   * Huber loss, summed over the N quantiles and averaged over the N targets and the batch:
   * (1 / B N) sum_i sum_k sum_j |tau_k - [u < 0]| L_delta(u) / delta with u = T_ij - theta_k(s_i, a_i).
   * Needs `loss` 'huber'. Absent or 1: the plain DQN loss.
   */
  quantiles: number;
  /** Munchausen DQN's target instead of r + discount V(s') (not with `double` or quantiles). Absent or null: off. */
  munchausen: MunchausenTarget | null;
  /** (B, 1) actions taken, exact integers in [0, A). */
  actions: T;
  /** (B, 1) rewards. */
  rewards: T;
  /** (B, 1): 1 where s' is terminal (no bootstrap), 0 otherwise (a time-limit truncation bootstraps). */
  terminated: T;
  gamma: number;
  /**
   * (B, 1) per-row factor of V(s'), used instead of gamma (1 - terminated[i]) when given (terminated
   * is then not read): the target is r + discounts[i] V(s'). For n-step returns, gamma^m for a
   * window of m steps (m < n where an episode was cut inside the window), 0 where the window ends in
   * a termination. Null or absent: gamma (1 - terminated[i]).
   */
  discounts: T | null;
  /** Double DQN (van Hasselt et al. 2016): V(s') = Q_target(s', argmax_a Q_online(s', a)); else max_a Q_target(s', a). */
  double: boolean;
  loss: TdLossKind;
  /** Huber threshold (default 1). */
  delta: number;
  /** (1, 1) <- the loss, a mean over the batch. */
  lossOut: T;
  /** (B, A N) <- d loss / d Q(s, .): zero except at each row's action (its N quantiles). */
  gradQ: T;
  /** (B, 1) <- the TD targets (with quantiles, the mean of a row's N targets), when given (for inspection; null skips them). */
  targets: T | null;
}

/** The fields of TdLossOf a caller may leave out: quantiles 1, munchausen null, discounts null, delta 1, targets null. */
type TdLossDefaulted = 'quantiles' | 'munchausen' | 'discounts' | 'delta' | 'targets';

/** The arguments of tdLoss as a caller gives them, in one object it keeps and reuses (no allocation per update). */
export interface TdLossArgs extends Omit<TdLossOf<Tensor>, TdLossDefaulted>, Partial<Pick<TdLossOf<Tensor>, TdLossDefaulted>> {}

/**
 * The arguments of layerNorm, over the type `T` that holds the data (as TdLossOf): torch's
 * nn.LayerNorm over the last dimension, y = (x - mean) / sqrt(var + eps) * gamma + beta, per row,
 * with the biased variance (divided by n), then an elementwise activation epilogue (as linear's):
 * out = act(y), exactly layerNorm then biasActivation(out, null, activation, out, alpha).
 *
 * The epilogue is on the LayerNorm, not LayerNorm on the matmul's: a row's normalisation needs the
 * whole output row in one workgroup, which none of the linear kernels has (their workgroups tile
 * 64 x 64 outputs, or 16 rows of 4 columns per lane with subgroups), and the backward needs the
 * pre-normalisation output in memory anyway (it is LayerNorm's x), so a Dense + LayerNorm kernel
 * would save one dispatch per hidden layer at the price of a row-per-workgroup matmul variant on
 * every path (tiled, blocked, subgroup, narrow) and backend.
 */
export interface LayerNormOf<T> {
  /** (B, n) input. */
  x: T;
  /** (1, n) scale. */
  gamma: T;
  /** (1, n) shift. */
  beta: T;
  /** Added to the variance (default 1e-5, torch's). */
  eps: number;
  /** (B, n) <- y. Shares no element with an input. */
  out: T;
  /** (B, 2) <- per row the mean and the reciprocal std 1 / sqrt(var + eps): what layerNormBackward reads. */
  stats: T;
  /** Applied to every output (default 'identity'); elementwise only: softmax is refused (use biasActivation after). */
  activation: Activation;
  /** LeakyReLU's negative slope (default 0.01). */
  alpha: number;
}

/** The fields of LayerNormOf a caller may leave out: eps 1e-5, activation 'identity', alpha 0.01. */
type LayerNormDefaulted = 'eps' | 'activation' | 'alpha';

/** The arguments of layerNorm as a caller gives them (eps and the activation may be left out), in one object it keeps and reuses. */
export interface LayerNormArgs extends Omit<LayerNormOf<Tensor>, LayerNormDefaulted>, Partial<Pick<LayerNormOf<Tensor>, LayerNormDefaulted>> {}

/**
 * The arguments of layerNormBackward, over the type `T` that holds the data. With xhat = (x - mean)
 * rstd from the forward's stats: dgamma = sum_rows dy xhat, dbeta = sum_rows dy, and
 * dx = rstd (dy gamma - rowmean(dy gamma) - xhat rowmean(dy gamma xhat)).
 * With an activation (the forward's epilogue), dy is first replaced by dy act'(y), computed from
 * the forward's output y (ReLU: y > 0): exactly activationBackward(activation, y, dy, dy', alpha)
 * then layerNormBackward from dy'.
 */
export interface LayerNormBackwardOf<T> {
  /** (B, n) the forward's input. */
  x: T;
  /** (1, n) the forward's scale. */
  gamma: T;
  /** (B, 2) the forward's stats (its first B rows when the forward had more). */
  stats: T;
  /** (B, n) d loss / d y. */
  dy: T;
  /** (B, n) <- d loss / d x, or null to skip it. May be dy (in place); shares no element with the other tensors. */
  dx: T | null;
  /** (1, n) <- d loss / d gamma, or += with `accumulate`. */
  dgamma: T;
  /** (1, n) <- d loss / d beta, or += with `accumulate`. */
  dbeta: T;
  /** Add into dgamma and dbeta instead of overwriting them (default false). */
  accumulate: boolean;
  /** (B, n) the forward's output act(y) (its first B rows), read only with an activation other than 'identity'. Default null. */
  y: T | null;
  /** The forward's activation epilogue, whose derivative is applied to dy first (default 'identity'; not softmax). */
  activation: Activation;
  /** LeakyReLU's negative slope (default 0.01). */
  alpha: number;
}

/** The fields of LayerNormBackwardOf a caller may leave out: dx null, accumulate false, y null, activation 'identity', alpha 0.01. */
type LayerNormBackwardDefaulted = 'dx' | 'accumulate' | 'y' | 'activation' | 'alpha';

/** The arguments of layerNormBackward as a caller gives them (the defaulted fields may be left out). */
export interface LayerNormBackwardArgs
  extends Omit<LayerNormBackwardOf<Tensor>, LayerNormBackwardDefaulted>,
    Partial<Pick<LayerNormBackwardOf<Tensor>, LayerNormBackwardDefaulted>> {}

/**
 * The arguments of qLambdaReturns, over the type `T` that holds the data (as TdLossOf): PQN's
 * Q(lambda) targets over a rollout of T steps of N envs, time-major (row t holds the N envs' step t).
 * With V_t = max_a nextQ[t N + n, a], the online network's value of the observation after step t,
 * computed backwards from t = T - 1:
 *   G[t] = r[t]                                                 if step t terminated,
 *   G[t] = r[t] + gamma V_t                                     if step t was truncated, or t = T - 1,
 *   G[t] = r[t] + gamma (lambda G[t + 1] + (1 - lambda) V_t)    otherwise.
 * A terminated step does not bootstrap (V_t is not used: its Q row may hold any finite value);
 * a truncated step bootstraps from Q of its episode's final observation (Gymnasium's `final_obs`,
 * not the observation the autoreset gives) and, like a terminated one, stops the lambda-return: no return
 * crosses an episode boundary. lambda 0 gives one-step Q-learning targets, lambda 1 Monte Carlo
 * returns bootstrapped where an episode or the rollout is cut.
 * Flags are 1 (true) or 0; any non-zero value counts as true, and a step both terminated and
 * truncated is terminated.
 */
export interface QLambdaReturnsOf<T> {
  /** (T, N) rewards of each step. */
  rewards: T;
  /** (T, N): 1 where step t ended in a termination (no bootstrap), 0 otherwise. */
  terminated: T;
  /** (T, N): 1 where step t ended in a truncation (a time limit: it bootstraps), 0 otherwise. */
  truncated: T;
  /**
   * (T N, A) the online network's Q(s'_t, .) for the observation after step t of env n in row t N + n:
   * a network's output over the T N next observations, the final observation where step t was truncated.
   */
  nextQ: T;
  /** In [0, 1]. */
  gamma: number;
  /** In [0, 1]. */
  lambda: number;
  /** (T, N) <- G. Shares no element with an input. */
  returns: T;
}

/**
 * The environments the `envStep` op steps on the device (batched, one thread per env). Each is
 * Gymnasium's env of that id in float32 (the host envs of src/envs stay Gymnasium-exact in float64
 * for evaluation and users); docs/device-envs.md says how close the two are.
 */
export const DEVICE_ENVS = ['CartPole-v1', 'Acrobot-v1', 'MountainCar-v0'] as const;
export type DeviceEnvKind = (typeof DEVICE_ENVS)[number];

/** The sizes of a device env (see EnvStepOf). */
export interface DeviceEnvSpec {
  /** Rows of its state tensor (S, N): the physics rows, then the episode's steps, its return and the RNG counter. */
  stateRows: number;
  /** Columns of its observation rows (N, obsDim). */
  obsDim: number;
  /** Its discrete actions, 0 .. actions - 1. */
  actions: number;
  /** The time limit (Gymnasium's max_episode_steps): truncated when an episode reaches it. */
  maxSteps: number;
}

/**
 * The state rows of every device env end with these three, after its physics rows (CartPole's 4:
 * x, x_dot, theta, theta_dot; Acrobot's 4: theta1, theta2, dtheta1, dtheta2; MountainCar's 2:
 * position, velocity): the steps of the running episode (its length so far), its return so far, and
 * the env's RNG counter (the draws it has made; exact integers below 2^24 in float32).
 */
export const DEVICE_ENV_SPECS: Record<DeviceEnvKind, DeviceEnvSpec> = {
  'CartPole-v1': { stateRows: 7, obsDim: 4, actions: 2, maxSteps: 500 },
  'Acrobot-v1': { stateRows: 7, obsDim: 6, actions: 3, maxSteps: 500 },
  'MountainCar-v0': { stateRows: 5, obsDim: 2, actions: 3, maxSteps: 200 },
};

/** The rows every device env's state ends with (steps, return, RNG counter; DEVICE_ENV_SPECS). */
export const DEVICE_ENV_COMMON_ROWS = 3;

/** The physics rows of `env`'s state: the rows before the common ones. */
export function deviceEnvPhysicsRows(env: DeviceEnvKind): number {
  return DEVICE_ENV_SPECS[env].stateRows - DEVICE_ENV_COMMON_ROWS;
}

/**
 * The arguments of envStep, over the type `T` that holds the data (as TdLossOf): one step of N
 * copies of a device env, each from its column of a structure-of-arrays state, with Gymnasium's
 * vector-env semantics (same-step autoreset):
 * - the physics of `env` from state column i and actions[i] (Gymnasium's, each operation in float32
 *   on a float32 backend; in float64 on the float64 CPU backend, which is then Gymnasium's float64 step);
 * - the reward, `terminated` by Gymnasium's thresholds on the new state (a float32 state terminates
 *   exactly where it lies beyond the float64 threshold), `truncated` when the episode's steps reach
 *   maxSteps (both may hold at once, as Gymnasium's TimeLimit gives);
 * - where either holds, the episode's return and length to `episodes`, and a fresh reset state from
 *   the env's RNG stream (src/random/philox.ts) into the state and `obs`, the state the step reached
 *   into `finalObs` (Gymnasium's `final_obs`).
 * Rows are envs, so a network reads `obs` directly and its argmax (N, 1) is `actions`.
 */
export interface EnvStepOf<T> {
  /** Which env (DEVICE_ENVS). */
  env: DeviceEnvKind;
  /** The run's seed, a safe non-negative integer: the key of every env's RNG stream. */
  seed: number;
  /** (S, N), S = DEVICE_ENV_SPECS[env].stateRows: read and updated in place. Shares no element with the other tensors. */
  state: T;
  /**
   * N actions (any shape of size N), exact integers in [0, actions): CartPole pushes right on 1 and
   * left on anything else; Acrobot's torque and MountainCar's push are action - 1.
   */
  actions: T;
  /** (N, obsDim) <- the observation after the step, the reset observation where the episode ended. */
  obs: T;
  /** (N, obsDim) <- the observation the step reached, before any autoreset (equal to obs where the episode goes on). */
  finalObs: T;
  /** N (any shape of size N) <- the step's reward. */
  rewards: T;
  /** N <- 1 where the step terminated the episode, else 0. */
  terminated: T;
  /** N <- 1 where the step reached the time limit, else 0. */
  truncated: T;
  /** (2, N) <- row 0 the return and row 1 the length of the episode that ended at env i, 0 and 0 where none did. */
  episodes: T;
}

/**
 * The arguments of epsilonGreedy, over the type `T` that holds the data (as TdLossOf): the actions of
 * N envs acting epsilon-greedily on their Q rows, both draws from each env's Philox stream 1
 * (src/random/philox.ts, DEVICE_RNG_STREAMS.act):
 *   block   = Philox4x32-10((counter, env, 1, 0), seed's key)
 *   explore = uniform(block word 0) < float32(epsilon)
 *   action  = explore ? below(block word 1, A) : the index of the first maximum of q's row
 * (uniform and below as in philox.ts; the argmax is rowArgmax's: the lowest index on ties, as the
 * host's argmaxRow). The counter is the caller's, not state: PQN's device rollout passes the run's
 * vector step index, so a draw depends only on (seed, env, step) and resume needs nothing extra.
 * epsilon is rounded to float32 on every backend, so all of them make the same choice.
 */
export interface EpsilonGreedyOf<T> {
  /** (N, A) the Q-values of each env's observation, A >= 1. */
  q: T;
  /** In [0, 1]: the chance of a uniform random action. */
  epsilon: number;
  /** The run's seed, a safe non-negative integer (the key, as envStep's). */
  seed: number;
  /** The draw counter, an integer in [0, 2^32): the same value must never be used twice in a run. */
  counter: number;
  /** N (any shape of size N) <- the actions as exact integers in [0, A): envStep's `actions`. Shares no element with q. */
  actions: T;
}

export interface BackendStats {
  /** Tensors created and not yet disposed. */
  tensorsAlive: number;
  /** Bytes held by live tensors. */
  bytesAlive: number;
  /**
   * Kernel launches since the backend was created: compute dispatches on WebGPU, kernel calls on
   * the CPU. Deterministic for a given sequence of ops, so tests may assert it.
   */
  dispatches: number;
  /** Queue submissions since the backend was created (always 0 on the CPU backend). */
  submits: number;
  /** Reads back to the host since the backend was created (`read` calls; buffer maps on WebGPU). */
  readbacks: number;
}

/**
 * A view's offset inside the tensor it views must be a multiple of this many elements (256 bytes of
 * float32: WebGPU's largest allowed minStorageBufferOffsetAlignment, so a view binds directly on
 * any GPU). Every backend enforces it, so code that runs on one runs on the others.
 */
export const VIEW_ALIGNMENT = 64;

export interface Backend {
  readonly name: BackendName;
  readonly dtype: DType;
  /**
   * What runs the ops, in words: the CPU backend's kernels ('WebAssembly SIMD128 + FMA',
   * 'JavaScript, Float64Array'), the WebGPU backend's adapter ('mesa llvmpipe (LLVM ...)').
   */
  describe(): string;

  // ---------------------------------------------------------------- storage
  /** A new tensor, zero-filled unless `data` is given (data.length must equal the size). */
  tensor(shape: Shape, data?: ArrayLike<number>, label?: string): Tensor;
  /**
   * A tensor of `shape` sharing the elements `base[offset .. offset + size)` (flat, row-major):
   * writes through either are seen by both. `offset` is 0 or a multiple of VIEW_ALIGNMENT. A view
   * owns no storage: it is disposed when `base` is, and disposing it releases nothing. Ops reject
   * outputs that partially overlap an input (see validate.ts).
   */
  view(base: Tensor, offset: number, shape: Shape, label?: string): Tensor;
  /** Overwrites `t[offset .. offset + data.length)` (flat, row-major). */
  write(t: Tensor, data: ArrayLike<number>, offset?: number): void;
  /**
   * Reads a tensor back. On WebGPU this submits everything recorded so far and maps a staging
   * buffer. With `dst` (of length >= size) no array is allocated.
   */
  read(t: Tensor, dst?: FloatArray): Promise<FloatArray>;
  /** Submits recorded work without reading (a no-op on the CPU backend). */
  flush(): void;
  /** Waits until all submitted work has finished. */
  sync(): Promise<void>;
  /** Live tensor counts (for leak tests) and work counters. */
  stats(): BackendStats;
  /** Releases every resource the backend holds. The backend is unusable afterwards. */
  destroy(): void;

  // ---------------------------------------------------------------- elementwise and copies
  /** Every element of `out` set to `value`. */
  fill(out: Tensor, value: number): void;
  /** dst <- src (same size). */
  copy(src: Tensor, dst: Tensor): void;
  /** out <- alpha * x (out may be x). */
  scale(x: Tensor, alpha: number, out: Tensor): void;
  /** out <- a + b * c elementwise (all the same shape; out may alias any input). The TD target: r + discount * V(s'). */
  addMul(a: Tensor, b: Tensor, c: Tensor, out: Tensor): void;
  /** dst <- dst + t * (src - dst): the soft (Polyak) target update, t = tau. */
  lerp(dst: Tensor, src: Tensor, t: number): void;

  // ---------------------------------------------------------------- linear algebra
  /** out (m, n) <- op(a) (m, k) @ op(b) (k, n), op = transpose or not; `accumulate` adds into out. */
  matmul(a: Tensor, b: Tensor, out: Tensor, options?: MatmulOptions): void;
  /** out (1, cols) <- sum over rows of x (rows, cols): bias gradients. */
  columnSum(x: Tensor, out: Tensor, options?: AccumulateOption): void;

  // ---------------------------------------------------------------- layers
  /**
   * out <- act(x + bias), bias (1, cols) broadcast over rows, or act(x) when bias is null.
   * `alpha` is LeakyReLU's negative slope (default 0.01). Softmax is taken over each row.
   * out may be x.
   */
  biasActivation(x: Tensor, bias: Tensor | null, activation: Activation, out: Tensor, alpha?: number): void;
  /**
   * gradIn <- d act / d x applied to gradOut, computed from the activation's output y
   * (ReLU and LeakyReLU use y > 0; tanh 1 - y^2; sigmoid y(1 - y); softmax y * (g - rowsum(g * y))).
   * gradIn may be gradOut.
   */
  activationBackward(activation: Activation, y: Tensor, gradOut: Tensor, gradIn: Tensor, alpha?: number): void;

  // ---------------------------------------------------------------- fused layer ops (Dense forward and backward)
  /**
   * The Dense forward: out (B, n) <- act(x (B, k) @ w (k, n) + bias (1, n)), bias optional: exactly
   * matmul(x, w, out) then biasActivation(out, bias, activation, out, alpha), in one kernel.
   */
  linear(x: Tensor, w: Tensor, bias: Tensor | null, activation: Activation, out: Tensor, alpha?: number): void;
  /**
   * The Dense parameter gradients from the pre-activation gradient g (B, n) of input x (B, k):
   * dW (k, n) <- x^T g and db (1, n) <- the column sums of g (or += with `accumulate`), exactly
   * matmul(x, g, dW, {transA}) then columnSum(g, db), in one kernel. db may be null.
   */
  linearGrad(x: Tensor, g: Tensor, dW: Tensor, db: Tensor | null, options?: AccumulateOption): void;
  /**
   * The gradient a Dense layer passes down: out (B, k) <- (g (B, n) @ w^T) * act'(y), where y (B, k)
   * is the output of the layer below and act its activation, exactly matmul(g, w, out, {transB})
   * then activationBackward(activation, y, out, out, alpha). With y null (or 'identity'), the plain
   * input gradient. Softmax is not elementwise: use activationBackward for it.
   */
  linearInputGrad(g: Tensor, w: Tensor, y: Tensor | null, activation: Activation, out: Tensor, alpha?: number): void;

  // ---------------------------------------------------------------- the DQN loss, fused
  /**
   * The TD loss of a DQN minibatch in one kernel: the targets r + gamma (1 - terminated) V(s'),
   * the loss of Q(s, a) against them (mean over the batch) and its gradient scattered into gradQ,
   * exactly as rowMax or rowArgmax + gatherColumns, addMul, gatherColumns, loss and scatterColumns.
   */
  tdLoss(args: TdLossArgs): void;

  // ---------------------------------------------------------------- layer normalisation
  /** LayerNorm's forward over each row of x and its activation epilogue, saving each row's mean and reciprocal std in stats (see LayerNormOf). */
  layerNorm(args: LayerNormArgs): void;
  /** LayerNorm's backward from the forward's x, gamma and stats, through its activation's derivative at y (see LayerNormBackwardOf). */
  layerNormBackward(args: LayerNormBackwardArgs): void;

  // ---------------------------------------------------------------- returns over a rollout
  /** PQN's Q(lambda) returns over a time-major rollout of T steps of N envs, in one kernel (see QLambdaReturnsOf). */
  qLambdaReturns(args: QLambdaReturnsOf<Tensor>): void;

  // ---------------------------------------------------------------- policy-gradient losses
  /** The PPO loss of a minibatch, its gradients and its diagnostics, in one kernel (see PpoLossOf in policy-ops.ts). */
  ppoLoss(args: PpoLossOf<Tensor>): void;

  // ---------------------------------------------------------------- environments on the device
  /** One step of N copies of a device env with same-step autoreset, in one kernel (see EnvStepOf). */
  envStep(args: EnvStepOf<Tensor>): void;
  /** Epsilon-greedy actions of N envs from their Q rows and each env's Philox stream 1, in one kernel (see EpsilonGreedyOf). */
  epsilonGreedy(args: EpsilonGreedyOf<Tensor>): void;

  // ---------------------------------------------------------------- policy-gradient ops (policy-ops.ts)
  /** Generalised advantage estimation over a time-major rollout of T steps of N envs, and the critic's targets, in one kernel (see GaeOf). */
  gaeAdvantages(args: GaeOf<Tensor>): void;
  /** One action per row of a policy head's output from each row's Philox stream 1, with its log-probability, in one kernel (see PolicySampleOf). */
  policySample(args: PolicySampleOf<Tensor>): void;

  // ---------------------------------------------------------------- indexing and reductions over rows
  /** out (B, 1) <- x[i, indices[i]] for x (B, n), indices (B, 1) of exact integers in [0, n). */
  gatherColumns(x: Tensor, indices: Tensor, out: Tensor): void;
  /**
   * out (B, D) <- the rows indices[0..B) of x (R, D), indices B values (any shape) of exact integers
   * in [0, R): a minibatch drawn from a rollout on the device. out shares no element with x or indices.
   */
  gatherRows(x: Tensor, indices: Tensor, out: Tensor): void;
  /** out (B, n) <- 0 everywhere except out[i, indices[i]] = values[i]. */
  scatterColumns(values: Tensor, indices: Tensor, out: Tensor): void;
  /** out (B, 1) <- max over each row of x. */
  rowMax(x: Tensor, out: Tensor): void;
  /** out (B, 1) <- index of the first maximum of each row of x (as an exact float). */
  rowArgmax(x: Tensor, out: Tensor): void;
  /** Dueling head: q (B, n) <- value (B, 1) + advantage (B, n) - rowmean(advantage). */
  duelingCombine(value: Tensor, advantage: Tensor, q: Tensor): void;
  /** Backward of duelingCombine: gradValue (B, 1) <- rowsum(gradQ); gradAdvantage <- gradQ - rowmean(gradQ). */
  duelingBackward(gradQ: Tensor, gradValue: Tensor, gradAdvantage: Tensor): void;

  // ---------------------------------------------------------------- losses
  /**
   * lossOut (1, 1) <- the loss of pred against target (same shape); grad (or null) <- d loss / d pred.
   * See LOSSES for the definitions.
   */
  loss(kind: LossKind, pred: Tensor, target: Tensor, lossOut: Tensor, grad: Tensor | null, options?: LossOptions): void;

  // ---------------------------------------------------------------- optimisers and gradient clipping
  /** out (1, 1) <- sum of squares of x, or += with `accumulate` (global-norm clipping sums over every gradient). */
  sumSquares(x: Tensor, out: Tensor, options?: AccumulateOption): void;
  /** x <- x * min(1, maxNorm / (sqrt(sumSquares) + 1e-6)): torch.nn.utils.clip_grad_norm_ given the summed squares. */
  clipByGlobalNorm(x: Tensor, sumSquares: Tensor, maxNorm: number): void;
  /**
   * One Adam step on param given grad, updating the moment tensors m and v in place; `fusion` adds
   * gradient clipping before it and a Polyak target update after it, in the same kernel.
   */
  adam(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hp: AdamHyperParameters, fusion?: AdamFusion): void;
  /**
   * One RAdam step (torch.optim.RAdam, see radamRectification) on param given grad, updating m and v
   * in place; `fusion` as adam's (clipping before, a Polyak target update after, in the same kernel).
   */
  radam(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hp: RAdamHyperParameters, fusion?: AdamFusion): void;
  /** One SGD step (with optional momentum, dampening, Nesterov and weight decay) as torch.optim.SGD. */
  sgd(param: Tensor, grad: Tensor, velocity: Tensor, hp: SgdHyperParameters): void;
}

/** Every op name of the interface, for conformance tests that must cover them all. */
export const BACKEND_OPS = [
  'fill',
  'copy',
  'scale',
  'addMul',
  'lerp',
  'matmul',
  'columnSum',
  'linear',
  'linearGrad',
  'linearInputGrad',
  'tdLoss',
  'layerNorm',
  'layerNormBackward',
  'qLambdaReturns',
  'ppoLoss',
  'envStep',
  'epsilonGreedy',
  'gaeAdvantages',
  'policySample',
  'biasActivation',
  'activationBackward',
  'gatherColumns',
  'gatherRows',
  'scatterColumns',
  'rowMax',
  'rowArgmax',
  'duelingCombine',
  'duelingBackward',
  'loss',
  'sumSquares',
  'clipByGlobalNorm',
  'adam',
  'radam',
  'sgd',
] as const satisfies readonly (keyof Backend)[];
export type BackendOp = (typeof BACKEND_OPS)[number];
