/**
 * Float64 reference implementations of every backend op: naive loops written to be obviously
 * right, not fast. Matrices are row-major arrays with explicit (rows, cols).
 */
import type { AdamHyperParameters } from '../../src/backend/backend.js';
import { ADAM_DEFAULTS } from '../../src/nn/optim/adam.js';
import { AcrobotEnv } from '../../src/envs/acrobot.js';
import { MountainCarEnv } from '../../src/envs/mountain-car.js';

export type Matrix = { data: Float64Array; rows: number; cols: number };

export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  const m = { rows, cols, data: new Float64Array(rows * cols) };
  if (data) m.data.set(data);
  return m;
}

export function at(m: Matrix, r: number, c: number): number {
  return m.data[r * m.cols + c];
}

export function transpose(m: Matrix): Matrix {
  const t = matrix(m.cols, m.rows);
  for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) t.data[c * m.rows + r] = at(m, r, c);
  return t;
}

/** op(a) op(b) (+ out0 when given). */
export function refMatmul(a: Matrix, b: Matrix, transA: boolean, transB: boolean, out0?: Float64Array): Float64Array {
  const A = transA ? transpose(a) : a;
  const B = transB ? transpose(b) : b;
  const out = new Float64Array(A.rows * B.cols);
  for (let i = 0; i < A.rows; i++) {
    for (let j = 0; j < B.cols; j++) {
      let s = 0;
      for (let p = 0; p < A.cols; p++) s += at(A, i, p) * at(B, p, j);
      out[i * B.cols + j] = (out0 ? out0[i * B.cols + j] : 0) + s;
    }
  }
  return out;
}

export function refColumnSum(x: Matrix, out0?: Float64Array): Float64Array {
  const out = new Float64Array(x.cols);
  for (let c = 0; c < x.cols; c++) {
    let s = out0 ? out0[c] : 0;
    for (let r = 0; r < x.rows; r++) s += at(x, r, c);
    out[c] = s;
  }
  return out;
}

export function refActivation(name: string, x: Matrix, bias: Float64Array | null, alpha = 0.01): Float64Array {
  const out = new Float64Array(x.rows * x.cols);
  for (let r = 0; r < x.rows; r++) {
    const z = [];
    for (let c = 0; c < x.cols; c++) z.push(at(x, r, c) + (bias ? bias[c] : 0));
    let ys: number[];
    switch (name) {
      case 'identity':
        ys = z;
        break;
      case 'relu':
        ys = z.map((v) => Math.max(0, v));
        break;
      case 'leaky_relu':
        ys = z.map((v) => (v > 0 ? v : alpha * v));
        break;
      case 'tanh':
        ys = z.map((v) => Math.tanh(v));
        break;
      case 'sigmoid':
        ys = z.map((v) => 1 / (1 + Math.exp(-v)));
        break;
      case 'softmax': {
        const m = Math.max(...z);
        const e = z.map((v) => Math.exp(v - m));
        const s = e.reduce((p, q) => p + q, 0);
        ys = e.map((v) => v / s);
        break;
      }
      default:
        throw new Error(`no reference for activation ${name}`);
    }
    out.set(ys, r * x.cols);
  }
  return out;
}

/** d act/dx applied to g, from the output y (same conventions as the backend doc). */
export function refActivationBackward(name: string, y: Matrix, g: Float64Array, alpha = 0.01): Float64Array {
  const out = new Float64Array(y.rows * y.cols);
  for (let r = 0; r < y.rows; r++) {
    let dot = 0;
    for (let c = 0; c < y.cols; c++) dot += g[r * y.cols + c] * at(y, r, c);
    for (let c = 0; c < y.cols; c++) {
      const i = r * y.cols + c;
      const yv = y.data[i];
      switch (name) {
        case 'identity':
          out[i] = g[i];
          break;
        case 'relu':
          out[i] = yv > 0 ? g[i] : 0;
          break;
        case 'leaky_relu':
          out[i] = yv > 0 ? g[i] : alpha * g[i];
          break;
        case 'tanh':
          out[i] = g[i] * (1 - yv * yv);
          break;
        case 'sigmoid':
          out[i] = g[i] * yv * (1 - yv);
          break;
        case 'softmax':
          out[i] = yv * (g[i] - dot);
          break;
        default:
          throw new Error(`no reference for activation ${name}`);
      }
    }
  }
  return out;
}

export function refGather(x: Matrix, idx: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: x.rows }, (_, r) => at(x, r, idx[r]));
}

export function refScatter(values: ArrayLike<number>, idx: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) out[r * cols + idx[r]] = values[r];
  return out;
}

export function refRowMax(x: Matrix): Float64Array {
  return Float64Array.from({ length: x.rows }, (_, r) => Math.max(...x.data.subarray(r * x.cols, (r + 1) * x.cols)));
}

export function refRowArgmax(x: Matrix): Float64Array {
  return Float64Array.from({ length: x.rows }, (_, r) => {
    const row = Array.from(x.data.subarray(r * x.cols, (r + 1) * x.cols));
    return row.indexOf(Math.max(...row));
  });
}

export function refDuelingCombine(value: ArrayLike<number>, adv: Matrix): Float64Array {
  const out = new Float64Array(adv.rows * adv.cols);
  for (let r = 0; r < adv.rows; r++) {
    let mean = 0;
    for (let c = 0; c < adv.cols; c++) mean += at(adv, r, c) / adv.cols;
    for (let c = 0; c < adv.cols; c++) out[r * adv.cols + c] = value[r] + at(adv, r, c) - mean;
  }
  return out;
}

export function refDuelingBackward(gq: Matrix): { gradValue: Float64Array; gradAdvantage: Float64Array } {
  const gradValue = new Float64Array(gq.rows);
  const gradAdvantage = new Float64Array(gq.rows * gq.cols);
  for (let r = 0; r < gq.rows; r++) {
    let s = 0;
    for (let c = 0; c < gq.cols; c++) s += at(gq, r, c);
    gradValue[r] = s;
    for (let c = 0; c < gq.cols; c++) gradAdvantage[r * gq.cols + c] = at(gq, r, c) - s / gq.cols;
  }
  return { gradValue, gradAdvantage };
}

