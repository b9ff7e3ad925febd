/** Parameter updates (Adam, RAdam, SGD as torch.optim) and global-norm gradient clipping. */
import { radamRectification, type AdamHyperParameters, type FloatArray, type RAdamHyperParameters, type SgdHyperParameters } from '../backend.js';

/**
 * torch.optim.Adam / AdamW: g += wd p (L2) or p *= 1 - lr wd (decoupled); m = b1 m + (1 - b1) g;
 * v = b2 v + (1 - b2) g^2; p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 */
export function adam(param: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, size: number, hp: AdamHyperParameters): void {
  const stepSize = hp.lr / (1 - Math.pow(hp.beta1, hp.step));
  adamUpdate(param, grad, m, v, size, hp, stepSize, Math.sqrt(1 - Math.pow(hp.beta2, hp.step)), true);
}

/**
 * torch.optim.RAdam (torch/optim/radam.py): Adam's decay and moments, then with the rectification
 * rect = r_t sqrt(1 - b2^t) of radamRectification, p -= lr / (1 - b1^t) rect m / (sqrt(v) + eps)
 * where rect > 0 (rho_t > 5), else p -= lr / (1 - b1^t) m.
 */
export function radam(param: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, size: number, hp: RAdamHyperParameters): void {
  const rectification = radamRectification(hp);
  const stepSize = hp.lr / (1 - Math.pow(hp.beta1, hp.step));
  if (rectification > 0) adamUpdate(param, grad, m, v, size, hp, stepSize * rectification, 1, true);
  else adamUpdate(param, grad, m, v, size, hp, stepSize, 1, false);
}

/** Adam's element loop: p -= stepSize m / (sqrt(v) / sqrtCorrection2 + eps) when `adaptive`, else p -= stepSize m. */
function adamUpdate(
  param: FloatArray,
  grad: FloatArray,
  m: FloatArray,
  v: FloatArray,
  size: number,
  hp: AdamHyperParameters,
  stepSize: number,
  sqrtCorrection2: number,
  adaptive: boolean,
): void {
  const { lr, beta1, beta2, eps, weightDecay } = hp;
  const l2 = hp.decoupledWeightDecay ? 0 : weightDecay;
  const decay = hp.decoupledWeightDecay ? 1 - lr * weightDecay : 1;
  for (let i = 0; i < size; i++) {
    const p = param[i] * decay;
    const g = grad[i] + l2 * param[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    // The stored (rounded) moments are used, as a float32 device would.
    param[i] = adaptive ? p - (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtCorrection2 + eps) : p - stepSize * m[i];
  }
}

/**
 * torch.optim.SGD: g += wd p; with momentum, buf = g on step 1 else momentum buf + (1 - dampening) g,
 * and the step direction is g + momentum buf (Nesterov) or buf; p -= lr direction.
 */
export function sgd(param: FloatArray, grad: FloatArray, velocity: FloatArray, size: number, hp: SgdHyperParameters): void {
  const { lr, momentum, dampening, weightDecay, nesterov } = hp;
  const first = hp.step === 1;
  for (let i = 0; i < size; i++) {
    let g = grad[i] + weightDecay * param[i];
    if (momentum !== 0) {
      const buf = first ? g : momentum * velocity[i] + (1 - dampening) * g;
      velocity[i] = buf;
      // Read back the stored (rounded) buffer so both backends step with the same value.
      g = nesterov ? g + momentum * velocity[i] : velocity[i];
    }
    param[i] = param[i] - lr * g;
  }
}

/** x *= min(1, maxNorm / (sqrt(sumSquares) + 1e-6)), as torch.nn.utils.clip_grad_norm_. */
export function clipByGlobalNorm(x: FloatArray, size: number, sumSquares: number, maxNorm: number): void {
  const coefficient = maxNorm / (Math.sqrt(sumSquares) + 1e-6);
  if (coefficient >= 1) return;
  for (let i = 0; i < size; i++) x[i] = x[i] * coefficient;
}