/** Loss value and gradient, straight from the definitions in backend.ts. */
export function refLoss(kind: string, pred: Matrix, target: Matrix, delta = 1, eps = 1e-7): { loss: number; grad: Float64Array } {
  const n = pred.rows * pred.cols;
  const grad = new Float64Array(n);
  let loss = 0;
  if (kind === 'mse') {
    for (let i = 0; i < n; i++) {
      const d = pred.data[i] - target.data[i];
      loss += (d * d) / n;
      grad[i] = (2 * d) / n;
    }
  } else if (kind === 'huber') {
    for (let i = 0; i < n; i++) {
      const d = pred.data[i] - target.data[i];
      if (Math.abs(d) <= delta) {
        loss += (0.5 * d * d) / n;
        grad[i] = d / n;
      } else {
        loss += (delta * (Math.abs(d) - 0.5 * delta)) / n;
        grad[i] = (delta * Math.sign(d)) / n;
      }
    }
  } else if (kind === 'softmax_cross_entropy') {
    const B = pred.rows;
    for (let r = 0; r < B; r++) {
      const z = Array.from(pred.data.subarray(r * pred.cols, (r + 1) * pred.cols));
      const m = Math.max(...z);
      const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
      const t = target.data.subarray(r * pred.cols, (r + 1) * pred.cols);
      const tsum = t.reduce((s, v) => s + v, 0);
      for (let c = 0; c < pred.cols; c++) {
        loss -= (t[c] * (z[c] - lse)) / B;
        grad[r * pred.cols + c] = (Math.exp(z[c] - lse) * tsum - t[c]) / B;
      }
    }
  } else if (kind === 'cross_entropy') {
    const B = pred.rows;
    for (let i = 0; i < n; i++) {
      const p = pred.data[i];
      loss -= (target.data[i] * Math.log(Math.max(p, eps))) / B;
      grad[i] = p >= eps ? -target.data[i] / (B * p) : 0;
    }
  } else {
    throw new Error(`no reference for loss ${kind}`);
  }
  return { loss, grad };
}

/** Adam's hyper-parameters at update `step`: the library's defaults (ADAM_DEFAULTS, as an Adam built without options has them) but for `overrides`. */
export function adamHyperParameters(step: number, overrides: Partial<Omit<AdamHyperParameters, 'step'>> = {}): AdamHyperParameters {
  return { ...ADAM_DEFAULTS, ...overrides, step };
}

/** torch.optim.Adam / AdamW single step, written as in the PyTorch docs' pseudo-code. */
export function refAdam(p0: ArrayLike<number>, g0: ArrayLike<number>, m0: ArrayLike<number>, v0: ArrayLike<number>, hp: AdamHyperParameters) {
  return refAdamFamily(p0, g0, m0, v0, hp, (theta, m, v) => {
    const mHat = m / (1 - hp.beta1 ** hp.step);
    const vHat = v / (1 - hp.beta2 ** hp.step);
    return theta - (hp.lr * mHat) / (Math.sqrt(vHat) + hp.eps);
  });
}

/**
 * torch.optim.RAdam single step, written as torch/optim/radam.py's _single_tensor_radam computes it
 * (eps added to sqrt(v), not to the bias-corrected v's root): m_hat = m / (1 - b1^t); if rho_t > 5,
 * p -= lr m_hat r_t sqrt(1 - b2^t) / (sqrt(v) + eps), else p -= lr m_hat.
 */
export function refRAdam(p0: ArrayLike<number>, g0: ArrayLike<number>, m0: ArrayLike<number>, v0: ArrayLike<number>, hp: AdamHyperParameters) {
  const t = hp.step;
  const biasCorrection1 = 1 - hp.beta1 ** t;
  const biasCorrection2 = 1 - hp.beta2 ** t;
  const rhoInf = 2 / (1 - hp.beta2) - 1;
  const rho = rhoInf - (2 * t * hp.beta2 ** t) / biasCorrection2;
  const rect = Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho));
  return refAdamFamily(p0, g0, m0, v0, hp, (theta, m, v) => {
    const mHat = m / biasCorrection1;
    if (!(rho > 5)) return theta - mHat * hp.lr;
    const adaptiveLr = Math.sqrt(biasCorrection2) / (Math.sqrt(v) + hp.eps);
    return theta - mHat * hp.lr * adaptiveLr * rect;
  });
}

/** What Adam and RAdam share: the weight decay (L2 or decoupled) and the moments; `update` gives the new parameter from the decayed one and the moments. */
function refAdamFamily(
  p0: ArrayLike<number>,
  g0: ArrayLike<number>,
  m0: ArrayLike<number>,
  v0: ArrayLike<number>,
  hp: AdamHyperParameters,
  update: (theta: number, m: number, v: number) => number,
) {
  const n = p0.length;
  const param = new Float64Array(n);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let theta = p0[i];
    let g = g0[i];
    if (hp.weightDecay !== 0) {
      if (hp.decoupledWeightDecay) theta = theta * (1 - hp.lr * hp.weightDecay);
      else g = g + hp.weightDecay * p0[i];
    }
    m[i] = hp.beta1 * m0[i] + (1 - hp.beta1) * g;
    v[i] = hp.beta2 * v0[i] + (1 - hp.beta2) * g * g;
    param[i] = update(theta, m[i], v[i]);
  }
  return { param, m, v };
}

export interface RefSgd {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  step: number;
}

/** torch.optim.SGD single step (buffer initialised to the gradient on step 1). */
export function refSgd(p0: ArrayLike<number>, g0: ArrayLike<number>, b0: ArrayLike<number>, hp: RefSgd) {
  const n = p0.length;
  const param = new Float64Array(n);
  const velocity = Float64Array.from(b0);
  for (let i = 0; i < n; i++) {
    let g = g0[i] + hp.weightDecay * p0[i];
    if (hp.momentum !== 0) {
      velocity[i] = hp.step === 1 ? g : hp.momentum * b0[i] + (1 - hp.dampening) * g;
      g = hp.nesterov ? g + hp.momentum * velocity[i] : velocity[i];
    }
    param[i] = p0[i] - hp.lr * g;
  }
  return { param, velocity };
}

export function refSumSquares(x: ArrayLike<number>, out0 = 0): number {
  let s = out0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

/** torch.nn.utils.clip_grad_norm_ given the total squared norm. */
export function refClip(x: ArrayLike<number>, sumSquares: number, maxNorm: number): Float64Array {
  const coef = Math.min(1, maxNorm / (Math.sqrt(sumSquares) + 1e-6));
  return Float64Array.from(x, (v) => v * coef);
}

export interface RefTdLoss {
  batch: number;
  actions: number;
  gamma: number;
  double: boolean;
  loss: 'mse' | 'huber';
  delta: number;
}

/**
 * The DQN TD loss in float64, written from its definition: targets r + gamma (1 - terminated) V(s')
 * (or r + discounts[i] V(s') with per-row discounts)
 * with V(s') = max_a Q_target(s', a) or, Double DQN, Q_target(s', argmax_a Q_online(s', a)) (first
 * maximum); the mean loss of Q(s, a) against them; its gradient at each row's action.
 */
export function refTdLoss(
  q: ArrayLike<number>,
  nextQ: ArrayLike<number>,
  actions: ArrayLike<number>,
  rewards: ArrayLike<number>,
  terminated: ArrayLike<number>,
  hp: RefTdLoss,
  /** Per-row factors of V(s') replacing gamma (1 - terminated) (n-step returns), or null. */
  discounts: ArrayLike<number> | null = null,
): { loss: number; gradQ: Float64Array; targets: Float64Array } {
  const { batch: B, actions: A, gamma, delta } = hp;
  const gradQ = new Float64Array(B * A);
  const targets = new Float64Array(B);
  let loss = 0;
  for (let i = 0; i < B; i++) {
    let v: number;
    if (hp.double) {
      let best = 0;
      for (let a = 1; a < A; a++) if (q[(B + i) * A + a] > q[(B + i) * A + best]) best = a;
      v = nextQ[i * A + best];
    } else {
      v = -Infinity;
      for (let a = 0; a < A; a++) v = Math.max(v, nextQ[i * A + a]);
    }
    targets[i] = rewards[i] + (discounts === null ? gamma * (1 - terminated[i]) : discounts[i]) * v;
    const d = q[i * A + actions[i]] - targets[i];
    if (hp.loss === 'mse') {
      loss += d * d;
      gradQ[i * A + actions[i]] = (2 * d) / B;
    } else if (Math.abs(d) <= delta) {
      loss += 0.5 * d * d;
      gradQ[i * A + actions[i]] = d / B;
    } else {
      loss += delta * (Math.abs(d) - 0.5 * delta);
      gradQ[i * A + actions[i]] = (Math.sign(d) * delta) / B;
    }
  }
  return { loss: loss / B, gradQ, targets };
}

/**
 * Munchausen DQN's TD loss in float64, from the paper's target (Vieillard et al. 2020, eq. 2 with
 * the clipping of section 3): nextQ holds Q_target(s, .) in rows 0..B-1 and Q_target(s', .) in rows
 * B..2B-1; pi = softmax(Q_target / tau) computed directly from its definition (exp, sum, divide),
 * y = r + alpha clip(tau log pi(a|s), l0, 0) + discount sum_a' pi(a'|s') (Q_target(s', a') - tau log pi(a'|s')),
 * then the same loss and gradient as refTdLoss.
 */
export function refMunchausenTdLoss(
  q: ArrayLike<number>,
  nextQ: ArrayLike<number>,
  actions: ArrayLike<number>,
  rewards: ArrayLike<number>,
  terminated: ArrayLike<number>,
  hp: RefTdLoss & { alpha: number; tau: number; floor: number },
  discounts: ArrayLike<number> | null = null,
): { loss: number; gradQ: Float64Array; targets: Float64Array } {
  const { batch: B, actions: A, gamma, delta, alpha, tau, floor } = hp;
  const policy = (row: number): number[] => {
    const values = Array.from({ length: A }, (_, a) => nextQ[row * A + a] / tau);
    const top = Math.max(...values);
    const weights = values.map((v) => Math.exp(v - top));
    const total = weights.reduce((x, y) => x + y, 0);
    return weights.map((w) => w / total);
  };
  const gradQ = new Float64Array(B * A);
  const targets = new Float64Array(B);
  let loss = 0;
  for (let i = 0; i < B; i++) {
    const a = actions[i];
    const bonus = alpha * Math.min(0, Math.max(floor, tau * Math.log(policy(i)[a])));
    const next = policy(B + i);
    let soft = 0;
    for (let c = 0; c < A; c++) if (next[c] > 0) soft += next[c] * (nextQ[(B + i) * A + c] - tau * Math.log(next[c]));
    targets[i] = rewards[i] + bonus + (discounts === null ? gamma * (1 - terminated[i]) : discounts[i]) * soft;
    const d = q[i * A + a] - targets[i];
    if (hp.loss === 'mse') {
      loss += d * d;
      gradQ[i * A + a] = (2 * d) / B;
    } else if (Math.abs(d) <= delta) {
      loss += 0.5 * d * d;
      gradQ[i * A + a] = d / B;
    } else {
      loss += delta * (Math.abs(d) - 0.5 * delta);
      gradQ[i * A + a] = (Math.sign(d) * delta) / B;
    }
  }
  return { loss: loss / B, gradQ, targets };
}

/**
 * QR-DQN's quantile Huber loss in float64, from its definition (Dabney et al. 2018, eq. 10, as
 * sb3-contrib's quantile_huber_loss): for row i, with N quantiles per action and tau_k = (2k+1)/2N,
 * a' = argmax_a mean_j Z(s', a)_j (the online network's rows B.. with Double DQN, else the target's),
 * T_j = r + discount Z_target(s', a')_j, the pairwise matrix u_kj = T_j - Z(s, a_i)_k, and
 * loss = mean over rows and j of sum over k of |tau_k - 1{u_kj < 0}| L_delta(u_kj) / delta.
 * The gradient is the derivative of that sum, term by term. `actions` is A (the action count).
 */
export function refQuantileTdLoss(
  q: ArrayLike<number>,
  nextQ: ArrayLike<number>,
  actions: ArrayLike<number>,
  rewards: ArrayLike<number>,
  terminated: ArrayLike<number>,
  hp: RefTdLoss & { quantiles: number },
  discounts: ArrayLike<number> | null = null,
): { loss: number; gradQ: Float64Array; targets: Float64Array } {
  const { batch: B, actions: A, quantiles: N, gamma, delta } = hp;
  const W = A * N;
  const gradQ = new Float64Array(B * W);
  const targets = new Float64Array(B);
  const mean = (values: ArrayLike<number>, row: number, a: number) => {
    let sum = 0;
    for (let j = 0; j < N; j++) sum += values[row * W + a * N + j];
    return sum / N;
  };
  let loss = 0;
  for (let i = 0; i < B; i++) {
    const chooser = hp.double ? q : nextQ;
    const chooserRow = hp.double ? B + i : i;
    let best = 0;
    for (let a = 1; a < A; a++) if (mean(chooser, chooserRow, a) > mean(chooser, chooserRow, best)) best = a;
    const discount = discounts === null ? gamma * (1 - terminated[i]) : discounts[i];
    const T = Array.from({ length: N }, (_, j) => rewards[i] + discount * nextQ[i * W + best * N + j]);
    targets[i] = T.reduce((x, y) => x + y, 0) / N;
    const taken = i * W + actions[i] * N;
    for (let k = 0; k < N; k++) {
      const tau = (2 * k + 1) / (2 * N);
      for (let j = 0; j < N; j++) {
        const u = T[j] - q[taken + k];
        const weight = Math.abs(tau - (u < 0 ? 1 : 0));
        const huber = Math.abs(u) <= delta ? 0.5 * u * u : delta * (Math.abs(u) - 0.5 * delta);
        const dHuber = Math.abs(u) <= delta ? u : delta * Math.sign(u);
        loss += (weight * huber) / delta / (B * N);
        // d u / d q = -1.
        gradQ[taken + k] -= (weight * dHuber) / delta / (B * N);
      }
    }
  }
  return { loss, gradQ, targets };
}

/** torch.nn.LayerNorm over rows: out and the per-row (mean, 1 / sqrt(var + eps)), biased variance, two passes. */
/** LayerNorm then (by default no) activation: out = act((x - mean) rstd gamma + beta), stats the row's (mean, rstd). */
export function refLayerNorm(
  x: Matrix,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  eps: number,
  activation = 'identity',
  alpha = 0.01,
): { out: Float64Array; stats: Float64Array } {
  const out = new Float64Array(x.rows * x.cols);
  const stats = new Float64Array(2 * x.rows);
  for (let r = 0; r < x.rows; r++) {
    let sum = 0;
    for (let c = 0; c < x.cols; c++) sum += at(x, r, c);
    const mean = sum / x.cols;
    let v = 0;
    for (let c = 0; c < x.cols; c++) v += (at(x, r, c) - mean) ** 2;
    const rstd = 1 / Math.sqrt(v / x.cols + eps);
    for (let c = 0; c < x.cols; c++) out[r * x.cols + c] = (at(x, r, c) - mean) * rstd * gamma[c] + beta[c];
    stats[2 * r] = mean;
    stats[2 * r + 1] = rstd;
  }
  return { out: activation === 'identity' ? out : refActivation(activation, matrix(x.rows, x.cols, out), null, alpha), stats };
}

/**
 * LayerNorm's backward given the forward's stats (mean, rstd per row), written from the chain rule
 * term by term: d y_j / d x_i = gamma_j rstd (delta_ij - 1/n - xhat_i xhat_j / n).
 */
export function refLayerNormBackward(
  x: Matrix,
  gamma: ArrayLike<number>,
  stats: ArrayLike<number>,
  dy: Matrix,
  dgamma0?: ArrayLike<number>,
  dbeta0?: ArrayLike<number>,
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const n = x.cols;
  const dx = new Float64Array(x.rows * n);
  const dgamma = Float64Array.from({ length: n }, (_, c) => (dgamma0 ? dgamma0[c] : 0));
  const dbeta = Float64Array.from({ length: n }, (_, c) => (dbeta0 ? dbeta0[c] : 0));
  for (let r = 0; r < x.rows; r++) {
    const mean = stats[2 * r];
    const rstd = stats[2 * r + 1];
    const xhat = Array.from({ length: n }, (_, c) => (at(x, r, c) - mean) * rstd);
    for (let j = 0; j < n; j++) {
      dgamma[j] += at(dy, r, j) * xhat[j];
      dbeta[j] += at(dy, r, j);
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += at(dy, r, j) * gamma[j] * rstd * ((i === j ? 1 : 0) - 1 / n - (xhat[i] * xhat[j]) / n);
      dx[r * n + i] = s;
    }
  }
  return { dx, dgamma, dbeta };
}

/**
 * PQN's Q(lambda) returns (QLambdaReturnsOf in backend.ts) in the forward view, not the kernels'
 * backward recursion: from step t, the segment runs to the first step e >= t that ends an episode
 * (terminated or truncated), or to the rollout's last step; with K = e - t + 1 and the k-step returns
 * G(k) = sum_{j<k} gamma^j r[t+j] + gamma^k V[t+k-1] (V[e] taken as 0 when step e terminated),
 * G[t] = sum_{k<K} (1 - lambda) lambda^(k-1) G(k) + lambda^(K-1) G(K).
 * V[i] is the max of nextQ's row i; rows (T, N) time-major, nextQ (T N, A).
 */
export function refQLambdaReturns(
  rewards: ArrayLike<number>,
  terminated: ArrayLike<number>,
  truncated: ArrayLike<number>,
  nextQ: ArrayLike<number>,
  shape: { steps: number; envs: number; actions: number },
  gamma: number,
  lambda: number,
): Float64Array {
  const { steps, envs, actions } = shape;
  const value = (i: number): number => Math.max(...Array.from({ length: actions }, (_, a) => nextQ[i * actions + a]));
  const ended = (i: number): boolean => terminated[i] !== 0 || truncated[i] !== 0;
  const out = new Float64Array(steps * envs);
  for (let n = 0; n < envs; n++) {
    for (let t = 0; t < steps; t++) {
      let e = t;
      while (e < steps - 1 && !ended(e * envs + n)) e++;
      const K = e - t + 1;
      let g = 0;
      let rewardSum = 0;
      for (let k = 1; k <= K; k++) {
        const i = (t + k - 1) * envs + n;
        rewardSum += gamma ** (k - 1) * rewards[i];
        const kStep = rewardSum + (terminated[i] !== 0 ? 0 : gamma ** k * value(i));
        g += (k < K ? (1 - lambda) * lambda ** (k - 1) : lambda ** (K - 1)) * kStep;
      }
      out[t * envs + n] = g;
    }
  }
  return out;
}

// ------------------------------------------------------------------ device envs

const MASK32 = 0xffffffffn;

/**
 * Philox4x32-10 written from the paper (Salmon et al. 2011, section 4.2) with BigInt products, so it
 * shares nothing with src/random/philox.ts's 16-bit-halves multiply: ten rounds of
 * (hi(M0 c0) ^ c1 ^ k0, lo(M1 c2), hi(M1 c2)... ) with the key bumped by the Weyl constants.
 */
export function refPhilox4x32(counter: readonly number[], key: readonly number[]): number[] {
  let [c0, c1, c2, c3] = counter.map((x) => BigInt(x >>> 0));
  let [k0, k1] = key.map((x) => BigInt(x >>> 0));
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + 0x9e3779b9n) & MASK32;
      k1 = (k1 + 0xbb67ae85n) & MASK32;
    }
    const p0 = 0xd2511f53n * c0;
    const p1 = 0xcd9e8d57n * c2;
    [c0, c1, c2, c3] = [((p1 >> 32n) ^ c1 ^ k0) & MASK32, p1 & MASK32, ((p0 >> 32n) ^ c3 ^ k1) & MASK32, p0 & MASK32];
  }
  return [c0, c1, c2, c3].map(Number);
}

/**
 * envStep for CartPole-v1 in float64: Gymnasium's step (src/envs/cartpole.ts's formulas, Math.sin
 * and Math.cos, thresholds compared as Gymnasium does), autoreset from refPhilox4x32 with
 * (bits >> 8) 2^-24 as the uniform and (u - 1/2) 0.1 as each reset component.
 */
export function refCartPoleStep(state0: ArrayLike<number>, actions: ArrayLike<number>, n: number, seed: number): Record<string, Float64Array> {
  const state = Float64Array.from(state0);
  const obs = new Float64Array(4 * n);
  const finalObs = new Float64Array(4 * n);
  const rewards = new Float64Array(n).fill(1);
  const terminated = new Float64Array(n);
  const truncated = new Float64Array(n);
  const episodes = new Float64Array(2 * n);
  const key = [seed % 2 ** 32, Math.floor(seed / 2 ** 32)];
  const [g, mp, tm, len, pml, tau] = [9.8, 0.1, 1.1, 0.5, 0.05, 0.02];
  for (let i = 0; i < n; i++) {
    const [x, xd, th, thd] = [0, 1, 2, 3].map((r) => state[r * n + i]);
    const force = actions[i] === 1 ? 10 : -10;
    const c = Math.cos(th);
    const s = Math.sin(th);
    const temp = (force + pml * thd * thd * s) / tm;
    const thacc = (g * s - c * temp) / (len * (4 / 3 - (mp * c * c) / tm));
    const xacc = temp - (pml * thacc * c) / tm;
    const next = [x + tau * xd, xd + tau * xacc, th + tau * thd, thd + tau * thacc];
    const steps = state[4 * n + i] + 1;
    const ret = state[5 * n + i] + 1;
    const term = Math.abs(next[0]) > 2.4 || Math.abs(next[2]) > (12 * 2 * Math.PI) / 360;
    const trunc = steps >= 500;
    terminated[i] = term ? 1 : 0;
    truncated[i] = trunc ? 1 : 0;
    for (let r = 0; r < 4; r++) finalObs[4 * i + r] = next[r];
    if (term || trunc) {
      episodes[i] = ret;
      episodes[n + i] = steps;
      const bits = refPhilox4x32([state[6 * n + i], i, 0, 0], key);
      for (let r = 0; r < 4; r++) next[r] = (Math.floor(bits[r] / 256) / 2 ** 24 - 0.5) * 0.1;
      state[4 * n + i] = 0;
      state[5 * n + i] = 0;
      state[6 * n + i] += 1;
    } else {
      state[4 * n + i] = steps;
      state[5 * n + i] = ret;
    }
    for (let r = 0; r < 4; r++) {
      state[r * n + i] = next[r];
      obs[4 * i + r] = next[r];
    }
  }
  return { state, obs, finalObs, rewards, terminated, truncated, episodes };
}

/**
 * envStep's bookkeeping around a host env's float64 step: for env i, `step(i)` the env's step from
 * state column i (returning the reward and whether it terminated, its next physics rows in `next`),
 * the time limit, and where the episode ended its statistics and a reset from refPhilox4x32's
 * uniforms ((bits >> 8) 2^-24) through `reset`; `observe` maps physics rows to an observation.
 */
function refDeviceEnvStep(
  state0: ArrayLike<number>,
  n: number,
  seed: number,
  shape: { rows: number; obsDim: number; maxSteps: number },
  step: (i: number, state: Float64Array) => { reward: number; terminated: boolean; next: number[] },
  reset: (u: number[]) => number[],
  observe: (rows: number[]) => number[],
): Record<string, Float64Array> {
  const { rows, obsDim, maxSteps } = shape;
  const state = Float64Array.from(state0);
  const obs = new Float64Array(obsDim * n);
  const finalObs = new Float64Array(obsDim * n);
  const rewards = new Float64Array(n);
  const terminated = new Float64Array(n);
  const truncated = new Float64Array(n);
  const episodes = new Float64Array(2 * n);
  const key = [seed % 2 ** 32, Math.floor(seed / 2 ** 32)];
  for (let i = 0; i < n; i++) {
    const r = step(i, state);
    let next = r.next;
    const steps = state[rows * n + i] + 1;
    const ret = state[(rows + 1) * n + i] + r.reward;
    const trunc = steps >= maxSteps;
    rewards[i] = r.reward;
    terminated[i] = r.terminated ? 1 : 0;
    truncated[i] = trunc ? 1 : 0;
    finalObs.set(observe(next), obsDim * i);
    if (r.terminated || trunc) {
      episodes[i] = ret;
      episodes[n + i] = steps;
      const bits = refPhilox4x32([state[(rows + 2) * n + i], i, 0, 0], key);
      next = reset(bits.map((b) => Math.floor(b / 256) / 2 ** 24));
      state[rows * n + i] = 0;
      state[(rows + 1) * n + i] = 0;
      state[(rows + 2) * n + i] += 1;
    } else {
      state[rows * n + i] = steps;
      state[(rows + 1) * n + i] = ret;
    }
    for (let k = 0; k < rows; k++) state[k * n + i] = next[k];
    obs.set(observe(next), obsDim * i);
  }
  return { state, obs, finalObs, rewards, terminated, truncated, episodes };
}

/**
 * envStep for Acrobot-v1 in float64: the host env (src/envs/acrobot.ts, Gymnasium's float64 step)
 * from each state, the observation [cos, sin, cos, sin, dtheta1, dtheta2] in float64, a reset
 * (u - 1/2) 0.2 per component.
 */
export function refAcrobotStep(state0: ArrayLike<number>, actions: ArrayLike<number>, n: number, seed: number): Record<string, Float64Array> {
  const env = new AcrobotEnv();
  env.reset({ seed: 0 });
  return refDeviceEnvStep(
    state0,
    n,
    seed,
    { rows: 4, obsDim: 6, maxSteps: 500 },
    (i, state) => {
      for (let k = 0; k < 4; k++) env.state[k] = state[k * n + i];
      const [, reward, terminated] = env.step(actions[i]);
      return { reward, terminated, next: Array.from(env.state) };
    },
    (u) => u.map((x) => (x - 0.5) * 0.2),
    ([t1, t2, d1, d2]) => [Math.cos(t1), Math.sin(t1), Math.cos(t2), Math.sin(t2), d1, d2],
  );
}

/** envStep for MountainCar-v0 in float64: the host env (src/envs/mountain-car.ts) from each state, a reset -0.6 + u ((-0.4) - (-0.6)), velocity 0. */
export function refMountainCarStep(state0: ArrayLike<number>, actions: ArrayLike<number>, n: number, seed: number): Record<string, Float64Array> {
  const env = new MountainCarEnv();
  env.reset({ seed: 0 });
  return refDeviceEnvStep(
    state0,
    n,
    seed,
    { rows: 2, obsDim: 2, maxSteps: 200 },
    (i, state) => {
      env.state[0] = state[i];
      env.state[1] = state[n + i];
      const [, reward, terminated] = env.step(actions[i]);
      return { reward, terminated, next: Array.from(env.state) };
    },
    (u) => [-0.6 + u[0] * (-0.4 - -0.6), 0],
    (rows) => rows,
  );
}

/**
 * epsilonGreedy in float64 from an independent Philox (refPhilox4x32): block (counter, env, 1, 0);
 * explore where (word 0 >> 8) 2^-24 < float32(epsilon), then floor(word 1 A / 2^32) exactly
 * (BigInt), else the first maximum of the row.
 */
export function refEpsilonGreedy(q: ArrayLike<number>, n: number, nActions: number, epsilon: number, seed: number, counter: number): Record<string, Float64Array> {
  const actions = new Float64Array(n);
  const key = [seed % 2 ** 32, Math.floor(seed / 2 ** 32)];
  const eps = Math.fround(epsilon);
  for (let i = 0; i < n; i++) {
    const bits = refPhilox4x32([counter, i, 1, 0], key);
    if (Math.floor(bits[0] / 256) / 2 ** 24 < eps) {
      actions[i] = Number((BigInt(bits[1]) * BigInt(nActions)) >> 32n);
      continue;
    }
    let best = 0;
    for (let c = 1; c < nActions; c++) if (q[i * nActions + c] > q[i * nActions + best]) best = c;
    actions[i] = best;
  }
  return { actions };
}

/** gatherRows: rows `indices` of x (srcRows, cols). */
export function refGatherRows(x: ArrayLike<number>, indices: ArrayLike<number>, cols: number): Record<string, Float64Array> {
  const out = new Float64Array(indices.length * cols);
  for (let r = 0; r < indices.length; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = x[indices[r] * cols + c];
  return { out };
}

// ------------------------------------------------------------------ policy-gradient ops

/**
 * GAE (GaeOf in policy-ops.ts) in the forward view, not the kernels' backward recursion: from step
 * t, the segment runs to the first step e >= t that ends an episode (terminated or truncated), or
 * to the rollout's last step, and A[t] = sum_{l <= e - t} (gamma lambda)^l delta[t + l] with
 * delta[i] = r[i] + gamma V'[i] - V[i] (no gamma V' where step i terminated); returns = A + V.
 * Rows (T, N) time-major.
 */
export function refGae(
  rewards: ArrayLike<number>,
  values: ArrayLike<number>,
  nextValues: ArrayLike<number>,
  terminated: ArrayLike<number>,
  truncated: ArrayLike<number>,
  shape: { steps: number; envs: number },
  gamma: number,
  lambda: number,
): Record<'advantages' | 'returns', Float64Array> {
  const { steps, envs } = shape;
  const delta = (i: number): number => rewards[i] + (terminated[i] !== 0 ? 0 : gamma * nextValues[i]) - values[i];
  const ended = (i: number): boolean => terminated[i] !== 0 || truncated[i] !== 0;
  const advantages = new Float64Array(steps * envs);
  const returns = new Float64Array(steps * envs);
  for (let n = 0; n < envs; n++) {
    for (let t = 0; t < steps; t++) {
      let e = t;
      while (e < steps - 1 && !ended(e * envs + n)) e++;
      let a = 0;
      for (let l = 0; l <= e - t; l++) a += (gamma * lambda) ** l * delta((t + l) * envs + n);
      advantages[t * envs + n] = a;
      returns[t * envs + n] = a + values[t * envs + n];
    }
  }
  return { advantages, returns };
}

/** The uniform in [0, 1) of a Philox word: its top 24 bits times 2^-24. */
function refUniform(word: number): number {
  return Math.floor(word / 256) / 2 ** 24;
}

/** Block j of row i's policy stream (counter, i, 1, j) for a run's seed, from refPhilox4x32. */
export function refPolicyBlock(seed: number, counter: number, row: number, j: number): number[] {
  return refPhilox4x32([counter, row, 1, j], [seed % 2 ** 32, Math.floor(seed / 2 ** 32)]);
}

/** The float64 softmax of a row of logits (max subtracted), and the log of its normaliser. */
export function refSoftmax(logits: ArrayLike<number>): { p: Float64Array; max: number; logSum: number } {
  const max = Math.max(...Array.from(logits));
  const e = Float64Array.from(logits, (x) => Math.exp(x - max));
  const sum = e.reduce((s, x) => s + x, 0);
  return { p: e.map((x) => x / sum), max, logSum: Math.log(sum) };
}

/** The categorical draw of row i: u of block 0 word 0 (so a test can keep it away from the cdf's steps). */
export function refCategoricalUniform(seed: number, counter: number, row: number): number {
  return refUniform(refPolicyBlock(seed, counter, row, 0)[0]);
}

/**
 * policySample (PolicySampleOf in policy-ops.ts) in float64 from an independent Philox
 * (refPhilox4x32) and Math's exp, log, cos and sin: categorical, the first action whose cumulative
 * softmax probability exceeds u, log-probability out[a] - logsumexp(out row); gaussian, Box-Muller
 * from block k / 2 and the log-density of mean + exp(logStd) z.
 */
export function refPolicySample(
  head: 'categorical' | 'gaussian',
  out: ArrayLike<number>,
  logStd: ArrayLike<number> | null,
  rows: number,
  cols: number,
  seed: number,
  counter: number,
): Record<'actions' | 'logProb', Float64Array> {
  const actions = new Float64Array(head === 'categorical' ? rows : rows * cols);
  const logProb = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const row = Array.from({ length: cols }, (_, c) => out[i * cols + c]);
    if (head === 'categorical') {
      const { p, max, logSum } = refSoftmax(row);
      const u = refCategoricalUniform(seed, counter, i);
      let a = 0;
      for (let cdf = p[0]; !(u < cdf) && a < cols - 1; cdf += p[++a]);
      actions[i] = a;
      logProb[i] = row[a] - max - logSum;
      continue;
    }
    let lp = 0;
    for (let k = 0; k < cols; k++) {
      const bits = refPolicyBlock(seed, counter, i, Math.floor(k / 2));
      const radius = Math.sqrt(-2 * Math.log(1 - refUniform(bits[0])));
      const theta = 2 * Math.PI * refUniform(bits[1]);
      const z = radius * (k % 2 === 0 ? Math.cos(theta) : Math.sin(theta));
      const std = Math.exp((logStd as ArrayLike<number>)[k]);
      const action = row[k] + std * z;
      actions[i * cols + k] = action;
      lp += -((action - row[k]) ** 2) / (2 * std * std) - Math.log(std) - 0.5 * Math.log(2 * Math.PI);
    }
    logProb[i] = lp;
  }
  return { actions, logProb };
}

/** The inputs of refPpoLoss: PpoLossOf's, as plain arrays, with out's shape (batch, k). */
export interface PpoLossInputs {
  head: 'categorical' | 'gaussian';
  batch: number;
  k: number;
  out: ArrayLike<number>;
  /** k values (gaussian), null for categorical. */
  logStd: ArrayLike<number> | null;
  actions: ArrayLike<number>;
  oldLogProb: ArrayLike<number>;
  advantages: ArrayLike<number>;
  normalizeAdvantages: boolean;
  clipCoef: number;
  entCoef: number;
  values: ArrayLike<number>;
  returns: ArrayLike<number>;
  oldValues: ArrayLike<number>;
  valueClip: number;
  vfCoef: number;
}

/** What ppoLoss writes: the stats in PPO_LOSS_STATS' order and the three gradients (gradLogStd null for categorical). */
export interface PpoLossResult {
  stats: Float64Array;
  gradOut: Float64Array;
  gradLogStd: Float64Array | null;
  gradValues: Float64Array;
}

/** torch.maximum(x, y) and the shares of its gradient that x and y get (half each at a tie). */
function torchMax(x: number, y: number): { value: number; dx: number; dy: number } {
  if (x === y) return { value: x, dx: 0.5, dy: 0.5 };
  return x > y ? { value: x, dx: 1, dy: 0 } : { value: y, dx: 0, dy: 1 };
}

/** torch.clamp(x, lo, hi) and its derivative (1 where lo <= x <= hi, bounds included). */
function torchClamp(x: number, lo: number, hi: number): { value: number; dx: number } {
  return { value: Math.min(Math.max(x, lo), hi), dx: x >= lo && x <= hi ? 1 : 0 };
}

/**
 * CleanRL's PPO loss (ppo.py, ppo_continuous_action.py) in float64, forward and then backward in
 * the order torch's autograd takes, node by node: the row's log-probability and entropy, the
 * clipped surrogate through torch.maximum and torch.clamp, the value loss likewise, the means.
 * The categorical head's gradients go through the softmax's full Jacobian (dp_m / dz_j = p_m
 * (delta_mj - p_j)) rather than a closed form; the gaussian's through sigma = exp(logStd).
 */
export function refPpoLoss(x: PpoLossInputs): PpoLossResult {
  const { batch: B, k } = x;
  const gaussian = x.head === 'gaussian';
  const logStd = x.logStd ?? [];
  let adv = Array.from(x.advantages);
  if (x.normalizeAdvantages) {
    const mean = adv.reduce((s, a) => s + a, 0) / B;
    const std = Math.sqrt(adv.reduce((s, a) => s + (a - mean) ** 2, 0) / (B - 1));
    adv = adv.map((a) => (a - mean) / (std + 1e-8));
  }
  const gradOut = new Float64Array(B * k);
  const gradLogStd = gaussian ? new Float64Array(k) : null;
  const gradValues = new Float64Array(B);
  let policy = 0;
  let valueSum = 0;
  let entropySum = 0;
  let kl = 0;
  let clipFraction = 0;
  for (let i = 0; i < B; i++) {
    const z = Array.from({ length: k }, (_, j) => x.out[i * k + j]);
    // Forward: log pi(a | row) and the row's entropy.
    let logp: number;
    let entropy: number;
    let probs: number[] = [];
    if (gaussian) {
      logp = 0;
      entropy = 0;
      for (let j = 0; j < k; j++) {
        const sigma = Math.exp(logStd[j]);
        logp += -((x.actions[i * k + j] - z[j]) ** 2) / (2 * sigma ** 2) - Math.log(sigma) - Math.log(Math.sqrt(2 * Math.PI));
        entropy += 0.5 + 0.5 * Math.log(2 * Math.PI) + Math.log(sigma);
      }
    } else {
      const max = Math.max(...z);
      const e = z.map((v) => Math.exp(v - max));
      const total = e.reduce((s, v) => s + v, 0);
      probs = e.map((v) => v / total);
      logp = Math.log(probs[x.actions[i]]);
      entropy = -probs.reduce((s, p) => s + p * Math.log(p), 0);
    }
    const logRatio = logp - x.oldLogProb[i];
    const ratio = Math.exp(logRatio);
    const clamped = torchClamp(ratio, 1 - x.clipCoef, 1 + x.clipCoef);
    const pg = torchMax(-adv[i] * ratio, -adv[i] * clamped.value);
    policy += pg.value;
    entropySum += entropy;
    kl += ratio - 1 - logRatio;
    if (Math.abs(ratio - 1) > x.clipCoef) clipFraction += 1;
    // Backward: d loss / d logp and d loss / d entropy of this row, then into out and logStd.
    const dRatio = (pg.dx * -adv[i] + pg.dy * -adv[i] * clamped.dx) / B;
    const dLogp = dRatio * ratio;
    const dEntropy = -x.entCoef / B;
    if (gaussian) {
      const g = gradLogStd as Float64Array;
      for (let j = 0; j < k; j++) {
        const sigma = Math.exp(logStd[j]);
        const d = x.actions[i * k + j] - z[j];
        gradOut[i * k + j] = dLogp * (d / sigma ** 2);
        // d logp / d sigma = d^2 / sigma^3 - 1 / sigma, d entropy / d sigma = 1 / sigma; d sigma / d logStd = sigma.
        g[j] += (dLogp * (d ** 2 / sigma ** 3 - 1 / sigma) + dEntropy / sigma) * sigma;
      }
    } else {
      // d / dp_m of logp = log p_a and of H = -sum p log p, then through the softmax's Jacobian.
      const dProbs = probs.map((p, m) => (m === x.actions[i] ? dLogp / p : 0) + dEntropy * -(Math.log(p) + 1));
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let m = 0; m < k; m++) s += dProbs[m] * probs[m] * ((m === j ? 1 : 0) - probs[j]);
        gradOut[i * k + j] = s;
      }
    }
    // The value loss: 0.5 mean(max(unclipped, clipped)), or of the unclipped alone.
    const v = x.values[i];
    const unclipped = (v - x.returns[i]) ** 2;
    const dUnclipped = 2 * (v - x.returns[i]);
    let dRow: number;
    if (x.valueClip > 0) {
      const step = torchClamp(v - x.oldValues[i], -x.valueClip, x.valueClip);
      const vClipped = x.oldValues[i] + step.value;
      const m = torchMax(unclipped, (vClipped - x.returns[i]) ** 2);
      valueSum += m.value;
      dRow = m.dx * dUnclipped + m.dy * 2 * (vClipped - x.returns[i]) * step.dx;
    } else {
      valueSum += unclipped;
      dRow = dUnclipped;
    }
    gradValues[i] = (x.vfCoef * 0.5 * dRow) / B;
  }
  const policyLoss = policy / B;
  const valueLoss = (0.5 * valueSum) / B;
  const entropy = entropySum / B;
  const stats = Float64Array.of(policyLoss - x.entCoef * entropy + x.vfCoef * valueLoss, policyLoss, valueLoss, entropy, kl / B, clipFraction / B);
  return { stats, gradOut, gradLogStd, gradValues };
}

/** log pi(actions[i] | row i) of each row of out (batch, k), as policySample and ppoLoss define it, in float64. */
export function refLogProb(head: 'categorical' | 'gaussian', out: ArrayLike<number>, logStd: ArrayLike<number> | null, actions: ArrayLike<number>, batch: number, k: number): Float64Array {
  const logp = new Float64Array(batch);
  for (let i = 0; i < batch; i++) {
    const row = Array.from({ length: k }, (_, j) => out[i * k + j]);
    if (head === 'gaussian') {
      const s = logStd as ArrayLike<number>;
      logp[i] = row.reduce((sum, mu, j) => sum - (actions[i * k + j] - mu) ** 2 / (2 * Math.exp(2 * s[j])) - s[j] - 0.5 * Math.log(2 * Math.PI), 0);
    } else {
      const max = Math.max(...row);
      logp[i] = row[actions[i]] - max - Math.log(row.reduce((sum, v) => sum + Math.exp(v - max), 0));
    }
  }
  return logp;
}
